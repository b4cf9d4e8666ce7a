/**
 * Monitoring inside `compass worker`: a BullMQ queue of its own ('compass-monitor') with
 * - a delayed job per deploy that posts its first SLO summary a while after it turned healthy;
 * - a job scheduler per running deployment that evaluates its SLOs over a short and a long window every interval,
 *   announces a breach and its recovery once each (state in PostgreSQL), and stores outcomes for the planner;
 * - a job scheduler per channel with a digest schedule, which posts each due period once (claimed in PostgreSQL);
 * - a reconcile scheduler that keeps the per-deployment and per-channel schedulers in line with PostgreSQL (the bot
 *   stores `/compass digest` schedules there; a deploy that left 'deployed' loses its evaluations).
 * Every post is claimed in PostgreSQL first, so two workers or a restart never post anything twice.
 */
import type { webApi } from '@slack/bolt';
import { type ConnectionOptions, type Job, Queue, type RepeatOptions, Worker } from 'bullmq';
import { z } from 'zod';
import type { Database } from '../db/client.js';
import type { KnowledgeSource } from '../knowledge/live.js';
import { isUnreachable, type Logger } from '../log/index.js';
import type { CompassMetrics } from '../metrics/index.js';
import { sloOf } from '../planner/plan.js';
import { targetLabel } from '../worker/status-blocks.js';
import { createDeployStore } from '../worker/store.js';
import { breachBlocks, recoveryBlocks } from './blocks.js';
import {
  type BreachEvent,
  type BreachPolicy,
  DEFAULT_BREACH_POLICY,
  nextBreachState,
  sloEvaluation,
} from './breach.js';
import { collectMedians } from './collect.js';
import {
  digestBlocks,
  duePeriod,
  fleetChanges,
  fleetOf,
  type LastEvaluation,
  lateAfterMs,
} from './digest.js';
import { MIN_OUTCOME_REQUESTS, outcomeOf } from './outcome.js';
import type { PrometheusClient } from './prometheus.js';
import { deploySelector } from './queries.js';
import {
  type MonitoredDeploy,
  type Observed,
  observeDeployment,
  postInThread,
  pricedSummary,
  runningDeploys,
  summaryMessage,
  summaryPost,
} from './service.js';
import type { MonitorSettings } from './settings.js';
import { createMonitorStore } from './store.js';

export const MONITOR_QUEUE = 'compass-monitor';

export interface MonitorTuning {
  /** At most one outcome per deployment this often. */
  outcomeEverySec: number;
  /** Requests a window needs before it becomes an outcome. */
  minOutcomeRequests: number;
  breach: BreachPolicy;
}

const DEFAULT_TUNING: MonitorTuning = {
  outcomeEverySec: 600,
  minOutcomeRequests: MIN_OUTCOME_REQUESTS,
  breach: DEFAULT_BREACH_POLICY,
};

export interface MonitoringDeps {
  db: Database;
  /** Read at each use: the worker follows the database as outcomes are stored. */
  knowledge: KnowledgeSource;
  /** Null: PROMETHEUS_URL is not set; summaries say what to configure and nothing is evaluated. */
  prometheus: PrometheusClient | null;
  slack: webApi.WebClient;
  /** A Redis connection for BullMQ (maxRetriesPerRequest: null); shared, so stop() leaves it open. */
  connection: ConnectionOptions;
  log: Logger;
  settings: MonitorSettings;
  now?: () => Date;
  /** BullMQ's key prefix ('bull' by default); tests give each run its own. */
  prefix?: string;
  /** Counts each job by name and outcome (compass_monitor_jobs_total). */
  metrics?: CompassMetrics;
  tuning?: Partial<MonitorTuning>;
}

export interface Monitoring {
  /** A deploy turned healthy: its first summary follows after MONITOR_FIRST_SUMMARY_SECONDS, its evaluations now. */
  afterDeployed(deployId: string): Promise<void>;
  /** Stops taking jobs, lets running ones finish, and closes the queue (not the connection). */
  stop(): Promise<void>;
}

const DeployJob = z.object({ deployId: z.uuid() });
const DigestJob = z.object({ teamId: z.string().min(1), channelId: z.string().min(1) });

const evaluateScheduler = (deployId: string) => `evaluate-${deployId}`;
const digestScheduler = (teamId: string, channelId: string) => `digest-${teamId}-${channelId}`;
const RECONCILE = 'reconcile';
/** Kept for a week: adding the first summary of the same deploy again within it is a no-op. */
const KEEP = { age: 7 * 24 * 3600 };
const SCHEDULED_JOB = { removeOnComplete: true, removeOnFail: { count: 100 } };

