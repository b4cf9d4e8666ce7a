import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { embeddedTemplateDir, migrationsDir } from '../paths.js';

/*
 * The embedded database (PGlite: PostgreSQL compiled to WASM) and what it costs a first run. Creating a database
 * runs initdb, for which PGlite starts a second WASM PostgreSQL beside the first and copies the result over as a
 * tarball: ~5 s of CPU and ~800 MB of peak memory, once per new data folder. The build runs that initdb once into a
 * template beside dist/, migrated, and a new data folder starts as a copy of it, so a first `compass plan` costs
 * what opening an existing database costs. The template holds no catalog: data/ is seeded at first use as before.
 * Its stamp names the PGlite and the migrations that made it, and that every user may read it; any other Compass
 * ignores it and runs initdb, and the next build makes it again.
 */

/**
 * PostgreSQL's server default of 128 MB of shared buffers lives in the WASM heap, and PostgreSQL touches all of it
 * at start-up: 130 MB of resident memory for a database of a few MB. 16 MB still holds all of Compass's tables.
 */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

const STAMP_FILE = 'stamp.json';
const DATA_FOLDER = 'pgdata';

/** The installed PGlite's version: a template made by another version may hold another PostgreSQL's catalog. */
function pgliteVersion(): string {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const manifest = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/** Every file of migrations/, names and contents: a template migrated by other migrations is not this schema. */
function migrationsHash(folder: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(folder, { recursive: true, encoding: 'utf8' }).sort()) {
    const path = join(folder, name);
    if (statSync(path).isFile()) hash.update(`${name}\0`).update(readFileSync(path));
  }
  return hash.digest('hex');
}

const expectedStamp = (migrations: string) =>
  JSON.stringify({ pglite: pgliteVersion(), migrations: migrationsHash(migrations), readableByAll: true });

/** The template's database folder when the installed PGlite and these migrations made it, else null. */
export function usableTemplate(template: string, migrations: string = migrationsDir): string | null {
  try {
    const stamp = readFileSync(join(template, STAMP_FILE), 'utf8').trim();
    return stamp === expectedStamp(migrations) ? join(template, DATA_FOLDER) : null;
  } catch {
    return null;
  }
}

/**
 * Opens the embedded database in `folder`, creating it from the template when there is none yet and the template
 * fits the installed PGlite and copies whole (PGlite runs initdb itself otherwise). The copy goes to a side folder
 * renamed into place, so an interrupted copy leaves nothing PGlite would mistake for a database, and of two
 * processes creating the same folder at once one copy wins whole.
 */
export async function openEmbedded(folder: string, template: string = embeddedTemplateDir): Promise<PGlite> {
  removeAbandonedCopies(folder);
  const source = existsSync(folder) ? null : usableTemplate(template);
  if (source) {
    const partial = `${folder}.partial-${process.pid}`;
    if (copied(source, partial)) {
      try {
        renameSync(partial, folder);
      } catch (error) {
        rmSync(partial, { recursive: true, force: true });
        if (!existsSync(folder)) throw error;
      }
    }
  }
  return PGlite.create(folder, { startParams: START_PARAMS });
}

/**
 * Removes the side folders (`<folder>.partial-<pid>`, ~40 MB each) of copies whose process is gone: a first run
 * interrupted mid-copy (Ctrl-C, a killed container) leaves one, and no later run would reuse it.
 */
function removeAbandonedCopies(folder: string): void {
  const parent = dirname(folder);
  const prefix = `${basename(folder)}.partial-`;
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name.slice(prefix.length));
    if (!name.startsWith(prefix) || !Number.isInteger(pid) || pid === process.pid || running(pid)) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
  }
}

/** Whether a process with this id runs (one of another user's answers EPERM to the probe). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Copies the template into `partial`; false, with nothing left behind, when it cannot be read whole (one another
 * user built before templates were made readable by all): the template only saves time, so initdb then creates the
 * database as it does without one.
 */
function copied(source: string, partial: string): boolean {
  try {
    cpSync(source, partial, { recursive: true });
    return true;
  } catch {
    rmSync(partial, { recursive: true, force: true });
    return false;
  }
}

/** Sets every folder under `folder` (itself included) to 0755 and every file to 0644. */
function readableByAll(folder: string): void {
  chmodSync(folder, 0o755);
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    chmodSync(join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
  }
}

/**
 * Makes the migrated template a new data folder is copied from (the build runs this), unless the installed PGlite
 * and these migrations made the one there. Returns whether it made one.
 */
export async function buildEmbeddedTemplate(
  template: string = embeddedTemplateDir,
  migrations: string = migrationsDir,
): Promise<boolean> {
  if (usableTemplate(template, migrations)) return false;
  const partial = `${template}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const client = await PGlite.create(join(partial, DATA_FOLDER), { startParams: START_PARAMS });
  try {
    await migrate(drizzle({ client }), { migrationsFolder: migrations });
  } finally {
    await client.close();
  }
  writeFileSync(join(partial, STAMP_FILE), `${expectedStamp(migrations)}\n`);
  // Every user may read the template: it holds only the empty schema, and whoever runs Compass need not be whoever
  // built it (the Docker image builds as root and runs as `node` or any uid; a system-wide install is built by root).
  // PGlite writes some of PostgreSQL's files 0600, which another user's first run could not copy.
  readableByAll(partial);
  rmSync(template, { recursive: true, force: true });
  renameSync(partial, template);
  return true;
}
