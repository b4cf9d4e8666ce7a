/**
 * Honest error bars: how far the performance model's latencies land from public measurements it was not calibrated
 * on, by GPU family, model class and load region. `ERROR_BANDS` holds the p90 absolute percentage error of
 * leave-one-source-out predictions (bench/accuracy.ts computes it with `errorBandTable` and prints it with
 * `--bands`; test/planner/error-bands.test.ts fails when the data moved and the table did not follow).
 */
import type { Gpu, Model } from '../knowledge/catalog.js';

/** GPU architecture family, from datasheet facts: vendor, FP8 tensor cores, memory kind and peak. */
export type GpuFamily = 'nvidia-ampere' | 'nvidia-ada' | 'nvidia-hopper' | 'nvidia-blackwell' | 'amd-cdna';

export function gpuFamilyOf(
  gpu: Pick<Gpu, 'vendor' | 'fp8Tflops' | 'memoryBandwidthGBps' | 'bf16Tflops'>,
): GpuFamily {
  if (gpu.vendor === 'amd') return 'amd-cdna';
  if (gpu.fp8Tflops === null) return 'nvidia-ampere';
  // GDDR boards (< 1.2 TB/s) with FP8 are Ada; HBM parts past ~1.5 PFLOPS dense bf16 are Blackwell.
  if (gpu.memoryBandwidthGBps < 1200) return 'nvidia-ada';
  return gpu.bf16Tflops > 1500 ? 'nvidia-blackwell' : 'nvidia-hopper';
}

/** Latent attention first (DeepSeek-V3 is also MoE), then MoE, else dense. */
export type ModelClass = 'dense' | 'moe' | 'mla';

export function modelClassOf(model: Pick<Model, 'architecture'>): ModelClass {
  if (model.architecture.latentAttention) return 'mla';
  return model.architecture.moe ? 'moe' : 'dense';
}

/** Light, at ≥ 70% of capacity ('high'), or beyond it. */
export type LoadRegion = 'light' | 'high' | 'overloaded';

export const loadRegionOf = (requestsPerSec: number, capacity: number, saturated: boolean): LoadRegion =>
  saturated ? 'overloaded' : requestsPerSec >= 0.7 * capacity ? 'high' : 'light';

export type BandMetric = 'ttft' | 'itl' | 'e2e';
const BAND_METRICS: BandMetric[] = ['ttft', 'itl', 'e2e'];

/** p90 APE in whole percent per metric (null: too few comparisons) and the comparisons behind it. */
export type BandRow = Record<BandMetric, number | null> & { n: number };

/** Fewest comparisons a band is read from; coarser scopes answer below it. */
export const MIN_BAND_POINTS = 4;

/**
 * p90 of held-out absolute percentage errors, rounded up to whole percent. Keys: `family|class|region` with `*` for
 * "any", from the finest scope with enough comparisons to the pooled one.
 */
