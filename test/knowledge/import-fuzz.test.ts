import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BenchmarkPoint, Model } from '../../src/knowledge/catalog.js';
import type { GuidellmTarget } from '../../src/knowledge/guidellm.js';
import { GuidellmReportError, parseGuidellmReport } from '../../src/knowledge/guidellm.js';
import { HfConfigError, importedModel, readHfConfig } from '../../src/knowledge/hf-config.js';
import { packageRoot } from '../../src/paths.js';
import { quietMs } from '../support/timing.js';

const fixtures = join(packageRoot, 'test', 'fixtures');
type Json = Record<string, unknown>;
const json = (...path: string[]): Json => JSON.parse(readFileSync(join(fixtures, ...path), 'utf8'));
const sweep = () => json('guidellm', 'llama-3.1-8b-h100-sweep.json');
const target: GuidellmTarget = { modelId: 'm/m', gpuId: 'H100', tensorParallel: 1, source: 'fuzz' };

// biome-ignore lint/suspicious/noExplicitAny: reports are edited freely to break them
const ttftPercentiles = (report: any) =>
  report.benchmarks[0].metrics.time_to_first_token_ms.successful.percentiles;

function problemsOf(report: unknown): readonly string[] {
  try {
    parseGuidellmReport(report, target);
  } catch (error) {
    if (error instanceof GuidellmReportError) return error.problems;
    throw error;
  }
  return [];
}

describe('GuideLLM import refuses impossible latencies (issue 16: Infinity and p50 > p99 were imported)', () => {
  it('a percentile of 1e999 (Infinity once parsed) is named as such', () => {
    const edited = sweep();
    ttftPercentiles(edited).p99 = 'INFINITE';
    const report = JSON.parse(JSON.stringify(edited).replace('"INFINITE"', '1e999'));
    expect(problemsOf(report)).toEqual([
      'benchmarks[0].metrics.time_to_first_token_ms.successful.percentiles.p99: expected a finite number, got Infinity',
    ]);
    const direct = sweep();
    ttftPercentiles(direct).p95 = Number.POSITIVE_INFINITY;
    expect(problemsOf(direct)).toEqual([
      'benchmarks[0].metrics.time_to_first_token_ms.successful.percentiles.p95: expected a finite number, got Infinity',
    ]);
  });

  it('a request latency of 1e308 s (infinite once in milliseconds) is refused as over a day', () => {
    // The fuzz test's counterexample: it was imported as an Infinity ms point that failed the point schema.
    const report = sweep() as {
      benchmarks: { metrics: Record<string, { successful: { percentiles: object } }> }[];
    };
    const percentiles = report.benchmarks[1]!.metrics.request_latency!.successful.percentiles as {
      p99: number;
    };
    percentiles.p99 = 1e308;
    expect(problemsOf(report)).toEqual([
      'benchmarks[1].metrics.request_latency.successful.percentiles.p99: is over a day (86400 s): not a serving latency',
    ]);
  });

  it('a median above the tail is refused with both figures', () => {
    const report = sweep();
    const percentiles = ttftPercentiles(report);
    percentiles.p50 = percentiles.p99 * 3;
    expect(problemsOf(report)).toEqual([
      `benchmarks[0].metrics.time_to_first_token_ms.successful.percentiles.p90: p90 ${percentiles.p90} is below p50 ${percentiles.p50}; percentiles cannot decrease`,
    ]);
  });

  it('a missing percentile is skipped in the order check, not taken as zero', () => {
    const report = sweep();
    const percentiles = ttftPercentiles(report);
    percentiles.p90 = null;
    percentiles.p95 = null;
    expect(problemsOf(report)).toEqual([]);
    percentiles.p99 = percentiles.p50 / 2;
    expect(problemsOf(report)).toEqual([expect.stringMatching(/p99 [\d.]+ is below p50/)]);
  });
});

/** A JSON value somewhere in a document replaced by an arbitrary one: what a broken or hostile file holds. */
function mutate(document: Json, path: (string | number)[], value: unknown): Json {
  const copy = structuredClone(document);
  let node: unknown = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return copy;
    node = (node as Record<string | number, unknown>)[key];
  }
  if (typeof node === 'object' && node !== null)
    (node as Record<string | number, unknown>)[path.at(-1)!] = value;
  return copy;
}

