import type { Logger } from '../log/index.js';
import type { ConversationStore } from './store.js';

export interface PruningOptions {
  store: Pick<ConversationStore, 'pruneEvents' | 'pruneWhatIfs'>;
  /** The bot's inbox of Slack events: answered ones are kept as long as deliveries. */
  inbox?: { prune(before: Date): Promise<number> };
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
  inbox,
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
      const inboxed = (await inbox?.prune(before)) ?? 0;
      log.debug(
        { event: 'conversation.pruned', events, whatIfs, inboxed },
        'old deliveries, inbox events and what-ifs forgotten',
      );
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
