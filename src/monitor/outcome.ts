/**
 * The feedback loop's pure half: what a deployment did over a window with enough requests, next to what the planner
 * predicts for exactly that traffic (an Outcome), and the measured point an outcome becomes for the planner — one
 * replica at the observed per-replica rate and token means — so the measured-first machinery and the calibration of
 * the efficiency factors learn from production as they learn from benchmark reports.
 */
import { z } from 'zod';
import {
  type BenchmarkPoint,
  type Knowledge,
  OBSERVED_SOURCE_PREFIX,
  Precision,
} from '../knowledge/catalog.js';
import type { PlannedOption } from '../planner/plan.js';
import { predictPerformance } from '../planner/predict.js';
import type { PerformanceInput } from '../planner/schema.js';
import type { Observation } from './observation.js';

const ms = z.number().positive();

/**
 * p50 and p95 of TTFT, ITL and E2E, in milliseconds (interpolated inside histogram buckets), and where known their
 * exact means from the histograms' _sum and _count (absent from outcomes stored before they were collected).
 */
export const LatencyFigures = z.object({
  ttftP50Ms: ms,
  ttftP95Ms: ms,
  itlP50Ms: ms,
  itlP95Ms: ms,
  e2eP50Ms: ms,
  e2eP95Ms: ms,
  ttftMeanMs: ms.optional(),
  itlMeanMs: ms.optional(),
  e2eMeanMs: ms.optional(),
});
export type LatencyFigures = z.infer<typeof LatencyFigures>;

/** The planner's figures for the observed traffic, and what they rested on. */
export const PredictedFigures = LatencyFigures.extend({
  basis: z.enum(['measured', 'interpolated', 'estimated']),
});
export type PredictedFigures = z.infer<typeof PredictedFigures>;

export const Outcome = z.object({
  deployId: z.uuid(),
  /** namespace/name when observed. */
  deployment: z.string().min(1),
  at: z.iso.datetime(),
  windowSec: z.number().int().positive(),
  modelId: z.string().min(1),
  gpuId: z.string().min(1),
  gpusPerReplica: z.number().int().positive(),
  tensorParallel: z.number().int().positive(),
  precision: Precision,
  replicas: z.number().int().positive(),
  requestsPerSec: z.number().positive(),
  promptTokens: z.number().positive(),
  outputTokens: z.number().positive(),
  outputTokensPerSec: z.number().nonnegative(),
  observed: LatencyFigures,
  /** Null when the planner cannot predict the configuration any more (a model or GPU left the catalog). */
  predicted: PredictedFigures.nullable(),
});
export type Outcome = z.infer<typeof Outcome>;

/** What an outcome says of the configuration and its traffic. */
type Traffic = Pick<
  Outcome,
  | 'modelId'
  | 'gpuId'
  | 'gpusPerReplica'
  | 'tensorParallel'
  | 'precision'
  | 'promptTokens'
  | 'outputTokens'
  | 'requestsPerSec'
  | 'replicas'
>;

/** One replica of the configuration at its share of the traffic: what is predicted, and what was measured. */
export function replicaAtTraffic(traffic: Traffic): PerformanceInput {
  return {
    modelId: traffic.modelId,
    gpuId: traffic.gpuId,
    gpuCount: traffic.gpusPerReplica,
    tensorParallel: traffic.tensorParallel,
    precision: traffic.precision,
    promptTokens: traffic.promptTokens,
    outputTokens: traffic.outputTokens,
    load: { kind: 'rate', value: traffic.requestsPerSec / traffic.replicas },
  };
}

/** Requests a window needs before its percentiles say something about the deployment. */
export const MIN_OUTCOME_REQUESTS = 50;

export interface OutcomeInput {
  deploy: { id: string; label: string; option: PlannedOption };
  /** The window's observation (p95s, traffic, replicas). */
  observed: Observation;
  /** The window's medians, which an observation does not carry. */
  medians: { ttftMs: number | null; itlMs: number | null; e2eMs: number | null };
  knowledge: Knowledge;
  minRequests?: number;
}

