/**
 * The embedded database's template (src/db/embedded.ts): a new data folder copied from it is the same database as
 * one PGlite's initdb creates and the migrations then build, a later Compass reopens it as it is, a template made
 * by another PGlite or other migrations is never copied, any user may copy it, and one that cannot be copied whole
 * leaves initdb to create the database.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { buildEmbeddedTemplate, openEmbedded, usableTemplate } from '../../src/db/embedded.js';
import { migrationsDir } from '../../src/paths.js';

/** Everything the migrations decide: columns, indexes, constraints, and the migrations recorded as applied. */
async function schemaOf(client: PGlite) {
  const user = `not in ('pg_catalog', 'information_schema', 'pg_toast')`;
  const [columns, indexes, constraints, applied] = await Promise.all([
    client.query(
      `select table_schema, table_name, column_name, data_type, is_nullable, column_default
         from information_schema.columns where table_schema ${user} order by 1, 2, 3`,
    ),
    client.query(
      `select schemaname, indexname, indexdef from pg_indexes where schemaname ${user} order by 1, 2`,
    ),
    client.query(
      `select conrelid::regclass::text as relation, conname, pg_get_constraintdef(c.oid) as definition
         from pg_constraint c join pg_namespace n on n.oid = c.connamespace
        where n.nspname ${user} order by 1, 2`,
    ),
    client.query('select hash, created_at from drizzle.__drizzle_migrations order by id'),
  ]);
  return {
    columns: columns.rows,
    indexes: indexes.rows,
    constraints: constraints.rows,
    applied: applied.rows,
  };
}

describe('embedded database template', () => {
  let scratch: string;
  let template: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'compass-embedded-'));
    template = join(scratch, 'template');
    expect(await buildEmbeddedTemplate(template)).toBe(true);
  }, 180_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('is made once for the installed PGlite and these migrations', async () => {
    expect(usableTemplate(template)).toBe(join(template, 'pgdata'));
    expect(await buildEmbeddedTemplate(template)).toBe(false);
  });

  it('gives a new data folder the database that initdb and the migrations make', async () => {
    const copied = await openEmbedded(join(scratch, 'copied'), template);
    const created = await openEmbedded(join(scratch, 'created'), join(scratch, 'no-template'));
    try {
      await migrate(drizzle({ client: created }), { migrationsFolder: migrationsDir });
      const copiedSchema = await schemaOf(copied);
      // Nothing left to apply on the copy: the template was migrated by exactly these migrations.
      await migrate(drizzle({ client: copied }), { migrationsFolder: migrationsDir });
      expect(await schemaOf(copied)).toEqual(copiedSchema);
      expect(copiedSchema).toEqual(await schemaOf(created));
      expect(copiedSchema.columns.length).toBeGreaterThan(0);
      // Its own database, writable, with shared buffers sized for a few MB of data, not a server's 128 MB.
      await copied.exec('create table scratch (id int primary key); insert into scratch values (1);');
      expect((await copied.query("select current_setting('shared_buffers') as value")).rows).toEqual([
        { value: '16MB' },
      ]);
    } finally {
      await Promise.all([copied.close(), created.close()]);
    }
    expect(existsSync(join(scratch, `copied.partial-${process.pid}`))).toBe(false);
    // A later start finds the folder's own data, not a fresh copy of the template.
    const reopened = await openEmbedded(join(scratch, 'copied'), template);
    try {
      expect((await reopened.query('select id from scratch')).rows).toEqual([{ id: 1 }]);
    } finally {
      await reopened.close();
    }
  }, 180_000);

  it('may be copied by any user, not only the one who built it', () => {
    // The Docker image builds it as root and runs Compass as `node`; PGlite writes some files 0600.
    const entries = readdirSync(template, { recursive: true, withFileTypes: true });
    expect(entries.length).toBeGreaterThan(100);
    const unreadable = entries
      .map((entry) => join(entry.parentPath, entry.name))
      .filter((path) => {
        const mode = statSync(path).mode;
        return statSync(path).isDirectory() ? (mode & 0o055) !== 0o055 : (mode & 0o044) !== 0o044;
      });
    expect(unreadable).toEqual([]);
  });

  it('is passed over when it cannot be copied whole: initdb creates the database', async () => {
    const broken = join(scratch, 'broken-template');
    cpSync(template, broken, { recursive: true });
    // Node's copy refuses a FIFO, as it refuses a file it may not read.
    execFileSync('mkfifo', [join(broken, 'pgdata', 'base', 'unreadable')]);
    expect(usableTemplate(broken)).toBe(join(broken, 'pgdata'));
    const folder = join(scratch, 'from-broken');
    const client = await openEmbedded(folder, broken);
    try {
      // initdb's database: PostgreSQL's own catalog, none of the migrations' tables.
      const tables = await client.query(
        "select count(*)::int as n from information_schema.tables where table_schema = 'public'",
      );
      expect(tables.rows).toEqual([{ n: 0 }]);
    } finally {
      await client.close();
    }
    expect(existsSync(`${folder}.partial-${process.pid}`)).toBe(false);
    expect(existsSync(join(folder, 'base', 'unreadable'))).toBe(false);
  }, 180_000);

  it('clears the side folders an interrupted copy left, not those of a copy still running', async () => {
    const folder = join(scratch, 'after-interrupt');
    const gone = spawnSync('true').pid;
    const abandoned = `${folder}.partial-${gone}`;
    cpSync(template, abandoned, { recursive: true });
    const copying = spawn('sleep', ['30']);
    const inProgress = `${folder}.partial-${copying.pid}`;
    cpSync(template, inProgress, { recursive: true });
    try {
      const client = await openEmbedded(folder, template);
      await client.close();
      expect(existsSync(abandoned)).toBe(false);
      expect(existsSync(inProgress)).toBe(true);
      expect(existsSync(join(folder, 'PG_VERSION'))).toBe(true);
    } finally {
      copying.kill();
    }
  }, 180_000);

  it('lives in a data folder Compass creates for its user alone', async () => {
    const dataDir = join(scratch, 'home', '.local', 'share', 'compass');
    const database = await openDatabase({ dataDir });
    await database.close();
    for (const folder of [dataDir, join(scratch, 'home', '.local')]) {
      expect((statSync(folder).mode & 0o777).toString(8), folder).toBe('700');
    }
  }, 180_000);

  it('is ignored when another PGlite or other migrations made it', () => {
    const otherMigrations = join(scratch, 'migrations');
    cpSync(migrationsDir, otherMigrations, { recursive: true });
    writeFileSync(join(otherMigrations, '9999_more.sql'), 'create table more (id int);\n');
    expect(usableTemplate(template, otherMigrations)).toBeNull();

    const otherPglite = join(scratch, 'other-pglite');
    cpSync(template, otherPglite, { recursive: true });
    const stamp = JSON.parse(readFileSync(join(otherPglite, 'stamp.json'), 'utf8'));
    writeFileSync(join(otherPglite, 'stamp.json'), JSON.stringify({ ...stamp, pglite: '0.0.1' }));
    expect(usableTemplate(otherPglite)).toBeNull();
    expect(usableTemplate(join(scratch, 'absent'))).toBeNull();
  });
});
