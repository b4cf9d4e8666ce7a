import { webApi } from '@slack/bolt';
import {
  abortableSleep,
  benchmarkDeploy,
  kubeBenchmarkCluster,
  postBenchmarkResult,
} from '../benchmark/index.js';
import { ConfigError, loadConfig } from '../config/index.js';
import { openLiveKnowledgeBase } from '../knowledge/open.js';
import { importBenchmarks } from '../knowledge/store.js';
import { connectionOutage, createLogger, redactedTarget } from '../log/index.js';
import { createMetrics, serveMetrics } from '../metrics/index.js';
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

/** How long the worker may take to exit after SIGTERM, whatever the state of Redis, PostgreSQL and Slack. */
const STOP_GRACE_MS = 25_000;
/** The part of it left for closing the queues and connections once running jobs finished or were handed back. */
const CLOSE_GRACE_MS = 3_000;
const SMOKE_TIMEOUT_MS = 60_000;
/** How long a job waits when another holds its target. */
const BUSY_DELAY_MS = 5_000;
/** How often a benchmark's Job and a Cancel press are looked at. */
const BENCHMARK_POLL_MS = 1_000;

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
  // Listening from the start: a stop that comes while the worker opens its connections is honoured once it is up.
  const stopRequest = stop ?? stopRequested();
  // Advice and outcomes' predictions plan with what the fleet has taught the planner so far.
  const { database, knowledge } = await openLiveKnowledgeBase(config, log);
  const settings = config.worker;
  const store = createDeployStore(database.db, settings.readyTimeoutMs + 5 * 60_000);
  // Every Redis connection of the process reports to one outage: one warning when Redis goes, one line when back.
  const redisOutage = connectionOutage(log, 'Redis', redactedTarget(settings.redisUrl));
  const queue = openDeployQueueClient(settings, store, log, redisOutage);
  const workerConnection = redisConnection(settings.redisUrl, redisOutage);
  const metrics = createMetrics(queue.counts);
  const metricsServer =
    config.metricsPort === undefined ? null : await serveMetrics(metrics, config.metricsPort);
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
    metrics,
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
      benchmark: (deployId, signal) =>
        benchmarkDeploy(
          {
            store,
            cluster: (context) => kubeBenchmarkCluster(clients(context)),
            knowledge: knowledge.current,
            importPoints: async (points) => {
              await importBenchmarks(database.db, points);
              // The next plan this worker makes (advice, outcomes) uses them at once.
              await knowledge.refresh();
            },
            messenger: slackThreadMessenger(slack),
            postResult: (thread, result) => postBenchmarkResult(slack, thread, result),
            image: config.manifests.simulatorImage,
            bounds: config.benchmark,
            log,
            now: () => new Date(),
            sleep: abortableSleep,
            pollMs: BENCHMARK_POLL_MS,
          },
          deployId,
          signal,
        ),
    },
    log,
    metrics,
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
    await stopRequest;
    // With Redis away no job can renew its lock or finish cleanly: hand them back at once (another worker resumes
    // them once Redis is back) instead of waiting on a queue that cannot close.
    const drainMs = redisOutage.down() ? 0 : STOP_GRACE_MS - 2 * CLOSE_GRACE_MS;
    log.info({ event: 'worker.stopping', drainMs }, 'Compass deploy worker stopping');
    const closing = (async () => {
      await dispatcher.stop();
      await worker.stop(drainMs);
      await monitoring.stop();
    })();
    if (!(await settlesWithin(closing, drainMs + CLOSE_GRACE_MS)))
      log.warn({ event: 'worker.stop_forced' }, 'queues did not close in time; dropping their connections');
  } finally {
    metricsServer?.close();
    knowledge.stop();
    await queue.close(CLOSE_GRACE_MS);
    workerConnection.disconnect();
    await database.close();
  }
}

/** Whether `work` settles within `ms`; it is left to finish (or not) in the background either way. */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
