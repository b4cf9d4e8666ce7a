import { loadConfig, requireSlack } from '../config/index.js';
import { startPruning } from '../conversation/index.js';
import { createPlanningPool, observedPool } from '../conversation/pool.js';
import { optionManifestPreview } from '../deploy/index.js';
import { openLiveKnowledgeBase } from '../knowledge/open.js';
import { createLogger } from '../log/index.js';
import { createMetrics } from '../metrics/index.js';
import { calibrationOf } from '../planner/index.js';
import { startSlackBot } from '../slack/app.js';
import { chartLinksOf } from '../slack/charts.js';
import { createHandlerDeps } from '../slack/deps.js';
import { dryRunPreview, kubeClients } from '../worker/index.js';
import type { DeployQueueClient } from '../worker/queue-client.js';
import { openDeployQueueClient } from '../worker/queue-client.js';
import { createDeployStore } from '../worker/store.js';
import type { CliContext } from './context.js';
import { intentOf, secondOpinionOf } from './extract.js';
import type { CliIo } from './io.js';
import { stopRequested } from './signals.js';

/** Deliveries and what-ifs older than this are forgotten; Slack retries within minutes. */
const EVENT_MEMORY_MS = 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

const WARM_UP_REQUEST = 'chatbot for 1000 users';

/**
 * `compass bot`: the Slack bot until SIGINT or SIGTERM. Slack settings are checked before anything opens, so a
 * missing token is a one-line configuration error (exit 2); the bot logs at info unless LOG_LEVEL says otherwise.
 * `stop` replaces the signals (tests).
 */
export async function botCommand(io: CliIo, stop?: Promise<unknown>): Promise<void> {
  const config = loadConfig(io.env);
  const slack = requireSlack(config);
  const log = createLogger(config.logLevel, io.stderr);
  const context: CliContext = { io, config, log };
  // Listening from the start: a stop that comes while the bot opens its connections is honoured once it is up.
  const stopping = stop ?? stopRequested();
  // A changed snapshot's calibration is fitted before it is swapped in, so no user's plan pays for it.
  const { database, knowledge } = await openLiveKnowledgeBase(config, log, async (next) =>
    calibrationOf(next),
  );
  let queue: DeployQueueClient | undefined;
  let pruning: { stop(): Promise<void> } | undefined;
  // Plans run on worker threads: the event loop only acknowledges Slack and moves data.
  const metrics = createMetrics();
  const planning = observedPool(createPlanningPool(log), (task, seconds) =>
    metrics.plannerSeconds.observe({ task }, seconds),
  );
  try {
    const deps = createHandlerDeps({
      db: database.db,
      knowledge: knowledge.current,
      extract: (text) => intentOf(context, knowledge.current(), text),
      log,
      settings: config,
      manifestPreview: optionManifestPreview(config),
      charts: chartLinksOf(slack),
      planning,
      ...secondOpinionOf(context),
    });
    pruning = await startPruning({
      store: deps.store,
      inbox: deps.inbox,
      log,
      memoryMs: EVENT_MEMORY_MS,
      everyMs: PRUNE_EVERY_MS,
    });
    // The first plan calibrates the performance model (seconds of CPU); pay it before Slack is waiting.
    await deps.service.quickPlan(WARM_UP_REQUEST);
    const deployStore = createDeployStore(database.db, config.worker.readyTimeoutMs);
    queue = openDeployQueueClient(config.worker, deployStore, log);
    const { dispatch, enqueueAction } = queue;
    const bot = await startSlackBot(
      slack,
      {
        ...deps,
        deploys: {
          load: deployStore.load,
          list: (teamId) => deployStore.list({ teamId }),
          enqueue: enqueueAction,
          audit: deployStore.audit,
          // The worker's dispatcher would find it within DEPLOY_DISPATCH_INTERVAL_MS; this saves the wait.
          approved: () => void dispatch().catch(() => {}),
          changesBy: config.worker.changesBy,
          benchmarks: { moveBenchmark: deployStore.moveBenchmark, deployer: deployStore.deployer },
          preview: dryRunPreview({
            config,
            name: deps.approvalStore.prospectiveName,
            cluster: kubeClients(config.worker.kubeconfig, log),
          }),
        },
      },
      metrics,
    );
    await stopping;
    log.info({ event: 'slack.stopping' }, 'Compass bot stopping');
    await bot.stop();
  } finally {
    await pruning?.stop();
    knowledge.stop();
    await planning.close();
    await queue?.close();
    await database.close();
  }
}
