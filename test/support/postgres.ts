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

/** A fresh, empty database on the real server, so test files can run in parallel without sharing state. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `compass_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

export interface OpenTestDatabase {
  url: string;
  database: DatabaseHandle;
  /** Closes the connection and drops the database. */
  close(): Promise<void>;
}

/** A fresh database with Compass's migrations applied, and a connection to it. */
export async function openTestDatabase(): Promise<OpenTestDatabase> {
  const testDb = await createTestDatabase();
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
