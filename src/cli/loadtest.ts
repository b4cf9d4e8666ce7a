/**
 * `compass loadtest ENDPOINT`: drives an OpenAI-compatible server through a sweep of loads and writes a GuideLLM
 * report (the format `compass benchmarks import` reads). Progress goes to stderr; the report to --out, or as the
 * last stdout line (one JSON line, so a Job's log carries it).
 */
import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import {
  CAPACITY_SHARES,
  completionsClient,
  type LoadPoint,
  LoadtestSettings,
  loadtestReport,
  type PointResult,
  type Progress,
  runLoadtest,
  servedModel,
} from '../loadtest/index.js';
import { type CliIo, UsageError, writeLine } from './io.js';
import { stopRequested } from './signals.js';

const numberList = z
  .string()
  .transform((text) => text.split(',').map((part) => Number(part.trim())))
  .pipe(z.array(z.number().positive()).min(1));

const LoadtestFlags = z.object({
  model: z.string().min(1).optional(),
  promptTokens: z.coerce.number().int().positive(),
  outputTokens: z.coerce.number().int().positive(),
  lengthCv: z.coerce.number().min(0).max(2).default(0),
  rate: numberList.optional(),
  concurrency: numberList.pipe(z.array(z.number().int())).optional(),
  capacity: z.coerce.number().positive().optional(),
  arrivals: z.enum(['constant', 'poisson']).default('constant'),
  maxRequests: z.coerce.number().int().positive().default(100),
  maxSeconds: z.coerce.number().positive().default(60),
  drainSeconds: z.coerce.number().positive().default(30),
  seed: z.coerce.number().int().nonnegative().default(1),
  warmup: z.coerce.number().int().nonnegative().default(1),
  out: z.string().min(1).optional(),
});
export type LoadtestFlags = z.input<typeof LoadtestFlags>;

/** The run the flags describe: exactly one of --rate, --concurrency and --capacity picks the points. */
export function loadtestSettings(
  endpoint: string,
  flags: LoadtestFlags,
): LoadtestSettings & { out?: string } {
  const parsed = LoadtestFlags.safeParse(flags);
  if (!parsed.success) {
    throw new UsageError(
      parsed.error.issues
        .map(
          (issue) =>
            `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${issue.message}`,
        )
        .join('; '),
    );
  }
  const { rate, concurrency, capacity, arrivals, ...rest } = parsed.data;
  const given = [rate, concurrency, capacity].filter((value) => value !== undefined).length;
  if (given !== 1)
    throw new UsageError('give exactly one of --rate R[,R…], --concurrency N[,N…] or --capacity RPS');
  const rates =
    rate ?? (capacity === undefined ? undefined : CAPACITY_SHARES.map((share) => share * capacity));
  const points: LoadPoint[] = rates
    ? rates.map((value) => ({ kind: arrivals, rate: Number(value.toPrecision(6)) }))
    : concurrency!.map((streams) => ({ kind: 'concurrent', streams }));
  const settings = LoadtestSettings.safeParse({
    endpoint,
    model: rest.model ?? null,
    lengths: { promptTokens: rest.promptTokens, outputTokens: rest.outputTokens, lengthCv: rest.lengthCv },
    points,
    maxRequests: rest.maxRequests,
    maxSeconds: rest.maxSeconds,
    drainSeconds: rest.drainSeconds,
    seed: rest.seed,
    warmupRequests: rest.warmup,
  });
  if (!settings.success) throw new UsageError(`ENDPOINT must be an http(s) URL, got "${endpoint}"`);
  return { ...settings.data, ...(rest.out !== undefined && { out: rest.out }) };
}

function describePoint(point: LoadPoint): string {
  return point.kind === 'concurrent' ? `${point.streams} concurrent` : `${point.rate} req/s ${point.kind}`;
}

export function formatProgress(progress: Progress): string {
  return (
    `point ${progress.pointIndex + 1}/${progress.points} (${describePoint(progress.point)}): ` +
    `${progress.completed}/${progress.sent} done, ${progress.failed} failed, ${progress.elapsedSec.toFixed(1)} s`
  );
}

/** One line per point: achieved rate and the means and p95s a reader compares. */
export function formatSummary(report: ReturnType<typeof loadtestReport>): string {
  const rows = report.benchmarks.map((benchmark) => {
    const { metrics, config, run_stats: stats } = benchmark;
    const strategy = config.strategy as { type_: string; rate?: number; streams?: number };
    const load = strategy.streams !== undefined ? `${strategy.streams} conc` : `${strategy.rate} req/s`;
    const ms = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(1));
    return [
      load.padEnd(14),
      ms(metrics.requests_per_second.successful?.mean).padStart(8),
      ms(metrics.time_to_first_token_ms.successful?.mean).padStart(10),
      ms(metrics.time_to_first_token_ms.successful?.percentiles.p95).padStart(10),
      ms(metrics.inter_token_latency_ms.successful?.mean).padStart(9),
      ms(metrics.inter_token_latency_ms.successful?.percentiles.p95).padStart(9),
      ms((metrics.request_latency.successful?.percentiles.p95 ?? 0) * 1000).padStart(10),
      `${stats.requests_made.successful}/${stats.requests_made.total}`.padStart(9),
    ].join(' ');
  });
  const header = [
    'load'.padEnd(14),
    'req/s'.padStart(8),
    'TTFT mean'.padStart(10),
    'TTFT p95'.padStart(10),
    'ITL mean'.padStart(9),
    'ITL p95'.padStart(9),
    'E2E p95'.padStart(10),
    'ok/total'.padStart(9),
  ].join(' ');
  return [header, ...rows].join('\n');
}

export async function loadtestCommand(io: CliIo, endpoint: string, flags: LoadtestFlags): Promise<void> {
  const settings = loadtestSettings(endpoint, flags);
  const model = settings.model ?? (await servedModel(settings.endpoint));
  const stop = new AbortController();
  void stopRequested().then(() => stop.abort());
  const results: PointResult[] = await runLoadtest(settings, {
    send: completionsClient(settings.endpoint, model),
    signal: stop.signal,
    onProgress: (progress) => writeLine(io.stderr, `compass loadtest: ${formatProgress(progress)}`),
  });
  const report = loadtestReport(settings, model, results);
  writeLine(io.stderr, formatSummary(report));
  if (settings.out !== undefined) {
    await writeFile(settings.out, `${JSON.stringify(report, null, 2)}\n`);
    writeLine(io.stdout, `Wrote ${report.benchmarks.length} benchmarks to ${settings.out}`);
  } else {
    writeLine(io.stdout, JSON.stringify(report));
  }
  if (stop.signal.aborted)
    throw new Error('stopped before the sweep ended; the report holds the points run so far');
}
