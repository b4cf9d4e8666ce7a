import type { Config } from '../config/index.js';
import type { DatabaseHandle } from '../db/client.js';
import { openDatabase } from '../db/client.js';
import type { Logger } from '../log/index.js';
import type { Knowledge } from './catalog.js';
import { readCatalogFiles } from './data-files.js';
import { type LiveKnowledge, liveKnowledge } from './live.js';
import { readMeasurementFiles } from './measurements.js';
import { ensureSeeded, loadKnowledge } from './store.js';

export interface KnowledgeBase {
  database: DatabaseHandle;
  knowledge: Knowledge;
}

/**
 * Opens the configured database, applies migrations, loads data/ when it changed since the last seed, and returns
 * an in-memory snapshot with the public measurements of data/benchmarks/ beside it (they calibrate the planner). A
 * fresh machine with no DATABASE_URL gets a ready embedded database on first use.
 */
export async function openKnowledgeBase(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  log: Logger,
): Promise<KnowledgeBase> {
  const database = await openDatabase({
    ...config,
    onConnectionError: (error) =>
      log.warn(
        { event: 'db.connection_lost', err: error },
        'a database connection broke; the pool replaces it',
      ),
  });
  try {
    await database.migrate();
    if (await ensureSeeded(database.db, readCatalogFiles())) {
      log.info({ event: 'knowledge.seeded', engine: database.engine }, 'knowledge base loaded from data/');
    }
    const measurements = readMeasurementFiles();
    return { database, knowledge: { ...(await loadKnowledge(database.db)), measurements } };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/**
 * The knowledge base of a long-running process (bot, worker): its snapshot follows the database every
 * KNOWLEDGE_REFRESH_SECONDS, so outcomes observed and models imported meanwhile take part without a restart.
 */
export async function openLiveKnowledgeBase(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'knowledgeRefreshSec'>,
  log: Logger,
  prepare?: (next: Knowledge) => Promise<unknown>,
): Promise<{ database: DatabaseHandle; knowledge: LiveKnowledge }> {
  const { database, knowledge } = await openKnowledgeBase(config, log);
  const live = liveKnowledge({
    db: database.db,
    initial: knowledge,
    everyMs: config.knowledgeRefreshSec * 1000,
    log,
    ...(prepare && { prepare }),
  });
  return { database, knowledge: live };
}