export function startMonitoring(deps: MonitoringDeps): Monitoring {
  const { db, knowledge, prometheus, slack, log, settings } = deps;
  const now = deps.now ?? (() => new Date());
  const tuning = { ...DEFAULT_TUNING, ...deps.tuning };
  const store = createMonitorStore(db);
  // Reads only (load, list): no target lock is ever taken through it.
  const deploys = createDeployStore(db, 0);
  const bull = { connection: deps.connection, ...(deps.prefix && { prefix: deps.prefix }) };
  const queue = new Queue(MONITOR_QUEUE, bull);
  // The Worker below logs a Redis outage (monitor.worker_error); unheard here, BullMQ would print it raw to stderr.
  queue.on('error', () => {});
  const every: Omit<RepeatOptions, 'key'> = { every: settings.intervalSec * 1000 };
  const windows = { shortSec: settings.shortWindowSec, longSec: settings.longWindowSec };

  const schedule = (id: string, name: string, data: Record<string, string>) =>
    queue.upsertJobScheduler(id, every, { name, data, opts: SCHEDULED_JOB });

  /** The deploy while it runs; otherwise its evaluations stop. */
  async function running(deployId: string): Promise<MonitoredDeploy | undefined> {
    const deploy = await deploys.load(deployId);
    if (deploy?.state === 'deployed') return deploy;
    await queue.removeJobScheduler(evaluateScheduler(deployId));
    return undefined;
  }

  async function firstSummary(deployId: string) {
    const deploy = await running(deployId);
    if (!deploy) return;
    await store.begin(deployId);
    if (!(await store.claimFirstSummary(deployId))) return;
    try {
      const breaching = (await store.states([deployId])).get(deployId)?.breach.status === 'breach';
      await postInThread(
        slack,
        deploy,
        await summaryPost({ prometheus, knowledge }, deploy, settings.longWindowSec, now(), breaching),
      );
      log.info({ event: 'monitor.first_summary', deployId }, 'first SLO summary posted');
    } catch (error) {
      await store.releaseFirstSummary(deployId);
      throw error;
    }
  }

  async function announce(
    deploy: MonitoredDeploy,
    event: BreachEvent,
    short: Observed,
    at: Date,
    client: PrometheusClient,
  ) {
    const message =
      event.kind === 'breach'
        ? breachBlocks(
            event,
            windows,
            summaryMessage(
              knowledge(),
              deploy,
              await pricedSummary(client, deploy, short.observation, at),
              true,
            ),
          )
        : recoveryBlocks(event, targetLabel(deploy), windows);
    await postInThread(slack, deploy, message);
    log.info(
      { event: `monitor.${event.kind}`, deployId: deploy.id, checks: event.checks },
      `SLO ${event.kind}`,
    );
  }

  async function recordOutcome(deploy: MonitoredDeploy, short: Observed, at: Date) {
    const rate = short.observation.requestsPerSec ?? 0;
    if (!prometheus || rate * settings.shortWindowSec < tuning.minOutcomeRequests) return;
    if (!(await store.claimOutcome(deploy.id, at, tuning.outcomeEverySec))) return;
    const medians = await collectMedians(prometheus, deploySelector(deploy.id), settings.shortWindowSec, at);
    if (!medians.ok) return;
    const outcome = outcomeOf({
      deploy: { id: deploy.id, label: targetLabel(deploy), option: deploy.option },
      observed: short.observation,
      medians: medians.value,
      knowledge: knowledge(),
      minRequests: tuning.minOutcomeRequests,
    });
    if (!outcome) return;
    await store.addOutcome(outcome);
    log.info({ event: 'monitor.outcome', deployId: deploy.id, requestsPerSec: rate }, 'outcome stored');
  }

  async function evaluate(deployId: string) {
    const deploy = await running(deployId);
    if (!deploy || !prometheus) return;
    await store.begin(deployId);
    const state = (await store.states([deployId])).get(deployId)!;
    const at = now();
    const [short, long] = await Promise.all([
      observeDeployment(prometheus, deploy, settings.shortWindowSec, at, { uptime: false }),
      observeDeployment(prometheus, deploy, settings.longWindowSec, at, { uptime: false }),
    ]);
    if (!short.ok || !long.ok) {
      const reason = (!short.ok ? short.error : !long.ok ? long.error : null)?.message;
      log.warn({ event: 'monitor.prometheus_failed', deployId, reason }, 'cannot evaluate SLOs');
      return;
    }
    const evaluation = sloEvaluation(short.value.observation, long.value.observation, sloOf(deploy.spec));
    const next = nextBreachState(state.breach, evaluation, tuning.breach);
    const traffic = long.value.summary.traffic;
    const last: LastEvaluation = {
      at: at.toISOString(),
      status: next.state.status === 'breach' ? 'breach' : long.value.summary.status,
      requestsPerSec: traffic.requestsPerSec,
      loadShare: traffic.loadShare,
      replicas: long.value.summary.replicas.observed,
    };
    // Of two evaluations racing, the one whose write wins announces.
    if (!(await store.saveEvaluation(deployId, state.version, next.state, last))) return;
    if (next.event) {
      try {
        await announce(deploy, next.event, short.value, at, prometheus);
      } catch (error) {
        // Not announced: back to the state before, so the next evaluation finds the transition again.
        await store.saveEvaluation(deployId, state.version + 1, state.breach, last);
        throw error;
      }
    }
    await recordOutcome(deploy, short.value, at);
  }

  async function digest(teamId: string, channelId: string) {
    const entry = await store.schedule(teamId, channelId);
    if (!entry) {
      await queue.removeJobScheduler(digestScheduler(teamId, channelId));
      return;
    }
    const at = now();
    const period = duePeriod(entry.schedule, entry.setAt, at);
    if (!period) return;
    const late = at.getTime() - period.getTime() > lateAfterMs(settings.intervalSec);
    if (!(await store.claimDigest(teamId, channelId, period, late))) return;
    try {
      const all = await deploys.list({ teamId });
      const states = await store.states(all.map((deploy) => deploy.id));
      const fleet = fleetOf(
        all,
        new Map([...states].map(([deployId, state]) => [deployId, state.lastEvaluation])),
      );
      const previous = await store.previousDigest(teamId, channelId, period);
      const message = digestBlocks({
        schedule: entry.schedule,
        periodStart: period,
        late,
        fleet,
        previous: previous
          ? { periodStart: previous.periodStart, changes: fleetChanges(previous.fleet, fleet) }
          : null,
        monitoring: prometheus !== null,
      });
      const posted = await slack.chat.postMessage({
        channel: channelId,
        text: message.text,
        blocks: message.blocks,
      });
      if (!posted.ts) throw new Error('chat.postMessage answered without a ts');
      await store.completeDigest(teamId, channelId, period, posted.ts, fleet);
      log.info(
        { event: 'monitor.digest', teamId, channelId, period: period.toISOString(), late },
        'digest posted',
      );
    } catch (error) {
      await store.releaseDigest(teamId, channelId, period);
      throw error;
    }
  }

  /** Brings the schedulers in line with PostgreSQL: running deployments and channel schedules. */
  async function reconcile() {
    // Schedulers first: one added after this read (afterDeployed) is never taken for stale.
    const existing = await queue.getJobSchedulers();
    const [schedules, all] = await Promise.all([store.schedules(), prometheus ? deploys.list() : []]);
    const wanted = new Map<string, { name: string; data: Record<string, string> }>();
    for (const { id } of runningDeploys(all))
      wanted.set(evaluateScheduler(id), { name: 'evaluate', data: { deployId: id } });
    for (const { teamId, channelId } of schedules)
      wanted.set(digestScheduler(teamId, channelId), { name: 'digest', data: { teamId, channelId } });
    const have = new Map(existing.map((scheduler) => [scheduler.key, scheduler]));
    for (const [id, job] of wanted) {
      if (have.get(id)?.every !== every.every) await schedule(id, job.name, job.data);
    }
    for (const { key } of existing) {
      if (key !== RECONCILE && !wanted.has(key)) await queue.removeJobScheduler(key);
    }
  }

  const handlers: Record<string, (job: Job) => Promise<void>> = {
    'first-summary': (job) => firstSummary(DeployJob.parse(job.data).deployId),
    evaluate: (job) => evaluate(DeployJob.parse(job.data).deployId),
    digest: (job) => {
      const { teamId, channelId } = DigestJob.parse(job.data);
      return digest(teamId, channelId);
    },
    reconcile: () => reconcile(),
  };

  const worker = new Worker(
    MONITOR_QUEUE,
    async (job) => {
      const handler = handlers[job.name];
      if (!handler) throw new Error(`unknown monitoring job ${job.name}`);
      await handler(job);
    },
    { ...bull, concurrency: 4 },
  );
  worker.on('error', (error) => {
    // Redis being away is reported once per outage by the connection's watcher.
    if (!isUnreachable(error))
      log.error({ event: 'monitor.worker_error', err: error }, 'monitoring worker error');
  });
  worker.on('completed', (job) => deps.metrics?.monitorJobs.inc({ job: job.name, outcome: 'completed' }));
  worker.on('failed', (job, error) => {
    deps.metrics?.monitorJobs.inc({ job: job?.name ?? 'unknown', outcome: 'failed' });
    log.warn(
      { event: 'monitor.job_failed', job: job?.name, jobId: job?.id, data: job?.data, err: error },
      'failed',
    );
  });

  const started = (async () => {
    await schedule(RECONCILE, 'reconcile', {});
    await reconcile();
  })().catch((error: unknown) => {
    log.error({ event: 'monitor.start_failed', err: error }, 'monitoring could not schedule its jobs');
  });
  log.info(
    { event: 'monitor.started', prometheus: prometheus?.url ?? null, intervalSec: settings.intervalSec },
    prometheus ? 'SLO monitoring running' : 'SLO monitoring off (PROMETHEUS_URL not set); digests still run',
  );

  return {
    async afterDeployed(deployId) {
      await store.begin(deployId);
      await queue.add(
        'first-summary',
        { deployId },
        {
          jobId: `first-summary-${deployId}`,
          delay: settings.firstSummarySec * 1000,
          attempts: 3,
          backoff: { type: 'exponential', delay: 30_000 },
          removeOnComplete: KEEP,
          removeOnFail: KEEP,
        },
      );
      if (prometheus) await schedule(evaluateScheduler(deployId), 'evaluate', { deployId });
      log.info({ event: 'monitor.scheduled', deployId }, 'monitoring scheduled for the deployment');
    },
    async stop() {
      await started;
      await worker.close();
      await queue.close();
    },
  };
}
