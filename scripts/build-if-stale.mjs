// `npm install`'s prepare step and `npm test`'s pretest: compiles src/ into dist/ unless dist/ is already newer than
// every source, so CI's `npm ci` then `npm test` compiles once, and the README's `npm install && npx compass …` (npx
// prepares the package again) compiles at most once. Then the embedded database's template, when missing or stale.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const built = join(root, 'dist', 'src', 'cli', 'main.js');
const sources = ['src', 'simulator', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function newestChange(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(
    stat.mtimeMs,
    ...readdirSync(path, { recursive: true }).map((name) => statSync(join(path, name)).mtimeMs),
  );
}

if (
  existsSync(built) &&
  statSync(built).mtimeMs > Math.max(...sources.map((s) => newestChange(join(root, s))))
) {
  process.stdout.write('compass: dist/ is newer than its sources; skipping the build\n');
} else {
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  process.exitCode = tsc.status ?? 1;
}
if (process.exitCode === undefined || process.exitCode === 0) {
  // Skips itself when the template is there and made by the installed PGlite.
  const template = spawnSync(process.execPath, [join(root, 'scripts', 'build-embedded-template.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
  process.exitCode = template.status ?? 1;
}
