/**
 * One deployment's SLO status: what Prometheus observed against the spec's targets (✓/✗) and against what the
 * planner predicted for the option that was deployed (delta %), with load, failures, queue, KV cache, replicas and
 * cost. Pure: an Observation and the plan in, plain data out.
 */
import { costPerMillionOutputTokens } from '../planner/cost.js';
import type { PlannedOption } from '../planner/plan.js';
import type { Slo } from '../planner/schema.js';
import type { Observation } from './observation.js';
import type { LatencyMetric } from './queries.js';
import { type BucketInterval, quantileBucket, type SloVerdict, sloVerdict } from './verdict.js';

/** Share of failed requests a deployment may have before its error rate counts as missing the SLO. */
export const DEFAULT_ERROR_RATE_TARGET = 0.01;

export interface LatencyCheck {
  metric: LatencyMetric;
  observedMs: number | null;
  targetMs: number;
  predictedMs: number;
  /** How the histogram's buckets judge "95% within target" (verdict.ts). */
  verdict: SloVerdict['kind'];
  /** The bucket the p95 lies in (the interpolated observedMs is somewhere inside it); null without requests. */
  p95Bucket: BucketInterval | null;
  /** true/false: a definite pass/breach; null: no requests, or the buckets cannot tell. */
  meetsTarget: boolean | null;
  /** (observed − predicted) / predicted × 100; null without an observation. */
  vsPredictedPct: number | null;
}

/** Which failure signal the error rate is: vLLM's HTTP 5xx share, or (without HTTP metrics) the aborted share. */
export type ErrorSource = 'http-5xx' | 'aborted';

export interface SloSummary {
  deployment: string;
  optionId: string;
  windowSec: number;
  at: string;
  /** meeting: every check with data passes; missing: one fails; no-traffic: nothing to judge. */
  status: 'meeting' | 'missing' | 'no-traffic';
  latency: LatencyCheck[];
  errors: { rate: number | null; source: ErrorSource; target: number; meetsTarget: boolean | null };
  traffic: {
    requestsPerSec: number | null;
    generationTokensPerSec: number | null;
    meanPromptTokens: number | null;
    meanOutputTokens: number | null;
    /** The most the option carries within the SLOs, as planned. */
    capacityRps: number;
    /** requestsPerSec / capacityRps. */
    loadShare: number | null;
    /** The load each replica was predicted at (the spec's peak). */
    predictedLoadPerReplicaRps: number;
  };
  queue: { mean: number | null; max: number | null };
  kvCache: { mean: number | null; max: number | null };
  replicas: { observed: number | null; planned: number };
  cost: {
    /** At the replicas up now (the planned count when Prometheus does not say). */
    hourlyUsd: number;
    hoursRunning: number;
    soFarUsd: number;
    /** The share of the time running priced from the replicas Prometheus saw up; the rest at the planned count. */
    observedShare: number;
    /** At the observed token rate; null without traffic. */
    perMillionOutputTokensUsd: number | null;
    predictedPerMillionOutputTokensUsd: number;
  };
}

export interface SummaryContext {
  /** How the deployment is named in messages. */
  deployment: string;
  /** When it went live; cost so far runs from here to the observation. */
  deployedAt: Date;
  errorRateTarget?: number;
  /** Since deploy: replica-hours up and the hours Prometheus holds (collectUptime); absent: priced as planned. */
  uptime?: { replicaHours: number | null; coveredHours: number | null };
}

/** Observation, targets and prediction name each p95 alike. */
const P95_KEY = { ttft: 'ttftP95Ms', itl: 'itlP95Ms', e2e: 'e2eP95Ms' } as const;
const HISTOGRAM_KEY = { ttft: 'ttftHistogram', itl: 'itlHistogram', e2e: 'e2eHistogram' } as const;
const LATENCY_METRICS: LatencyMetric[] = ['ttft', 'itl', 'e2e'];

/**
 * Whether 95% of the window's requests met the metric's target, judged from the histogram's buckets. An observation
 * without histograms (built by hand, or from before they were collected) is judged from its p95 as it reads.
 */
export function latencyVerdict(
  observed: Observation,
  metric: LatencyMetric,
  targetMs: number,
): { verdict: SloVerdict['kind']; p95Bucket: BucketInterval | null } {
  const histogram = observed[HISTOGRAM_KEY[metric]];
  if (histogram) {
    return { verdict: sloVerdict(histogram, targetMs).kind, p95Bucket: quantileBucket(histogram) };
  }
  const p95 = observed[P95_KEY[metric]];
  return { verdict: p95 === null ? 'no-data' : p95 <= targetMs ? 'pass' : 'breach', p95Bucket: null };
}

