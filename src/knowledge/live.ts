import { createHash } from 'node:crypto';
import type { Database } from '../db/client.js';
import type { Logger } from '../log/index.js';
import type { Knowledge } from './catalog.js';
import { loadKnowledge } from './store.js';

/** The knowledge snapshot to plan with now; long-running processes swap it when the database changes. */
export type KnowledgeSource = () => Knowledge;

export interface LiveKnowledge {
  current: KnowledgeSource;
  /** Reloads the snapshot; true when it changed (and `current` now returns the new one). */
  refresh(): Promise<boolean>;
  stop(): void;
}

/** What the database holds: the measurements come from files and stay the same for the process, so they are not hashed. */
const fingerprint = ({ measurements: _, ...rows }: Knowledge) =>
  createHash('sha256').update(JSON.stringify(rows)).digest('hex');

/**
 * A snapshot that follows the database every `everyMs`: outcomes the worker observed, models and benchmarks imported
 * from the CLI reach a running bot's plans without a restart. Loading is cheap (a few tables); `prepare` runs on a
 * changed snapshot before it is swapped in — the bot fits its calibration there, so no user's plan pays for it.
 */
export function liveKnowledge(options: {
  db: Database;
  initial: Knowledge;
  everyMs: number;
  log: Logger;
  prepare?: (next: Knowledge) => Promise<unknown>;
}): LiveKnowledge {
  const { db, everyMs, log, prepare } = options;
  let snapshot = options.initial;
  let seen = fingerprint(snapshot);
  let running: Promise<boolean> | undefined;

  async function reload(): Promise<boolean> {
    // The public measurements come from files, not the database: the first snapshot's serve the whole process.
    const next = { ...(await loadKnowledge(db)), measurements: options.initial.measurements };
    const print = fingerprint(next);
    if (print === seen) return false;
    await prepare?.(next);
    snapshot = next;
    seen = print;
    log.info(
      { event: 'knowledge.reloaded', benchmarks: next.benchmarks.length, models: next.models.length },
      'knowledge base changed; plans use the new snapshot',
    );
    return true;
  }

  // One reload at a time: a timer tick during a slow one waits for it instead of loading twice.
  const refresh = () => {
    running ??= reload().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    refresh().catch((error: unknown) =>
      log.warn(
        { event: 'knowledge.reload_failed', err: error },
        'knowledge reload failed; keeping the last snapshot',
      ),
    );
  }, everyMs);
  timer.unref();
  return { current: () => snapshot, refresh, stop: () => clearInterval(timer) };
}
