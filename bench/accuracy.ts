/**
 * Accuracy of the planner's physical model against public measurements (every serving file in data/benchmarks/, listed in
 * `MEASUREMENT_FILES` in src/knowledge/measurements.ts). Run: npx tsx bench/accuracy.ts [--detail] [--bands] [--ttft]
 * [--json FILE]
 *
 * The table breaks leave-one-source-out errors down by metric (TTFT mean and p99 apart), GPU family, model class and
 * load region (light, ≥ 70% of capacity, overloaded), and scores overload detection: of the runs that queued without
 * bound, the share the model called saturated (and the false alarms among those that did not). `--bands` prints the
 * error-band table for src/planner/error-bands.ts (p90 of the held-out errors per GPU family, model class and region).
 * `--ttft` prints the shape of the TTFT distribution, measured against held-out predicted: the p99 / mean and
 * p50 / mean ratios per source and load region (where a TTFT error comes from the tail rather than the level), then
 * every point's TTFT mean, median and p99. `--json FILE` writes every leave-one-source-out and in-sample comparison with
 * its series' source, model, GPU, parallelism, precision, lengths and engine release, for breakdowns the tables do not
 * print (by any of those, bursts apart, held-out against in-sample).
 *
 * Serving metrics are scored leave-one-source-out (calibrated without the series being predicted: the honest
 * figure), in-sample (calibrated on everything) and uncalibrated (default factors). Each reported statistic of each
 * point is one comparison; the score is the absolute percentage error |predicted − measured| / measured.
 * Memory metrics (weights and KV cache per GPU, KV tokens) involve no fitting.
 */

import { writeFileSync } from 'node:fs';
import type { Knowledge } from '../src/knowledge/catalog.js';
import { readCatalogFiles } from '../src/knowledge/data-files.js';
import { readMeasurementFiles, sourceKeyOf } from '../src/knowledge/measurements.js';
import {
  absolutePercentageError as ape,
  type Comparison,
  heldOutCalibrations,
  memoryComparisons,
  type OverloadCheck,
  PEAK_REPLICAS,
  quantile,
  replicaChecks,
  servingComparisons,
} from '../src/planner/accuracy.js';
import { type Calibration, calibrate, DEFAULT_FACTORS } from '../src/planner/calibrate.js';
import { errorBandTable } from '../src/planner/error-bands.js';
import { samplesOf, withMeasuredCatalog } from '../src/planner/public-measurements.js';
import type { EfficiencyFactors } from '../src/planner/step-time.js';

const detail = process.argv.includes('--detail');
const jsonAt = process.argv.indexOf('--json');
const jsonFile = jsonAt < 0 ? null : process.argv[jsonAt + 1];
if (jsonFile === undefined || jsonFile?.startsWith('--')) {
  console.error('--json needs the file to write: npx tsx bench/accuracy.ts --json comparisons.json');
  process.exit(2);
}
const measurements = readMeasurementFiles();
const catalog = readCatalogFiles();
// What production calibrates on: the catalog with the GPU variants and models only the measurements ran.
const knowledge: Knowledge = { ...withMeasuredCatalog(catalog, measurements), benchmarks: [] };
const samples = samplesOf(measurements, knowledge.gpus);

const measuredOnly = [...knowledge.models, ...knowledge.gpus]
  .map((entry) => entry.id)
  .filter((id) => ![...catalog.models, ...catalog.gpus].some((entry) => entry.id === id));
console.log(
  `catalog: ${catalog.models.length} models, ${catalog.gpus.length} GPUs from data/; measurement-only: ${measuredOnly.join(', ') || 'nothing'}`,
);
const known = measurements.series.filter((series) =>
  series.points.every(
    ({ point }) =>
      knowledge.models.some((m) => m.id === point.modelId) &&
      knowledge.gpus.some((g) => g.id === point.gpuId),
  ),
);
const missing = [
  ...new Set(
    measurements.series.flatMap((s) =>
      s.points.flatMap(({ point }) =>
        knowledge.models.some((m) => m.id === point.modelId) ? [] : [point.modelId],
      ),
    ),
  ),
];
console.log(
  `measurements: ${measurements.series.reduce((n, s) => n + s.points.length, 0)} serving points (${samples.length} steady-state ones calibrate) in ${measurements.series.length} series from ${new Set(measurements.series.map(sourceKeyOf)).size} sources, ${measurements.memory.length} memory facts`,
);
console.log(
  `  scored: ${known.reduce((n, s) => n + s.points.length, 0)} points of ${known.length} series from ${new Set(known.map(sourceKeyOf)).size} sources on ${new Set(known.flatMap((s) => s.points.map((p) => p.point.gpuId))).size} GPU types; models not in the catalog yet: ${missing.join(', ') || 'none'}\n`,
);

