import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding package.json, found from this file so it works from src/ (tests) and dist/ (built). */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('Compass cannot find its package root (no package.json above its code).');
    dir = parent;
  }
  return dir;
}

export const packageRoot = findPackageRoot();
export const dataDir = join(packageRoot, 'data');
export const migrationsDir = join(packageRoot, 'migrations');
export const templatesDir = join(packageRoot, 'templates');
/** The embedded database a new data folder starts from, made by the build (see db/embedded.ts). */
export const embeddedTemplateDir = join(packageRoot, 'dist', 'pglite-template');
