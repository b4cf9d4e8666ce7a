/**
 * The public serving measurements in data/benchmarks/ are facts with sources: every file is read, every run says
 * where it was published (a GitHub page pinned to a commit) and which vLLM served it, and no run is counted twice
 * across files (a double-counted run would weigh one source twice in the leave-one-source-out score).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servedPrecisionOf } from '../../src/knowledge/catalog.js';
import { readCatalogFiles } from '../../src/knowledge/data-files.js';
import { MEASUREMENT_FILES, readMeasurementFiles } from '../../src/knowledge/measurements.js';
import { packageRoot } from '../../src/paths.js';
import { gpusWithVariants } from '../../src/planner/public-measurements.js';

const dir = join(packageRoot, 'data', 'benchmarks');
const measurements = readMeasurementFiles();

describe('public serving measurement files', () => {
  it('are all read: every file of serving series is one the bench and the tests score', () => {
    const withSeries = readdirSync(dir)
      .filter((file) => file.endsWith('.json'))
      .filter((file) => 'series' in (JSON.parse(readFileSync(join(dir, file), 'utf8')) as object));
    expect(withSeries.sort()).toEqual([...MEASUREMENT_FILES].sort());
  });

  it('source every run: a web page, GitHub pages pinned to a commit, and the engine release or null', () => {
    for (const series of measurements.series) {
      expect(series.source.url, series.id).toMatch(/^https:\/\//);
      if (series.source.url.startsWith('https://github.com/')) {
        expect(series.source.url, series.id).toMatch(
          /^https:\/\/github\.com\/[^/]+\/[^/]+\/blob\/[0-9a-f]{7,40}\//,
        );
      }
      if (series.engine.vllm) expect(series.engine.version, series.id).not.toBeUndefined();
      for (const { point } of series.points) expect(point.source.length, series.id).toBeGreaterThan(0);
    }
  });

  it('count no run twice across files', () => {
    const keys = measurements.series.flatMap((series) =>
      series.points.map(({ point }) =>
        JSON.stringify([
          series.source.url,
          point.modelId,
          point.gpuId,
          point.tensorParallel,
          point.promptTokens,
          point.outputTokens,
          point.load,
          point.ttftMs.mean,
          point.itlMs.mean,
          point.requestsPerSec,
        ]),
      ),
    );
    const repeated = keys.filter((key, i) => keys.indexOf(key) !== i);
    expect(repeated).toEqual([]);
  });

  it('ran on GPUs the catalog (or a listed hardware variant) knows', () => {
    const gpus = new Set(gpusWithVariants(readCatalogFiles().gpus, measurements).map((gpu) => gpu.id));
    const unknown = measurements.series.flatMap((series) =>
      series.points.filter(({ point }) => !gpus.has(point.gpuId)).map(() => series.id),
    );
    expect(unknown).toEqual([]);
  });
});

describe('checkpoints a measurement names', () => {
  it('are ones the catalog lists for the point’s model and precision, so the run is priced as it was served', () => {
    const models = readCatalogFiles().models;
    const named = measurements.series.flatMap((series) =>
      series.points.flatMap(({ point }) => (point.checkpoint === undefined ? [] : [{ series, point }])),
    );
    expect(named.length).toBeGreaterThan(0);
    for (const { series, point } of named) {
      const model = models.find((m) => m.id === point.modelId);
      expect(model && servedPrecisionOf(model, point.precision, point.checkpoint), series.id).toBeTruthy();
    }
  });
});

describe('the Qwen3.5-35B-A3B H200 latency page (gpustack performance lab)', () => {
  // The page serves Qwen/Qwen3.5-35B-A3B-FP8 under every heading that names Quantization, sub-sections included: its
  // summary table lists "Cuda Graph && Quantization" (Size 256 / 512) and "Max Batch Token && Quantization" (16k /
  // 32k) as FP8 groups, and their E2E at 8 req/s (3.54–3.82 s) is the FP8 run's (3.53 s), not BF16's (5.32 s).
  it('reads only the vLLM baseline at 8 req/s as BF16; the Quantization groups are FP8', () => {
    const page = measurements.series.filter(
      (series) =>
        series.source.url.endsWith('/qwen3.5-35b-a3b/h200-latency.md') &&
        series.points.some(({ point }) => point.load.kind === 'rate' && point.load.value === 8),
    );
    const bf16 = page.filter((series) => series.points.some(({ point }) => point.precision === 'bf16'));
    expect(page.length).toBe(8);
    expect(bf16.map((series) => series.engine.note)).toEqual([expect.stringContaining("section 'vLLM'")]);
    for (const series of page.filter((s) => !bf16.includes(s))) {
      expect(series.engine.note, series.id).toMatch(
        /section '[^']*Quantization'.*checkpoint Qwen\/Qwen3\.5-35B-A3B-FP8/,
      );
    }
  });
});

describe('the gpt-oss-20b H100 page (gpustack performance lab)', () => {
  // Section 5's serving script names openai/gpt-oss-120b, but its benchmark sends --model openai/gpt-oss-20b (a
  // server of the 120b would refuse it) and the run repeats the async-scheduling run's inputs: a gpt-oss-20b run.
  it('reads every run on the page as gpt-oss-20b, section 5 included', () => {
    const page = measurements.series.filter((series) => series.source.url.endsWith('/gpt-oss-20b/h100.md'));
    expect(page.some((series) => series.engine.note?.includes("section '5. Tuning"))).toBe(true);
    for (const series of page)
      for (const { point } of series.points) expect(point.modelId, series.id).toBe('openai/gpt-oss-20b');
  });
});
