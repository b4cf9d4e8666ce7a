import type { BenchmarkPoint, Knowledge } from '../knowledge/catalog.js';
import type { DeploymentConfig } from '../planner/index.js';
import { predictPerformance } from '../planner/index.js';

/** One load level: the p95s a user checks against the SLO and the output throughput it yields. */
export interface LoadLevel {
  requestsPerSec: number;
  ttftP95Ms: number;
  itlP95Ms: number;
  outputTokensPerSec: number;
}

/** How many rates the prediction line is drawn through, and how far past capacity it reaches. */
const CURVE_STEPS = 24;
const CURVE_REACH = 1.1;

/**
 * The planner's prediction for one replica of `config` from light load to just past its capacity (or to `upTo`
 * req/s when measurements went further); rates where the queue grows without bound are left out, as no p95 exists.
 */
export function predictedCurve(config: DeploymentConfig, knowledge: Knowledge, upTo = 0): LoadLevel[] {
  const light = predictPerformance({ ...config, load: { kind: 'rate', value: 1e-3 } }, knowledge);
  if (!light.ok) return [];
  const top = Math.max(light.prediction.capacityRequestsPerSec * CURVE_REACH, upTo);
  return Array.from({ length: CURVE_STEPS }, (_, i) => (top * (i + 1)) / CURVE_STEPS).flatMap((rate) => {
    const result = predictPerformance({ ...config, load: { kind: 'rate', value: rate } }, knowledge);
    if (!result.ok || result.prediction.saturated) return [];
    const { prediction } = result;
    return [
      {
        requestsPerSec: rate,
        ttftP95Ms: prediction.ttftMs.p95,
        itlP95Ms: prediction.itlMs.p95,
        outputTokensPerSec: prediction.outputTokensPerSec,
      },
    ];
  });
}

/** Token means this close count as the same traffic when measurements are drawn next to a prediction. */
const SAME_TRAFFIC = 0.1;

const near = (measured: number, planned: number) => Math.abs(measured - planned) <= SAME_TRAFFIC * planned;

/**
 * Measured open-loop points of exactly `config` (model, GPUs, TP, precision) at its traffic, as load levels at
 * their target rate; points without a p95 are skipped.
 */
export function measuredLevels(config: DeploymentConfig, points: readonly BenchmarkPoint[]): LoadLevel[] {
  return points.flatMap((point) =>
    point.modelId === config.modelId &&
    point.gpuId === config.gpuId &&
    point.gpuCount === config.gpuCount &&
    point.tensorParallel === config.tensorParallel &&
    point.precision === config.precision &&
    near(point.promptTokens, config.promptTokens) &&
    near(point.outputTokens, config.outputTokens) &&
    point.load.kind === 'rate' &&
    point.ttftMs.p95 !== null &&
    point.itlMs.p95 !== null
      ? [
          {
            requestsPerSec: point.load.value,
            ttftP95Ms: point.ttftMs.p95,
            itlP95Ms: point.itlMs.p95,
            outputTokensPerSec: point.outputTokensPerSec ?? point.outputTokens * (point.requestsPerSec ?? 0),
          },
        ]
      : [],
  );
}
