import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { RunningSimulator, SimulatorConfig } from '../../simulator/server.js';
import { DEPLOY_FIELD } from '../../src/approval/service.js';
import { createApprovalStore } from '../../src/approval/store.js';
import { workerCommand } from '../../src/cli/worker.js';
import { loadConfig } from '../../src/config/index.js';
import type { PlannedOption } from '../../src/planner/plan.js';
import { ACTION } from '../../src/slack/blocks/actions.js';
import type { DeployControls } from '../../src/slack/deploys.js';
import { dryRunPreview, kubeClients } from '../../src/worker/index.js';
import { openDeployQueueClient } from '../../src/worker/queue-client.js';
import { createDeployStore } from '../../src/worker/store.js';
import { simulator as startSim, timingFor } from '../simulator/fixtures.js';
import type { BotHarness } from '../slack/harness.js';
import { APPROVER, CHANNEL, headerOf, startHarness } from '../slack/harness.js';
import type { KubernetesStandIn } from '../standins/kubernetes.js';
import { startKubernetesStandIn } from '../standins/kubernetes.js';
import type { PostedMessage } from '../standins/slack.js';
import { cliIo } from '../support/log.js';
import type { TestRedis } from '../support/redis.js';
import { startTestRedis } from '../support/redis.js';

export const NAMESPACE = 'compass';

/** The environment `compass worker` runs with against the stand-ins: fast retries, short waits. */
export function workerEnv(world: { bot: BotHarness; redis: TestRedis; kubeconfig: string }) {
  return {
    DATABASE_URL: world.bot.databaseUrl,
    REDIS_URL: world.redis.url,
    SLACK_BOT_TOKEN: world.bot.slack.botToken,
    SLACK_API_URL: world.bot.slack.apiUrl,
    KUBECONFIG: world.kubeconfig,
    DEPLOY_NAMESPACES: NAMESPACE,
    DEPLOY_SIMULATOR: 'true',
    DEPLOY_ATTEMPTS: '4',
    DEPLOY_BACKOFF_MS: '50',
    DEPLOY_READY_TIMEOUT_MS: '4000',
    DEPLOY_DISPATCH_INTERVAL_MS: '100',
    WORKER_LOCK_MS: '1500',
    LOG_LEVEL: 'info',
    HOME: tmpdir(),
  };
}

export interface DeployWorld {
  bot: BotHarness;
  redis: TestRedis;
  kube: KubernetesStandIn;
  kubeconfig: string;
  sql: pg.Client;
  simulators: RunningSimulator[];
  close(): Promise<void>;
}

/** The bot (with deploy controls), a Redis of the test's own, the Kubernetes stand-in and a kubeconfig for it. */
export async function startDeployWorld(): Promise<DeployWorld> {
  const redis = await startTestRedis();
  const kube = await startKubernetesStandIn({ namespaces: [NAMESPACE] });
  const dir = mkdtempSync(join(tmpdir(), 'compass-kube-'));
  const kubeconfig = join(dir, 'config');
  writeFileSync(kubeconfig, JSON.stringify(kube.kubeconfig()));
  const closers: (() => Promise<void>)[] = [];
  const settings = loadConfig({ HOME: tmpdir(), REDIS_URL: redis.url, DEPLOY_BACKOFF_MS: '50' }).worker;
  const deploys = (
    db: Parameters<typeof createDeployStore>[0],
    log: Parameters<typeof openDeployQueueClient>[2],
  ) => {
    const store = createDeployStore(db, 60_000);
    const queue = openDeployQueueClient(settings, store, log);
    closers.push(() => queue.close());
    const controls: DeployControls = {
      load: store.load,
      list: (teamId) => store.list({ teamId }),
      enqueue: queue.enqueueAction,
      audit: store.audit,
      approved: () => void queue.dispatch().catch(() => {}),
      changesBy: 'approvers',
      benchmarks: { moveBenchmark: store.moveBenchmark, deployer: store.deployer },
      preview: dryRunPreview({
        config: loadConfig({ HOME: tmpdir(), DEPLOY_NAMESPACES: NAMESPACE, DEPLOY_SIMULATOR: 'true' }),
        name: createApprovalStore(db).prospectiveName,
        cluster: kubeClients(kubeconfig, log),
      }),
    };
    return controls;
  };
  const bot = await startHarness({ deploy: { contexts: [], namespaces: [NAMESPACE] }, deploys });
  const sql = new pg.Client({ connectionString: bot.databaseUrl });
  await sql.connect();
  const simulators: RunningSimulator[] = [];
  return {
    bot,
    redis,
    kube,
    kubeconfig,
    sql,
    simulators,
    async close() {
      for (const close of closers) await close();
      for (const sim of simulators) await sim.drain();
      await sql.end();
      await bot.close();
      await kube.close();
      await redis.stop();
    },
  };
}

