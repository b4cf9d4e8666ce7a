import { z } from 'zod';
import { OBSERVED_METRICS, type ObservedMetric } from './queries.js';

/** A figure Prometheus gave; null when it had none (no traffic in the window, a metric the server lacks). */
const figure = z.number().nullable();

/**
 * What one deployment did over one window, as Prometheus saw it: latency p95s (ms), traffic (rates, mean token
 * counts), failures, queue, KV cache and replicas. Plain JSON, so the feedback loop can store it as is.
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
});
export type Observation = z.infer<typeof Observation>;
