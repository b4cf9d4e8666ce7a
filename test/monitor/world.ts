/**
 * What monitoring tests stand on: a fresh, seeded PostgreSQL database with deployments made the way Compass makes them (a
 * conversation with a plan, a deploy request, its approval, the worker's "deployed"), the Slack stand-in, a Web API
 * client on it, a Redis connection, and a BullMQ prefix of the test's own that is obliterated at the end.
 */
import { randomBytes } from 'node:crypto';
import { webApi } from '@slack/bolt';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createApprovalStore } from '../../src/approval/store.js';
import { newConversationData } from '../../src/conversation/schema.js';
import { createConversationStore } from '../../src/conversation/store.js';
import type { DatabaseHandle } from '../../src/db/client.js';
import { openDatabase } from '../../src/db/client.js';
import { readCatalogFiles } from '../../src/knowledge/data-files.js';
import { ensureSeeded } from '../../src/knowledge/store.js';
import type { Logger } from '../../src/log/index.js';
import { MONITOR_QUEUE } from '../../src/monitor/index.js';
import type { PlannedOption } from '../../src/planner/plan.js';
import type { DeploymentSpec } from '../../src/spec/schema.js';
import { createDeployStore, type DeployStore } from '../../src/worker/store.js';
import { type SlackStandIn, startSlackStandIn } from '../standins/slack.js';
import { capturedLogger } from '../support/log.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface MonitorWorld {
  database: DatabaseHandle;
  databaseUrl: string;
  deploys: DeployStore;
  slack: SlackStandIn;
  client: webApi.WebClient;
  connection: Redis;
  /** BullMQ key prefix of this test. */
  prefix: string;
  log: Logger;
  logs(): Record<string, unknown>[];
  close(): Promise<void>;
}

export async function openWorld(): Promise<MonitorWorld> {
  const testDb: TestDatabase = await createTestDatabase({ migrated: true });
  const database = await openDatabase({ databaseUrl: testDb.url, dataDir: '/nonexistent' });
  await database.migrate();
  await ensureSeeded(database.db, readCatalogFiles());
  const slack = await startSlackStandIn();
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = `compass-test-${randomBytes(4).toString('hex')}`;
  const logged = capturedLogger();
  return {
    database,
    databaseUrl: testDb.url,
    deploys: createDeployStore(database.db, 60_000),
    slack,
    client: new webApi.WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } }),
    connection,
    prefix,
    log: logged.log,
    logs: logged.lines,
    async close() {
      const queue = new Queue(MONITOR_QUEUE, { connection, prefix });
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
      await slack.close();
      await database.close();
      await testDb.drop();
    },
  };
}

let threads = 0;

export interface Deployed {
  id: string;
  channel: string;
  threadTs: string;
}

/** A deployment of `option` for `spec`, planned in a thread of `channel`, approved and reported healthy. */
export async function deployed(
  world: Pick<MonitorWorld, 'database' | 'deploys' | 'slack'>,
  {
    spec,
    option,
    channel = 'C0DEPLOYS',
    teamId = world.slack.teamId,
  }: {
    spec: DeploymentSpec;
    option: PlannedOption;
    channel?: string;
    teamId?: string;
  },
): Promise<Deployed> {
  const db = world.database.db;
  const threadTs = `1700000100.${String(++threads).padStart(6, '0')}`;
  const turn = await createConversationStore(db).runTurn(
    { teamId, channelId: channel, threadTs },
    { startedBy: 'U0ADA' },
    () => ({
      data: { ...newConversationData(), state: 'options_shown', spec, options: [option] },
      messages: [],
    }),
  );
  const approvals = createApprovalStore(db);
  const { request } = await approvals.request({
    conversationId: turn!.conversation.id,
    optionId: option.id,
    target: { clusterContext: null, namespace: 'compass' },
    requestedBy: 'U0ADA',
  });
  const decided = await approvals.decide({ requestId: request.id, actor: 'U0GRACE', decision: 'approved' });
  if (decided.kind !== 'decided' || !decided.deploy) throw new Error('the deploy was not approved');
  const id = decided.deploy.id;
  await world.deploys.save(id, {
    state: 'deployed',
    endpoint: 'http://chat.compass.svc',
    progress: {
      steps: [],
      attempt: 1,
      outcome: { kind: 'deployed', endpoint: 'http://chat.compass.svc', at: new Date().toISOString() },
    },
  });
  return { id, channel, threadTs };
}
