import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { loadConfig } from '../config/index.js';
import { resolveGpuId, resolveModelId } from '../knowledge/aliases.js';
import type { Knowledge } from '../knowledge/catalog.js';
import type { KnowledgeBase } from '../knowledge/open.js';
import { readKnowledgeSnapshot, writeKnowledgeSnapshot } from '../knowledge/snapshot.js';
import type { Logger } from '../log/index.js';
import { createLogger } from '../log/index.js';
import type { CliIo } from './io.js';
import { UsageError, writeLine } from './io.js';

export interface CliContext {
  io: CliIo;
  config: Config;
  log: Logger;
}

/** Configuration and a logger for one CLI run; the CLI logs warnings only unless LOG_LEVEL says otherwise. */
export function cliContext(io: CliIo): CliContext {
  const config = loadConfig({ ...io.env, LOG_LEVEL: io.env.LOG_LEVEL ?? 'warn' });
  return { io, config, log: createLogger(config.logLevel, io.stderr) };
}

/** Runs `action` with the knowledge base open and closes it afterwards, whatever happens. */
export async function withKnowledgeBase<T>(
  context: CliContext,
  action: (kb: KnowledgeBase) => Promise<T>,
): Promise<T> {
  announceNewEmbeddedDatabase(context);
  // The database stack (drizzle, the drivers, seeding) loads only when a command opens it.
  const { openKnowledgeBase } = await import('../knowledge/open.js');
  const kb = await openKnowledgeBase(context.config, context.log);
  try {
    return await action(kb);
  } finally {
    await kb.database.close();
  }
}

/** A first run creates and seeds the embedded database for seconds; say so once rather than seem to hang. */
function announceNewEmbeddedDatabase({ config, io }: CliContext): void {
  if (config.databaseUrl || existsSync(join(config.dataDir, 'pglite'))) return;
  writeLine(
    io.stderr,
    `compass: creating the embedded database in ${config.dataDir} (first run only, a few seconds)…`,
  );
}

/**
 * Runs a command that only reads the knowledge base. With the embedded database it uses the snapshot the last such
 * command kept while the database and data/ are unchanged, and keeps a fresh one otherwise, so a warm `compass plan`
 * never starts PGlite.
 */
export async function withKnowledge<T>(
  context: CliContext,
  action: (knowledge: Knowledge) => Promise<T>,
): Promise<T> {
  const { config } = context;
  if (config.databaseUrl) return withKnowledgeBase(context, ({ knowledge }) => action(knowledge));
  const kept = readKnowledgeSnapshot(config.dataDir);
  if (kept) return action(kept);
  let knowledge: Knowledge | undefined;
  const result = await withKnowledgeBase(context, (kb) => {
    knowledge = kb.knowledge;
    return action(kb.knowledge);
  });
  // Written after the database closed, so the stamp covers its last checkpoint.
  if (knowledge) writeKnowledgeSnapshot(config.dataDir, knowledge);
  return result;
}

/** The catalog id of a model name or alias a user typed; a usage error listing the catalog otherwise. */
export function catalogModelId(name: string, knowledge: Knowledge): string {
  const id = resolveModelId(name, knowledge.models);
  if (!id)
    throw new UsageError(`unknown model "${name}"; known: ${knowledge.models.map((m) => m.id).join(', ')}`);
  return id;
}

/** The catalog id of a GPU name or alias a user typed; a usage error listing the catalog otherwise. */
export function catalogGpuId(name: string, knowledge: Knowledge): string {
  const id = resolveGpuId(name, knowledge.gpus);
  if (!id)
    throw new UsageError(`unknown GPU "${name}"; known: ${knowledge.gpus.map((g) => g.id).join(', ')}`);
  return id;
}
