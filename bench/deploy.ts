/**
 * The deploy pipeline against the Kubernetes and Slack stand-ins, with the real PostgreSQL (TEST_DATABASE_URL or
 * 127.0.0.1:5432/test) and a redis-server of its own: N conversations are approved one after another (as the bot does:
 * the decision's transaction, then an immediate dispatch), and one worker runs the deploys — render, checks,
 * server-side apply, Ready, smoke request against an in-process simulator, status message updates.
 *
 * Prints approval → job start latency (p50/p95/max) and deploys/s from the first approval to the last "deployed".
 * Run: npx tsx bench/deploy.ts [--deploys N] [--concurrency N]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { webApi } from '@slack/bolt';
import { createApprovalStore } from '../src/approval/store.js';
import { loadConfig } from '../src/config/index.js';
import { createConversationStore } from '../src/conversation/store.js';
import { openDatabase } from '../src/db/client.js';
import { createLogger } from '../src/log/index.js';
import {
  checkedManifests,
  createDeployStore,
  kubeClients,
  kubeDeployCluster,
  slackThreadMessenger,
  smokeRequest,
  startDeployWorker,
} from '../src/worker/index.js';
import { openDeployQueueClient } from '../src/worker/queue-client.js';
import { play } from '../test/conversation/dialogue.js';
import { simulator, timingFor } from '../test/simulator/fixtures.js';
import { startKubernetesStandIn } from '../test/standins/kubernetes.js';
import { startSlackStandIn } from '../test/standins/slack.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { startTestRedis } from '../test/support/redis.js';

const { values } = parseArgs({
  options: { deploys: { type: 'string', default: '30' }, concurrency: { type: 'string', default: '4' } },
});
const count = Number(values.deploys);
const concurrency = Number(values.concurrency);

const log = createLogger('silent');
const testDb = await createTestDatabase();
const database = await openDatabase({ databaseUrl: testDb.url, dataDir: '/nonexistent' });
await database.migrate();
const redis = await startTestRedis();
const kube = await startKubernetesStandIn({
  namespaces: ['compass'],
  readiness: { kind: 'ready', afterMs: 20 },
});
const slack = await startSlackStandIn();
const kubeconfig = join(mkdtempSync(join(tmpdir(), 'compass-bench-')), 'config');
writeFileSync(kubeconfig, JSON.stringify(kube.kubeconfig()));

const planned = play(['chatbot for 1000 users'])[0]!.data;
const option = planned.options[0]!;
const sim = await simulator({
  servedModelName: option.modelId,
  modelRoot: option.modelId,
  timing: timingFor(),
});
kube.setReadiness({ kind: 'ready', afterMs: 20, url: sim.url });

const config = loadConfig({
  HOME: tmpdir(),
  REDIS_URL: redis.url,
  DEPLOY_SIMULATOR: 'true',
  DEPLOY_BACKOFF_MS: '50',
});
const conversations = createConversationStore(database.db);
const approvals = createApprovalStore(database.db);
const approvedAt = new Map<string, number>();
const startedAt = new Map<string, number>();
const finishedAt = new Map<string, number>();
const base = createDeployStore(database.db, 60_000);
const store = {
  ...base,
  async begin(deployId: string) {
    startedAt.set(deployId, performance.now());
    return base.begin(deployId);
  },
};
const queue = openDeployQueueClient(config.worker, base, log);
const workerConnection = queue.connection.duplicate();
workerConnection.on('error', () => {});
const worker = startDeployWorker({
  connection: workerConnection,
  deps: {
    store,
    cluster: (context) => kubeDeployCluster(kubeClients(kubeconfig, log)(context), 10_000),
    manifests: checkedManifests(config),
    smoke: (endpoint, deploy) => smokeRequest(endpoint, deploy.option.modelId, 10_000),
    messenger: slackThreadMessenger(new webApi.WebClient(slack.botToken, { slackApiUrl: slack.apiUrl })),
    log,
    now: () => new Date(),
    onDeployed: async (deployId) => {
      finishedAt.set(deployId, performance.now());
    },
  },
  log,
  concurrency,
  lockDurationMs: 30_000,
  busyDelayMs: 100,
});

const first = performance.now();
for (let i = 0; i < count; i++) {
  const key = { teamId: 'T1', channelId: 'C1', threadTs: `1700000000.${i}` };
  const { conversation } = (await conversations.runTurn(key, { startedBy: 'U1' }, () => ({
    data: planned,
    messages: [],
  })))!;
  const { request } = await approvals.request({
    conversationId: conversation.id,
    optionId: option.id,
    target: { clusterContext: null, namespace: 'compass' },
    requestedBy: 'U1',
  });
  const decided = await approvals.decide({ requestId: request.id, actor: 'U2', decision: 'approved' });
  if (decided.kind !== 'decided' || !decided.deploy) throw new Error('approval failed');
  approvedAt.set(decided.deploy.id, performance.now());
  await queue.dispatch();
}
while (finishedAt.size < count) await new Promise((resolve) => setTimeout(resolve, 20));
const last = Math.max(...finishedAt.values());

const latencies = [...approvedAt].map(([id, at]) => startedAt.get(id)! - at).sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
console.log(
  `${count} deploys, worker concurrency ${concurrency}, Kubernetes and Slack stand-ins on loopback`,
);
console.log(
  `approval → job start: p50 ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
);
console.log(
  `throughput: ${(count / ((last - first) / 1000)).toFixed(1)} deploys/s (approval of the first to "deployed" of the last)`,
);

await worker.stop(5000);
await queue.close();
workerConnection.disconnect();
await sim.drain();
await database.close();
await testDb.drop();
await kube.close();
await slack.close();
await redis.stop();
