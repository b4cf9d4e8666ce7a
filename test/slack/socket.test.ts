import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChartLinks } from '../../src/chart/link.js';
import { chartLinks } from '../../src/chart/link.js';
import type { SlackSettings } from '../../src/config/index.js';
import { createInlinePool, observedPool } from '../../src/conversation/pool.js';
import { createConversationService } from '../../src/conversation/service.js';
import type { ConversationStore } from '../../src/conversation/store.js';
import { createConversationStore } from '../../src/conversation/store.js';
import { createInbox, createInboxStore, INBOX_DEFAULTS } from '../../src/inbox/index.js';
import { extractIntent } from '../../src/intent/index.js';
import type { KnowledgeBase } from '../../src/knowledge/open.js';
import { openKnowledgeBase } from '../../src/knowledge/open.js';
import { createLogger } from '../../src/log/index.js';
import { createMetrics } from '../../src/metrics/index.js';
import type { SlackBot } from '../../src/slack/app.js';
import { startSlackBot } from '../../src/slack/app.js';
import { chartLinksOf } from '../../src/slack/charts.js';
import type { SlackStandIn } from '../standins/slack.js';
import { startSlackStandIn } from '../standins/slack.js';
import { freePort } from '../support/ports.js';
import type { TestDatabase } from '../support/postgres.js';
import { createTestDatabase } from '../support/postgres.js';

describe('Slack bot in Socket Mode, against the stand-in’s WebSocket', () => {
  let testDb: TestDatabase;
  let slack: SlackStandIn;
  let kb: KnowledgeBase;
  let bot: SlackBot;
  let healthPort: number;
  let store: ConversationStore;
  let charts: ChartLinks;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    slack = await startSlackStandIn();
    const log = createLogger('silent');
    kb = await openKnowledgeBase({ databaseUrl: testDb.url, dataDir: '/nonexistent' }, log);
    store = createConversationStore(kb.database.db);
    const knowledge = kb.knowledge;
    const extract = async (text: string) => extractIntent(text, knowledge);
    const metrics = createMetrics();
    const planning = observedPool(createInlinePool(), (task, seconds) =>
      metrics.plannerSeconds.observe({ task }, seconds),
    );
    const service = createConversationService({ store, knowledge: () => knowledge, extract, log, planning });
    healthPort = await freePort();
    const settings: SlackSettings = {
      mode: 'socket',
      botToken: slack.botToken,
      appToken: slack.appToken,
      apiUrl: slack.apiUrl,
      port: healthPort,
      publicUrl: `http://127.0.0.1:${healthPort}`,
    };
    charts = chartLinksOf(settings)!;
    bot = await startSlackBot(
      settings,
      {
        service,
        store,
        inbox: createInbox({ store: createInboxStore(kb.database.db), settings: INBOX_DEFAULTS, log }),
        log,
        charts,
      },
      metrics,
    );
  });
  afterAll(async () => {
    await bot.stop();
    await kb.database.close();
    await slack.close();
    await testDb.drop();
  });

  it('connects with the app-level token; PORT serves only the /healthz probe', async () => {
    expect(slack.socketConnected()).toBe(true);
    expect(slack.callsOf('apps.connections.open')[0]!.token).toBe(slack.appToken);
    expect(bot.port).toBeUndefined();
    const health = await fetch(`http://127.0.0.1:${healthPort}/healthz`);
    expect({ status: health.status, body: await health.text() }).toEqual({ status: 200, body: 'ok' });
    expect((await fetch(`http://127.0.0.1:${healthPort}/slack/events`, { method: 'POST' })).status).toBe(404);
  });

  it('acknowledges a mention at once and answers in its thread', async () => {
    const ts = '1700000001.000100';
    const ack = await slack.sendEnvelope('events_api', {
      type: 'event_callback',
      team_id: slack.teamId,
      event_id: 'EvSocket1',
      event: {
        type: 'app_mention',
        user: 'U1',
        text: `<@${slack.botUserId}> chatbot for 1000 users`,
        ts,
        channel: 'C1',
      },
    });
    expect(ack.ms).toBeLessThan(1000);
    await slack.waitFor(() => slack.callsOf('chat.postMessage', { thread_ts: ts }).length === 2);
    expect(slack.callsOf('chat.postMessage', { thread_ts: ts })[0]!.args.text).toMatch(
      /^Deployment spec: Chatbot/,
    );
  });

  it('serves the Details chart on PORT too, at links keyed from the app token', async () => {
    const conversation = (await store.find({
      teamId: slack.teamId,
      channelId: 'C1',
      threadTs: '1700000001.000100',
    }))!;
    const ref = { conversationId: conversation.id, optionId: conversation.options[0]!.id };
    const served = await fetch(charts.url(ref, Date.now()));
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect((await served.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    const foreign = chartLinks('a-signing-secret-that-is-not-used', `http://127.0.0.1:${healthPort}`);
    expect((await fetch(foreign.url(ref, Date.now()))).status).toBe(403);
  });

  it('answers /compass help in the acknowledgement', async () => {
    const ack = await slack.sendEnvelope(
      'slash_commands',
      {
        command: '/compass',
        text: 'help',
        user_id: 'U1',
        channel_id: 'C1',
        team_id: slack.teamId,
        response_url: slack.responseUrl('socket-help'),
      },
      true,
    );
    expect(ack.payload).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringMatching(/^Compass plans/),
    });
  });

  it('serves its own metrics on PORT: each request counted by type, and how fast it was acknowledged', async () => {
    const text = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
    const sample = (name: string) => Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1]);
    expect(sample('compass_slack_requests_total\\{type="app_mention"\\}')).toBe(1);
    expect(sample('compass_slack_requests_total\\{type="slash_command"\\}')).toBe(1);
    expect(sample('compass_slack_ack_seconds_count\\{type="slash_command"\\}')).toBe(1);
    // The stand-in timed the same acknowledgements from outside; Compass's own figure cannot exceed Slack's 3 s.
    expect(sample('compass_slack_ack_seconds_sum\\{type="app_mention"\\}')).toBeLessThan(3);
    // The mention was planned on the pool: its time is there, apart from the acknowledgement's.
    expect(sample('compass_planner_seconds_count\\{task="converse"\\}')).toBeGreaterThanOrEqual(1);
    expect(sample('compass_planner_seconds_sum\\{task="converse"\\}')).toBeGreaterThan(0);
  });
});
