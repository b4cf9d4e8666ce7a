import { z } from 'zod';
import { OBSERVED_METRICS, type ObservedMetric } from './queries.js';
import { LatencyHistogram } from './verdict.js';

/** A figure Prometheus gave; null when it had none (no traffic in the window, a metric the server lacks). */
const figure = z.number().nullable();

/**
 * What one deployment did over one window, as Prometheus saw it: latency p95s (ms), traffic (rates, mean token
 * counts), failures, queue, KV cache and replicas, with the latency histograms the p95s come from and exact means. Plain JSON, so the feedback loop can store it as is.
 */
export const Observation = z.object({
  /** The PromQL selector of the deployment's series. */
  selector: z.string(),
  windowSec: z.number().int().positive(),
  /** The instant every query was evaluated at (ISO 8601). */
  at: z.iso.datetime(),
  ...(Object.fromEntries(OBSERVED_METRICS.map((metric) => [metric, figure])) as Record<
    ObservedMetric,
    typeof figure
  >),
  /** Each latency histogram's cumulative bucket rates, which SLO verdicts are judged from; null without requests. */
  ttftHistogram: LatencyHistogram.nullable().default(null),
  itlHistogram: LatencyHistogram.nullable().default(null),
  e2eHistogram: LatencyHistogram.nullable().default(null),
  /** Exact means (ms) from each histogram's _sum and _count, unbiased by its buckets. */
  ttftMeanMs: figure.default(null),
  itlMeanMs: figure.default(null),
  e2eMeanMs: figure.default(null),
});
export type Observation = z.infer<typeof Observation>;