const MEETS: Record<SloVerdict['kind'], boolean | null> = {
  pass: true,
  breach: false,
  'cannot-tell': null,
  'no-data': null,
};

/** Each p95 of the observation against its target: true/false when the buckets decide, else null. */
export function latencyChecks(observed: Observation, option: PlannedOption, targets: Slo): LatencyCheck[] {
  return LATENCY_METRICS.map((metric) => {
    const key = P95_KEY[metric];
    const observedMs = observed[key];
    const targetMs = targets[key];
    const predictedMs = option.predicted[key];
    const { verdict, p95Bucket } = latencyVerdict(observed, metric, targetMs);
    return {
      metric,
      observedMs,
      targetMs,
      predictedMs,
      verdict,
      p95Bucket,
      meetsTarget: MEETS[verdict],
      vsPredictedPct:
        observedMs === null || predictedMs <= 0 ? null : ((observedMs - predictedMs) / predictedMs) * 100,
    };
  });
}

/** The failure signal an observation carries: HTTP 5xx share where vLLM's HTTP metrics are scraped, else aborts. */
export function errorRateOf(observed: Observation): { rate: number | null; source: ErrorSource } {
  return observed.httpErrorRate !== null
    ? { rate: observed.httpErrorRate, source: 'http-5xx' }
    : { rate: observed.abortedShare, source: 'aborted' };
}

export function sloSummary(
  observed: Observation,
  option: PlannedOption,
  targets: Slo,
  context: SummaryContext,
): SloSummary {
  const latency = latencyChecks(observed, option, targets);
  const errorTarget = context.errorRateTarget ?? DEFAULT_ERROR_RATE_TARGET;
  const error = errorRateOf(observed);
  const errors = {
    ...error,
    target: errorTarget,
    meetsTarget: error.rate === null ? null : error.rate <= errorTarget,
  };
  const verdicts = [...latency.map((check) => check.meetsTarget), errors.meetsTarget];
  const status = verdicts.includes(false)
    ? 'missing'
    : latency.every((check) => check.meetsTarget === null)
      ? 'no-traffic'
      : 'meeting';
  const hoursRunning = Math.max(0, (Date.parse(observed.at) - context.deployedAt.getTime()) / 3.6e6);
  // The autoscaler moves the replica count: price what ran, and the planned count where Prometheus has no record.
  const replicaHourlyUsd = option.hourlyCostUsd / option.replicas;
  const coveredHours = Math.min(hoursRunning, context.uptime?.coveredHours ?? 0);
  const replicaHours = coveredHours > 0 ? (context.uptime?.replicaHours ?? 0) : 0;
  const hourlyUsd = replicaHourlyUsd * (observed.replicas ?? option.replicas);
  const capacityRps = option.predicted.maxRps;
  const tokensPerSec = observed.generationTokensPerSec;
  return {
    deployment: context.deployment,
    optionId: option.id,
    windowSec: observed.windowSec,
    at: observed.at,
    status,
    latency,
    errors,
    traffic: {
      requestsPerSec: observed.requestsPerSec,
      generationTokensPerSec: tokensPerSec,
      meanPromptTokens: observed.meanPromptTokens,
      meanOutputTokens: observed.meanOutputTokens,
      capacityRps,
      loadShare:
        observed.requestsPerSec === null || capacityRps <= 0 ? null : observed.requestsPerSec / capacityRps,
      predictedLoadPerReplicaRps: option.predicted.loadPerReplicaRps,
    },
    queue: { mean: observed.queueDepth, max: observed.queueDepthMax },
    kvCache: { mean: observed.kvCacheUsage, max: observed.kvCacheUsageMax },
    replicas: { observed: observed.replicas, planned: option.replicas },
    cost: {
      hourlyUsd,
      hoursRunning,
      soFarUsd: replicaHourlyUsd * replicaHours + option.hourlyCostUsd * (hoursRunning - coveredHours),
      observedShare: hoursRunning > 0 ? coveredHours / hoursRunning : 0,
      // The planner's formula with the observed token rate as a rate of one-token requests.
      perMillionOutputTokensUsd:
        tokensPerSec === null || tokensPerSec <= 0
          ? null
          : costPerMillionOutputTokens(hourlyUsd, tokensPerSec, 1),
      predictedPerMillionOutputTokensUsd: option.costPerMillionOutputTokensUsd,
    },
  };
}
