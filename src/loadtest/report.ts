import type { LoadPoint, LoadtestSettings, PointResult, RequestSample } from './schema.js';

/*
 * The report in GuideLLM ≥ 0.4's layout (src/guidellm/benchmark/schemas/generative/benchmark.py), so that
 * `compass benchmarks import` and any tool reading GuideLLM reports take it: each sweep point a benchmark with its
 * strategy under `config.strategy` and each metric a StatusDistributionSummary over the successful requests
 * (`*_ms` in milliseconds, `request_latency` in seconds), errored requests counted under `run_stats`.
 */

const PERCENTILES = {
  p001: 0.001,
  p01: 0.01,
  p05: 0.05,
  p10: 0.1,
  p25: 0.25,
  p50: 0.5,
  p75: 0.75,
  p90: 0.9,
  p95: 0.95,
  p99: 0.99,
  p999: 0.999,
} as const;

export interface DistributionSummary {
  mean: number;
  median: number;
  variance: number;
  std_dev: number;
  min: number;
  max: number;
  count: number;
  total_sum: number;
  percentiles: Record<keyof typeof PERCENTILES, number>;
}

/** Linear interpolation between closest ranks, as numpy's default percentile (which GuideLLM uses). */
function percentile(sorted: number[], q: number): number {
  const rank = q * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

/** GuideLLM's DistributionSummary of `values`; null when there are none. */
export function summarize(values: number[]): DistributionSummary | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const totalSum = sorted.reduce((sum, value) => sum + value, 0);
  const mean = totalSum / sorted.length;
  const variance = sorted.reduce((sum, value) => sum + (value - mean) ** 2, 0) / sorted.length;
  return {
    mean,
    median: percentile(sorted, 0.5),
    variance,
    std_dev: Math.sqrt(variance),
    min: sorted[0]!,
    max: sorted.at(-1)!,
    count: sorted.length,
    total_sum: totalSum,
    percentiles: Object.fromEntries(
      Object.entries(PERCENTILES).map(([name, q]) => [name, percentile(sorted, q)]),
    ) as DistributionSummary['percentiles'],
  };
}

function strategyOf(point: LoadPoint) {
  return point.kind === 'concurrent'
    ? { type_: 'concurrent', streams: point.streams }
    : { type_: point.kind, rate: point.rate };
}

function benchmarkOf(result: PointResult, index: number) {
  const successful = result.samples.filter((sample) => sample.error === null);
  const errored = result.samples.length - successful.length;
  const metric = (pick: (sample: RequestSample) => number) => ({
    successful: summarize(successful.map(pick)),
  });
  const outputTokens = successful.reduce((sum, sample) => sum + sample.outputTokens, 0);
  return {
    type_: 'generative_benchmark',
    config: { run_index: index, strategy: strategyOf(result.point) },
    run_stats: {
      start_time: result.startedAt.getTime() / 1000,
      end_time: result.startedAt.getTime() / 1000 + result.durationSec,
      requests_made: {
        successful: successful.length,
        errored,
        incomplete: result.incomplete,
        total: result.samples.length + result.incomplete,
      },
    },
    metrics: {
      // Whole-run rates: what the server sustained, one value per point.
      requests_per_second: { successful: summarize([successful.length / result.durationSec]) },
      output_tokens_per_second: { successful: summarize([outputTokens / result.durationSec]) },
      request_latency: metric((sample) => sample.e2eMs / 1000),
      time_to_first_token_ms: metric((sample) => sample.ttftMs),
      inter_token_latency_ms: metric((sample) => sample.itlMs),
      prompt_token_count: metric((sample) => sample.promptTokens),
      output_token_count: metric((sample) => sample.outputTokens),
    },
    errors: [...new Set(result.samples.flatMap((sample) => (sample.error === null ? [] : [sample.error])))],
  };
}

export type LoadtestReport = ReturnType<typeof loadtestReport>;

/** The report of a run; a point without one successful request has no latencies to report and is only listed. */
export function loadtestReport(settings: LoadtestSettings, model: string, results: PointResult[]) {
  const measured = results.filter((result) => result.samples.some((sample) => sample.error === null));
  return {
    metadata: {
      generator: 'compass loadtest',
      guidellm_layout: '0.4',
      points_without_success: results
        .filter((result) => !measured.includes(result))
        .map((result) => strategyOf(result.point)),
    },
    args: {
      target: settings.endpoint,
      model,
      backend: 'openai_http',
      data: [
        `prompt_tokens=${settings.lengths.promptTokens},output_tokens=${settings.lengths.outputTokens},` +
          `length_cv=${settings.lengths.lengthCv}`,
      ],
      max_requests: settings.maxRequests,
      max_seconds: settings.maxSeconds,
      random_seed: settings.seed,
    },
    benchmarks: measured.map(benchmarkOf),
  };
}
