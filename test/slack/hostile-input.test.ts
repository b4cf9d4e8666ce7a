import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MESSAGE_CHARS } from '../../src/intent/index.js';
import type { BotHarness } from './harness.js';
import { CHANNEL, startHarness } from './harness.js';

/** Messages no person writes on purpose still get an answer: the bot reads what it can and says what it skipped. */
describe('hostile message text, against the Slack stand-in and the real PostgreSQL', () => {
  let bot: BotHarness;

  beforeAll(async () => {
    bot = await startHarness();
  });
  afterAll(() => bot.close());

  const conversationOf = (threadTs: string) =>
    bot.store.find({ teamId: bot.slack.teamId, channelId: CHANNEL, threadTs });

  it('a NUL byte and other control characters are dropped with a note, and the turn goes on', async () => {
    const { ts } = await bot.mention('chatbot for 250\u0000 users\u0007');
    await bot.slack.waitFor(() => bot.posted(ts).length >= 2, 15_000);
    const [note, ...rest] = bot.posted(ts);
    expect(note!.text).toBe('I ignored 2 control characters (such as NUL) in your message.');
    expect(rest.map((reply) => reply.text).join('\n')).not.toMatch(/something went wrong/);
    const conversation = await conversationOf(ts);
    expect(conversation!.intent!.users).toBe(250);
  });

  it('a message longer than the bound is read up to it, with a note saying so', async () => {
    const text = `chatbot for 40 users. ${'9'.repeat(39_000)}`;
    const { ts } = await bot.mention(text);
    await bot.slack.waitFor(() => bot.posted(ts).length >= 2, 15_000);
    expect(bot.posted(ts)[0]!.text).toBe(
      `Your message is ${text.length.toLocaleString('en-US')} characters long; I read only the first ${MAX_MESSAGE_CHARS.toLocaleString('en-US')}.`,
    );
    expect((await conversationOf(ts))!.intent!.users).toBe(40);
  });

  it('a user count beyond the bounds is refused in the thread and not planned (issue 16: 1e23 people)', async () => {
    const { ts } = await bot.mention('chatbot for 99999999999999999999999 people');
    await bot.slack.waitFor(() => bot.posted(ts).length >= 2, 15_000);
    expect(bot.posted(ts)[0]!.text).toBe(
      '1.00e+23 users is beyond what Compass plans for (at most 100,000,000), so I left it out.',
    );
    expect((await conversationOf(ts))!.intent!.users).toBeNull();
  });

  it('/compass plan with a NUL byte and an absurd budget answers with a plan and both notes on top', async () => {
    await bot.command('plan chatbot for 80 users\u0000, budget $99999999999 a month', 'hostile-plan');
    const response = await bot.slack.waitFor(
      () => bot.slack.responses.find((entry) => entry.id === 'hostile-plan'),
      15_000,
    );
    const [notes] = response.body.blocks as { type: string; elements: { text: string }[] }[];
    expect(notes!.type).toBe('context');
    expect(notes!.elements[0]!.text).toBe(
      'I ignored a control character (such as NUL) in your message. 99,999,999,999 USD a month is beyond what ' +
        'Compass plans for (at most 1,000,000,000), so I left it out.',
    );
    expect(response.body.text).toMatch(/^Quick plan for/);
  });
});
