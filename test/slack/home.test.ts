import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_FIELD } from '../../src/approval/service.js';
import type { DatabaseHandle } from '../../src/db/client.js';
import { openDatabase } from '../../src/db/client.js';
import { createMonitorStore } from '../../src/monitor/index.js';
import { ACTION } from '../../src/slack/blocks/actions.js';
import { mrkdwnToPlain } from '../../src/slack/blocks/text.js';
import { createDeployStore } from '../../src/worker/store.js';
import { deployed } from '../monitor/world.js';
import type { BotHarness } from './harness.js';
import { APPROVER, CHANNEL, headerOf, startHarness, USER } from './harness.js';

type Text = { text: string };
/** The Home tab as a person reads it: each block's text, a line each. */
const readable = (blocks: Record<string, unknown>[]) =>
  blocks
    .flatMap((block) => [block.text as Text | undefined, ...((block.elements ?? []) as Text[])])
    .flatMap((text) => (text ? [mrkdwnToPlain(text.text)] : []))
    .join('\n');

describe('the App Home tab through the Slack stand-in', () => {
  let bot: BotHarness;
  let database: DatabaseHandle;

  beforeAll(async () => {
    bot = await startHarness();
    database = await openDatabase({ databaseUrl: bot.databaseUrl, dataDir: '/nonexistent' });
  });
  afterAll(async () => {
    await database.close();
    await bot.close();
  });

  const open = async (user: string) => {
    const before = bot.slack.home(user)?.publishes ?? 0;
    await bot.event({ type: 'app_home_opened', user, channel: 'D0HOME', tab: 'home', event_ts: '1.2' });
    return bot.slack.waitFor(() => {
      const home = bot.slack.home(user);
      return home && home.publishes > before && home;
    });
  };

  it('shows the user’s open plans, the running deployments with SLO status and cost, and how to use Compass', async () => {
    const empty = await open(USER);
    expect(readable(empty.blocks)).toMatch(/Your open plans \(0\)[\s\S]*None open/);
    expect(readable(empty.blocks)).toMatch(/Running deployments \(0\)[\s\S]*None running/);

    // A plan in a thread, with a deploy request awaiting the approvers.
    const { ts: thread } = await bot.mention('customer support chatbot for 1000 users');
    const [, options] = await bot.slack.waitFor(() => {
      const messages = bot.slack.thread(CHANNEL, thread);
      return messages.length === 2 && messages;
    });
    const stored = (await bot.store.find({
      teamId: bot.slack.teamId,
      channelId: CHANNEL,
      threadTs: thread,
    }))!;
    const form = await bot.pressForView(ACTION.requestDeploy, {
      value: stored.options[0]!.id,
      message: { ts: options!.ts, thread_ts: thread },
    });
    await bot.submit(form, { [DEPLOY_FIELD.namespace]: 'llm', [DEPLOY_FIELD.context]: 'prod' });
    await bot.slack.waitFor(() =>
      bot.slack.thread(CHANNEL, thread).find((message) => headerOf(message) === 'Deploy request'),
    );

    // Two running deployments: one breaching its SLOs, one never evaluated.
    const world = { database, deploys: createDeployStore(database.db, 60_000), slack: bot.slack };
    const spec = stored.spec!;
    const [healthy, breaching] = [stored.options[0]!, stored.options[1] ?? stored.options[0]!];
    await deployed(world, { spec, option: healthy });
    const broken = await deployed(world, { spec, option: breaching });
    const monitor = createMonitorStore(database.db);
    await monitor.begin(broken.id);
    const since = new Date('2026-01-02T03:04:05Z');
    await monitor.saveEvaluation(
      broken.id,
      0,
      { status: 'breach', since: since.toISOString(), checks: [], clearStreak: 0 },
      { at: since.toISOString(), status: 'breach', requestsPerSec: 3, loadShare: 0.5 },
    );

    const home = await open(USER);
    const text = readable(home.blocks);
    const top = stored.options[0]!;
    expect(text).toMatch(/Your open plans \(1\)/);
    expect(text).toMatch(
      new RegExp(`Chatbot[^·\n]* · 1,000 users — deploy requested, in a thread in #${CHANNEL}\nTop option: `),
    );
    expect(text).toContain(top.modelName);
    // Not an approver: no approvals section.
    expect(text).not.toMatch(/awaiting approval/);
    expect(text).toMatch(/Running deployments \(2\)/);
    expect(text).toMatch(/1 breaching its SLOs/);
    // The breach is listed first, with its cost; the other deployment was never evaluated.
    const lines = text.split('\n').filter((line) => line.startsWith('• compass/'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/🚨 SLO breach since/);
    expect(lines[0]).toContain(
      `$${breaching.monthlyCostUsd.toLocaleString('en-US', { maximumFractionDigits: 0 })}/month`,
    );
    expect(lines[1]).toMatch(/SLOs not evaluated yet/);
    expect(text).toMatch(/How to use Compass[\s\S]*\/compass plan/);
    // Slack accepted every publish (the stand-in validates the view as views.publish does).
    expect(bot.slack.callsOf('views.publish').every((call) => call.result?.ok === true)).toBe(true);
  });

  it('shows approvers the deploy requests awaiting them', async () => {
    const home = await open(APPROVER);
    const text = readable(home.blocks);
    expect(text).toMatch(/Your open plans \(0\)/);
    expect(text).toMatch(/Deploy requests awaiting approval \(1\)/);
    expect(text).toMatch(new RegExp(`to llm on context prod\\nRequested by @${USER}`));
  });

  it('the stand-in refuses a Home view Slack would refuse', async () => {
    const client = new webApi.WebClient(bot.slack.botToken, {
      slackApiUrl: bot.slack.apiUrl,
      retryConfig: { retries: 0 },
    });
    const tooLong = {
      type: 'home' as const,
      blocks: Array.from({ length: 101 }, () => ({ type: 'divider' as const })),
    };
    await expect(client.views.publish({ user_id: USER, view: tooLong })).rejects.toMatchObject({
      data: { error: 'invalid_arguments', response_metadata: { messages: ['blocks: more than 100'] } },
    });
    await expect(
      client.views.publish({ user_id: USER, view: { type: 'home', blocks: [] }, hash: 'stale' }),
    ).rejects.toMatchObject({ data: { error: 'hash_conflict' } });
  });
});
