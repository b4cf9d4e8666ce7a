import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BenchmarkPoint } from '../../src/knowledge/catalog.js';
import type { GuidellmTarget } from '../../src/knowledge/guidellm.js';
import { GuidellmReportError, parseGuidellmReport } from '../../src/knowledge/guidellm.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'guidellm');
/** guidellm ≥ 0.4 layout: sweep of synchronous, throughput and three constant rates; 512 in / 256 out. */
const SWEEP = 'llama-3.1-8b-h100-sweep.json';
/** guidellm 0.3 layout (args.strategy): concurrent profile at 1, 8 and 32 streams; 1024 in / 128 out. */
const CONCURRENCY_V03 = 'llama-3.1-8b-h100-concurrency-v0.3.json';

// A fresh copy each time, for the tests to break.
// biome-ignore lint/suspicious/noExplicitAny: reports are mutated freely to build malformed variants
const report = (file: string): any => JSON.parse(readFileSync(join(fixtures, file), 'utf8'));

const target: GuidellmTarget = {
  modelId: 'meta-llama/Llama-3.1-8B-Instruct',
  gpuId: 'H100',
  tensorParallel: 1,
  source: 'guidellm sweep 2025-07-08',
};

function problemsOf(input: unknown, to: GuidellmTarget = target): readonly string[] {
  try {
    parseGuidellmReport(input, to);
  } catch (error) {
    expect(error).toBeInstanceOf(GuidellmReportError);
    return (error as GuidellmReportError).problems;
  }
  throw new Error('expected the report to be rejected');
}

describe('parseGuidellmReport on a good report', () => {
  it('turns every sweep point into a valid measured point, mapping each strategy to its load', () => {
    const points = parseGuidellmReport(report(SWEEP), target);
    expect(points).toHaveLength(5);
    for (const point of points) expect(BenchmarkPoint.parse(point)).toEqual(point);
    expect(points.map((point) => point.load)).toEqual([
      { kind: 'concurrency', value: 1 },
      { kind: 'max' },
      { kind: 'rate', value: 8.4528 },
      { kind: 'rate', value: 16.3185 },
      { kind: 'rate', value: 24.1843 },
    ]);
  });

  it('converts request latency from seconds to milliseconds and keeps the other latencies as they are', () => {
    const [synchronous] = parseGuidellmReport(report(SWEEP), target);
    // Fixture values: request_latency mean 1.7053 s, p50 1.7021, p90 1.7302, p95 1.7418, p99 1.8127.
    expect(synchronous!.e2eMs).toEqual({ mean: 1705.3, p50: 1702.1, p90: 1730.2, p95: 1741.8, p99: 1812.7 });
    expect(synchronous!.ttftMs).toEqual({ mean: 19.4, p50: 18.6, p90: 21.9, p95: 23.8, p99: 29.7 });
    expect(synchronous!.itlMs).toEqual({ mean: 6.61, p50: 6.58, p90: 6.72, p95: 6.79, p99: 7.04 });
    expect(synchronous!.requestsPerSec).toBe(0.587);
    expect(synchronous!.outputTokensPerSec).toBe(150.3);
  });

  it('uses the mean token counts of successful requests, fractional or not', () => {
    const points = parseGuidellmReport(report(SWEEP), target);
    expect(points.map((point) => point.promptTokens)).toEqual([512, 512, 512, 512, 512]);
    expect(points.map((point) => point.outputTokens)).toEqual([256, 256, 255.97, 255.94, 255.91]);
  });

  it('reads every point against the raw report (same order, e2e × 1000)', () => {
    const raw = report(SWEEP);
    const points = parseGuidellmReport(raw, target);
    points.forEach((point, index) => {
      const metrics = raw.benchmarks[index].metrics;
      expect(point.e2eMs.p99).toBeCloseTo(metrics.request_latency.successful.percentiles.p99 * 1000, 6);
      expect(point.ttftMs.p95).toBe(metrics.time_to_first_token_ms.successful.percentiles.p95);
      expect(point.itlMs.p50).toBe(metrics.inter_token_latency_ms.successful.percentiles.p50);
    });
    // Saturation shows up where it should: the throughput point queues, the synchronous one does not.
    expect(points[1]!.ttftMs.p50).toBeGreaterThan(100 * points[0]!.ttftMs.p50!);
  });

  it('stamps what the report cannot know: model, GPU, parallelism, precision and source', () => {
    const [point] = parseGuidellmReport(report(SWEEP), target);
    expect(point).toMatchObject({
      modelId: 'meta-llama/Llama-3.1-8B-Instruct',
      gpuId: 'H100',
      tensorParallel: 1,
      gpuCount: 1,
      precision: 'bf16',
      source: 'guidellm sweep 2025-07-08',
    });
    const [fp8] = parseGuidellmReport(report(SWEEP), {
      ...target,
      tensorParallel: 2,
      gpuCount: 4,
      precision: 'fp8',
    });
    expect(fp8).toMatchObject({ tensorParallel: 2, gpuCount: 4, precision: 'fp8' });
    const [tp4] = parseGuidellmReport(report(SWEEP), { ...target, tensorParallel: 4 });
    expect(tp4!.gpuCount).toBe(4);
  });

  it('reads the guidellm 0.3 layout, strategy under args, concurrent streams as concurrency', () => {
    const points = parseGuidellmReport(report(CONCURRENCY_V03), target);
    expect(points.map((point) => point.load)).toEqual([
      { kind: 'concurrency', value: 1 },
      { kind: 'concurrency', value: 8 },
      { kind: 'concurrency', value: 32 },
    ]);
    expect(points.map((point) => point.promptTokens)).toEqual([1024, 1024, 1024]);
    expect(points[2]!.e2eMs.p95).toBe(2010.4);
    for (const point of points) BenchmarkPoint.parse(point);
  });

  it('maps a poisson strategy to its rate', () => {
    const raw = report(CONCURRENCY_V03);
    raw.benchmarks[1].args.strategy = { type_: 'poisson', rate: 7.5, initial_burst: true, random_seed: 42 };
    expect(parseGuidellmReport(raw, target)[1]!.load).toEqual({ kind: 'rate', value: 7.5 });
  });

  it('prefers config.strategy when a benchmark has both', () => {
    const raw = report(SWEEP);
    raw.benchmarks[0].args = { strategy: { type_: 'concurrent', streams: 4 } };
    expect(parseGuidellmReport(raw, target)[0]!.load).toEqual({ kind: 'concurrency', value: 1 });
  });

  it('ignores fields it does not know, including per-request samples', () => {
    const raw = report(SWEEP);
    const before = parseGuidellmReport(raw, target);
    raw.benchmarks[0].requests.successful.push({ whatever: [1, 2, 3] });
    raw.benchmarks[0].metrics.some_future_metric = { successful: 'n/a' };
    raw.benchmarks[0].config.strategy.future_knob = 'x';
    raw.benchmarks[0].metrics.time_to_first_token_ms.successful.percentiles.p42 = 'n/a';
    raw.new_top_level = { anything: true };
    expect(parseGuidellmReport(raw, target)).toEqual(before);
  });

  it('turns missing optional figures into null', () => {
    const raw = report(SWEEP);
    const ttft = raw.benchmarks[2].metrics.time_to_first_token_ms.successful;
    delete ttft.mean;
    delete ttft.percentiles.p95;
    ttft.percentiles.p99 = null;
    delete raw.benchmarks[2].metrics.requests_per_second;
    delete raw.benchmarks[2].metrics.output_tokens_per_second;
    const point = parseGuidellmReport(raw, target)[2]!;
    expect(point.ttftMs).toEqual({ mean: null, p50: 28.1, p90: 40.3, p95: null, p99: null });
    expect(point.requestsPerSec).toBeNull();
    expect(point.outputTokensPerSec).toBeNull();
    BenchmarkPoint.parse(point);
  });
});

