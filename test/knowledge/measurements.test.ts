/**
 * The public measurements of data/benchmarks/ reach the planner: `readMeasurementFiles` validates them, the snapshot
 * a process opens carries them, and the planner calibrates on them (a fresh install used to estimate with the
 * textbook factors while showing error bands of the calibrated model).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Knowledge } from '../../src/knowledge/catalog.js';
import { DataFileError, readCatalogFiles } from '../../src/knowledge/data-files.js';
import { MEASUREMENT_FILES, readMeasurementFiles } from '../../src/knowledge/measurements.js';
import { type KnowledgeBase, openKnowledgeBase } from '../../src/knowledge/open.js';
import { dataDir } from '../../src/paths.js';
import { servingComparisons } from '../../src/planner/accuracy.js';
import { calibrationOf, predictPerformance } from '../../src/planner/index.js';
import { withMeasuredCatalog } from '../../src/planner/public-measurements.js';
import { capturedLogger } from '../support/log.js';
import { createTestDatabase } from '../support/postgres.js';

describe('readMeasurementFiles', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A copy of data/benchmarks/ with `edit` applied to one file's text. */
  function copyWith(file: string, edit: (text: string) => string): string {
    const dir = mkdtempSync(join(tmpdir(), 'compass-measurements-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'benchmarks'));
    for (const name of MEASUREMENT_FILES) {
      copyFileSync(join(dataDir, 'benchmarks', name), join(dir, 'benchmarks', name));
    }
    const path = join(dir, 'benchmarks', file);
    writeFileSync(path, edit(readFileSync(path, 'utf8')));
    return dir;
  }

  const problemsOf = (dir: string) => {
    try {
      readMeasurementFiles(dir);
    } catch (error) {
      expect(error).toBeInstanceOf(DataFileError);
      return (error as DataFileError).problems;
    }
    throw new Error('the broken copy was accepted');
  };

  it('merges every shipped file, each series once', () => {
    const merged = readMeasurementFiles();
    const perFile = MEASUREMENT_FILES.map(
      (name) =>
        (JSON.parse(readFileSync(join(dataDir, 'benchmarks', name), 'utf8')) as { series: unknown[] }).series
          .length,
    );
    expect(merged.series).toHaveLength(perFile.reduce((a, b) => a + b, 0));
    expect(new Set(merged.series.map((s) => s.id)).size).toBe(merged.series.length);
  });

  it('names the file and field of a bad value, and every broken file at once', () => {
    const dir = copyWith('serving-2026-12.json', (text) =>
      text.replace(/"precision": "bf16"/, '"precision": "bf17"'),
    );
    writeFileSync(join(dir, 'benchmarks', 'other-public-runs.json'), '{ "series": [');
    const problems = problemsOf(dir);
    expect(problems).toEqual([
      expect.stringMatching(
        /^benchmarks\/serving-2026-12\.json: series\[\d+\]\.points\[\d+\]\.point\.precision: /,
      ),
      expect.stringMatching(/^benchmarks\/other-public-runs\.json: cannot be read as JSON: /),
    ]);
  });

  it('refuses a series id that two files share', () => {
    const first = (
      JSON.parse(readFileSync(join(dataDir, 'benchmarks', MEASUREMENT_FILES[0]), 'utf8')) as {
        series: { id: string }[];
      }
    ).series[0]!.id;
    const dir = copyWith('rocm-vllm-mi300x.json', (text) => {
      const json = JSON.parse(text) as { series: { id: string }[] };
      json.series[0]!.id = first;
      return JSON.stringify(json);
    });
    expect(problemsOf(dir)).toEqual([`benchmarks/: measurement series id ${first} appears in two files`]);
  });
});

