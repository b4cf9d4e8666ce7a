/**
 * Durable turns under process faults: a bot killed with SIGKILL at points of a turn (or two bots on one database, one
 * of them killed or stopped), then restarted; every message must be answered exactly once.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../simulator/text.js';
import { deliver, eventEnvelope } from '../standins/slack.js';
import { ANSWER_MS, ANSWERED, chaosBots, REQUEST, settle } from './chaos-harness.js';
import { headerOf, newTs, SIGNING_SECRET } from './harness.js';

describe('a bot killed mid-turn answers every message exactly once after a restart', () => {
  const chaos = chaosBots();
  const { startBot, mention, headers, answeredOnce, heldAtOptions, unfinishedEvents, kill } = chaos;

  it('SIGKILL 20 ms after the acknowledgement: the restarted bot answers, and Slack’s retry adds nothing', async () => {
    const first = await startBot();
    const { ts, body } = await mention(first, REQUEST);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await kill(first, 'SIGKILL');
    const second = await startBot();
    // Slack retries the event it saw no answer to (same event id).
    const retry = await deliver(second.url, SIGNING_SECRET, body, 'application/json', {
      headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
    });
    expect(retry.status).toBe(200);
    await answeredOnce(ts);
  }, 180_000);

  it('SIGKILL after the spec card, before the options: the restarted bot posts only the options', async () => {
    // The second reply (the options) never reaches Slack: the process dies while waiting for it.
    const { bot: first, thread } = await heldAtOptions({ kind: 'hang' });
    expect(headers(thread)).toHaveLength(1);
    await kill(first, 'SIGKILL');
    await startBot();
    await answeredOnce(thread);
  }, 180_000);

  it('SIGKILL while Slack takes the options (they land, the bot never hears back): the restarted bot does not post them again', async () => {
    const { bot: first, thread } = await heldAtOptions({ kind: 'delay', ms: 3000 });
    await kill(first, 'SIGKILL');
    // The post lands after the process died: in the thread, never counted as posted.
    await chaos.slack.waitFor(() => headers(thread).length === ANSWERED.length, ANSWER_MS);
    await startBot();
    await chaos.slack.waitFor(async () => (await unfinishedEvents()) === 0, ANSWER_MS);
    await answeredOnce(thread);
  }, 180_000);

  it('SIGKILL while Slack takes the options of a DM’s answer: the restarted bot finds them in the DM and does not post them again', async () => {
    const first = await startBot();
    const dm = 'D0CHAOS';
    const user = 'U0DMCHAOS';
    const ts = newTs();
    // The bot greets a person's first DM, then answers at the DM's top level: the spec card, then the options, which
    // land 3 s later, after the process died.
    chaos.slack.holdNext('chat.postMessage', { kind: 'delay', ms: 3000 }, 2);
    const { body } = eventEnvelope(
      { type: 'message', channel_type: 'im', user, text: REQUEST, ts, channel: dm },
      { teamId: chaos.slack.teamId, botUserId: chaos.slack.botUserId },
    );
    chaos.slack.said({ channel: dm, ts, text: REQUEST, blocks: [], user });
    expect((await deliver(first.url, SIGNING_SECRET, body, 'application/json')).status).toBe(200);
    await chaos.slack.waitFor(
      () => chaos.slack.callsOf('chat.postMessage', { channel: dm }).length === 3,
      ANSWER_MS,
    );
    await kill(first, 'SIGKILL');
    const posted = () => chaos.slack.thread(dm).filter((message) => !message.user);
    await chaos.slack.waitFor(() => posted().length === 3, ANSWER_MS);
    await startBot();
    await chaos.slack.waitFor(async () => (await unfinishedEvents()) === 0, ANSWER_MS);
    await settle();
    expect(
      posted()
        .slice(1)
        .map((message) => headerOf(message)),
    ).toEqual(ANSWERED);
  }, 180_000);

  it('two bots on one database, one killed or stopped at seeded random points of its turns: every message answered exactly once', async () => {
    const random = seededRandom(16);
    /** A turn here takes about a second or two from the acknowledgement to the last reply. */
    const SPAN_MS = 2500;
    const survivor = await startBot();
    const threads: string[] = [];
    const points: string[] = [];
    for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
      const victim = await startBot();
      // Each message is sent a seeded random time before the signal: its turn is acknowledged, planning, or posting.
      const before = [random(), random(), random()].map((share) => Math.round(share * SPAN_MS));
      const started = Date.now();
      const sent = await Promise.all(
        before.map(async (beforeMs, index) => {
          await new Promise((resolve) => setTimeout(resolve, SPAN_MS - beforeMs));
          const { ts, body } = await mention(victim, `${REQUEST} (${signal} ${index})`);
          // Slack's retry of the same event reaches the other bot (both behind one address): still one turn.
          const retry = await deliver(survivor.url, SIGNING_SECRET, body, 'application/json', {
            headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
          });
          expect(retry.status).toBe(200);
          return ts;
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + SPAN_MS - Date.now())));
      await kill(victim, signal);
      threads.push(...sent);
      points.push(`${signal} ${before.join('/')} ms after the messages`);
    }
    await chaos.slack.waitFor(
      () => threads.every((thread) => headers(thread).length >= ANSWERED.length),
      ANSWER_MS,
    );
    await settle();
    expect(
      threads.map((thread) => headers(thread)),
      points.join(', '),
    ).toEqual(threads.map(() => ANSWERED));
  }, 180_000);
});
