import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInlinePool, observedPool } from '../../src/conversation/pool.js';
import { createConversationService } from '../../src/conversation/service.js';
import { createConversationStore } from '../../src/conversation/store.js';
import { createInbox, createInboxStore, INBOX_DEFAULTS } from '../../src/inbox/index.js';
import { extractIntent } from '../../src/intent/index.js';
import type { KnowledgeBase } from '../../src/knowledge/open.js';
import { openKnowledgeBase } from '../../src/knowledge/open.js';
import { createLogger } from '../../src/log/index.js';
import { createMetrics } from '../../src/metrics/index.js';
import type { SlackBot } from '../../src/slack/app.js';
import { startSlackBot } from '../../src/slack/app.js';
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

  beforeAll(async () => {
    testDb = await createTestDatabase();
    slack = await startSlackStandIn();
    const log = createLogger('silent');
    kb = await openKnowledgeBase({ databaseUrl: testDb.url, dataDir: '/nonexistent' }, log);
    const store = createConversationStore(kb.database.db);
    const knowledge = kb.knowledge;
    const extract = async (text: string) => extractIntent(text, knowledge);
    const metrics = createMetrics();
    const planning = observedPool(createInlinePool(), (task, seconds) =>
      metrics.plannerSeconds.observe({ task }, seconds),
    );
    const service = createConversationService({ store, knowledge: () => knowledge, extract, log, planning });
    healthPort = await freePort();
    bot = await startSlackBot(
      {
        mode: 'socket',
        botToken: slack.botToken,
        appToken: slack.appToken,
        apiUrl: slack.apiUrl,
        port: healthPort,
      },
      {
        service,
        store,
        inbox: createInbox({ store: createInboxStore(kb.database.db), settings: INBOX_DEFAULTS, log }),
        log,
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