export const ERROR_BANDS: Record<string, BandRow> = {
  '*|*|*': { ttft: 43, itl: 31, e2e: 17, n: 2630 },
  '*|*|high': { ttft: 68, itl: 17, e2e: 165, n: 80 },
  '*|*|light': { ttft: 41, itl: 20, e2e: 17, n: 2385 },
  '*|*|overloaded': { ttft: null, itl: 48, e2e: null, n: 165 },
  'amd-cdna|*|*': { ttft: 76, itl: 50, e2e: 26, n: 123 },
  'amd-cdna|*|high': { ttft: 72, itl: 19, e2e: 16, n: 20 },
  'amd-cdna|*|light': { ttft: 76, itl: 22, e2e: 29, n: 77 },
  'amd-cdna|*|overloaded': { ttft: null, itl: 57, e2e: null, n: 26 },
  'amd-cdna|dense|*': { ttft: 76, itl: 50, e2e: 26, n: 123 },
  'amd-cdna|dense|high': { ttft: 72, itl: 19, e2e: 16, n: 20 },
  'amd-cdna|dense|light': { ttft: 76, itl: 22, e2e: 29, n: 77 },
  'amd-cdna|dense|overloaded': { ttft: null, itl: 57, e2e: null, n: 26 },
  'nvidia-ada|*|*': { ttft: 83, itl: 26, e2e: 23, n: 36 },
  'nvidia-ada|*|light': { ttft: 83, itl: 26, e2e: 23, n: 36 },
  'nvidia-ada|dense|*': { ttft: 83, itl: 26, e2e: 23, n: 36 },
  'nvidia-ada|dense|light': { ttft: 83, itl: 26, e2e: 23, n: 36 },
  'nvidia-ampere|*|*': { ttft: 79, itl: 41, e2e: null, n: 95 },
  'nvidia-ampere|*|light': { ttft: 79, itl: 49, e2e: null, n: 28 },
  'nvidia-ampere|*|overloaded': { ttft: null, itl: 35, e2e: null, n: 67 },
  'nvidia-ampere|dense|*': { ttft: 37, itl: 49, e2e: null, n: 42 },
  'nvidia-ampere|dense|light': { ttft: 37, itl: 49, e2e: null, n: 20 },
  'nvidia-ampere|dense|overloaded': { ttft: null, itl: 39, e2e: null, n: 22 },
  'nvidia-ampere|moe|*': { ttft: 178, itl: 32, e2e: null, n: 53 },
  'nvidia-ampere|moe|light': { ttft: 178, itl: null, e2e: null, n: 8 },
  'nvidia-ampere|moe|overloaded': { ttft: null, itl: 33, e2e: null, n: 45 },
  'nvidia-blackwell|*|*': { ttft: 31, itl: 21, e2e: 16, n: 799 },
  'nvidia-blackwell|*|light': { ttft: 31, itl: 21, e2e: 16, n: 796 },
  'nvidia-blackwell|moe|*': { ttft: 31, itl: 21, e2e: 16, n: 799 },
  'nvidia-blackwell|moe|light': { ttft: 31, itl: 21, e2e: 16, n: 796 },
  'nvidia-hopper|*|*': { ttft: 44, itl: 20, e2e: 18, n: 1577 },
  'nvidia-hopper|*|high': { ttft: 52, itl: 5, e2e: 167, n: 58 },
  'nvidia-hopper|*|light': { ttft: 44, itl: 12, e2e: 16, n: 1448 },
  'nvidia-hopper|*|overloaded': { ttft: null, itl: 41, e2e: null, n: 71 },
  'nvidia-hopper|dense|*': { ttft: 44, itl: 42, e2e: 123, n: 122 },
  'nvidia-hopper|dense|high': { ttft: 43, itl: 5, e2e: 167, n: 40 },
  'nvidia-hopper|dense|light': { ttft: 44, itl: 10, e2e: 64, n: 70 },
  'nvidia-hopper|dense|overloaded': { ttft: null, itl: 42, e2e: null, n: 12 },
  'nvidia-hopper|mla|*': { ttft: null, itl: 32, e2e: null, n: 18 },
  'nvidia-hopper|mla|overloaded': { ttft: null, itl: 29, e2e: null, n: 14 },
  'nvidia-hopper|moe|*': { ttft: 44, itl: 18, e2e: 15, n: 1437 },
  'nvidia-hopper|moe|high': { ttft: 53, itl: null, e2e: 6, n: 18 },
  'nvidia-hopper|moe|light': { ttft: 43, itl: 12, e2e: 15, n: 1374 },
  'nvidia-hopper|moe|overloaded': { ttft: null, itl: 28, e2e: null, n: 45 },
};

export interface ErrorBand {
  /** Expected error (p90 of held-out errors), whole percent. */
  ttftPct: number;
  itlPct: number;
  e2ePct: number;
  /** Which comparisons each figure comes from, in words. */
  scope: string;
}

const keyOf = (family: string, modelClass: string, region: string) => `${family}|${modelClass}|${region}`;

/** The finest scope that knows the metric: own family and class, then own family, then any GPU; own region first. */
function lookup(family: GpuFamily, modelClass: ModelClass, region: LoadRegion, metric: BandMetric) {
  const scopes = [
    keyOf(family, modelClass, region),
    keyOf(family, '*', region),
    keyOf('*', '*', region),
    keyOf(family, modelClass, '*'),
    keyOf(family, '*', '*'),
    keyOf('*', '*', '*'),
  ];
  for (const key of scopes) {
    const value = ERROR_BANDS[key]?.[metric];
    if (value !== null && value !== undefined) return { key, value };
  }
  return { key: keyOf('*', '*', '*'), value: 50 };
}