describe('parseGuidellmReport on a malformed report', () => {
  it('names the path and the bad value of a non-numeric percentile', () => {
    const raw = report(SWEEP);
    raw.benchmarks[2].metrics.time_to_first_token_ms.successful.percentiles.p95 = 'abc';
    expect(problemsOf(raw)).toEqual([
      'benchmarks[2].metrics.time_to_first_token_ms.successful.percentiles.p95: expected a number, got "abc"',
    ]);
  });

  it('rejects missing required figures: latency medians and token counts', () => {
    const raw = report(SWEEP);
    delete raw.benchmarks[0].metrics.inter_token_latency_ms.successful.percentiles.p50;
    delete raw.benchmarks[1].metrics.request_latency;
    delete raw.benchmarks[3].metrics.output_token_count.successful.mean;
    delete raw.benchmarks[4].metrics.time_to_first_token_ms.successful.percentiles;
    expect(problemsOf(raw)).toEqual([
      'benchmarks[0].metrics.inter_token_latency_ms.successful.percentiles.p50: missing, expected a number',
      'benchmarks[1].metrics.request_latency: missing, expected an object',
      'benchmarks[3].metrics.output_token_count.successful.mean: missing, expected a number',
      'benchmarks[4].metrics.time_to_first_token_ms.successful.percentiles: missing, expected an object',
    ]);
  });

  it('rejects zero and negative latencies, hinting at benchmarks without successful requests', () => {
    const raw = report(SWEEP);
    raw.benchmarks[4].metrics.time_to_first_token_ms.successful.percentiles.p50 = 0;
    raw.benchmarks[4].metrics.request_latency.successful.mean = -1;
    let message = '';
    try {
      parseGuidellmReport(raw, target);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      'benchmarks[4].metrics.time_to_first_token_ms.successful.percentiles.p50: expected a positive number, got 0',
    );
    expect(message).toContain(
      'benchmarks[4].metrics.request_latency.successful.mean: expected a positive number, got -1',
    );
    expect(message).toMatch(/no successful requests/);
  });

  it('names an unknown strategy and where it is', () => {
    const raw = report(SWEEP);
    raw.benchmarks[1].config.strategy = { type_: 'sweep' };
    const problems = problemsOf(raw);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^benchmarks\[1\]\.config\.strategy\.type_: unknown strategy "sweep"/);
    expect(problems[0]).toContain('synchronous, concurrent, throughput, constant, poisson');
  });

  it('rejects strategies without their load: a rate, a stream count, or a kind at all', () => {
    const raw = report(SWEEP);
    delete raw.benchmarks[2].config.strategy.rate;
    raw.benchmarks[3].config.strategy = { type_: 'concurrent', streams: 2.5 };
    delete raw.benchmarks[4].config.strategy.type_;
    const legacy = report(CONCURRENCY_V03);
    delete legacy.benchmarks[0].args.strategy.streams;
    expect(problemsOf(raw)).toEqual([
      'benchmarks[2].config.strategy.rate: missing, expected a number',
      'benchmarks[3].config.strategy.streams: expected a whole number, got 2.5',
      expect.stringMatching(
        /^benchmarks\[4\]\.config\.strategy\.type_: missing, expected one of synchronous/,
      ),
    ]);
    expect(problemsOf(legacy)).toEqual(['benchmarks[0].args.strategy.streams: missing, expected a number']);
  });

  it('rejects a benchmark with no strategy in either layout', () => {
    const raw = report(SWEEP);
    delete raw.benchmarks[0].config;
    expect(problemsOf(raw)).toEqual([
      expect.stringMatching(/^benchmarks\[0\]\.config\.strategy: missing.*args\.strategy/),
    ]);
  });

  it('lists every problem at once, strategy and metrics of the same benchmark included, and returns nothing', () => {
    const raw = report(SWEEP);
    delete raw.benchmarks[0].config;
    raw.benchmarks[0].metrics.prompt_token_count.successful.mean = '512';
    raw.benchmarks[1].config.strategy.type_ = 'replay';
    raw.benchmarks[1].metrics.inter_token_latency_ms = [];
    raw.benchmarks[4].metrics.output_tokens_per_second.successful.mean = null;
    const problems = problemsOf(raw);
    expect(problems).toEqual([
      'benchmarks[0].metrics.prompt_token_count.successful.mean: expected a number, got "512"',
      expect.stringMatching(/^benchmarks\[0\]\.config\.strategy: missing/),
      expect.stringMatching(/^benchmarks\[1\]\.config\.strategy\.type_: unknown strategy "replay"/),
      'benchmarks[1].metrics.inter_token_latency_ms: expected an object, got an array',
      'benchmarks[4].metrics.output_tokens_per_second.successful.mean: expected a number, got null',
    ]);
    expect(() => parseGuidellmReport(raw, target)).toThrow(/Cannot use this GuideLLM report \(5 problems\)/);
  });

  it('rejects a report without benchmarks, an empty one, and what is not a report at all', () => {
    expect(problemsOf({ benchmarks: [] })).toEqual(['benchmarks: is empty, expected at least one benchmark']);
    expect(problemsOf({ results: [] })).toEqual(['benchmarks: missing, expected an array']);
    expect(problemsOf({ benchmarks: [5] })).toEqual(['benchmarks[0]: expected an object, got 5']);
    expect(problemsOf(null)).toEqual(['report: expected an object, got null']);
    expect(problemsOf([report(SWEEP)])).toEqual(['report: expected an object, got an array']);
  });

  it('rejects an impossible target alongside the report problems', () => {
    const raw = report(SWEEP);
    raw.benchmarks[0].metrics.time_to_first_token_ms.successful.mean = 'fast';
    const problems = problemsOf(raw, { ...target, tensorParallel: 0, precision: 'fp4' as never, source: '' });
    expect(problems).toContain('target.tensorParallel: expected a positive number, got 0');
    expect(problems).toContain(
      'target.precision: expected one of bf16, fp8, w8a8, int4, mxfp4, nvfp4, got "fp4"',
    );
    expect(problems.some((problem) => problem.startsWith('target.source'))).toBe(true);
    expect(problems).toContain(
      'benchmarks[0].metrics.time_to_first_token_ms.successful.mean: expected a number, got "fast"',
    );
    expect(problemsOf(report(SWEEP), { ...target, tensorParallel: 2, gpuCount: 3 })).toEqual([
      'target.gpuCount: must be a multiple of tensorParallel',
    ]);
  });
});