// ---------------------------------------------------------------------------------------------------------------
// Serving

const t0 = performance.now();
const inSample = calibrate(samples, knowledge.models, knowledge.gpus);
const calibrationMs = performance.now() - t0;
const heldOut = heldOutCalibrations(measurements, knowledge);
const uncalibrated: Calibration = { global: null, perGpu: {} };

let overloadChecks: OverloadCheck[] = [];
const run = (calibrationFor: (seriesId: string) => Calibration, keepOverload = false) => {
  const { comparisons, overload, failures } = servingComparisons(measurements, knowledge, calibrationFor);
  for (const failure of failures) console.log(`  ! ${failure}`);
  if (keepOverload) overloadChecks = overload;
  return comparisons;
};
const runs = {
  loso: run((id) => heldOut.get(id)!, true),
  inSample: run(() => inSample),
  uncalibrated: run(() => uncalibrated),
};

if (jsonFile) {
  const seriesById = new Map(measurements.series.map((s) => [s.id, s]));
  const rows = (['loso', 'inSample'] as const).flatMap((fit) =>
    runs[fit].map((comparison) => {
      const series = seriesById.get(comparison.series)!;
      const { modelId, gpuId, gpuCount, tensorParallel, precision, promptTokens, outputTokens } =
        series.points[0]!.point;
      const shape = { modelId, gpuId, gpuCount, tensorParallel, precision, promptTokens, outputTokens };
      return {
        fit,
        ...comparison,
        source: sourceKeyOf(series),
        ...shape,
        engineVersion: series.engine.version,
      };
    }),
  );
  writeFileSync(jsonFile, JSON.stringify(rows));
  console.log(`wrote ${rows.length} comparisons to ${jsonFile}`);
}

const pct = (x: number) => (Number.isNaN(x) ? '    –  ' : `${(100 * x).toFixed(1).padStart(6)}%`);
/** The issue's metrics: TTFT mean and TTFT p99 apart, ITL and E2E over their reported statistics, throughput. */
const METRICS: { name: string; test: (c: Comparison) => boolean }[] = [
  { name: 'TTFT mean', test: (c) => c.metric === 'ttft' && c.stat === 'mean' && !c.burst },
  { name: 'TTFT p99', test: (c) => c.metric === 'ttft' && c.stat === 'p99' && !c.burst },
  { name: 'ITL', test: (c) => c.metric === 'itl' },
  { name: 'E2E', test: (c) => c.metric === 'e2e' },
  { name: 'throughput', test: (c) => c.metric === 'throughput' },
  // Bursts (request_rate=inf): the TTFT mean and median of the batch job's own queue (`predictBatch`).
  { name: 'burst TTFT', test: (c) => c.metric === 'ttft' && c.burst === true },
  // The same bursts' per-request mean TPOT (vLLM bench's), published beside their mean ITL: where the two part, the
  // batch's fill and drain differ.
  { name: 'burst TPOT', test: (c) => c.metric === 'tpot' },
];
const cell = (cs: Comparison[]) => {
  if (cs.length === 0) return '         –         ';
  const errors = cs.map(ape);
  return `${pct(quantile(errors, 0.5))} /${pct(quantile(errors, 0.9))} ${String(cs.length).padStart(3)}`;
};

console.log('Serving: absolute percentage error of the physical model, median / p90 (n) over comparisons');
console.log('metric        leave-one-source-out       in-sample                  uncalibrated');
for (const { name, test } of METRICS) {
  console.log(
    `${name.padEnd(12)}  ${cell(runs.loso.filter(test))}    ${cell(runs.inSample.filter(test))}    ${cell(runs.uncalibrated.filter(test))}`,
  );
}