const describeKey = (key: string) => {
  const [family, modelClass, region] = key.split('|');
  const parts = [
    family === '*' ? 'all GPUs' : family,
    modelClass === '*' ? 'all model classes' : modelClass,
    region === '*' ? 'all loads' : `${region} load`,
  ];
  return `${parts.join(', ')} (${ERROR_BANDS[key]?.n ?? 0} comparisons)`;
};

/** Bands by scope, built once each: predictions ask for one every time. */
const bands = new Map<string, ErrorBand>();

export function errorBandOf(family: GpuFamily, modelClass: ModelClass, region: LoadRegion): ErrorBand {
  const key = keyOf(family, modelClass, region);
  const cached = bands.get(key);
  if (cached) return cached;
  const band = buildBand(family, modelClass, region);
  bands.set(key, band);
  return band;
}

function buildBand(family: GpuFamily, modelClass: ModelClass, region: LoadRegion): ErrorBand {
  const found = Object.fromEntries(
    BAND_METRICS.map((metric) => [metric, lookup(family, modelClass, region, metric)]),
  ) as Record<BandMetric, { key: string; value: number }>;
  const scopes = [...new Set(BAND_METRICS.map((metric) => found[metric].key))];
  return {
    ttftPct: found.ttft.value,
    itlPct: found.itl.value,
    e2ePct: found.e2e.value,
    scope: scopes.map(describeKey).join('; '),
  };
}

/** " ±25%": a prediction's expected error, empty for an option planned before predictions carried one. */
export const plusMinusPercent = (pct: number | undefined) => (pct === undefined ? '' : ` ±${pct}%`);

/** The band in words, for a prediction's notes and the Details modal. */
export const describeErrorBand = (band: ErrorBand) =>
  `Expected error: TTFT ±${band.ttftPct}%, ITL ±${band.itlPct}%, E2E ±${band.e2ePct}% — 9 in 10 predictions of public measurements the model was not calibrated on landed this close (${band.scope}).`;

/** What `errorBandTable` needs of one held-out comparison. */
export interface BandSample {
  metric: string;
  gpuFamily: GpuFamily;
  modelClass: ModelClass;
  region: LoadRegion;
  predicted: number;
  measured: number;
  /** A burst's statistic (`Comparison.burst`). */
  burst?: true;
}

function p90Percent(errors: number[]): number | null {
  if (errors.length < MIN_BAND_POINTS) return null;
  const sorted = [...errors].sort((a, b) => a - b);
  const position = (sorted.length - 1) * 0.9;
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  return Math.ceil(100 * (sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (position - lo)));
}

/** The band table from held-out comparisons: every scope with at least MIN_BAND_POINTS comparisons of a metric. */
export function errorBandTable(samples: BandSample[]): Record<string, BandRow> {
  // A band qualifies a steady-state prediction; a burst's TTFT is a batch job's (`predictBatch`), which carries none.
  const latency = samples.filter(
    (s) => (BAND_METRICS as string[]).includes(s.metric) && !(s.burst && s.metric === 'ttft'),
  );
  const groups = new Map<string, BandSample[]>();
  for (const s of latency) {
    for (const family of [s.gpuFamily, '*']) {
      for (const modelClass of family === '*' ? ['*'] : [s.modelClass, '*']) {
        for (const region of [s.region, '*']) {
          const key = keyOf(family, modelClass, region);
          groups.set(key, [...(groups.get(key) ?? []), s]);
        }
      }
    }
  }
  const table: Record<string, BandRow> = {};
  for (const key of [...groups.keys()].sort()) {
    const rows = groups.get(key)!;
    const row = Object.fromEntries(
      BAND_METRICS.map((metric) => [
        metric,
        p90Percent(
          rows.filter((r) => r.metric === metric).map((r) => Math.abs(r.predicted - r.measured) / r.measured),
        ),
      ]),
    ) as Record<BandMetric, number | null>;
    if (BAND_METRICS.some((metric) => row[metric] !== null)) table[key] = { ...row, n: rows.length };
  }
  return table;
}
