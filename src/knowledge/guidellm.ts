import { z } from 'zod';
import { fieldPath } from '../field-path.js';
import type { BenchmarkLoad, LatencyStats } from './catalog.js';
import { BenchmarkPoint, Precision } from './catalog.js';

/*
 * Reads the JSON report `guidellm benchmark` writes (vllm-project/guidellm). Layouts confirmed in its source:
 * - 0.2–0.3 (src/guidellm/benchmark/benchmark.py): each benchmark's strategy under `args.strategy`;
 * - 0.4 and later (src/guidellm/benchmark/schemas/generative/benchmark.py): under `config.strategy`.
 * Both write the strategy kind as `type_` (scheduler/strategies.py) and each metric as a StatusDistributionSummary,
 * `metrics.<name>.successful.{mean, median, percentiles.{p001 … p50 … p999}}` (utils/ or schemas/statistics.py),
 * with `request_latency` in seconds and the `*_ms` metrics in milliseconds. Everything else in a report (per-request
 * samples, scheduler stats, other metrics) is ignored.
 */

const positive = z.number().positive();

const PERCENTILES = ['p50', 'p90', 'p95', 'p99'] as const;

/**
 * A DistributionSummary read for latency, in `unit`s: its median is what every estimate needs, the rest may be
 * missing. A higher percentile below a lower one (p50 > p99) is no distribution: a corrupted or hand-edited report;
 * nor is a latency over a day (1e308 s would overflow to an infinite number of milliseconds).
 */
const latencySummary = (unit: 's' | 'ms') => {
  const day = unit === 's' ? 86_400 : 86_400_000;
  const latency = positive.max(day, `is over a day (${day} ${unit}): not a serving latency`);
  return z.object({
    mean: latency.nullish(),
    percentiles: z
      .object({
        p50: latency,
        p90: latency.nullish(),
        p95: latency.nullish(),
        p99: latency.nullish(),
      })
      .superRefine((percentiles, ctx) => {
        const stated = PERCENTILES.filter((name) => percentiles[name] != null);
        for (const [index, higher] of stated.entries()) {
          const lower = stated[index - 1];
          if (lower === undefined || percentiles[higher]! >= percentiles[lower]!) continue;
          ctx.addIssue({
            code: 'custom',
            path: [higher],
            message: `${higher} ${percentiles[higher]} is below ${lower} ${percentiles[lower]}; percentiles cannot decrease`,
          });
        }
      }),
  });
};
const LatencySummary = latencySummary('ms');
type LatencySummary = z.infer<typeof LatencySummary>;

const MeanSummary = z.object({ mean: positive });

/** Only successful requests count: errored and cancelled ones would skew latency and throughput. */
const ofSuccessful = <T extends z.ZodType>(summary: T) => z.object({ successful: summary });

const GuidellmMetrics = z.object({
  time_to_first_token_ms: ofSuccessful(LatencySummary),
  inter_token_latency_ms: ofSuccessful(LatencySummary),
  /** Seconds, unlike the other latencies. */
  request_latency: ofSuccessful(latencySummary('s')),
  prompt_token_count: ofSuccessful(MeanSummary),
  output_token_count: ofSuccessful(MeanSummary),
  requests_per_second: ofSuccessful(MeanSummary).optional(),
  output_tokens_per_second: ofSuccessful(MeanSummary).optional(),
});

const STRATEGY_TYPES = ['synchronous', 'concurrent', 'throughput', 'constant', 'poisson'] as const;

function strategyTypeProblem(strategy: unknown): string {
  const type =
    typeof strategy === 'object' && strategy !== null ? (strategy as { type_?: unknown }).type_ : undefined;
  const known = STRATEGY_TYPES.join(', ');
  return type === undefined
    ? `missing, expected one of ${known}`
    : `unknown strategy ${JSON.stringify(type)}; Compass reads ${known}`;
}

const GuidellmStrategy = z.discriminatedUnion(
  'type_',
  [
    z.object({ type_: z.literal('synchronous') }),
    z.object({ type_: z.literal('concurrent'), streams: z.number().int().positive() }),
    z.object({ type_: z.literal('throughput') }),
    z.object({ type_: z.enum(['constant', 'poisson']), rate: positive }),
  ],
  { error: (issue) => (issue.code === 'invalid_union' ? strategyTypeProblem(issue.input) : undefined) },
);
type GuidellmStrategy = z.infer<typeof GuidellmStrategy>;

const StrategyHolder = z.object({ strategy: GuidellmStrategy.optional() }).optional();

const GuidellmBenchmark = z
  .object({
    /** guidellm ≥ 0.4 */
    config: StrategyHolder,
    /** guidellm 0.2–0.3 */
    args: StrategyHolder,
    metrics: GuidellmMetrics,
  })
  .superRefine(
    (benchmark, ctx) => {
      if (benchmark.config?.strategy === undefined && benchmark.args?.strategy === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['config', 'strategy'],
          message:
            'missing, expected the strategy under config.strategy (guidellm ≥ 0.4) or args.strategy (0.2–0.3)',
        });
      }
    },
    // Also when the metrics are broken, so that one pass names every problem.
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );

