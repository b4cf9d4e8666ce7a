import type { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/log/index.js';
import { showWorking, WORKING_AFTER_MS, WORKING_REACTION } from '../../src/slack/working.js';

// A turn's length on a busy machine is not ours to choose, so the "quick turn" case runs on a virtual clock.
describe('showWorking', () => {
  const message = { channel: 'C1', ts: '1700000000.000100' };
  const log = createLogger('silent');
  let calls: string[];
  let refuse: boolean;
  const client = {
    reactions: {
      add: async (args: { name: string }) => {
        calls.push(`add:${args.name}`);
        if (refuse) throw new Error('missing_scope');
        return { ok: true };
      },
      remove: async (args: { name: string }) => {
        calls.push(`remove:${args.name}`);
        return { ok: true };
      },
    },
  } as unknown as webApi.WebClient;

  beforeEach(() => {
    vi.useFakeTimers();
    calls = [];
    refuse = false;
  });
  afterEach(() => vi.useRealTimers());

  it('a turn answered before the threshold gets no reaction, not even later', async () => {
    const working = showWorking(client, message, log);
    await vi.advanceTimersByTimeAsync(WORKING_AFTER_MS - 1);
    await working.stop();
    await vi.advanceTimersByTimeAsync(10 * WORKING_AFTER_MS);
    expect(calls).toEqual([]);
  });

  it('a turn past the threshold is marked, and unmarked when stopped', async () => {
    const working = showWorking(client, message, log);
    await vi.advanceTimersByTimeAsync(WORKING_AFTER_MS);
    expect(calls).toEqual([`add:${WORKING_REACTION}`]);
    await working.stop();
    expect(calls).toEqual([`add:${WORKING_REACTION}`, `remove:${WORKING_REACTION}`]);
  });

  it('a refused reaction is not taken off again, and stop never throws', async () => {
    refuse = true;
    const working = showWorking(client, message, log);
    await vi.advanceTimersByTimeAsync(WORKING_AFTER_MS);
    await expect(working.stop()).resolves.toBeUndefined();
    expect(calls).toEqual([`add:${WORKING_REACTION}`]);
  });
});
