import { Observation } from './observation.js';
import type { PrometheusClient, PromResult, Sample } from './prometheus.js';
import {
  deploymentQueries,
  latencyQuantileMs,
  renderSelector,
  type Selector,
  uptimeQueries,
} from './queries.js';

export interface CollectOptions {
  /** The instant to evaluate every query at; now by default. One instant for all, so the figures agree. */
  at?: Date;
}

/**
 * Runs aggregating queries at one instant: one figure each, null where Prometheus has no data (no traffic in the
 * window, a metric this server lacks, 0/0, histogram_quantile of an empty window); an unreachable Prometheus or a
 * refused query is an error, since nothing observed would be trustworthy then.
 */
async function figures<K extends string>(
  prometheus: PrometheusClient,
  queries: Record<K, string>,
  at: Date,
): Promise<PromResult<Record<K, number | null>>> {
  const keys = Object.keys(queries) as K[];
  const answers: PromResult<Sample[]>[] = await Promise.all(
    keys.map((key) => prometheus.query(queries[key], at)),
  );
  const values = {} as Record<K, number | null>;
  for (const [index, key] of keys.entries()) {
    const answer = answers[index]!;
    if (!answer.ok && answer.error.kind !== 'no-data') return answer;
    // Every query aggregates to one value.
    const value = answer.ok ? answer.value[0]!.value : Number.NaN;
    values[key] = Number.isFinite(value) ? value : null;
  }
  return { ok: true, value: values };
}

/** Runs the deployment's queries over the window and returns what Prometheus saw. */
export async function collectObservation(
  prometheus: PrometheusClient,
  selector: Selector,
  windowSec: number,
  options: CollectOptions = {},
): Promise<PromResult<Observation>> {
  const at = options.at ?? new Date();
  const seen = await figures(prometheus, deploymentQueries(selector, windowSec), at);
  if (!seen.ok) return seen;
  return {
    ok: true,
    value: Observation.parse({
      selector: renderSelector(selector),
      windowSec,
      at: at.toISOString(),
      ...seen.value,
    }),
  };
}

/** The window's median TTFT, ITL and E2E (ms), which an Observation does not carry. */
export function collectMedians(
  prometheus: PrometheusClient,
  selector: Selector,
  windowSec: number,
  at: Date,
): Promise<PromResult<Record<'ttftMs' | 'itlMs' | 'e2eMs', number | null>>> {
  return figures(
    prometheus,
    {
      ttftMs: latencyQuantileMs('ttft', selector, windowSec, 0.5),
      itlMs: latencyQuantileMs('itl', selector, windowSec, 0.5),
      e2eMs: latencyQuantileMs('e2e', selector, windowSec, 0.5),
    },
    at,
  );
}

/** Replica-hours up and hours covered between `since` and `at`; nulls where Prometheus holds nothing of it. */
export function collectUptime(
  prometheus: PrometheusClient,
  selector: Selector,
  since: Date,
  at: Date,
): Promise<PromResult<Record<'replicaHours' | 'coveredHours', number | null>>> {
  const sinceSec = Math.max(1, (at.getTime() - since.getTime()) / 1000);
  return figures(prometheus, { ...uptimeQueries(selector, sinceSec) }, at);
}
