import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DM_PANE } from '../../src/conversation/schema.js';
import { ACTION } from '../../src/slack/blocks/actions.js';
import { threadOfPress } from '../../src/slack/modals.js';
import { WORKING_REACTION } from '../../src/slack/working.js';
import type { BotHarness } from './harness.js';
import { CHANNEL, headerOf, newTs, startHarness, USER } from './harness.js';

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('messages in context, through the Slack stand-in', () => {
  let bot: BotHarness;

  beforeAll(async () => {
    bot = await startHarness();
  });
  afterAll(() => bot.close());

  describe('no message is dropped', () => {
    it('a follow-up sent 100 ms after the mention, while the first turn is slow, is answered after it', async () => {
      bot.slowExtraction(1500);
      try {
        const { ts: thread } = await bot.mention('we need an LLM for our team');
        await new Promise((resolve) => setTimeout(resolve, 100));
        // The first turn is still extracting: the conversation row does not exist yet.
        expect(
          await bot.store.find({ teamId: bot.slack.teamId, channelId: CHANNEL, threadTs: thread }),
        ).toBeUndefined();
        await bot.reply('a customer support chatbot for about 800 people', thread);
        await bot.slack.waitFor(() => bot.posted(thread).length === 3, 15_000);
      } finally {
        bot.slowExtraction(0);
      }
    });

    it('answers in arrival order: the question first, then the plan for the follow-up', async () => {
      const thread = bot.slack
        .callsOf('chat.postMessage')
        .map((call) => call.args.thread_ts as string)
        .at(-1)!;
      const [question, card, options] = bot.posted(thread);
      expect(question!.text).toMatch(/What will the model do\?/);
      expect(headerOf(card!)).toBe('Deployment spec');
      expect(JSON.stringify(card!.blocks)).toContain('*Users*\\n800 · stated');
      expect(headerOf(options!)).toMatch(/^Top \d options/);
    });

    it('three quick follow-ups during a slow first turn are each answered, in order', async () => {
      bot.slowExtraction(800);
      try {
        const { ts: thread } = await bot.mention('chatbot for 1000 users');
        await bot.reply('make it 2000 users', thread);
        await bot.reply('make it 3000 users', thread);
        await bot.reply('make it 4000 users', thread);
        await bot.slack.waitFor(() => bot.posted(thread).length === 5, 20_000);
        const notes = bot
          .posted(thread)
          .map((post) => post.text)
          .filter((text) => / users /.test(text) && /→/.test(text));
        expect(notes).toEqual([
          expect.stringMatching(/users 1,000 → 2,000/),
          expect.stringMatching(/users 2,000 → 3,000/),
          expect.stringMatching(/users 3,000 → 4,000/),
        ]);
      } finally {
        bot.slowExtraction(0);
      }
    });

    it('a reply also sent to the channel (thread_broadcast) is handled like a thread reply', async () => {
      const { ts: thread } = await bot.mention('chatbot for 1000 users');
      await bot.slack.waitFor(() => bot.posted(thread).length === 2);
      await bot.reply('make it 5000 users', thread, {
        extra: { subtype: 'thread_broadcast', root: { thread_ts: thread, user: USER, ts: thread } },
      });
      await bot.slack.waitFor(() => bot.posted(thread).length === 3);
      expect(bot.posted(thread)[2]!.text).toMatch(/users 1,000 → 5,000/);
    });

    it('a reply with a file attached (file_share) is handled like a thread reply', async () => {
      const { ts: thread } = await bot.mention('chatbot for 1000 users');
      await bot.slack.waitFor(() => bot.posted(thread).length === 2);
      await bot.reply('make it 6000 users, our traffic export is attached', thread, {
        extra: { subtype: 'file_share', files: [{ id: 'F0TRAFFIC', name: 'traffic.csv' }] },
      });
      await bot.slack.waitFor(() => bot.posted(thread).length === 3);
      expect(bot.posted(thread)[2]!.text).toMatch(/users 1,000 → 6,000/);
    });

    it('still ignores edits, deletions and channel joins', async () => {
      const { ts: thread } = await bot.mention('chatbot for 1000 users');
      await bot.slack.waitFor(() => bot.posted(thread).length === 2);
      for (const subtype of ['message_changed', 'message_deleted', 'channel_join'])
        await bot.reply('make it 7000 users', thread, { extra: { subtype } });
      await settle();
      expect(bot.posted(thread)).toHaveLength(2);
    });
  });

  describe('a mention inside a thread reads the thread', () => {
    const parentSays = 'support chatbot for 2000 agents, under $10k/month, first token in under 1 s';

    /** A top-level channel message by a teammate (Compass is not mentioned); its ts. */
    async function parentMessage(text: string) {
      const parent = newTs();
      await bot.event({
        type: 'message',
        channel_type: 'channel',
        channel: CHANNEL,
        user: 'U0BOB',
        text,
        ts: parent,
      });
      return parent;
    }

    /** A thread a person started, with a teammate's reply, then the mention; the thread's ts. */
    async function threadWithMention(mention: string) {
      const parent = await parentMessage(parentSays);
      await bot.reply('sounds good to me', parent, { user: 'U0CAROL' });
      await bot.mention(mention, { threadTs: parent });
      return parent;
    }

    it("plans from the parent without asking, the parent's facts in the spec", async () => {
      const thread = await threadWithMention('can you plan this?');
      await bot.slack.waitFor(() => bot.posted(thread).length === 2);
      const [card, options] = bot.posted(thread);
      expect(headerOf(card!)).toBe('Deployment spec');
      expect(headerOf(options!)).toMatch(/^Top \d options/);
      const conversation = await bot.store.find({
        teamId: bot.slack.teamId,
        channelId: CHANNEL,
        threadTs: thread,
      });
      expect(conversation!.spec!.users.value).toBe(2000);
      expect(conversation!.spec!.budgetMonthlyUsd.value).toBe(10_000);
      const read = bot.slack.callsOf('conversations.replies', { channel: CHANNEL, ts: thread });
      expect(read).toHaveLength(1);
    });

    it('reads a long thread page by page, and only what came before the mention', async () => {
      const parent = await parentMessage('we need a code completion model');
      for (let index = 0; index < 20; index++)
        await bot.reply(`chat line ${index}`, parent, { user: 'U0CAROL' });
      await bot.reply('it is for 300 developers', parent, { user: 'U0CAROL' });
      await bot.mention('plan it please', { threadTs: parent });
      await bot.slack.waitFor(() => bot.posted(parent).length === 2);
      const conversation = await bot.store.find({
        teamId: bot.slack.teamId,
        channelId: CHANNEL,
        threadTs: parent,
      });
      expect(conversation!.spec!.users.value).toBe(300);
      expect(bot.slack.callsOf('conversations.replies', { ts: parent }).length).toBe(2);
    });

    it('a mention in a thread that is already a conversation continues it without reading the thread again', async () => {
      const thread = await threadWithMention('can you plan this?');
      await bot.slack.waitFor(() => bot.posted(thread).length === 2);
      await bot.mention('make it 3000 users', { threadTs: thread });
      await bot.slack.waitFor(() => bot.posted(thread).length === 3);
      expect(bot.posted(thread)[2]!.text).toMatch(/users 2,000 → 3,000/);
      expect(bot.slack.callsOf('conversations.replies', { ts: thread })).toHaveLength(1);
    });

    it('when Slack will not give the thread (missing scope), the mention alone is answered', async () => {
      bot.slack.failNext('conversations.replies', 'missing_scope');
      const thread = await threadWithMention('can you plan this?');
      await bot.slack.waitFor(() => bot.posted(thread).length === 1);
      expect(bot.posted(thread)[0]!.text).toMatch(/What will the model do\?/);
      expect(bot.logs().some((line) => line.event === 'slack.thread_unread')).toBe(true);
    });
  });

  describe('a DM is a conversation in the DM itself', () => {
    const dm = (channel: string, text: string, extra: Record<string, unknown> = {}) =>
      bot.event({ type: 'message', channel_type: 'im', channel, user: USER, text, ts: newTs(), ...extra });
    const GREETING = 'Hi, I’m Compass: tell me what you need an LLM for and I’ll plan it.';
    const greetings = (channel: string) =>
      bot.slack.callsOf('chat.postMessage', { channel }).filter((call) => call.args.text === GREETING);
    /** Compass's replies in a DM, without its one-time introduction. */
    const postsIn = (channel: string) =>
      bot.slack.callsOf('chat.postMessage', { channel }).filter((call) => call.args.text !== GREETING);

    it('the first DM gets Compass’s introduction, once per person, before the answer', async () => {
      const newcomer = 'U0NEWBIE';
      const say = (channel: string, text: string) =>
        bot.event({ type: 'message', channel_type: 'im', channel, user: newcomer, text, ts: newTs() });
      await say('D0NEW1', 'hi');
      await bot.slack.waitFor(() => postsIn('D0NEW1').length === 1);
      const [greeting] = greetings('D0NEW1');
      expect(greeting!.args.blocks).toBeDefined();
      expect(JSON.stringify(greeting!.args.blocks)).toContain(`<@${newcomer}>`);
      // Before the answer, and never again: not on the next DM, nor in a restarted bot.
      const calls = bot.slack.callsOf('chat.postMessage', { channel: 'D0NEW1' });
      expect(calls[0]!.args.text).toBe(GREETING);
      await say('D0NEW1', 'a chatbot for 50 people');
      await bot.slack.waitFor(() => postsIn('D0NEW1').length === 3);
      await bot.restart();
      await say('D0NEW2', 'chatbot for 10 users');
      await bot.slack.waitFor(() => postsIn('D0NEW2').length === 2);
      await settle();
      expect(greetings('D0NEW1')).toHaveLength(1);
      expect(greetings('D0NEW2')).toHaveLength(0);
    });

    it('an answer typed in the DM pane continues the conversation, and every reply is in the pane', async () => {
      await dm('D0PANE1', 'we need an LLM for our team');
      await bot.slack.waitFor(() => postsIn('D0PANE1').length === 1);
      expect(postsIn('D0PANE1')[0]!.args.text).toMatch(/What will the model do\?/);
      await dm('D0PANE1', 'a customer support chatbot for about 800 people');
      await bot.slack.waitFor(() => postsIn('D0PANE1').length === 3);
      await dm('D0PANE1', 'make it 1200 users');
      await bot.slack.waitFor(() => postsIn('D0PANE1').length === 4);
      expect(postsIn('D0PANE1')[3]!.args.text).toMatch(/users 800 → 1,200/);
      for (const call of postsIn('D0PANE1')) expect(call.args.thread_ts).toBeUndefined();
      const conversation = await bot.store.find({
        teamId: bot.slack.teamId,
        channelId: 'D0PANE1',
        threadTs: DM_PANE,
      });
      expect(conversation!.spec!.users.value).toBe(1200);
    });

    it('a reply in a thread of the DM continues the same conversation', async () => {
      await dm('D0PANE2', 'chatbot for 100 users');
      await bot.slack.waitFor(() => postsIn('D0PANE2').length === 2);
      const planTs = (postsIn('D0PANE2')[1]!.result as { ts: string }).ts;
      await dm('D0PANE2', 'make it 400 users', { thread_ts: planTs });
      await bot.slack.waitFor(() => postsIn('D0PANE2').length === 3);
      expect(postsIn('D0PANE2')[2]!.args.text).toMatch(/users 100 → 400/);
    });

    it('two DMs are two conversations', async () => {
      await dm('D0PANE3', 'chatbot for 10 users');
      await dm('D0PANE4', 'chatbot for 20 users');
      await bot.slack.waitFor(() => postsIn('D0PANE3').length === 2 && postsIn('D0PANE4').length === 2);
      const users = async (channelId: string) =>
        (await bot.store.find({ teamId: bot.slack.teamId, channelId, threadTs: DM_PANE }))!.spec!.users.value;
      expect([await users('D0PANE3'), await users('D0PANE4')]).toEqual([10, 20]);
    });

    it('a button on a plan in the DM pane finds the DM’s conversation', () => {
      const key = threadOfPress({
        channel: { id: 'D0PANE1' },
        message: { ts: '1800000000.000100' },
        team: { id: 'T0COMPASS' },
        user: { id: USER },
      } as unknown as Parameters<typeof threadOfPress>[0]);
      expect(key).toEqual({ teamId: 'T0COMPASS', channelId: 'D0PANE1', threadTs: DM_PANE });
    });
  });

  describe('one plan message per conversation, edited in place', () => {
    const planUpdates = (ts: string) => bot.slack.callsOf('chat.update', { channel: CHANNEL, ts });

    it('each refinement posts at most one new message (its change note) and edits the plan', async () => {
      const { ts: thread } = await bot.mention('chatbot for 1000 users');
      await bot.slack.waitFor(() => bot.posted(thread).length === 2);
      const planTs = (
        bot.slack.callsOf('chat.postMessage', { thread_ts: thread })[1]!.result as { ts: string }
      ).ts;
      const refinements = ['make it 3000 users', 'we only have H100s', 'cheaper?'];
      for (const [index, text] of refinements.entries()) {
        const before = bot.posted(thread).length;
        await bot.reply(text, thread);
        await bot.slack.waitFor(() => planUpdates(planTs).length === index + 1);
        await settle();
        expect(bot.posted(thread).length - before).toBeLessThanOrEqual(1);
      }
      expect(bot.posted(thread)).toHaveLength(2 + refinements.length);
      const plan = bot.slack.message(CHANNEL, planTs)!;
      expect(headerOf(plan)).toMatch(/priority cost$/);
      const optionLines = plan.blocks.filter(
        (block) => block.type === 'section' && /^\*\d+\. /.test((block.text as { text: string }).text),
      );
      expect(optionLines.length).toBeGreaterThan(0);
      for (const block of optionLines) expect((block.text as { text: string }).text).toMatch(/ on \d+× H100/);
      const conversation = await bot.store.find({
        teamId: bot.slack.teamId,
        channelId: CHANNEL,
        threadTs: thread,
      });
      expect(conversation!.planTs).toBe(planTs);
    });

    it('a press on an older plan’s option points to the current plan, and the old message loses its buttons', async () => {
      const { ts: thread } = await bot.mention('chatbot for 1000 users');
      await bot.slack.waitFor(() => bot.posted(thread).length === 2);
      const postedTs = (index: number) =>
        (bot.slack.callsOf('chat.postMessage', { thread_ts: thread })[index]!.result as { ts: string }).ts;
      const oldTs = postedTs(1);
      // The plan could not be edited (as before plans were edited in place): a second plan message is posted.
      bot.slack.failNext('chat.update', 'message_not_found');
      await bot.reply('make it 2000 users', thread);
      await bot.slack.waitFor(() => bot.posted(thread).length === 4);
      const currentTs = postedTs(3);
      await bot.slack.waitFor(
        async () =>
          (await bot.store.find({ teamId: bot.slack.teamId, channelId: CHANNEL, threadTs: thread }))!
            .planTs === currentTs,
      );
      const buttonsOf = (ts: string) =>
        bot.slack
          .message(CHANNEL, ts)!
          .blocks.flatMap((block) =>
            block.type === 'actions' ? (block.elements as { action_id: string; value?: string }[]) : [],
          );
      const oldDetails = buttonsOf(oldTs).find((button) => button.action_id === ACTION.details)!;
      const viewsBefore = bot.slack.views.length;
      await bot.press(ACTION.details, {
        value: oldDetails.value!,
        message: { ts: oldTs, thread_ts: thread },
        responseId: 'stale-details',
      });
      const pointer = await bot.slack.waitFor(() =>
        bot.ephemerals(USER).find((reply) => /older plan/.test(reply.text)),
      );
      expect(pointer.text).toContain('Use the current plan in this thread');
      expect(JSON.stringify(pointer.blocks)).toContain(
        `<https://compass-test.slack.com/archives/${CHANNEL}/p${currentTs.replace('.', '')}?thread_ts=${thread}`,
      );
      // The old message keeps its content, without buttons, and says where the current plan is.
      await bot.slack.waitFor(() => buttonsOf(oldTs).length === 0);
      expect(JSON.stringify(bot.slack.message(CHANNEL, oldTs)!.blocks)).toMatch(/Older plan: superseded by/);
      await settle();
      expect(bot.slack.views.length).toBe(viewsBefore);
      // The current plan's buttons act.
      const current = buttonsOf(currentTs).find((button) => button.action_id === ACTION.details)!;
      const view = await bot.pressForView(ACTION.details, {
        value: current.value!,
        message: { ts: currentTs, thread_ts: thread },
      });
      expect(view.title.text).toBe('Option details');
    });

    it('a plan message that is gone (deleted) is posted anew, and that one is edited next time', async () => {
      const { ts: thread } = await bot.mention('chatbot for 1000 users');
      await bot.slack.waitFor(() => bot.posted(thread).length === 2);
      bot.slack.failNext('chat.update', 'message_not_found');
      await bot.reply('make it 2000 users', thread);
      await bot.slack.waitFor(() => bot.posted(thread).length === 4);
      const newPlanTs = (
        bot.slack.callsOf('chat.postMessage', { thread_ts: thread })[3]!.result as { ts: string }
      ).ts;
      expect(headerOf(bot.posted(thread)[3]!)).toMatch(/^Top/);
      await bot.reply('make it 4000 users', thread);
      await bot.slack.waitFor(() => planUpdates(newPlanTs).length === 1);
      await settle();
      expect(bot.posted(thread)).toHaveLength(5);
    });
  });

  describe('working on it', () => {
    it('a turn that takes over a second marks the message with ⏳ until it is answered, posting nothing more', async () => {
      bot.slowExtraction(1500);
      let thread: string;
      try {
        thread = (await bot.mention('chatbot for 1000 users')).ts;
        await bot.slack.waitFor(() => bot.slack.callsOf('reactions.add', { timestamp: thread }).length === 1);
        expect(bot.posted(thread)).toHaveLength(0);
        await bot.slack.waitFor(
          () => bot.slack.callsOf('reactions.remove', { timestamp: thread }).length === 1,
        );
      } finally {
        bot.slowExtraction(0);
      }
      expect(bot.posted(thread)).toHaveLength(2);
      const [added] = bot.slack.callsOf('reactions.add', { timestamp: thread });
      expect(added!.args).toMatchObject({ channel: CHANNEL, name: WORKING_REACTION });
      expect(added!.result).toMatchObject({ ok: true });
      const removed = bot.slack.callsOf('reactions.remove', { timestamp: thread })[0]!;
      expect(removed.result).toMatchObject({ ok: true });
      expect(removed.at).toBeGreaterThan(
        bot.slack.callsOf('chat.postMessage', { thread_ts: thread }).at(-1)!.at,
      );
    });

    it('without the reactions:write scope the turn is answered all the same', async () => {
      bot.slowExtraction(1500);
      bot.slack.failNext('reactions.add', 'missing_scope');
      try {
        const { ts } = await bot.mention('chatbot for 1000 users');
        await bot.slack.waitFor(() => bot.posted(ts).length === 2, 15_000);
        expect(bot.slack.callsOf('reactions.remove', { timestamp: ts })).toHaveLength(0);
      } finally {
        bot.slowExtraction(0);
      }
    });
  });

  describe('onboarding', () => {
    it('added to a channel, Compass says once there what it does and how to ask; another member joining gets nothing', async () => {
      await bot.event({
        type: 'member_joined_channel',
        user: bot.slack.botUserId,
        channel: 'C0NEWTEAM',
        channel_type: 'C',
        team: bot.slack.teamId,
        inviter: USER,
      });
      await bot.event({
        type: 'member_joined_channel',
        user: 'U0DAVE',
        channel: 'C0NEWTEAM',
        channel_type: 'C',
        team: bot.slack.teamId,
      });
      await bot.slack.waitFor(
        () => bot.slack.callsOf('chat.postMessage', { channel: 'C0NEWTEAM' }).length === 1,
      );
      await settle();
      const posts = bot.slack.callsOf('chat.postMessage', { channel: 'C0NEWTEAM' });
      expect(posts).toHaveLength(1);
      expect(posts[0]!.args.thread_ts).toBeUndefined();
      expect(JSON.stringify(posts[0]!.args.blocks)).toMatch(/Mention me with what you need/);
      expect(posts[0]!.result).toMatchObject({ ok: true });
    });
  });
});
