/**
 * Durable turns under a graceful stop: a bot sent SIGTERM mid-turn finishes what it can within its grace period and
 * hands the rest back; the next bot completes it, once.
 */
import { describe, expect, it } from 'vitest';
import { ANSWER_MS, ANSWERED, chaosBots } from './chaos-harness.js';

describe('a bot stopped mid-turn answers every message exactly once', () => {
  const chaos = chaosBots();
  const { startBot, headers, answeredOnce, heldAtOptions, unfinishedEvents, kill } = chaos;

  it('SIGTERM mid-turn stops taking new events, finishes the turn in flight, then exits 0', async () => {
    const { bot, thread } = await heldAtOptions({ kind: 'delay', ms: 5000 });
    let exitCode: number | null | undefined;
    void bot.exited.then((code) => {
      exitCode = code;
    });
    bot.child.kill('SIGTERM');
    // New deliveries are refused (Slack delivers them again later) while the turn in flight still runs.
    await chaos.slack.waitFor(
      async () => (await fetch(bot.url, { method: 'POST' }).catch(() => 'refused')) === 'refused',
      ANSWER_MS,
    );
    expect(exitCode).toBeUndefined();
    expect(headers(thread)).toHaveLength(1);
    expect(await bot.exited).toBe(0);
    expect(headers(thread)).toEqual(ANSWERED);
    await startBot();
    await answeredOnce(thread);
  }, 180_000);

  it('SIGTERM with a turn that cannot finish hands it back; the next bot completes it once', async () => {
    const { bot: first, thread } = await heldAtOptions({ kind: 'hang' });
    // The grace (15 s) runs out with the reply still hanging; the process exits 0 anyway.
    expect(await kill(first, 'SIGTERM')).toBe(0);
    await startBot();
    await answeredOnce(thread);
    expect(await unfinishedEvents()).toBe(0);
  }, 180_000);
});
