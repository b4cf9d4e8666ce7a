import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Pool, PoolClient, PoolConfig } from 'pg';
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
  /**
   * Told when a pooled connection breaks (server restart, admin kill, network cut), idle or in use; the pool replaces
   * it, and the statement in flight fails with an error that isConnectionLost recognises.
   */
  onConnectionError?: (error: Error) => void;
}

const casing = 'snake_case';

type ConnectCallback = Exclude<Parameters<Pool['connect']>[0], undefined>;

/**
 * A pool that survives broken connections. Without a listener a broken connection's 'error' event crashes the
 * process; the pool listens only while a connection is idle, so each connection gets its own listener. And a
 * checked-out connection that breaks goes back to the pool at once: drizzle's transaction() never releases its
 * connection when BEGIN fails, which would leak one connection per cut until every turn waits forever.
 */
function createHealingPool(
  pg: typeof import('pg').default,
  config: PoolConfig,
  onConnectionError: ((error: Error) => void) | undefined,
): Pool {
  class HealingPool extends pg.Pool {
    readonly #inUse = new WeakMap<PoolClient, (error: Error) => void>();

    constructor(config: PoolConfig, onConnectionError: ((error: Error) => void) | undefined) {
      super(config);
      this.on('connect', (client) =>
        client.on('error', (error) => {
          onConnectionError?.(error);
          this.#inUse.get(client as PoolClient)?.(error);
        }),
      );
      // The pool repeats an idle connection's error, which that connection's listener has reported.
      this.on('error', () => {});
    }

    override connect(): Promise<PoolClient>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<PoolClient> | undefined {
      // The callback form is the pool's own query(), which releases broken connections itself.
      if (callback) {
        super.connect(callback);
        return undefined;
      }
      return super.connect().then((client) => {
        const release = client.release;
        let released = false;
        const releaseOnce = (error?: Error | boolean) => {
          if (released) return;
          released = true;
          this.#inUse.delete(client);
          release(error);
        };
        client.release = releaseOnce;
        this.#inUse.set(client, releaseOnce);
        return client;
      });
    }
  }
  return new HealingPool(config, onConnectionError);
}

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
    const pool = createHealingPool(
      pg,
      { connectionString: options.databaseUrl, max: 10 },
      options.onConnectionError,
    );
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
  const [{ openEmbedded }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import('./embedded.js'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  // Owner only, as the XDG base directory spec asks of data folders Compass creates: they hold conversations and
  // deploy history. A folder that exists keeps its mode (the Docker image shares one with group 0 on purpose).
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const client = await openEmbedded(join(options.dataDir, 'pglite'));
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
