import { Observation } from './observation.js';
import type { PrometheusClient, PromResult, Sample } from './prometheus.js';
import {
  deploymentQueries,
  type LatencyMetric,
  latencyBucketRates,
  latencyMeanMs,
  latencyQuantileMs,
  renderSelector,
  type Selector,
  uptimeQueries,
} from './queries.js';
import { histogramOf, type LatencyHistogram } from './verdict.js';

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

/** A latency histogram's cumulative bucket rates over the window; null where Prometheus has none. */
async function histogram(
  prometheus: PrometheusClient,
  metric: LatencyMetric,
  selector: Selector,
  windowSec: number,
  at: Date,
): Promise<PromResult<LatencyHistogram | null>> {
  const answer = await prometheus.query(latencyBucketRates(metric, selector, windowSec), at);
  if (!answer.ok) return answer.error.kind === 'no-data' ? { ok: true, value: null } : answer;
  const rates = answer.value.map(({ labels, value }) => ({ le: labels.le ?? '', perSec: value }));
  return { ok: true, value: histogramOf(rates) };
}

const LATENCY_METRICS: LatencyMetric[] = ['ttft', 'itl', 'e2e'];

/** Runs the deployment's queries over the window and returns what Prometheus saw. */
export async function collectObservation(
  prometheus: PrometheusClient,
  selector: Selector,
  windowSec: number,
  options: CollectOptions = {},
): Promise<PromResult<Observation>> {
  const at = options.at ?? new Date();
  const [seen, means, ...histograms] = await Promise.all([
    figures(prometheus, deploymentQueries(selector, windowSec), at),
    figures(
      prometheus,
      {
        ttftMeanMs: latencyMeanMs('ttft', selector, windowSec),
        itlMeanMs: latencyMeanMs('itl', selector, windowSec),
        e2eMeanMs: latencyMeanMs('e2e', selector, windowSec),
      },
      at,
    ),
    ...LATENCY_METRICS.map((metric) => histogram(prometheus, metric, selector, windowSec, at)),
  ]);
  if (!seen.ok) return seen;
  if (!means.ok) return means;
  const [ttftHistogram, itlHistogram, e2eHistogram] = histograms;
  for (const answer of histograms) if (!answer.ok) return answer;
  return {
    ok: true,
    value: Observation.parse({
      selector: renderSelector(selector),
      windowSec,
      at: at.toISOString(),
      ...seen.value,
      ...means.value,
      ttftHistogram: ttftHistogram?.ok ? ttftHistogram.value : null,
      itlHistogram: itlHistogram?.ok ? itlHistogram.value : null,
      e2eHistogram: e2eHistogram?.ok ? e2eHistogram.value : null,
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
