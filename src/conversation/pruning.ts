import type { Logger } from '../log/index.js';
import type { ConversationStore } from './store.js';

export interface PruningOptions {
  store: Pick<ConversationStore, 'pruneEvents' | 'pruneWhatIfs'>;
  log: Logger;
  /** Deliveries and what-ifs older than this are forgotten. */
  memoryMs: number;
  /** How often; a bot that runs for weeks must not keep every delivery it ever claimed. */
  everyMs: number;
  now?: () => number;
}

/**
 * Forgets old deliveries and what-ifs now and every `everyMs`, one round at a time; a failed round (the database
 * away) is logged and the next one tries again. Resolves once the first round is done.
 */
export async function startPruning({
  store,
  log,
  memoryMs,
  everyMs,
  now = Date.now,
}: PruningOptions): Promise<{ stop(): Promise<void> }> {
  let running: Promise<void> = Promise.resolve();
  const round = async () => {
    const before = new Date(now() - memoryMs);
    try {
      const events = await store.pruneEvents(before);
      const whatIfs = await store.pruneWhatIfs(before);
      log.debug({ event: 'conversation.pruned', events, whatIfs }, 'old deliveries and what-ifs forgotten');
    } catch (error) {
      log.warn(
        { event: 'conversation.prune_failed', err: error },
        'pruning failed; the next round tries again',
      );
    }
  };
  await round();
  const timer = setInterval(() => {
    running = running.then(round);
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
