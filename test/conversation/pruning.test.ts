import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPruning } from '../../src/conversation/pruning.js';
import type { ConversationStore } from '../../src/conversation/store.js';
import { createConversationStore } from '../../src/conversation/store.js';
import { capturedLogger } from '../support/log.js';
import { type OpenTestDatabase, openTestDatabase } from '../support/postgres.js';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

describe('periodic pruning of processed events', () => {
  let testDb: OpenTestDatabase;
  let store: ConversationStore;

  beforeAll(async () => {
    testDb = await openTestDatabase();
    store = createConversationStore(testDb.database.db);
  });
  afterAll(() => testDb.close());
  afterEach(() => {
    vi.useRealTimers();
  });

  it('forgets deliveries that grew old while the bot ran, not only those old at start-up', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    // A virtual clock the rounds read: the bot has run for a day and a bit by the last round.
    let clock = Date.now();
    const { log } = capturedLogger();
    const pruning = await startPruning({ store, log, memoryMs: DAY, everyMs: HOUR, now: () => clock });
    expect(await store.claimEvent('Ev-during-the-run')).toBe(true);
    clock += DAY + 2 * HOUR;
    await vi.advanceTimersByTimeAsync(HOUR);
    await pruning.stop();
    // Forgotten: claiming it again succeeds. Before periodic pruning it stayed until the next restart.
    expect(await store.claimEvent('Ev-during-the-run')).toBe(true);
  });

  it('logs a failed round and tries again at the next', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let failing = true;
    let pruned = 0;
    const flaky = {
      pruneEvents: async () => {
        if (failing) throw new Error('Connection terminated unexpectedly');
        pruned += 1;
        return 0;
      },
      pruneWhatIfs: async () => 0,
    };
    const { log, lines } = capturedLogger();
    const pruning = await startPruning({ store: flaky, log, memoryMs: DAY, everyMs: HOUR });
    expect(lines().some((line) => line.event === 'conversation.prune_failed')).toBe(true);
    failing = false;
    await vi.advanceTimersByTimeAsync(HOUR);
    await pruning.stop();
    expect(pruned).toBe(1);
  });
});
