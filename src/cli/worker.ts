import { webApi } from '@slack/bolt';
import { ConfigError, loadConfig } from '../config/index.js';
import { openLiveKnowledgeBase } from '../knowledge/open.js';
import { createLogger } from '../log/index.js';
import { createPrometheusClient, startMonitoring } from '../monitor/index.js';
import {
  checkedManifests,
  createDeployStore,
  kubeClients,
  kubeDeployCluster,
  redisConnection,
  slackThreadMessenger,
  smokeRequest,
  startDeployWorker,
  startDispatcher,
} from '../worker/index.js';
import { openDeployQueueClient } from '../worker/queue-client.js';
import type { CliIo } from './io.js';
import { stopRequested } from './signals.js';

/** How long SIGTERM lets running jobs finish before handing them back to the queue. */
const DRAIN_GRACE_MS = 25_000;
const SMOKE_TIMEOUT_MS = 60_000;
/** How long a job waits when another holds its target. */
const BUSY_DELAY_MS = 5_000;

/**
 * `compass worker`: runs deploy jobs (render → validate → apply → Ready → smoke) from the Redis queue, hands
 * approved deploys from PostgreSQL to the queue, and runs the monitoring jobs (SLO summaries, breach alerts,
 * digests, observed outcomes), until SIGINT or SIGTERM. `stop` replaces the signals (tests).
 */
export async function workerCommand(io: CliIo, stop?: Promise<unknown>): Promise<void> {
  const config = loadConfig(io.env);
  const botToken = config.slack?.botToken;
  if (!botToken)
    throw new ConfigError([
      'SLACK_BOT_TOKEN: not set; the worker reports each deploy in its Slack thread with the bot token (xoxb-…).',
    ]);
  const log = createLogger(config.logLevel, io.stderr);
  // Advice and outcomes' predictions plan with what the fleet has taught the planner so far.
  const { database, knowledge } = await openLiveKnowledgeBase(config, log);
  const settings = config.worker;
  const store = createDeployStore(database.db, settings.readyTimeoutMs + 5 * 60_000);
  const queue = openDeployQueueClient(settings, store, log);
  const workerConnection = redisConnection(settings.redisUrl);
  workerConnection.on('error', () => {});
  const slack = new webApi.WebClient(botToken, {
    ...(config.slack?.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    retryConfig: { retries: 4, factor: 2, minTimeout: 250, maxTimeout: 5000 },
  });
  const clients = kubeClients(settings.kubeconfig, log);
  // The clients are cached per context; the deploy view over one is a few closures.
  const cluster = (context: string | null) => kubeDeployCluster(clients(context), settings.readyTimeoutMs);
  const monitoring = startMonitoring({
    db: database.db,
    knowledge: knowledge.current,
    prometheus: config.prometheusUrl ? createPrometheusClient(config.prometheusUrl) : null,
    slack,
    connection: workerConnection,
    log,
    settings: config.monitor,
  });
  const worker = startDeployWorker({
    connection: workerConnection,
    deps: {
      store,
      cluster,
      manifests: checkedManifests(config),
      smoke: (endpoint, deploy) => smokeRequest(endpoint, deploy.option.modelId, SMOKE_TIMEOUT_MS),
      messenger: slackThreadMessenger(slack),
      log,
      now: () => new Date(),
      onDeployed: (deployId) => monitoring.afterDeployed(deployId),
    },
    log,
    concurrency: settings.concurrency,
    lockDurationMs: settings.lockMs,
    busyDelayMs: BUSY_DELAY_MS,
  });
  const dispatcher = startDispatcher(store, queue.enqueueApproved, log, settings.dispatchIntervalMs, {
    exists: queue.jobExists,
    afterMs: settings.requeueAfterMs,
  });
  log.info({ event: 'worker.started', concurrency: settings.concurrency }, 'Compass deploy worker running');
  try {
    await (stop ?? stopRequested());
    log.info({ event: 'worker.stopping' }, 'Compass deploy worker stopping');
    await dispatcher.stop();
    await worker.stop(DRAIN_GRACE_MS);
    await monitoring.stop();
  } finally {
    knowledge.stop();
    await queue.close();
    workerConnection.disconnect();
    await database.close();
  }
}