describe('the knowledge a process opens', () => {
  let drop: () => Promise<void>;
  let kb: KnowledgeBase;

  beforeAll(async () => {
    const testDb = await createTestDatabase({ migrated: false });
    drop = testDb.drop;
    kb = await openKnowledgeBase({ databaseUrl: testDb.url, dataDir: '/nonexistent' }, capturedLogger().log);
  });
  afterAll(async () => {
    await kb?.database.close();
    await drop?.();
  });

  it('carries the public measurements, and the planner calibrates on them', () => {
    const { knowledge } = kb;
    expect(knowledge.measurements?.series.length).toBe(readMeasurementFiles().series.length);
    expect(knowledge.benchmarks).toEqual([]);
    const calibration = calibrationOf(knowledge);
    expect(calibration.global?.points).toBeGreaterThan(300);
    expect(Object.keys(calibration.perGpu)).toEqual(expect.arrayContaining(['H100', 'H200', 'A100-80GB']));
    // GPUs and models only measurements ran calibrate too: wmx's L4 sweep of Qwen2.5-0.5B (the catalog has neither
    // that model nor another Ada measurement) and the Azure A100 PCIe runs.
    expect(knowledge.models.some((m) => m.id === 'Qwen/Qwen2.5-0.5B-Instruct')).toBe(false);
    expect(calibration.perGpu.L4?.points).toBeGreaterThan(0);
    expect(calibration.perGpu['A100-80GB-PCIe']?.points).toBeGreaterThan(0);

    const input = {
      modelId: 'meta-llama/Llama-3.1-8B-Instruct',
      gpuId: 'H100',
      gpuCount: 1,
      tensorParallel: 1,
      precision: 'bf16' as const,
      promptTokens: 1000,
      outputTokens: 200,
      load: { kind: 'rate' as const, value: 4 },
    };
    const notesOf = (of: Knowledge) => {
      const result = predictPerformance(input, of);
      if (!result.ok) throw new Error(result.reason);
      return result.prediction.notes.join('\n');
    };
    expect(notesOf(knowledge)).toMatch(/efficiency factors calibrated on \d+ measured points of H100\./);
    // A GPU never measured says so, and whose points it borrows.
    expect(predictPerformance({ ...input, gpuId: 'L40S' }, knowledge)).toMatchObject({
      ok: true,
      prediction: {
        notes: expect.arrayContaining([
          expect.stringMatching(
            /calibrated on \d+ measured points of nvidia-ada GPUs \(none of L40S itself\)\./,
          ),
        ]),
      },
    });
    const { measurements: _, ...textbook } = knowledge;
    expect(notesOf(textbook)).toMatch(/default efficiency factors/);
  });

  it('says a family without points of its own borrows its factors from other architectures', () => {
    const { knowledge } = kb;
    const all = knowledge.measurements!;
    // Without wmx's L4 sweep no Ada GPU was measured: the L40S takes the NVIDIA vendor's and population's factors.
    const withoutAda = {
      ...knowledge,
      measurements: { ...all, series: all.series.filter((s) => s.points[0]!.point.gpuId !== 'L4') },
    };
    const result = predictPerformance(
      {
        modelId: 'meta-llama/Llama-3.1-8B-Instruct',
        gpuId: 'L40S',
        gpuCount: 1,
        tensorParallel: 1,
        precision: 'bf16',
        promptTokens: 1000,
        outputTokens: 200,
        load: { kind: 'rate', value: 2 },
      },
      withoutAda,
    );
    if (!result.ok) throw new Error(result.reason);
    const points = calibrationOf(withoutAda).global!.points;
    expect(result.prediction.notes).toContain(
      `Estimated from the roofline and queueing model with efficiency factors calibrated on ${points} measured points of other architectures (none of nvidia-ada GPUs).`,
    );
  });

  it('predicts the measurements it carries closer than the textbook factors do', () => {
    const { knowledge } = kb;
    const all = knowledge.measurements!;
    // The H100 series: a third of them, enough to tell the two apart.
    const measurements = { ...all, series: all.series.filter((s) => s.points[0]!.point.gpuId === 'H100') };
    const medianItlError = (calibration: ReturnType<typeof calibrationOf>) => {
      const errors = servingComparisons(measurements, knowledge, () => calibration)
        .comparisons.filter((c) => c.metric === 'itl')
        .map((c) => Math.abs(c.predicted - c.measured) / c.measured)
        .sort((a, b) => a - b);
      expect(errors.length).toBeGreaterThan(100);
      return errors[Math.floor(errors.length / 2)]!;
    };
    const calibrated = medianItlError(calibrationOf(knowledge));
    const textbook = medianItlError({ global: null, perGpu: {} });
    expect(calibrated).toBeLessThan(0.8 * textbook);
  });
});

describe('withMeasuredCatalog', () => {
  const measurements = readMeasurementFiles();
  const catalog = readCatalogFiles();

  it('adds the models and GPU variants only measurements ran, with no use case a plan could offer them for', () => {
    const measured = withMeasuredCatalog(catalog, measurements);
    const added = measured.models.filter((m) => !catalog.models.some((c) => c.id === m.id));
    expect(added.map((m) => m.id).sort()).toEqual(measurements.models.map((m) => m.id).sort());
    for (const model of added) expect(model.tasks).toEqual([]);
    expect(measured.gpus.map((g) => g.id)).toContain('A100-80GB-PCIe');
    expect(measured.useCases).toBe(catalog.useCases);
  });

  it('keeps the catalog entry where a measured model has the same id', () => {
    const llama = catalog.models.find((m) => m.id === 'meta-llama/Llama-3.1-8B-Instruct')!;
    const shadow = { ...measurements.models[0]!, id: llama.id, name: 'a stale copy' };
    const measured = withMeasuredCatalog(catalog, { ...measurements, models: [shadow] });
    expect(measured.models.filter((m) => m.id === llama.id)).toEqual([llama]);
  });
});
