import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployControls } from '../../src/slack/deploys.js';
import { createDeployStore } from '../../src/worker/store.js';
import type { BotHarness } from './harness.js';
import { CHANNEL, startHarness } from './harness.js';

/** Deploy controls on the bot's database: `/compass status` lists what the deploys table holds. */
function deploysOn(db: Parameters<typeof createDeployStore>[0]): DeployControls {
  const store = createDeployStore(db, 60_000);
  const noQueue = () => Promise.reject(new Error('this test runs no deploy queue'));
  return {
    load: store.load,
    list: (teamId) => store.list({ teamId }),
    enqueue: noQueue,
    audit: store.audit,
    approved: () => {},
    changesBy: 'approvers',
  };
}

describe('Compass reads slash commands and thread messages before acting (Slack stand-in)', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startHarness({ deploys: deploysOn });
  });
  afterAll(() => bot.close());

  const response = (id: string) =>
    bot.slack.waitFor(() => bot.slack.responses.find((entry) => entry.id === id), 15_000);

  it('/compass plan asdf qwerty says what is missing instead of a confident plan', async () => {
    await bot.command('plan asdf qwerty', 'salad');
    const { body } = await response('salad');
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toMatch(/^I found nothing to plan with in “asdf qwerty”: say what the model will do/);
    expect(JSON.stringify(body.blocks)).not.toMatch(/Quick plan|Top \d options/);
  });

  it('/compass plan use gpt-4o explains the closed model and plans nothing', async () => {
    await bot.command('plan use gpt-4o', 'closed');
    const { body } = await response('closed');
    expect(body.text).toMatch(/^gpt-4o is OpenAI’s hosted model: its weights are not published/);
    expect(body.text).toMatch(/compass models import/);
  });

  it('/compass plan with facts and a closed model plans, with the model explained on top', async () => {
    await bot.command('plan chatbot for 300 users like claude', 'closed-plan');
    const { body } = await response('closed-plan');
    expect(body.text).toMatch(/^Quick plan for/);
    expect(JSON.stringify((body.blocks as unknown[])[0])).toMatch(/claude is Anthropic’s hosted model/);
  });

  it('/compass stauts suggests status in the acknowledgement; /compass hlep suggests help', async () => {
    const typo = await bot.command('stauts', 'typo');
    expect(JSON.parse(typo.body)).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringMatching(
        /^There is no `\/compass stauts` command\. Did you mean `\/compass status`\?/,
      ),
    });
    const help = await bot.command('hlep', 'typo-help');
    expect(JSON.parse(help.body).text).toMatch(/Did you mean `\/compass help`\?/);
    expect(bot.slack.responses.find((entry) => entry.id === 'typo')).toBeUndefined();
  });

  it('a status question in a thread is answered with what /compass status lists', async () => {
    const { ts: thread } = await bot.mention('support chatbot for 800 agents');
    await bot.slack.waitFor(() => bot.posted(thread).length === 2, 30_000);
    await bot.reply('status of my deployments?', thread);
    const [answer] = await bot.slack.waitFor(() => {
      const posts = bot.posted(thread).slice(2);
      return posts.length > 0 && posts;
    }, 15_000);
    expect(answer!.text).toMatch(/^No deployments yet/);
    const conversation = await bot.store.find({
      teamId: bot.slack.teamId,
      channelId: CHANNEL,
      threadTs: thread,
    });
    expect(conversation!.intent!.users).toBe(800);
  });

  it('chatter in a thread posts nothing, while a refinement right after it is answered', async () => {
    const { ts: thread } = await bot.mention('chatbot for 1000 users');
    await bot.slack.waitFor(() => bot.posted(thread).length === 2, 30_000);
    for (const text of ['thanks!', ':+1:', "sounds good to me, let's ship it"]) await bot.reply(text, thread);
    await bot.reply('make it 3000 users', thread);
    // The refinement posts its change note and edits the plan message in place.
    await bot.slack.waitFor(() => bot.posted(thread).length === 3, 30_000);
    // Give any late reply to the chatter time to show up: none may.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const posts = bot.posted(thread);
    expect(posts).toHaveLength(3);
    expect(posts[2]!.text).toMatch(/users 1,000 → 3,000/);
    expect(bot.plan(thread)!.text).not.toBe(posts[1]!.text);
    const kinds = bot
      .logs()
      .filter((line) => line.event === 'conversation.understood')
      .filter((line) => (line.thread as { threadTs: string }).threadTs === thread)
      .map((line) => line.kind as string);
    // Thread replies are handled as they arrive, not one after another: the order of the log lines may vary.
    expect(kinds.sort()).toEqual(['chatter', 'chatter', 'chatter', 'refinement', 'request']);
  });
});