/** `compass worker` in-process until `stop()`; its log lines for assertions. */
export function runWorker(env: Record<string, string>) {
  let stopWorker: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stopWorker = resolve;
  });
  const io = cliIo(env);
  const done = workerCommand(io, stopped);
  return {
    log: io.logs,
    async stop() {
      stopWorker();
      await done;
    },
    done,
  };
}

export const buttonsOf = (message: { blocks: Record<string, unknown>[] }) =>
  message.blocks.flatMap((block) =>
    block.type === 'actions' ? (block.elements as { action_id: string; value: string }[]) : [],
  );

/**
 * A conversation whose first option is requested (as the bot's default user) and approved by an approver, with a
 * simulator serving that option's model as the InferenceService's URL. Returns the thread and the deploy's id.
 */
export async function approveDeploy(
  world: DeployWorld,
  text = 'chatbot for 1000 users',
  simulator?: SimulatorFor,
) {
  const { ts: thread } = await world.bot.mention(text);
  const options = await world.bot.slack.waitFor(() => world.bot.slack.thread(CHANNEL, thread)[1]);
  return approveInThread(world, thread, options.ts, simulator);
}

/** How the deployment's simulator runs for an option (default: Llama 3.1 8B on an L4's timing, 20× sped up). */
export type SimulatorFor = (option: PlannedOption) => Partial<SimulatorConfig>;

/** Requests and approves the first option of the thread's current plan (the message at `optionsTs`). */
export async function approveInThread(
  world: DeployWorld,
  thread: string,
  optionsTs: string,
  simulator?: SimulatorFor,
) {
  const { bot } = world;
  const stored = (await bot.store.find({ teamId: bot.slack.teamId, channelId: CHANNEL, threadTs: thread }))!;
  const option = stored.options[0]!;
  const sim = await startSim({
    servedModelName: option.modelId,
    modelRoot: option.modelId,
    timing: timingFor(),
    ...simulator?.(option),
  });
  world.simulators.push(sim);
  const form = await bot.pressForView(ACTION.requestDeploy, {
    value: option.id,
    message: { ts: optionsTs, thread_ts: thread },
  });
  await bot.submit(form, { [DEPLOY_FIELD.namespace]: NAMESPACE });
  const requestTs = new Set<string>();
  const request = await bot.slack.waitFor(() =>
    bot.slack
      .thread(CHANNEL, thread)
      .filter((message) => headerOf(message) === 'Deploy request' && buttonsOf(message).length > 0)
      .find((message) => !requestTs.has(message.ts)),
  );
  const requestId = buttonsOf(request)[0]!.value;
  // The approver decides on what the dry run said.
  const previewed = await bot.slack.waitFor(() => {
    const now = bot.slack.thread(CHANNEL, thread).find((message) => message.ts === request.ts);
    const blocks = now && JSON.stringify(now.blocks);
    return blocks?.includes('Dry run') && blocks;
  });
  await bot.press(ACTION.approve, {
    value: requestId,
    message: { ts: request.ts, thread_ts: thread },
    user: APPROVER,
    responseId: `approve-${requestId}`,
  });
  const deploy = await bot.slack.waitFor(async () => {
    const { rows } = await world.sql.query('select id, name from deploys where request_id = $1', [requestId]);
    return rows[0] as { id: string; name: string } | undefined;
  });
  world.kube.setReadiness({ kind: 'ready', afterMs: 100, url: sim.url }, deploy.name);
  return { thread, deployId: deploy.id, name: deploy.name, option, preview: previewed };
}

/** The deploy's status messages in its thread (as edited since). */
export const statusMessages = (world: DeployWorld, thread: string): PostedMessage[] =>
  world.bot.slack
    .thread(CHANNEL, thread)
    .filter((message) =>
      /^(Deploying|Deployed:|Deploy failed:|Rolling back:|Rolled back:|Deleting:|Deleted:|Superseded:)/.test(
        headerOf(message) ?? '',
      ),
    );