const breakdown = (title: string, keyOf: (c: Comparison) => string) => {
  const keys = [...new Set(runs.loso.map(keyOf))].sort();
  console.log(`\nLeave-one-source-out by ${title}: median / p90 (n)`);
  console.log(`${''.padEnd(18)}${METRICS.map((m) => m.name.padEnd(24)).join('')}`);
  for (const key of keys) {
    const rows = runs.loso.filter((c) => keyOf(c) === key);
    console.log(`${key.padEnd(18)}${METRICS.map((m) => `${cell(rows.filter(m.test))}   `).join('')}`);
  }
};
breakdown('GPU family', (c) => c.gpuFamily);
breakdown('model class', (c) => c.modelClass);
breakdown('load region (light, high ≥ 70% of capacity, overloaded)', (c) => c.region);

const overloaded = overloadChecks.filter((c) => c.measuredOverloaded);
const healthy = overloadChecks.filter((c) => !c.measuredOverloaded);
console.log(
  `\nOverload detection: ${overloaded.filter((c) => c.predictedSaturated).length} of ${overloaded.length} overloaded open-loop runs called saturated; false alarms ${healthy.filter((c) => c.predictedSaturated).length} of ${healthy.length} healthy runs`,
);
for (const c of overloadChecks.filter((c) => c.measuredOverloaded !== c.predictedSaturated)) {
  console.log(`  ${c.measuredOverloaded ? 'missed' : 'false alarm'}: ${c.series} ${c.label}`);
}

console.log(
  `\nReplicas a plan buys for ${PEAK_REPLICAS}× the highest measured healthy rate, SLO = the latencies measured there (measurements: ${PEAK_REPLICAS} are enough, more than peak / the lowest overloaded rate are needed; target ≤ ${(1.15 * PEAK_REPLICAS).toFixed(1)} and no fewer than needed), leave-one-source-out:`,
);
for (const c of replicaChecks(measurements, knowledge, (id) => heldOut.get(id)!)) {
  const held = c.modelRate === null ? `no rate (${c.reason})` : `${c.modelRate.toFixed(2)} req/s per replica`;
  const overloaded =
    c.overloadedRate === null ? 'never overloaded' : `overloaded at ${c.overloadedRate} req/s`;
  console.log(
    `  ${c.series.slice(0, 50).padEnd(50)} measured ${c.measuredRate} req/s, ${overloaded}: ${c.replicasAtLeast}–${c.replicasEnough} replicas; model ${held}; plan ${c.replicasPlanned} replicas (${(c.replicasPlanned / c.replicasEnough).toFixed(2)}×)`,
  );
}

console.log('\nPer series, leave-one-source-out (median APE):');
for (const series of measurements.series) {
  const parts = (['ttft', 'itl', 'e2e', 'throughput'] as const).map((metric) => {
    const errors = runs.loso.filter((c) => c.series === series.id && c.metric === metric).map(ape);
    return `${metric} ${pct(quantile(errors, 0.5))}`;
  });
  if (parts.every((part) => part.includes('–'))) continue;
  console.log(`  ${series.id.slice(0, 60).padEnd(60)} ${parts.join('  ')}`);
}

const fmt = (f: EfficiencyFactors) =>
  `bandwidth ${f.bandwidth.toFixed(3)}, compute ${f.compute.toFixed(3)}, step ${f.stepOverheadMs.toFixed(2)} ms, request ${f.requestOverheadMs.toFixed(1)} ms, tokenize ${f.tokenizeUsPerToken.toFixed(1)} µs/token, experts' GEMM share ${f.expertGemmShare.toFixed(2)}`;
