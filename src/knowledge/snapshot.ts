import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir as catalogDir } from '../paths.js';
import type { Knowledge } from './catalog.js';

/*
 * The embedded database costs a read-only command (plan, spec, predict…) a second of CPU and a few hundred MB to
 * start PGlite's WASM, for a snapshot that only changes when something writes. After each use of the embedded
 * database the CLI keeps the snapshot beside it; the next read-only command uses it while nothing has changed since.
 * "Changed" is told by PostgreSQL's own files: every committed write appends to the write-ahead log (pg_wal) and
 * every checkpoint rewrites global/pg_control; a new catalog under data/ changes those files' stamps too.
 */

const SNAPSHOT_FILE = 'knowledge-snapshot.json';
/** Raised when the snapshot's shape changes, so a newer Compass never reads an older one's file. */
const SNAPSHOT_FORMAT = 2;

interface StoredSnapshot {
  stamp: string;
  knowledge: Knowledge;
}

function filesStamp(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return [`${dir}:absent`];
  }
  return names.sort().map((name) => {
    const stat = statSync(join(dir, name));
    return `${name}:${stat.size}:${stat.mtimeMs}`;
  });
}

/** What the snapshot depends on: the database's log and control files, and the catalog under data/. */
export function knowledgeStamp(databaseDir: string, catalog: string = catalogDir): string {
  return JSON.stringify([
    SNAPSHOT_FORMAT,
    filesStamp(join(databaseDir, 'pg_wal')),
    filesStamp(join(databaseDir, 'global')),
    filesStamp(catalog),
  ]);
}

/** The snapshot kept in dataDir, or null when there is none or the database or data/ changed since it was kept. */
export function readKnowledgeSnapshot(dataDir: string, catalog?: string): Knowledge | null {
  let stored: StoredSnapshot;
  try {
    stored = JSON.parse(readFileSync(join(dataDir, SNAPSHOT_FILE), 'utf8')) as StoredSnapshot;
  } catch {
    return null;
  }
  if (stored.stamp !== knowledgeStamp(join(dataDir, 'pglite'), catalog)) return null;
  return stored.knowledge;
}

/** Keeps `knowledge` as the snapshot of the closed embedded database in dataDir (atomically: readers see old or new). */
export function writeKnowledgeSnapshot(dataDir: string, knowledge: Knowledge, catalog?: string): void {
  const stored: StoredSnapshot = { stamp: knowledgeStamp(join(dataDir, 'pglite'), catalog), knowledge };
  const partial = join(dataDir, `${SNAPSHOT_FILE}.${process.pid}`);
  writeFileSync(partial, JSON.stringify(stored));
  renameSync(partial, join(dataDir, SNAPSHOT_FILE));
}
