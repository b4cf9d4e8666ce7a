/**
 * Monitoring in the bot, through the Slack stand-in, with no Prometheus configured: `/compass slo` says what to
 * configure, `/compass digest` stores a channel's schedule (UTC) for the worker, and the What if… buttons of SLO
 * summaries open the what-if modal on the deployed option with the advice's changes predicted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WHAT_IF_FIELD } from '../../src/conversation/what-if.js';
import type { DatabaseHandle } from '../../src/db/client.js';
import { openDatabase } from '../../src/db/client.js';
import { createMonitorStore, MONITOR_ACTION, type MonitorStore } from '../../src/monitor/index.js';
import { mrkdwnToPlain } from '../../src/slack/blocks/text.js';
import { type BotHarness, CHANNEL, headerOf, startHarness } from '../slack/harness.js';
import type { PostedMessage, StoredView } from '../standins/slack.js';

let bot: BotHarness;
let database: DatabaseHandle;
let store: MonitorStore;

beforeAll(async () => {
  bot = await startHarness();
  database = await openDatabase({ databaseUrl: bot.databaseUrl, dataDir: '/nonexistent' });
  store = createMonitorStore(database.db);
}, 30_000);

afterAll(async () => {
  await database?.close();
  await bot?.close();
});

let responses = 0;
/** Runs `/compass TEXT` and resolves with what the bot answered through the response_url. */
async function command(text: string) {
  const id = `monitor-${++responses}`;
  await bot.command(text, id);
  const answer = await bot.slack.waitFor(() => bot.slack.responses.find((entry) => entry.id === id));
  return answer.body as { response_type: string; text: string };
}

describe('/compass slo without Prometheus', () => {
  it('says plainly what to configure, with or without a deployment name', async () => {
    for (const text of ['slo', 'slo llama-3-1-8b-instruct']) {
      const answer = await command(text);
      expect(answer.response_type).toBe('ephemeral');
      expect(answer.text).toBe(
        'Monitoring is off: SLO monitoring needs Prometheus: set PROMETHEUS_URL to the Prometheus server that ' +
          'scrapes your vLLM pods (for example http://prometheus.monitoring.svc:9090) and restart Compass.',
      );
    }
  });
});

describe('/compass digest', () => {
  it('sets, shows, replaces and turns off the channel’s schedule, in UTC', async () => {
    const team = bot.slack.teamId;
    const set = await command('digest daily 09:00');
    expect(set.response_type).toBe('in_channel');
    expect(set.text).toMatch(
      /^<@U0ADA> set a digest for this channel daily at 09:00 UTC \(times are UTC\); the first is \d{4}-\d\d-\d\d 09:00 UTC\./,
    );
    expect(set.text).toContain('SLO status needs PROMETHEUS_URL');
    expect(await store.schedule(team, CHANNEL)).toMatchObject({
      schedule: { cadence: 'daily', hour: 9, minute: 0 },
    });
    expect((await command('digest')).text).toMatch(
      /^This channel gets a digest daily at 09:00 UTC; the next is /,
    );

    await command('digest weekly mon 9:30');
    expect((await store.schedule(team, CHANNEL))?.schedule).toEqual({
      cadence: 'weekly',
      weekday: 'mon',
      hour: 9,
      minute: 30,
    });
    const wrong = await command('digest every hour');
    expect(wrong.response_type).toBe('ephemeral');
    expect(wrong.text).toMatch(/^Say `\/compass digest daily 09:00`/);

    expect((await command('digest off')).text).toBe("<@U0ADA> turned this channel's digest off.");
    expect(await store.schedule(team, CHANNEL)).toBeUndefined();
    expect((await command('digest off')).text).toBe('This channel had no digest; nothing changed.');
  });
});

describe('What if… on an SLO summary', () => {
  const viewText = (view: StoredView) => mrkdwnToPlain(JSON.stringify(view.blocks)).replace(/\\n/g, '\n');
  const inputOf = (view: StoredView, blockId: string) =>
    view.blocks.find((block) => block.block_id === blockId) as { element: Record<string, unknown> };
  let thread: string;
  let options: PostedMessage;

  beforeAll(async () => {
    ({ ts: thread } = await bot.mention('chatbot for 1000 users'));
    options = await bot.slack.waitFor(() =>
      bot.slack.thread(CHANNEL, thread).find((message) => /^Top/.test(headerOf(message) ?? '')),
    );
  });

  it('opens the what-if modal on the deployed option with the advice’s changes predicted in place', async () => {
    const key = { teamId: bot.slack.teamId, channelId: CHANNEL, threadTs: thread };
    const baseline = (await bot.store.find(key))!.options[0]!;
    const gpuCount = baseline.gpuCount + baseline.tensorParallel;
    const updates = bot.slack.callsOf('views.update').length;
    const view = await bot.pressForView(MONITOR_ACTION.whatIf, {
      value: JSON.stringify({ optionId: baseline.id, overrides: { gpuCount, peakQps: 30 } }),
      message: { ts: options.ts, thread_ts: thread },
    });
    expect(view.callback_id).toBe('compass_what_if_form');
    await bot.slack.waitFor(() => bot.slack.callsOf('views.update').length > updates);
    const predicted = bot.slack.view(view.id)!;
    expect(inputOf(predicted, WHAT_IF_FIELD.gpuCount).element.initial_value).toBe(String(gpuCount));
    expect(inputOf(predicted, WHAT_IF_FIELD.peakQps).element.initial_value).toBe('30');
    expect(inputOf(predicted, WHAT_IF_FIELD.model).element).toMatchObject({
      initial_option: { value: baseline.modelId },
    });
    expect(viewText(predicted)).toMatch(/Scenario: .* on \d+× /);
  });

  it('opens it on the option as deployed when there is nothing to change, and ignores a value it cannot read', async () => {
    const key = { teamId: bot.slack.teamId, channelId: CHANNEL, threadTs: thread };
    const baseline = (await bot.store.find(key))!.options[0]!;
    const view = await bot.pressForView(MONITOR_ACTION.whatIf, {
      value: JSON.stringify({ optionId: baseline.id, overrides: {} }),
      message: { ts: options.ts, thread_ts: thread },
    });
    expect(inputOf(view, WHAT_IF_FIELD.gpuCount).element.initial_value).toBe(String(baseline.gpuCount));
    expect(viewText(view)).toMatch(/press Update to see the prediction and the cost/);

    const opened = bot.slack.views.length;
    const delivery = await bot.press(MONITOR_ACTION.whatIf, {
      value: 'not json',
      message: { ts: options.ts, thread_ts: thread },
      responseId: 'garbled',
    });
    expect(delivery.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bot.slack.views).toHaveLength(opened);
  });
});
