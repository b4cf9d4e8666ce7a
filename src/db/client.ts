import { mkdirSync } from 'node:fs';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { migrationsDir } from '../paths.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
/** The one database type the rest of Compass sees, whichever engine is underneath. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export interface DatabaseHandle {
  db: Database;
  /** `postgres` for a server, `pglite` for the embedded default. */
  engine: 'postgres' | 'pglite';
  /** Applies pending migrations from migrations/. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  /** Folder for the embedded database when no URL is given. */
  dataDir: string;
  /** Told about errors of idle pooled connections (server restart, admin kill); the pool replaces them. */
  onIdleError?: (error: Error) => void;
}

const casing = 'snake_case';

/**
 * Connects to PostgreSQL when a URL is configured, otherwise to embedded PGlite under dataDir. Each engine's driver
 * is imported only when chosen: PGlite's WASM alone costs a second of start-up that a server user never needs.
 */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const [{ default: pg }, { drizzle: drizzlePg }, { migrate: migratePg }] = await Promise.all([
      import('pg'),
      import('drizzle-orm/node-postgres'),
      import('drizzle-orm/node-postgres/migrator'),
    ]);
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
    // Without a listener an idle connection's error would crash the process.
    pool.on('error', (error) => options.onIdleError?.(error));
    // Surface a bad URL or a server that is down now, not at the first query deep inside a handler.
    await pool.query('select 1').catch(async (error: unknown) => {
      await pool.end();
      throw new DatabaseUnavailableError(error);
    });
    const db = drizzlePg({ client: pool, schema, casing });
    return {
      db: db as unknown as Database,
      engine: 'postgres',
      migrate: () => migratePg(db, { migrationsFolder: migrationsDir }),
      close: () => pool.end(),
    };
  }
  const [{ PGlite }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  mkdirSync(options.dataDir, { recursive: true });
  const client = await PGlite.create(`${options.dataDir}/pglite`);
  const db = drizzlePglite({ client, schema, casing });
  return {
    db: db as unknown as Database,
    engine: 'pglite',
    migrate: () => migratePglite(db, { migrationsFolder: migrationsDir }),
    close: () => client.close(),
  };
}

export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `Cannot reach PostgreSQL at DATABASE_URL (${reason}). Check that the server runs and the URL is right.`,
      {
        cause,
      },
    );
    this.name = 'DatabaseUnavailableError';
  }
}