/** Paths to every value of a document, so a mutation can land anywhere in it. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const entries = Array.isArray(value)
    ? value.map((item, index) => [index, item] as const)
    : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, item]) => pathsOf(item, [...prefix, key]))].filter(
    (path) => path.length > 0,
  );
}

const hostileValue = fc.oneof(
  fc.double(),
  fc.constantFrom(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 0, -1, 1e308, 2 ** 53 + 1),
  fc.integer(),
  fc.string({ maxLength: 20 }),
  fc.constantFrom(null, undefined, true, [], {}),
  fc.jsonValue({ maxDepth: 2 }),
);

describe('imports, fuzzed: 0 crashes, 0 inputs over 100 ms, nothing invalid imported', () => {
  it('GuideLLM reports: a valid point for every benchmark, or a GuidellmReportError', () => {
    const base = sweep();
    const paths = pathsOf(base).filter((path) => !path.includes('requests'));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...paths), hostileValue), { minLength: 1, maxLength: 4 }),
        (edits) => {
          const report = edits.reduce((document, [path, value]) => mutate(document, path, value), base);
          let points: BenchmarkPoint[] | undefined;
          let failure: unknown;
          const ms = quietMs(() => {
            try {
              points = parseGuidellmReport(report, target);
            } catch (error) {
              failure = error;
            }
          }, 100);
          expect(ms).toBeLessThan(100);
          if (failure !== undefined) {
            expect(failure).toBeInstanceOf(GuidellmReportError);
            return;
          }
          for (const point of points!) {
            expect(BenchmarkPoint.safeParse(point).success).toBe(true);
            for (const stats of [point.ttftMs, point.itlMs, point.e2eMs]) {
              const stated = [stats.p50, stats.p90, stats.p95, stats.p99].filter((value) => value !== null);
              for (const value of stated) expect(Number.isFinite(value)).toBe(true);
              expect(stated).toEqual([...stated].sort((a, b) => a! - b!));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('Hugging Face config.json files: a valid model, or an HfConfigError naming the problem', () => {
    const configs = readdirSync(join(fixtures, 'hf-configs'))
      .filter((file) => file.endsWith('.json'))
      .map((file) => json('hf-configs', file));
    fc.assert(
      fc.property(
        fc.constantFrom(...configs),
        fc.array(fc.tuple(fc.nat(), hostileValue), { minLength: 1, maxLength: 4 }),
        (config, edits) => {
          const paths = pathsOf(config);
          const broken = edits.reduce(
            (document, [at, value]) => mutate(document, paths[at % paths.length]!, value),
            config,
          );
          let model: Model | undefined;
          let failure: unknown;
          const ms = quietMs(() => {
            try {
              model = importedModel(readHfConfig(broken), {
                id: 'fuzz/model',
                tasks: ['chatbot_conversational'],
                sourceUrl: 'file:///tmp/config.json',
              });
            } catch (error) {
              failure = error;
            }
          }, 100);
          expect(ms).toBeLessThan(100);
          if (failure !== undefined) expect(failure, String(failure)).toBeInstanceOf(HfConfigError);
          else expect(Model.safeParse(model).success).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('config.json figures too big to be real are refused, never built into arrays (CI counterexample)', () => {
  const importOf = (config: Json) =>
    importedModel(readHfConfig(config), {
      id: 'fuzz/model',
      tasks: ['chatbot_conversational'],
      sourceUrl: 'file:///tmp/config.json',
    });
  const problemsOfConfig = (config: Json): readonly string[] => {
    try {
      importOf(config);
    } catch (error) {
      if (error instanceof HfConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it.each([2147483647, 1e308])(
    'a llama4 config with num_hidden_layers %d is an HfConfigError naming the field, not a RangeError',
    (huge) => {
      const config = json('hf-configs', 'Llama-4-Scout-17B-16E-Instruct.json');
      const broken = mutate(config, ['text_config', 'num_hidden_layers'], huge);
      expect(problemsOfConfig(broken)).toContain(
        `text_config.num_hidden_layers is ${huge}, more than any real config holds (at most 4096)`,
      );
    },
  );

  it('every string field of every fixture, set to a name Object.prototype holds, is refused or imported valid (CI counterexample: model_type "toString")', () => {
    for (const file of readdirSync(join(fixtures, 'hf-configs')).filter((name) => name.endsWith('.json'))) {
      const config = json('hf-configs', file);
      const textual = pathsOf(config).filter(
        (path) =>
          typeof path.reduce<unknown>(
            (node, key) => (node as Record<string | number, unknown>)[key],
            config,
          ) === 'string',
      );
      for (const path of textual) {
        for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
          const where = `${file} ${path.join('.')}=${name}`;
          let model: Model | undefined;
          try {
            model = importOf(mutate(config, path, name));
          } catch (error) {
            expect(error, `${where}: ${String(error)}`).toBeInstanceOf(HfConfigError);
          }
          if (model) expect(Model.safeParse(model).success, where).toBe(true);
        }
      }
    }
  });

  it('every whole-number field of every fixture, set to 2147483647 or 1e308, is refused or imported finite', () => {
    for (const file of readdirSync(join(fixtures, 'hf-configs')).filter((name) => name.endsWith('.json'))) {
      const config = json('hf-configs', file);
      const numeric = pathsOf(config).filter((path) => {
        const value = path.reduce<unknown>(
          (node, key) => (node as Record<string | number, unknown>)[key],
          config,
        );
        return typeof value === 'number' && Number.isInteger(value);
      });
      for (const path of numeric) {
        for (const huge of [2147483647, 1e308]) {
          const broken = mutate(config, path, huge);
          let model: Model | undefined;
          const ms = quietMs(() => {
            try {
              model = importOf(broken);
            } catch (error) {
              expect(error, `${file} ${path.join('.')}=${huge}: ${String(error)}`).toBeInstanceOf(
                HfConfigError,
              );
            }
          }, 100);
          expect(ms, `${file} ${path.join('.')}=${huge}`).toBeLessThan(100);
          if (model) expect(Model.safeParse(model).success, `${file} ${path.join('.')}=${huge}`).toBe(true);
        }
      }
    }
  });
});
