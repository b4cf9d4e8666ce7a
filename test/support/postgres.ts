import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DatabaseHandle } from '../../src/db/client.js';
import { openDatabase } from '../../src/db/client.js';

/** The machine's PostgreSQL (trust auth); TEST_DATABASE_URL overrides it. */
export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * Names a database with Compass's migrations applied (and nothing else) that the suite's global set-up made once, so
 * each test's migrated database is a copy of it rather than a fresh run of every migration. Unset outside vitest (a
 * bench script): databases are then migrated one by one.
 */
export const MIGRATED_TEMPLATE_VARIABLE = 'COMPASS_TEST_MIGRATED_TEMPLATE';

const adminQuery = async (sql: string) => {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
};

/**
 * A fresh database on the real server, so test files can run in parallel without sharing state: empty, or with
 * `migrated` the migrations already applied (copied from the suite's template when there is one; migrating it again
 * is then a no-op).
 */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `compass_test_${randomBytes(6).toString('hex')}`;
  const template = options.migrated ? process.env[MIGRATED_TEMPLATE_VARIABLE] : undefined;
  await adminQuery(template ? `create database ${name} template ${template}` : `create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => adminQuery(`drop database if exists ${name} with (force)`),
  };
}

/** A new database with the migrations applied, for `MIGRATED_TEMPLATE_VARIABLE`; closed, so it can be copied. */
export async function createMigratedTemplate(): Promise<TestDatabase & { name: string }> {
  const testDb = await createTestDatabase();
  const database = await openDatabase({ databaseUrl: testDb.url, dataDir: '/nonexistent' });
  try {
    await database.migrate();
  } finally {
    await database.close();
  }
  return { ...testDb, name: new URL(testDb.url).pathname.slice(1) };
}

export interface OpenTestDatabase {
  url: string;
  database: DatabaseHandle;
  /** Closes the connection and drops the database. */
  close(): Promise<void>;
}

/** A fresh database with Compass's migrations applied, and a connection to it. */
export async function openTestDatabase(): Promise<OpenTestDatabase> {
  const testDb = await createTestDatabase({ migrated: true });
  const database = await openDatabase({ databaseUrl: testDb.url, dataDir: '/nonexistent' });
  await database.migrate();
  return {
    url: testDb.url,
    database,
    async close() {
      await database.close();
      await testDb.drop();
    },
  };
}
