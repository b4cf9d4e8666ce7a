import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPEC_FIELD } from '../../src/conversation/spec-form.js';
import { ACTION } from '../../src/slack/blocks/actions.js';
import type { StoredView } from '../standins/slack.js';
import { buttonPressBody, deliver, eventEnvelope, viewSubmissionBody } from '../standins/slack.js';
import type { BotHarness } from './harness.js';
import { CHANNEL, SIGNING_SECRET, STRANGER, startHarness, USER } from './harness.js';

const settle = () => new Promise((resolve) => setTimeout(resolve, 400));
const FORM = 'application/x-www-form-urlencoded';

/**
 * What a valid signature does not vouch for: the workspace, who submits a modal, what its private_metadata points at,
 * a replayed press, a request stamped in the future. Each is refused before it changes anything.
 */
describe('Slack trust beyond the signature', () => {
  let bot: BotHarness;
  /** A conversation with its spec card, and the card's Edit spec form as opened by USER. */
  let thread: string;
  let card: { ts: string };
  let other: string;

  beforeAll(async () => {
    bot = await startHarness();
    ({ ts: thread } = await bot.mention('chatbot for 1000 users'));
    ({ ts: other } = await bot.mention('code completion for 200 developers'));
    const posted = await bot.slack.waitFor(() => {
      const messages = bot.slack.thread(CHANNEL, thread);
      return messages.length === 2 && messages;
    });
    await bot.slack.waitFor(() => bot.slack.thread(CHANNEL, other).length === 2);
    card = posted[0]!;
  });
  afterAll(() => bot.close());

  const rejected = (reason: RegExp) =>
    bot.logs().filter((line) => line.event === 'slack.request_rejected' && reason.test(String(line.reason)));
  const specOf = async (threadTs: string) =>
    (await bot.store.find({ teamId: bot.slack.teamId, channelId: CHANNEL, threadTs }))!.spec!;
  const openForm = () => bot.pressForView(ACTION.editSpec, { message: { ts: card.ts, thread_ts: thread } });

  it('refuses a signed request stamped more than 5 minutes in the future, as it does a stale one', async () => {
    const challenge = JSON.stringify({ token: 'x', challenge: 'c-future', type: 'url_verification' });
    const now = Math.floor(Date.now() / 1000);
    const future = await deliver(bot.eventsUrl, SIGNING_SECRET, challenge, 'application/json', {
      timestamp: now + 6 * 60,
    });
    expect(future.status).toBe(401);
    // Within the skew Slack allows, it is fine.
    const skewed = await deliver(bot.eventsUrl, SIGNING_SECRET, challenge, 'application/json', {
      timestamp: now + 4 * 60,
    });
    expect(skewed.status).toBe(200);
    expect(rejected(/future/)).toHaveLength(1);
  });

  it('ignores events and presses of another workspace', async () => {
    const ts = `${Math.floor(Date.now() / 1000)}.000777`;
    const { body } = eventEnvelope(
      {
        type: 'app_mention',
        user: USER,
        text: `<@${bot.slack.botUserId}> chatbot for 10 users`,
        ts,
        channel: CHANNEL,
      },
      { teamId: 'T0ELSEWHERE', botUserId: bot.slack.botUserId },
    );
    expect((await deliver(bot.eventsUrl, SIGNING_SECRET, body, 'application/json')).status).toBe(200);
    const press = buttonPressBody({
      teamId: 'T0ELSEWHERE',
      channelId: CHANNEL,
      userId: USER,
      actionId: ACTION.startThread,
      value: 'chatbot for 20 users',
      responseUrl: bot.slack.responseUrl('foreign-press'),
      triggerId: bot.slack.newTrigger(),
    });
    expect((await deliver(bot.eventsUrl, SIGNING_SECRET, press, FORM)).status).toBe(200);
    await settle();
    expect(bot.posted(ts)).toEqual([]);
    expect(
      bot.slack.callsOf('chat.postMessage').some((call) => String(call.args.text).includes('20 users')),
    ).toBe(false);
    expect(rejected(/team T0ELSEWHERE/)).toHaveLength(2);
  });

  it('refuses a modal submitted by another user than the one it was opened for', async () => {
    const form = await openForm();
    const before = await specOf(thread);
    const { delivery } = await bot.submit(form, { [SPEC_FIELD.users]: '5000' }, STRANGER);
    expect(delivery.status).toBe(200);
    await settle();
    expect((await specOf(thread)).users).toEqual(before.users);
    expect(rejected(new RegExp(`opened for ${USER}, submitted by ${STRANGER}`))).toHaveLength(1);
    // The user it was opened for may submit it.
    await bot.submit(form, { [SPEC_FIELD.users]: '5000' });
    await bot.slack.waitFor(async () => (await specOf(thread)).users?.value === 5000 || undefined);
  });

  it('refuses a modal whose private_metadata was changed to point at another conversation', async () => {
    const form = await openForm();
    const target = (await bot.store.find({ teamId: bot.slack.teamId, channelId: CHANNEL, threadTs: other }))!;
    const before = await specOf(other);
    const tampered: StoredView = { ...form, private_metadata: target.id };
    const { delivery } = await bot.submit(tampered, { [SPEC_FIELD.users]: '7777' });
    expect(delivery.status).toBe(200);
    await settle();
    expect((await specOf(other)).users).toEqual(before.users);
    expect(bot.posted(other).some((message) => /7,777/.test(message.text))).toBe(false);
    expect(rejected(/not sealed by Compass/)).toHaveLength(1);
  });

  it('opens one thread for a replayed "Discuss in a thread" press', async () => {
    const body = buttonPressBody({
      teamId: bot.slack.teamId,
      channelId: CHANNEL,
      userId: USER,
      actionId: ACTION.startThread,
      value: 'summarization for 40 analysts',
      responseUrl: bot.slack.responseUrl('replayed'),
      triggerId: bot.slack.newTrigger(),
    });
    const deliveries = await Promise.all(
      [1, 2, 3].map(() => deliver(bot.eventsUrl, SIGNING_SECRET, body, FORM)),
    );
    expect(deliveries.map((delivery) => delivery.status)).toEqual([200, 200, 200]);
    const roots = () =>
      bot.slack
        .callsOf('chat.postMessage')
        .filter(
          (call) => String(call.args.text).includes('summarization for 40 analysts') && !call.args.thread_ts,
        );
    await bot.slack.waitFor(() => roots().length === 1 || undefined);
    await settle();
    expect(roots()).toHaveLength(1);
    // One conversation under it: one spec card.
    const cards = () =>
      bot.slack
        .callsOf('chat.postMessage')
        .filter((call) => call.args.thread_ts && /^Deployment spec: .*40 users/.test(String(call.args.text)));
    await bot.slack.waitFor(() => cards().length === 1 || undefined);
    await settle();
    expect(cards()).toHaveLength(1);
  });

  it('acknowledges a press before its replay claim: a database that stalls does not hold the acknowledgement', async () => {
    const blocker = new pg.Client({ connectionString: bot.databaseUrl });
    await blocker.connect();
    try {
      // The claim writes to processed_events; while this lock holds, it waits.
      await blocker.query('begin');
      await blocker.query('lock table processed_events in access exclusive mode');
      const body = buttonPressBody({
        teamId: bot.slack.teamId,
        channelId: CHANNEL,
        userId: USER,
        actionId: ACTION.startThread,
        value: 'translation for 30 editors',
        responseUrl: bot.slack.responseUrl('stalled-claim'),
        triggerId: bot.slack.newTrigger(),
      });
      // Slack gives up after 3 s; well before that the press must be acknowledged, the lock still held.
      const stalled = new Promise<'stalled'>((resolve) => setTimeout(() => resolve('stalled'), 2500));
      const delivery = await Promise.race([deliver(bot.eventsUrl, SIGNING_SECRET, body, FORM), stalled]);
      expect(delivery).toMatchObject({ status: 200 });
      await blocker.query('rollback');
      // Once the database answers, the press is handled: one thread opened.
      await bot.slack.waitFor(
        () =>
          bot.slack
            .callsOf('chat.postMessage')
            .some((call) => String(call.args.text).includes('translation for 30 editors')) || undefined,
      );
    } finally {
      await blocker.end();
    }
  });

  it('refuses a replayed submission: one spec change, not two', async () => {
    const form = await openForm();
    const body = viewSubmissionBody({
      teamId: bot.slack.teamId,
      userId: USER,
      view: form,
      inputs: { [SPEC_FIELD.users]: '6000' },
      triggerId: bot.slack.newTrigger(),
    });
    await deliver(bot.eventsUrl, SIGNING_SECRET, body, FORM);
    await deliver(bot.eventsUrl, SIGNING_SECRET, body, FORM);
    await bot.slack.waitFor(
      () => bot.posted(thread).some((message) => /→ 6,000/.test(message.text)) || undefined,
    );
    await settle();
    expect(bot.posted(thread).filter((message) => /→ 6,000/.test(message.text))).toHaveLength(1);
    expect(rejected(/replayed/).length).toBeGreaterThanOrEqual(1);
  });
});
