/**
 * Accuracy of the planner's physical model against public measurements (data/benchmarks/public-measurements.json).
 * Run: npx tsx bench/accuracy.ts [--detail]
 *
 * Serving metrics are scored leave-one-source-out (calibrated without the series being predicted: the honest
 * figure), in-sample (calibrated on everything) and uncalibrated (default factors). Each reported statistic of each
 * point is one comparison; the score is the absolute percentage error |predicted − measured| / measured.
 * Memory metrics (weights and KV cache per GPU, KV tokens) involve no fitting.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Gpu, type Knowledge, Model } from '../src/knowledge/catalog.js';
import {
  absolutePercentageError as ape,
  type Comparison,
  heldOutCalibrations,
  memoryComparisons,
  quantile,
  servingComparisons,
} from '../src/planner/accuracy.js';
import { type Calibration, calibrate, DEFAULT_FACTORS } from '../src/planner/calibrate.js';
import { gpusWithVariants, PublicMeasurements, samplesOf } from '../src/planner/public-measurements.js';
import type { EfficiencyFactors } from '../src/planner/step-time.js';
import { FIXTURE_GPUS, FIXTURE_MODELS } from '../test/planner/fixtures.js';

function readCatalog<T>(path: string, key: string, schema: { parse: (x: unknown) => T }): T[] {
  if (!existsSync(path)) return [];
  const raw = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  const list = Array.isArray(raw) ? raw : ((raw as Record<string, unknown>)[key] as unknown[]);
  return list.map((entry) => schema.parse(entry));
}

/** Catalog entries first; test fixtures (real published figures) only for ids the catalog lacks. */
function mergeById<T extends { id: string }>(
  primary: T[],
  fallback: T[],
): { all: T[]; fromFallback: string[] } {
  const ids = new Set(primary.map((x) => x.id));
  const extra = fallback.filter((x) => !ids.has(x.id));
  return { all: [...primary, ...extra], fromFallback: extra.map((x) => x.id) };
}

const detail = process.argv.includes('--detail');
const measurements = PublicMeasurements.parse(
  JSON.parse(readFileSync('data/benchmarks/public-measurements.json', 'utf8')),
);
const catalogModels = readCatalog('data/models.json', 'models', Model);
const catalogGpus = readCatalog('data/gpus.json', 'gpus', Gpu);
const models = mergeById(catalogModels, FIXTURE_MODELS);
const baseGpus = mergeById(catalogGpus, FIXTURE_GPUS);
const knowledge: Knowledge = {
  gpus: gpusWithVariants(baseGpus.all, measurements),
  models: models.all,
  useCases: [],
  benchmarks: [],
};
const samples = samplesOf(measurements);

const fixtureIds = [...models.fromFallback, ...baseGpus.fromFallback];
console.log(
  `catalog: ${catalogModels.length} models, ${catalogGpus.length} GPUs from data/; test fixtures for ${fixtureIds.length ? fixtureIds.join(', ') : 'nothing'}`,
);
console.log(
  `measurements: ${samples.length} serving points in ${measurements.series.length} series, ${measurements.memory.length} memory facts\n`,
);

// ---------------------------------------------------------------------------------------------------------------
// Serving

const t0 = performance.now();
const inSample = calibrate(samples, knowledge.models, knowledge.gpus);
const calibrationMs = performance.now() - t0;
const heldOut = heldOutCalibrations(measurements, knowledge);
const uncalibrated: Calibration = { global: null, perGpu: {} };

const run = (calibrationFor: (seriesId: string) => Calibration) => {
  const { comparisons, failures } = servingComparisons(measurements, knowledge, calibrationFor);
  for (const failure of failures) console.log(`  ! ${failure}`);
  return comparisons;
};
const runs = {
  loso: run((id) => heldOut.get(id)!),
  inSample: run(() => inSample),
  uncalibrated: run(() => uncalibrated),
};

