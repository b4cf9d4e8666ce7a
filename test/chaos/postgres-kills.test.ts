import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BotHarness } from '../slack/harness.js';
import { headerOf, startHarness } from '../slack/harness.js';
import { ADMIN_URL } from '../support/postgres.js';

/** What a thread hears when both tries of a turn lost their connection. */
const LOST = /I lost my connection to the database/;
const ANSWERED_WITHIN_MS = 60_000;

/**
 * PostgreSQL cutting the bot's connections during turns (pg_terminate_backend from an admin connection, as a failover
 * or an operator would): the process must survive (an unhandled 'error' event of a pg client would crash this test
 * worker) and every message must get an answer in its thread — the plan, or a readable message to send it again.
 */
describe('PostgreSQL connection kills during turns', () => {
  let bot: BotHarness;
  let admin: pg.Client;
  let database: string;

  beforeAll(async () => {
    bot = await startHarness();
    database = new URL(bot.databaseUrl).pathname.slice(1);
    admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await bot?.close();
  });

  /** Terminates every backend of the bot's database; how many. */
  const cut = async () =>
    (
      await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [database],
      )
    ).rowCount ?? 0;

  /** Starts `count` conversations at once; resolves with their thread ts. */
  const mentions = (count: number) =>
    Promise.all(
      Array.from({ length: count }, (_, i) =>
        bot.mention(`a customer support chatbot for ${1000 + i} users`).then(({ ts }) => ts),
      ),
    );

  /** Waits until each thread has its answer: the recommendations, or the message to send it again. */
  async function expectAnswered(threads: string[]) {
    const answered = (thread: string) =>
      bot
        .posted(thread)
        .some((message) => /^Top \d options/.test(headerOf(message) ?? '') || LOST.test(message.text));
    await bot.slack
      .waitFor(() => threads.every(answered) || undefined, ANSWERED_WITHIN_MS)
      .catch((error: unknown) => {
        const silent = threads.filter((thread) => !answered(thread));
        const heard = silent.map((thread) => bot.posted(thread).map((message) => message.text));
        throw new Error(`unanswered threads ${silent.join(', ')}: ${JSON.stringify(heard)}`, {
          cause: error,
        });
      });
    for (const thread of threads) {
      // Exactly once: a retried turn must not post a second set of replies.
      const options = bot.posted(thread).filter((message) => /^Top \d options/.test(headerOf(message) ?? ''));
      expect(options.length).toBeLessThanOrEqual(1);
    }
  }

  it('answers every message through single cuts, one per turn, and still plans it', {
    timeout: 120_000,
  }, async () => {
    let cuts = 0;
    for (let round = 0; round < 6; round++) {
      const [thread] = await mentions(1);
      // Into the turn at different points: the claims, the transaction's start, planning, the save.
      await sleep(10 + round * 30);
      cuts += await cut();
      await expectAnswered([thread!]);
      // One cut is what the retry is for: the turn runs again on a fresh connection.
      expect(bot.posted(thread!).map((message) => headerOf(message) ?? message.text)).toContainEqual(
        expect.stringMatching(/^Top \d options/),
      );
    }
    expect(cuts).toBeGreaterThan(0);
  });

  it('answers every message through bursts of cuts, and serves the next ones normally', {
    timeout: 180_000,
  }, async () => {
    const threads: string[] = [];
    for (let burst = 0; burst < 3; burst++) {
      const started = mentions(4);
      for (let i = 0; i < 8; i++) {
        await cut();
        await sleep(15);
      }
      threads.push(...(await started));
    }
    await expectAnswered(threads);
    const after = await mentions(2);
    await bot.slack.waitFor(
      () =>
        after.every((thread) =>
          bot.posted(thread).some((message) => /^Top \d options/.test(headerOf(message) ?? '')),
        ) || undefined,
      ANSWERED_WITHIN_MS,
    );
    expect(bot.logs().some((line) => line.event === 'db.connection_lost')).toBe(true);
  });
});
