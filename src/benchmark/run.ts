import { chartPng, measuredLevels, predictedCurve } from '../chart/index.js';
import type { BenchmarkPoint, Knowledge, Precision } from '../knowledge/catalog.js';
import { clusterSource } from '../knowledge/catalog.js';
import { GuidellmReportError, parseGuidellmReport } from '../knowledge/guidellm.js';
import { describeImplausible, implausiblePoints } from '../planner/index.js';
import { type BenchmarkRun, benchmarkDeadlineSeconds, benchmarkJob, reportFromLog } from './job.js';
import { benchmarkSummaryText, compareLevels } from './summary.js';

export type BenchmarkJob = ReturnType<typeof benchmarkJob>;

export type JobState = { phase: 'running' } | { phase: 'succeeded' } | { phase: 'failed'; reason: string };

/** The cluster as a benchmark needs it: a Job started, watched, its pod's log read, and everything removed. */
export interface BenchmarkCluster {
  start(job: BenchmarkJob): Promise<void>;
  state(job: BenchmarkJob): Promise<JobState>;
  log(job: BenchmarkJob): Promise<string>;
  /** Deletes the Job and its pods; a Job already gone is fine. */
  remove(job: BenchmarkJob): Promise<void>;
}

export interface BenchmarkDeps {
  cluster: BenchmarkCluster;
  /** Stores measured points in the knowledge base (all or none). */
  importPoints(points: BenchmarkPoint[]): Promise<void>;
  /** Posts the summary and the chart in the deploy's thread. */
  postResult(summary: string, png: Buffer): Promise<void>;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  now(): Date;
  pollMs: number;
}

export interface BenchmarkRequest {
  run: BenchmarkRun;
  /** What was deployed: the configuration the measured points belong to. */
  configuration: {
    modelId: string;
    gpuId: string;
    gpuCount: number;
    tensorParallel: number;
    precision: Precision;
  };
  /**
   * Replicas behind the endpoint (default 1): the load spreads over them, so the measured rates and throughputs
   * are divided by this to be the configuration's (one replica's) points.
   */
  replicas?: number;
  /** `namespace/name`, as the thread and the points' source name it. */
  target: string;
  slo: { ttftP95Ms: number; itlP95Ms: number };
  /** The knowledge the prediction before the run comes from. */
  knowledge: Knowledge;
  /** Cancel: the Job is removed and nothing is imported. */
  signal: AbortSignal;
}

export type BenchmarkOutcome =
  | { ok: true; points: BenchmarkPoint[] }
  | { ok: false; reason: string; cancelled: boolean };

/** Time allowed past the Job's own deadline for Kubernetes to mark it failed before Compass gives up on it. */
const DEADLINE_GRACE_MS = 30_000;

/**
 * One benchmark of a deployment: the loadtest Job runs to its end (or its deadline, or a cancel), its report is
 * imported as measured points of the configuration, and the thread gets the summary and the chart against the
 * prediction made before the run. The Job and its pod are removed whatever happens.
 */
export async function runBenchmark(
  request: BenchmarkRequest,
  deps: BenchmarkDeps,
): Promise<BenchmarkOutcome> {
  const { run, configuration } = request;
  const traffic = { promptTokens: run.promptTokens, outputTokens: run.outputTokens };
  const predicted = predictedCurve({ ...configuration, ...traffic }, request.knowledge);
  const job = benchmarkJob(run);
  const measuredAt = deps.now();
  let log: string;
  try {
    await deps.cluster.start(job);
    const state = await followJob(job, run, request.signal, deps);
    if (state.phase === 'failed') {
      const cancelled = request.signal.aborted;
      // What the pod said last is usually why (an endpoint it could not reach, a model it was refused).
      const last = cancelled ? undefined : lastLine(await deps.cluster.log(job).catch(() => ''));
      return { ok: false, reason: last ? `${state.reason}; its log ends: ${last}` : state.reason, cancelled };
    }
    log = await deps.cluster.log(job);
  } finally {
    await deps.cluster.remove(job);
  }

  let points: BenchmarkPoint[];
  try {
    points = perReplica(
      parseGuidellmReport(reportFromLog(log), {
        ...configuration,
        source: clusterSource(request.target, measuredAt),
      }),
      request.replicas ?? 1,
    );
  } catch (error) {
    const reason =
      error instanceof GuidellmReportError || error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `its report could not be read: ${reason}`, cancelled: false };
  }
  const refused = implausiblePoints(points, request.knowledge);
  if (refused.length)
    return {
      ok: false,
      reason: `its report cannot be right, so nothing was imported: ${describeImplausible(points, refused)}`,
      cancelled: false,
    };
  await deps.importPoints(points);
  const measured = measuredLevels({ ...configuration, ...traffic }, points);
  const summary = benchmarkSummaryText(request.target, compareLevels(measured, predicted), request.slo);
  const png = chartPng({
    title: `Benchmark of ${request.target}`,
    subtitle: `${configuration.modelId} (${configuration.precision}) on ${configuration.gpuCount}× ${configuration.gpuId}, TP ${configuration.tensorParallel} · ${run.promptTokens} → ${run.outputTokens} tokens · measured ${measuredAt.toISOString().slice(0, 10)}`,
    predicted,
    measured,
    slo: request.slo,
  });
  await deps.postResult(summary, png);
  return { ok: true, points };
}

async function followJob(
  job: BenchmarkJob,
  run: BenchmarkRun,
  signal: AbortSignal,
  deps: BenchmarkDeps,
): Promise<JobState> {
  const giveUpAt = deps.now().getTime() + benchmarkDeadlineSeconds(run) * 1000 + DEADLINE_GRACE_MS;
  for (;;) {
    if (signal.aborted) return { phase: 'failed', reason: 'cancelled' };
    const state = await deps.cluster.state(job);
    if (state.phase !== 'running') return state;
    if (deps.now().getTime() >= giveUpAt)
      return {
        phase: 'failed',
        reason: `it ran past its ${benchmarkDeadlineSeconds(run)} s deadline and was stopped`,
      };
    await deps.sleep(deps.pollMs, signal);
  }
}

const lastLine = (log: string) =>
  log
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .at(-1)
    ?.slice(0, 300);

/** Points measured through an endpoint of `replicas` replicas, as one replica's: load and throughputs shared out. */
export function perReplica(points: BenchmarkPoint[], replicas: number): BenchmarkPoint[] {
  if (replicas === 1) return points;
  const share = (value: number | null) => (value === null ? null : value / replicas);
  return points.map((point) => ({
    ...point,
    load: point.load.kind === 'max' ? point.load : { ...point.load, value: point.load.value / replicas },
    requestsPerSec: share(point.requestsPerSec),
    outputTokensPerSec: share(point.outputTokensPerSec),
  }));
}