console.log(`\nDefault factors:            ${fmt(DEFAULT_FACTORS)}`);
const heldOutTokenize = [...heldOut.values()].flatMap((c) =>
  c.global ? [c.global.factors.tokenizeUsPerToken] : [],
);
const heldOutExpertShare = [...heldOut.values()].flatMap((c) =>
  c.global ? [c.global.factors.expertGemmShare] : [],
);
console.log(
  `Tokenize, leave-one-source-out fits: ${Math.min(...heldOutTokenize).toFixed(1)}–${Math.max(...heldOutTokenize).toFixed(1)} µs/token; experts' GEMM share ${Math.min(...heldOutExpertShare).toFixed(2)}–${Math.max(...heldOutExpertShare).toFixed(2)}`,
);
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

if (process.argv.includes('--ttft')) {
  // One row per measured point: its TTFT statistics, measured and predicted (leave-one-source-out).
  const points = new Map<string, { source: string; region: string; stats: Map<string, Comparison> }>();
  // A source by its page: a repository or gist (owner/name), else the site.
  const sourceOf = (url: string) => {
    const { hostname, pathname } = new URL(url);
    const path = pathname.split('/').filter(Boolean).slice(0, 2).join('/');
    return hostname.endsWith('github.com') && path ? path : hostname;
  };
  const sourceOfSeries = new Map(measurements.series.map((s) => [s.id, sourceOf(sourceKeyOf(s))]));
  for (const c of runs.loso.filter((c) => c.metric === 'ttft')) {
    // A series may measure one load twice (two prompt lengths): a statistic seen already starts the next point.
    const label = c.label.slice(0, c.label.lastIndexOf(' '));
    let key = `${c.series} ${label}`;
    for (let n = 2; points.get(key)?.stats.has(c.stat); n++) key = `${c.series} ${label} #${n}`;
    const row = points.get(key) ?? {
      source: sourceOfSeries.get(c.series)!,
      region: c.region,
      stats: new Map(),
    };
    row.stats.set(c.stat, c);
    points.set(key, row);
  }
  const ratio = (row: { stats: Map<string, Comparison> }, stat: string, side: 'measured' | 'predicted') => {
    const mean = row.stats.get('mean');
    const other = row.stats.get(stat);
    return mean && other ? other[side] / mean[side] : null;
  };
  const median = (xs: (number | null)[]) => {
    const present = xs.filter((x): x is number => x !== null);
    return present.length ? quantile(present, 0.5).toFixed(2).padStart(5) : '    –';
  };
  console.log(
    '\nTTFT shape, leave-one-source-out: median ratio over points, measured → predicted (n points)',
  );
  console.log(`${'source'.padEnd(28)}${'region'.padEnd(8)}  p99 / mean      p50 / mean      n`);
  const groups = [...new Set([...points.values()].map((r) => `${r.source}|${r.region}`))].sort();
  for (const group of groups) {
    const rows = [...points.values()].filter((r) => `${r.source}|${r.region}` === group);
    const [source, region] = group.split('|');
    const cells = (['p99', 'p50'] as const).map(
      (stat) =>
        `${median(rows.map((r) => ratio(r, stat, 'measured')))} → ${median(rows.map((r) => ratio(r, stat, 'predicted')))}`,
    );
    console.log(
      `${source!.slice(0, 27).padEnd(28)}${region!.padEnd(8)}  ${cells.join('   ')}   ${rows.length}`,
    );
  }
  const ms = (c: Comparison | undefined, side: 'measured' | 'predicted') =>
    (c ? c[side].toPrecision(4) : '–').padStart(8);
  for (const [key, row] of points) {
    const [mean, p50, p99] = ['mean', 'p50', 'p99'].map((stat) => row.stats.get(stat));
    console.log(
      `  ${key.slice(0, 70).padEnd(70)} ${row.region.padEnd(6)} measured mean/p50/p99 ${ms(mean, 'measured')}${ms(p50, 'measured')}${ms(p99, 'measured')}  predicted ${ms(mean, 'predicted')}${ms(p50, 'predicted')}${ms(p99, 'predicted')}`,
    );
  }
}

if (process.argv.includes('--bands')) {
  console.log('\nERROR_BANDS for src/planner/error-bands.ts:');
  for (const [key, row] of Object.entries(errorBandTable(runs.loso))) {
    console.log(`  '${key}': { ttft: ${row.ttft}, itl: ${row.itl}, e2e: ${row.e2e}, n: ${row.n} },`);
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