const pct = (x: number) => (Number.isNaN(x) ? '    –  ' : `${(100 * x).toFixed(1).padStart(6)}%`);
const summary = (cs: Comparison[], metric: string) => {
  const errors = cs.filter((c) => c.metric === metric).map(ape);
  return `${pct(quantile(errors, 0.5))} / ${pct(quantile(errors, 0.9))}`;
};

console.log('Serving: absolute percentage error of the physical model, median / p90 over comparisons');
console.log('metric        n   leave-one-source-out      in-sample            uncalibrated');
for (const metric of ['ttft', 'itl', 'e2e', 'throughput'] as const) {
  const n = runs.loso.filter((c) => c.metric === metric).length;
  console.log(
    `${metric.padEnd(11)} ${String(n).padStart(3)}   ${summary(runs.loso, metric)}      ${summary(runs.inSample, metric)}   ${summary(runs.uncalibrated, metric)}`,
  );
}

console.log('\nPer series, leave-one-source-out (median APE):');
for (const series of measurements.series) {
  const parts = (['ttft', 'itl', 'e2e', 'throughput'] as const).map((metric) => {
    const errors = runs.loso.filter((c) => c.series === series.id && c.metric === metric).map(ape);
    return `${metric} ${pct(quantile(errors, 0.5))}`;
  });
  console.log(`  ${series.id.padEnd(46)} ${parts.join('  ')}`);
}

const fmt = (f: EfficiencyFactors) =>
  `bandwidth ${f.bandwidth.toFixed(3)}, compute ${f.compute.toFixed(3)}, step ${f.stepOverheadMs.toFixed(2)} ms, request ${f.requestOverheadMs.toFixed(1)} ms`;
console.log(`\nDefault factors:            ${fmt(DEFAULT_FACTORS)}`);
console.log(
  `In-sample, GPUs w/o points: ${inSample.global ? fmt(inSample.global.factors) : '–'} (${samples.length} points, fitted in ${calibrationMs.toFixed(1)} ms cold)`,
);
for (const [gpuId, fit] of Object.entries(inSample.perGpu)) {
  console.log(
    `  ${gpuId.padEnd(26)} ${fmt(fit.factors)} (${fit.points} points, rms log error ${fit.rmsLogError.toFixed(3)})`,
  );
}

if (detail) {
  console.log('\nComparisons, leave-one-source-out:');
  for (const c of runs.loso) {
    const error = (c.predicted - c.measured) / c.measured;
    console.log(
      `  ${c.series.slice(0, 30).padEnd(30)} ${c.metric.padEnd(10)} ${c.label.padEnd(22)} predicted ${c.predicted.toPrecision(4).padStart(9)}  measured ${c.measured.toPrecision(4).padStart(9)} ${pct(error)}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Memory

const memory = memoryComparisons(measurements, knowledge);
console.log('\nMemory: absolute percentage error, median / p90 (no fitting)');
for (const metric of ['weights per GPU', 'KV pool per GPU', 'KV tokens'] as const) {
  const rows = memory.filter((c) => c.metric === metric && (c.currentVllm || metric === 'weights per GPU'));
  const errors = rows.map(ape);
  console.log(
    `  ${metric.padEnd(16)} n=${String(errors.length).padStart(2)}  ${pct(quantile(errors, 0.5))} / ${pct(quantile(errors, 0.9))}`,
  );
}
const older = memory.filter((c) => !c.currentVllm && c.metric !== 'weights per GPU').map(ape);
console.log(
  `  KV pool, vLLM < 0.18 (profiled ~5 GiB of activations; the model follows ≥ 0.18): n=${older.length}  ${pct(quantile(older, 0.5))} / ${pct(quantile(older, 0.9))}`,
);
if (detail) {
  for (const c of memory) {
    console.log(
      `  ${c.metric.padEnd(16)} ${c.fact.modelId.padEnd(46)} TP${c.fact.tensorParallel} ${c.fact.precision.padEnd(4)} kv=${c.fact.kvCacheDtype.padEnd(4)} vLLM ${c.fact.vllmVersion.slice(0, 10).padEnd(10)} predicted ${c.predicted.toPrecision(5).padStart(9)}  measured ${String(c.measured).padStart(9)}`,
    );
  }
}
