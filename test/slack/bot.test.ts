import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION } from '../../src/slack/blocks/actions.js';
import { deliver, slackSignature } from '../standins/slack.js';
import type { BotHarness } from './harness.js';
import { CHANNEL, headerOf, newTs, SIGNING_SECRET, startHarness, USER } from './harness.js';

/** Slack wants an answer within 3 s; Compass acknowledges before doing the work, so far faster. */
const ACK_BUDGET_MS = 1000;
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('Slack bot over HTTP, against the Slack stand-in and the real PostgreSQL', () => {
  let bot: BotHarness;

  beforeAll(async () => {
    bot = await startHarness();
  });
  afterAll(() => bot.close());

  it('checked its token with auth.test at start-up', () => {
    expect(bot.slack.callsOf('auth.test')[0]!.token).toBe(bot.slack.botToken);
  });

  describe('request verification', () => {
    const challenge = JSON.stringify({ token: 'x', challenge: 'c-123', type: 'url_verification' });

    it('answers Slack’s URL verification when signed', async () => {
      const answer = await deliver(bot.eventsUrl, SIGNING_SECRET, challenge, 'application/json');
      expect(answer.status).toBe(200);
      expect(answer.body).toContain('c-123');
    });

    it('rejects a bad signature, a stale timestamp and a missing signature', async () => {
      const forged = await deliver(bot.eventsUrl, 'not-the-secret-at-all', challenge, 'application/json');
      expect(forged.status).toBe(401);
      const old = Math.floor(Date.now() / 1000) - 6 * 60;
      const stale = await deliver(bot.eventsUrl, SIGNING_SECRET, challenge, 'application/json', {
        timestamp: old,
      });
      expect(stale.status).toBe(401);
      const tampered = await deliver(bot.eventsUrl, SIGNING_SECRET, challenge, 'application/json', {
        signature: slackSignature(SIGNING_SECRET, Math.floor(Date.now() / 1000), `${challenge} `),
      });
      expect(tampered.status).toBe(401);
    });

    it('does not act on a forged event', async () => {
      const ts = newTs();
      const body = JSON.stringify({
        type: 'event_callback',
        team_id: bot.slack.teamId,
        event_id: 'EvForged',
        event: { type: 'app_mention', user: USER, text: 'chatbot for 10 users', ts, channel: CHANNEL },
      });
      const forged = await deliver(bot.eventsUrl, 'wrong-secret-wrong-secret', body, 'application/json');
      expect(forged.status).toBe(401);
      await settle();
      expect(bot.posted(ts)).toEqual([]);
    });
  });

  it('plays a whole conversation: question, answer, spec card, recommendations, refinement, restart, more', async () => {
    const { ts: thread, delivery } = await bot.mention('we need an LLM for our team');
    expect(delivery.status).toBe(200);
    expect(delivery.ms).toBeLessThan(ACK_BUDGET_MS);
    await bot.slack.waitFor(() => bot.posted(thread).length === 1);
    expect(bot.posted(thread)[0]!.text).toMatch(/What will the model do\?/);

    const answer = await bot.reply('a customer support chatbot for about 800 people', thread);
    expect(answer.delivery.ms).toBeLessThan(ACK_BUDGET_MS);
    await bot.slack.waitFor(() => bot.posted(thread).length === 3);
    const [, card, options] = bot.posted(thread);
    expect(headerOf(card!)).toBe('Deployment spec');
    expect(JSON.stringify(card!.blocks)).toContain('*Users*\\n800 · stated');
    expect(headerOf(options!)).toMatch(/^Top \d options · priority balanced$/);

    // A refinement posts its change note only: the plan message is edited in place.
    await bot.reply('make it 3000 users', thread);
    await bot.slack.waitFor(() => bot.posted(thread).length === 4);
    expect(bot.posted(thread)[3]!.text).toMatch(/users 800 → 3,000/);

    await bot.restart();

    await bot.reply('we only have H100s', thread);
    await bot.slack.waitFor(() => bot.posted(thread).length === 5);
    const posts = bot.posted(thread);
    expect(posts[4]!.text).toMatch(/GPU types any → H100/);
    // The change note is posted first, then the plan edited.
    await bot.slack.waitFor(() => JSON.stringify(bot.plan(thread)?.blocks).includes('× H100'));
    const optionLines = bot
      .plan(thread)!
      .blocks.filter(
        (block) => block.type === 'section' && /^\*\d+\. /.test((block.text as { text: string }).text),
      );
    expect(optionLines.length).toBeGreaterThan(0);
    for (const block of optionLines) expect((block.text as { text: string }).text).toMatch(/ on \d+× H100/);

    const conversation = (await bot.store.find({
      teamId: bot.slack.teamId,
      channelId: CHANNEL,
      threadTs: thread,
    }))!;
    expect(conversation.state).toBe('options_shown');
    expect(conversation.spec!.users.value).toBe(3000);
    expect(conversation.spec!.gpuTypes.value).toEqual(['H100']);
    const messages = await bot.store.messages(conversation.id);
    expect(messages.map((message) => message.role)).toEqual([
      'user',
      'bot',
      'user',
      'bot',
      'bot',
      'user',
      'bot',
      'bot',
      'user',
      'bot',
      'bot',
    ]);
  });

  describe('delivery', () => {
    let thread: string;

    it('handles an event Slack retries once', async () => {
      thread = newTs();
      const event = {
        type: 'app_mention',
        user: USER,
        text: `<@${bot.slack.botUserId}> chatbot for 1000 users`,
        ts: thread,
        channel: CHANNEL,
      };
      const first = await bot.event(event, { eventId: 'EvRetried' });
      const retry = await bot.event(event, {
        eventId: 'EvRetried',
        headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
      });
      expect([first.status, retry.status]).toEqual([200, 200]);
      await bot.slack.waitFor(() => bot.posted(thread).length === 2);
      await bot.reply('cheaper?', thread);
      await bot.slack.waitFor(() => bot.posted(thread).length >= 3);
      await settle();
      expect(bot.posted(thread).map(headerOf)).toEqual([
        'Deployment spec',
        expect.stringMatching(/^Top/),
        undefined,
      ]);
      await bot.slack.waitFor(() => /priority cost$/.test(headerOf(bot.plan(thread)!) ?? ''));
    });

    it('handles a mention in a thread once, though it also arrives as a message event', async () => {
      const ts = newTs();
      const text = `<@${bot.slack.botUserId}> what if TTFT must be under 300 ms?`;
      await Promise.all([
        bot.event({ type: 'app_mention', user: USER, text, ts, channel: CHANNEL, thread_ts: thread }),
        bot.event({
          type: 'message',
          channel_type: 'channel',
          user: USER,
          text,
          ts,
          channel: CHANNEL,
          thread_ts: thread,
        }),
      ]);
      await bot.slack.waitFor(() => bot.posted(thread).length >= 4);
      await settle();
      expect(bot.posted(thread)).toHaveLength(4);
      expect(bot.posted(thread)[3]!.text).toMatch(/TTFT p95 target 500 ms → 300 ms/);
    });

    it('ignores messages from bots, itself included, and edits', async () => {
      await bot.reply('make it 5000 users', thread, { user: 'U0OTHERBOT', extra: { bot_id: 'B0OTHER' } });
      await bot.reply('make it 7000 users', thread, {
        user: bot.slack.botUserId,
        extra: { bot_id: bot.slack.botId },
      });
      await bot.reply('make it 9000 users', thread, {
        extra: { subtype: 'message_changed', message: { text: 'make it 9000 users' } },
      });
      await bot.reply('make it 2000 users', thread);
      await bot.slack.waitFor(() => bot.posted(thread).length >= 5);
      await settle();
      expect(bot.posted(thread)).toHaveLength(5);
      expect(bot.posted(thread)[4]!.text).toMatch(/users 1,000 → 2,000/);
    });

    it('stays out of threads and channel messages it was not asked into', async () => {
      const stranger = newTs();
      await bot.reply('chatbot for 1000 users', stranger);
      const topLevel = newTs();
      await bot.event({
        type: 'message',
        channel_type: 'channel',
        user: USER,
        text: 'chatbot for 10 users',
        ts: topLevel,
        channel: CHANNEL,
      });
      await settle();
      expect(bot.posted(stranger)).toEqual([]);
      expect(bot.posted(topLevel)).toEqual([]);
      expect(
        await bot.store.find({ teamId: bot.slack.teamId, channelId: CHANNEL, threadTs: stranger }),
      ).toBeUndefined();
    });

    it('a direct message starts a conversation in the DM itself', async () => {
      await bot.event({
        type: 'message',
        channel_type: 'im',
        channel: 'D0ADA',
        user: USER,
        text: 'code completion for 40 developers',
        ts: newTs(),
      });
      // The user's first DM: Compass's introduction, then the spec card and the plan.
      await bot.slack.waitFor(() => bot.slack.callsOf('chat.postMessage', { channel: 'D0ADA' }).length === 3);
      const posted = bot.slack.callsOf('chat.postMessage', { channel: 'D0ADA' });
      expect(posted[0]!.args.text).toMatch(/^Hi, I’m Compass/);
      for (const call of posted) expect(call.args.thread_ts).toBeUndefined();
    });

    it('a reply rate-limited by Slack still arrives, after Retry-After', async () => {
      bot.slack.rateLimitNext('chat.postMessage', 1);
      const { ts } = await bot.mention('chatbot for 200 users');
      await bot.slack.waitFor(() => bot.posted(ts).length === 3, 15_000);
      const [limited, retried] = bot.posted(ts);
      expect(retried!.text).toBe(limited!.text);
      const attempts = bot.slack.callsOf('chat.postMessage', { thread_ts: ts });
      expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(1000);
    });
  });

  describe('failures', () => {
    it('a failed turn reaches the user as a short message; the log has the conversation id', async () => {
      const { ts: thread } = await bot.mention('chatbot for 300 users');
      await bot.slack.waitFor(() => bot.posted(thread).length === 2);
      bot.failExtraction(true);
      try {
        await bot.reply('make it 600 users', thread);
        await bot.slack.waitFor(() => bot.posted(thread).length === 3);
      } finally {
        bot.failExtraction(false);
      }
      const notice = bot.posted(thread)[2]!.text;
      const reference = /reference (\w+)/.exec(notice)?.[1];
      expect(notice).toMatch(/^Sorry, something went wrong on my side/);
      const conversation = await bot.store.find({
        teamId: bot.slack.teamId,
        channelId: CHANNEL,
        threadTs: thread,
      });
      const line = bot
        .logs()
        .find((entry) => entry.event === 'conversation.failed' && entry.reference === reference);
      expect(line).toMatchObject({ conversationId: conversation!.id, level: 50 });
      expect(JSON.stringify(line)).toContain('extraction backend exploded');
    });

    it('a Slack error when posting is logged with the conversation id', async () => {
      bot.slack.failNext('chat.postMessage', 'channel_not_found');
      const { ts: thread } = await bot.mention('chatbot for 400 users');
      const line = await bot.slack.waitFor(() =>
        bot
          .logs()
          .find(
            (entry) =>
              entry.event === 'slack.post_failed' &&
              (entry.thread as { threadTs: string }).threadTs === thread,
          ),
      );
      const conversation = await bot.store.find({
        teamId: bot.slack.teamId,
        channelId: CHANNEL,
        threadTs: thread,
      });
      expect(line.conversationId).toBe(conversation!.id);
      expect(JSON.stringify(line)).toContain('channel_not_found');
    });
  });

  describe('slash command and buttons', () => {
    it('/compass help answers in the acknowledgement itself', async () => {
      const delivery = await bot.command('help', 'help-1');
      expect(delivery.status).toBe(200);
      expect(delivery.ms).toBeLessThan(ACK_BUDGET_MS);
      expect(JSON.parse(delivery.body)).toMatchObject({
        response_type: 'ephemeral',
        text: expect.stringMatching(/^Compass plans/),
      });
    });

    it('/compass plan acknowledges at once, then answers the user with a quick plan and a thread button', async () => {
      const delivery = await bot.command('plan code completion for 150 developers', 'plan-1');
      expect(delivery.status).toBe(200);
      expect(delivery.body).toBe('');
      expect(delivery.ms).toBeLessThan(ACK_BUDGET_MS);
      const response = await bot.slack.waitFor(() =>
        bot.slack.responses.find((entry) => entry.id === 'plan-1'),
      );
      expect(response.body).toMatchObject({
        response_type: 'ephemeral',
        text: expect.stringMatching(/^Quick plan for/),
      });
      const buttons = (
        response.body.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]
      )
        .filter((block) => block.type === 'actions')
        .flatMap((block) => block.elements!);
      expect(buttons).toEqual([
        expect.objectContaining({
          action_id: ACTION.startThread,
          value: 'code completion for 150 developers',
        }),
      ]);
    });

    it('the thread button posts the request in the channel and starts the conversation under it', async () => {
      const delivery = await bot.press(ACTION.startThread, {
        value: 'translation for 50 users',
        responseId: 'start-1',
      });
      expect(delivery.status).toBe(200);
      const root = await bot.slack.waitFor(() =>
        bot.slack.calls.find(
          (call) =>
            call.method === 'chat.postMessage' &&
            String(call.args.text).includes('translation for 50 users') &&
            !call.args.thread_ts,
        ),
      );
      expect(root.args.text).toBe(`<@${USER}> asked Compass to plan: “translation for 50 users”`);
      // The conversation runs in the thread of the message just posted.
      const after = bot.slack.calls.indexOf(root);
      const threadTs = await bot.slack.waitFor(
        () =>
          bot.slack.calls
            .slice(after)
            .find((call) => call.method === 'chat.postMessage' && call.args.thread_ts)?.args.thread_ts as
            | string
            | undefined,
      );
      await bot.slack.waitFor(() => bot.posted(threadTs).length === 2);
      expect(bot.posted(threadTs)[0]!.text).toMatch(/^Deployment spec: Translation, 50 users/);
      const replaced = await bot.slack.waitFor(() =>
        bot.slack.responses.find((entry) => entry.id === 'start-1'),
      );
      expect(replaced.body).toMatchObject({ replace_original: true });
    });

    it('the thread button explains what to do when Compass is not in the channel', async () => {
      bot.slack.failNext('chat.postMessage', 'not_in_channel');
      await bot.press(ACTION.startThread, { value: 'chatbot', responseId: 'start-2' });
      const response = await bot.slack.waitFor(() =>
        bot.slack.responses.find((entry) => entry.id === 'start-2'),
      );
      expect(response.body.text).toMatch(/Invite me with `\/invite @Compass`/);
    });
  });

  it('never writes a token or the signing secret to its logs', () => {
    const logs = bot.rawLogs();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(bot.slack.botToken);
    expect(logs).not.toContain(SIGNING_SECRET);
  });
});