/** The part of a GuideLLM report Compass reads. */
const GuidellmReport = z.object({
  benchmarks: z.array(GuidellmBenchmark).min(1, 'is empty, expected at least one benchmark'),
});

/** What the report cannot say: what was served, on which hardware, and where the numbers came from. */
const GuidellmTarget = BenchmarkPoint.pick({ modelId: true, gpuId: true, tensorParallel: true, source: true })
  .extend({
    /** Defaults to tensorParallel: one replica. */
    gpuCount: BenchmarkPoint.shape.gpuCount.optional(),
    precision: Precision.default('bf16'),
  })
  .refine((target) => target.gpuCount === undefined || target.gpuCount % target.tensorParallel === 0, {
    path: ['gpuCount'],
    message: 'must be a multiple of tensorParallel',
  });
export type GuidellmTarget = z.input<typeof GuidellmTarget>;

export class GuidellmReportError extends Error {
  constructor(readonly problems: readonly string[]) {
    const zeroHint = problems.some((problem) => problem.endsWith('got 0'))
      ? '\nA 0 usually means a benchmark had no successful requests: re-run it or remove it from the report.'
      : '';
    super(
      `Cannot use this GuideLLM report (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}):\n` +
        problems.map((problem) => `  - ${problem}`).join('\n') +
        zeroHint,
    );
    this.name = 'GuidellmReportError';
  }
}

/**
 * Every sweep point of a GuideLLM report as a measured serving point, or a GuidellmReportError naming every problem:
 * never some points of a broken report.
 */
export function parseGuidellmReport(report: unknown, target: GuidellmTarget): BenchmarkPoint[] {
  const parsedTarget = GuidellmTarget.safeParse(target, { reportInput: true });
  const parsedReport = GuidellmReport.safeParse(report, { reportInput: true });
  const problems = [
    ...(parsedTarget.success
      ? []
      : parsedTarget.error.issues.map((issue) => describeIssue(issue, ['target']))),
    ...(parsedReport.success ? [] : parsedReport.error.issues.map((issue) => describeIssue(issue, []))),
  ];
  if (!parsedTarget.success || !parsedReport.success) throw new GuidellmReportError(problems);

  const { gpuCount, ...served } = parsedTarget.data;
  return parsedReport.data.benchmarks.map(({ config, args, metrics }) => ({
    ...served,
    gpuCount: gpuCount ?? served.tensorParallel,
    promptTokens: metrics.prompt_token_count.successful.mean,
    outputTokens: metrics.output_token_count.successful.mean,
    // The refinement above guarantees one of the two.
    load: loadOf((config?.strategy ?? args?.strategy)!),
    ttftMs: latencyStats(metrics.time_to_first_token_ms.successful, 1),
    itlMs: latencyStats(metrics.inter_token_latency_ms.successful, 1),
    e2eMs: latencyStats(metrics.request_latency.successful, 1000),
    requestsPerSec: metrics.requests_per_second?.successful.mean ?? null,
    outputTokensPerSec: metrics.output_tokens_per_second?.successful.mean ?? null,
  }));
}

function loadOf(strategy: GuidellmStrategy): BenchmarkLoad {
  switch (strategy.type_) {
    case 'synchronous':
      return { kind: 'concurrency', value: 1 };
    case 'concurrent':
      return { kind: 'concurrency', value: strategy.streams };
    case 'throughput':
      return { kind: 'max' };
    case 'constant':
    case 'poisson':
      return { kind: 'rate', value: strategy.rate };
  }
}

function latencyStats({ mean, percentiles }: LatencySummary, msPerUnit: number): LatencyStats {
  // 12 significant digits drop float noise: 2.3307 s reads 2330.7 ms, not 2330.7000000000003.
  const ms = (value: number | null | undefined) =>
    value == null ? null : Number((value * msPerUnit).toPrecision(12));
  return {
    mean: ms(mean),
    p50: ms(percentiles.p50),
    p90: ms(percentiles.p90),
    p95: ms(percentiles.p95),
    p99: ms(percentiles.p99),
  };
}

const EXPECTED: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  object: 'an object',
  array: 'an array',
};

function describeIssue(issue: z.core.$ZodIssue, prefix: PropertyKey[]): string {
  return `${fieldPath([...prefix, ...issue.path]) || 'report'}: ${describeProblem(issue)}`;
}

function describeProblem(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    const expected = EXPECTED[issue.expected] ?? issue.expected;
    // JSON.parse reads 1e999 as Infinity; JSON.stringify would print it as null.
    if (typeof issue.input === 'number' && !Number.isFinite(issue.input))
      return `expected a finite number, got ${issue.input}`;
    return issue.input === undefined
      ? `missing, expected ${expected}`
      : `expected ${expected}, got ${describeValue(issue.input)}`;
  }
  if (issue.code === 'too_small' && issue.origin === 'number') {
    return `expected a positive number, got ${describeValue(issue.input)}`;
  }
  if (issue.code === 'invalid_value') {
    return `expected one of ${issue.values.join(', ')}, got ${describeValue(issue.input)}`;
  }
  return issue.message;
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