/** The outcome of a window, or null when it had too few requests or lacks a figure to compare. */
export function outcomeOf(input: OutcomeInput): Outcome | null {
  const { deploy, observed, medians } = input;
  const { option } = deploy;
  const rate = observed.requestsPerSec;
  if (rate === null || rate * observed.windowSec < (input.minRequests ?? MIN_OUTCOME_REQUESTS)) return null;
  const figures = {
    ttftP50Ms: medians.ttftMs,
    ttftP95Ms: observed.ttftP95Ms,
    itlP50Ms: medians.itlMs,
    itlP95Ms: observed.itlP95Ms,
    e2eP50Ms: medians.e2eMs,
    e2eP95Ms: observed.e2eP95Ms,
    ...(observed.ttftMeanMs !== null && { ttftMeanMs: observed.ttftMeanMs }),
    ...(observed.itlMeanMs !== null && { itlMeanMs: observed.itlMeanMs }),
    ...(observed.e2eMeanMs !== null && { e2eMeanMs: observed.e2eMeanMs }),
  };
  const measured = LatencyFigures.safeParse(figures);
  const { meanPromptTokens: promptTokens, meanOutputTokens: outputTokens } = observed;
  if (!measured.success || promptTokens === null || outputTokens === null) return null;
  const traffic: Traffic = {
    modelId: option.modelId,
    gpuId: option.gpuId,
    gpusPerReplica: option.gpusPerReplica,
    tensorParallel: option.tensorParallel,
    precision: option.precision,
    promptTokens,
    outputTokens,
    requestsPerSec: rate,
    replicas: Math.max(1, Math.round(observed.replicas ?? option.replicas)),
  };
  const prediction = predictPerformance(replicaAtTraffic(traffic), input.knowledge);
  const predicted = prediction.ok
    ? {
        ttftP50Ms: prediction.prediction.ttftMs.p50,
        ttftP95Ms: prediction.prediction.ttftMs.p95,
        itlP50Ms: prediction.prediction.itlMs.p50,
        itlP95Ms: prediction.prediction.itlMs.p95,
        e2eP50Ms: prediction.prediction.e2eMs.p50,
        e2eP95Ms: prediction.prediction.e2eMs.p95,
        basis: prediction.prediction.basis,
      }
    : null;
  return Outcome.parse({
    deployId: deploy.id,
    deployment: deploy.label,
    at: observed.at,
    windowSec: observed.windowSec,
    ...traffic,
    outputTokensPerSec: observed.generationTokensPerSec ?? rate * outputTokens,
    observed: measured.data,
    predicted,
  });
}

/** An outcome as the planner's measured point: one replica of the configuration at its share of the traffic. */
export function observedPoint(outcome: Outcome): BenchmarkPoint {
  const { observed, replicas } = outcome;
  // Calibration fits the centre to the mean and the median alike: where the exact mean is known, the median
  // interpolated inside a coarse bucket would only pull it off.
  const stats = (mean: number | undefined, p50: number, p95: number) => ({
    mean: mean ?? null,
    p50: mean === undefined ? p50 : null,
    p90: null,
    p95,
    p99: null,
  });
  return {
    ...replicaAtTraffic(outcome),
    ttftMs: stats(observed.ttftMeanMs, observed.ttftP50Ms, observed.ttftP95Ms),
    itlMs: stats(observed.itlMeanMs, observed.itlP50Ms, observed.itlP95Ms),
    e2eMs: stats(observed.e2eMeanMs, observed.e2eP50Ms, observed.e2eP95Ms),
    requestsPerSec: outcome.requestsPerSec / replicas,
    outputTokensPerSec: outcome.outputTokensPerSec > 0 ? outcome.outputTokensPerSec / replicas : null,
    source: `${OBSERVED_SOURCE_PREFIX} ${outcome.deployment} at ${outcome.at.slice(0, 16).replace('T', ' ')} UTC`,
  };
}
