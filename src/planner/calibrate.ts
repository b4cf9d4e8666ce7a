/**
 * Fits the efficiency factors to measured BenchmarkPoints.
 *
 * Each point is evaluated at its own measured operating point (measured throughput and mean ITL fix the batch and
 * prefill load by Little's law), so the fit asks "given the load the server really carried, do the step times and
 * queueing explain the latencies?" — cheap (no load solve per point) and not thrown off by a capacity the model
 * gets wrong. Loss: Huber on log error (δ = ln 1.5, in units of NOISE) over the mean, median and one tail of TTFT,
 * ITL and E2E, each family of a point weighted equally and a deployment's n points counting as √n; plus the
 * hierarchical prior described at `calibrate`. Minimised by Levenberg–Marquardt: deterministic.
 */
import type { BenchmarkPoint, Gpu, LatencyStats, Model } from '../knowledge/catalog.js';
import { buildDeployment, type Deployment, systemFor } from './deployment.js';
import type { LatencyShape } from './distributions.js';
import type { EngineSettings } from './schema.js';
import {
  e2eShape,
  itlMs,
  type OperatingPoint,
  type Percentile,
  type ServingSystem,
  shapeMs,
  solveAtRate,
  stateAtStep,
  ttftShape,
  type Workload,
} from './serving.js';
import type { EfficiencyFactors } from './step-time.js';

/**
 * Factors before any measurement: ~75% of HBM bandwidth for decode GEMVs and ~55% of dense peak for prefill GEMMs
 * are typical of vLLM on current GPUs; 1.5 ms per step and 10 ms per request cover scheduling, sampling and the
 * HTTP/tokenizer path. Replaced by fitted values as soon as measured points exist.
 */
export const DEFAULT_FACTORS: EfficiencyFactors = {
  bandwidth: 0.75,
  compute: 0.55,
  stepOverheadMs: 1.5,
  requestOverheadMs: 10,
};

const BOUNDS: Record<keyof EfficiencyFactors, [number, number]> = {
  bandwidth: [0.2, 1],
  compute: [0.08, 1],
  stepOverheadMs: [0.05, 40],
  requestOverheadMs: [0.1, 400],
};

/** A measured point plus what the point cannot say about how it was run. */
export interface CalibrationSample {
  point: BenchmarkPoint;
  engine?: EngineSettings;
  promptCv?: number;
  outputCv?: number;
}

export interface FactorFit {
  factors: EfficiencyFactors;
  points: number;
  /** Root-mean-square log error over the fitted statistics (0.1 ≈ 10%). */
  rmsLogError: number;
}

export interface Calibration {
  /** Factors for a GPU type without its own fit; null when there were no usable points (DEFAULT_FACTORS apply). */
  global: FactorFit | null;
  perGpu: Record<string, FactorFit>;
}

export type FactorsBasis = 'default' | 'global' | 'per-gpu';

export function factorsFor(
  calibration: Calibration,
  gpuId: string,
): { factors: EfficiencyFactors; basis: FactorsBasis } {
  const own = calibration.perGpu[gpuId];
  if (own) return { factors: own.factors, basis: 'per-gpu' };
  if (calibration.global) return { factors: calibration.global.factors, basis: 'global' };
  return { factors: DEFAULT_FACTORS, basis: 'default' };
}

type Family = 'ttft' | 'itl' | 'e2e';
/** Fitted statistics: centre and one tail (p95, else p99); p90 and p99 beside p95 add little and cost time. */
const CENTRE: (Percentile | 'mean')[] = ['mean', 'p50'];

interface Target {
  family: Family;
  stat: Percentile | 'mean';
  measuredMs: number;
  weight: number;
}

interface PreparedSample {
  gpuId: string;
  /** Same model, GPU, parallelism, precision and engine settings: one deployment. */
  deploymentKey: string;
  deployment: Deployment;
  workload: Workload;
  throughput: number;
  /** Measured mean step time, seconds; null when the point reports no ITL. */
  meanStepSec: number | null;
  othersShare: number;
  clients: number | null;
  targets: Target[];
}

function statsOf(s: LatencyStats): [Percentile | 'mean', number][] {
  const tail: Percentile | null = s.p95 !== null ? 'p95' : s.p99 !== null ? 'p99' : null;
  return [...CENTRE, ...(tail ? [tail] : [])].flatMap((stat) => {
    const value = s[stat];
    return value === null ? [] : [[stat, value] as [Percentile | 'mean', number]];
  });
}

/** Requests per second the server actually completed while the point was measured. */
export function measuredThroughput(point: BenchmarkPoint): number | null {
  const { load } = point;
  const fromOutput = point.outputTokensPerSec !== null ? point.outputTokensPerSec / point.outputTokens : null;
  const completed = point.requestsPerSec ?? fromOutput;
  if (load.kind === 'rate') return completed === null ? load.value : Math.min(load.value, completed);
  if (completed !== null) return completed;
  const e2e = point.e2eMs.mean;
  if (load.kind === 'concurrency' && e2e !== null) return load.value / (e2e / 1e3);
  return null;
}

function measuredStepSec(point: BenchmarkPoint): number | null {
  const itl = point.itlMs.mean ?? point.itlMs.p50;
  if (itl !== null) return itl / 1e3;
  const { e2eMs: e2e, ttftMs: ttft } = point;
  if (e2e.mean !== null && ttft.mean !== null && point.outputTokens > 1) {
    return (e2e.mean - ttft.mean) / 1e3 / (point.outputTokens - 1);
  }
  return null;
}

/**
 * Pipeline-parallel points are not fitted: their steps are dominated by inter-node hand-offs that the efficiency
 * factors do not describe, so they would bend the factors of every other deployment (they still correct their own
 * deployment through measured-first).
 */
export function informsFactors(point: BenchmarkPoint): boolean {
  return point.gpuCount === point.tensorParallel;
}

function prepare(
  sample: CalibrationSample,
  models: Map<string, Model>,
  gpus: Map<string, Gpu>,
): PreparedSample | null {
  const { point } = sample;
  if (!informsFactors(point)) return null;
  const model = models.get(point.modelId);
  const gpu = gpus.get(point.gpuId);
  if (!model || !gpu) return null;
  const built = buildDeployment(
    model,
    gpu,
    point.gpuCount,
    point.tensorParallel,
    point.precision,
    sample.engine,
  );
  if (!built.ok) return null;
  const throughput = measuredThroughput(point);
  if (throughput === null) return null;
  const families: [Family, LatencyStats][] =
    point.load.kind === 'max'
      ? [['itl', point.itlMs]]
      : [
          ['ttft', point.ttftMs],
          ['itl', point.itlMs],
          ['e2e', point.e2eMs],
        ];
  const targets = families.flatMap(([family, stats]) => {
    const present = statsOf(stats);
    return present.map(([stat, measuredMs]) => ({ family, stat, measuredMs, weight: 1 / present.length }));
  });
  if (targets.length === 0) return null;
  const clients = point.load.kind === 'concurrency' ? point.load.value : null;
  return {
    gpuId: point.gpuId,
    deploymentKey: [
      point.modelId,
      point.gpuId,
      point.gpuCount,
      point.tensorParallel,
      point.precision,
      JSON.stringify(sample.engine ?? {}),
    ].join('|'),
    deployment: built.deployment,
    workload: {
      promptTokens: point.promptTokens,
      outputTokens: point.outputTokens,
      promptCv: sample.promptCv ?? 0,
      outputCv: sample.outputCv ?? 0,
    },
    throughput,
    meanStepSec: measuredStepSec(point),
    othersShare: clients === null ? 1 : Math.max(clients - 1, 0) / clients,
    clients,
    targets,
  };
}

/**
 * The model's state at the load the point measured. A point beyond the model's capacity (its measured batch
 * exceeds what the model lets run) is evaluated at the model's batch limit. A closed loop whose state fills the
 * batch or the token budget is saturated: its surplus clients wait for a slot (Little's law gives the wait).
 */
export function stateAtMeasuredLoad(
  sys: ServingSystem,
  throughput: number,
  meanStepSec: number | null,
  othersShare: number,
  clients: number | null,
): OperatingPoint | null {
  const O = sys.workload.outputTokens;
  let point =
    meanStepSec !== null
      ? stateAtStep(sys, throughput, meanStepSec, othersShare)
      : solveAtRate(sys, throughput, othersShare);
  let full = false;
  for (const share of [0.98, 0.9, 0.7, 0.5]) {
    if (point !== null) break;
    full = true;
    point = stateAtStep(
      sys,
      throughput,
      (share * sys.maxRunning) / (throughput * Math.max(O - 1, 1)),
      othersShare,
    );
  }
  if (point === null || clients === null) return point;
  const step = meanStepSec ?? point.meanStepSec;
  const running = point.decoding + throughput * step;
  const budgetUsed = point.decoding + throughput * sys.workload.promptTokens * step;
  if (!full && running < 0.97 * sys.maxRunning && budgetUsed < 0.97 * sys.tokenBudget) return point;
  const inService =
    sys.factors.requestOverheadMs / 1e3 +
    point.prefillSec +
    point.queueWaitMeanSec +
    (O - 1) * point.meanStepSec;
  return { ...point, admissionWaitSec: Math.max(clients / throughput - inService, 0) };
}

function predictTarget(sys: ServingSystem, state: OperatingPoint, shapes: Shapes, target: Target): number {
  if (target.family === 'itl') return itlMs(sys, state, target.stat);
  return shapeMs(target.family === 'ttft' ? shapes.ttft : shapes.e2e, target.stat);
}

interface Shapes {
  ttft: LatencyShape;
  e2e: LatencyShape;
}

const HUBER = Math.log(1.5);
/** Points per GPU type the step direction is computed on (the objective always uses all). */
const JACOBIAN_POINTS = 96;
/** Log error of one statistic the data term counts as one standard deviation: model structure plus run-to-run. */
const NOISE = 0.2;
const FACTOR_KEYS = ['stepOverheadMs', 'requestOverheadMs', 'bandwidth', 'compute'] as const;
/**
 * Prior spread (log) of the population's factors around the defaults: one standard deviation is ×1.2 (efficiencies),
 * ×1.3 (overheads). The population stands for every GPU type without points of its own.
 */
const POPULATION_SIGMA: Record<keyof EfficiencyFactors, number> = {
  bandwidth: Math.log(1.2),
  compute: Math.log(1.2),
  stepOverheadMs: Math.log(1.3),
  requestOverheadMs: Math.log(1.3),
};
/**
 * Spread (log) of one GPU type's factors around the population's: one standard deviation is ×1.5 (efficiencies),
 * ×2 (overheads: the host CPU and driver stack behind each GPU type differ too).
 */
const GPU_SPREAD: Record<keyof EfficiencyFactors, number> = {
  bandwidth: Math.log(1.5),
  compute: Math.log(1.5),
  stepOverheadMs: Math.log(2),
  requestOverheadMs: Math.log(2),
};

/**
 * The pooling weight: the share of the measured GPU types' mean (log) shift from the defaults that the population —
 * and so every GPU type without points — takes, with `gpuTypes` types measured (each pinned by its points). Points
 * on one GPU type move an unmeasured one by at most this share of their own type's shift: 0.17 of it for one
 * measured type's efficiencies, 0.13 for its overheads; only as more GPU types agree does the weight grow.
 */
export function poolingWeight(factor: keyof EfficiencyFactors, gpuTypes: number): number {
  const population = POPULATION_SIGMA[factor] ** 2;
  return (gpuTypes * population) / (gpuTypes * population + GPU_SPREAD[factor] ** 2);
}

/** Log residuals of each target of `samples` under `factors`. */
function residualsOf(samples: PreparedSample[], factors: EfficiencyFactors, into: number[]): void {
  for (const s of samples) {
    const sys = systemFor(s.deployment, factors, s.workload);
    const state = stateAtMeasuredLoad(sys, s.throughput, s.meanStepSec, s.othersShare, s.clients);
    const shapes = state === null ? null : { ttft: ttftShape(sys, state), e2e: e2eShape(sys, state) };
    for (const target of s.targets) {
      const predicted =
        state === null || shapes === null ? Number.NaN : predictTarget(sys, state, shapes, target);
      into.push(Number.isFinite(predicted) && predicted > 0 ? Math.log(predicted / target.measuredMs) : 3);
    }
  }
}

function solveLinear(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++)
      if (Math.abs(m[row]![col]!) > Math.abs(m[pivot]![col]!)) pivot = row;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]![col]!;
    if (Math.abs(p) < 1e-14) continue;
    for (let row = 0; row < n; row++) {
      if (row === col) continue;
      const factor = m[row]![col]! / p;
      for (let k = col; k <= n; k++) m[row]![k]! -= factor * m[col]![k]!;
    }
  }
  return m.map((row, i) => (Math.abs(row[i]!) < 1e-14 ? 0 : row[n]! / row[i]!));
}

/**
 * The parameter vector, all in log space: the population's four factors (FACTOR_KEYS order), then each GPU type's.
 */
const populationParam = (k: number) => k;
const gpuParam = (g: number, k: number) => 4 * (g + 1) + k;
const keyOf = (i: number): keyof EfficiencyFactors => FACTOR_KEYS[i % 4]!;

function clampLog(key: keyof EfficiencyFactors, x: number): number {
  const [lo, hi] = BOUNDS[key];
  return Math.min(Math.max(x, Math.log(lo)), Math.log(hi));
}

/** Factors of GPU type `g` (or of the population, for g = -1). */
function factorsAt(x: number[], g: number): EfficiencyFactors {
  const at = (k: number) => Math.exp(x[g < 0 ? populationParam(k) : gpuParam(g, k)]!);
  return { stepOverheadMs: at(0), requestOverheadMs: at(1), bandwidth: at(2), compute: at(3) };
}

const defaultLog = (key: keyof EfficiencyFactors) => Math.log(DEFAULT_FACTORS[key]);

/** Prior rows: each (value − centre) / spread, with the row's dependence on the parameters. */
function priorRows(x: number[], groups: number): { r: number; terms: [number, number][] }[] {
  const rows: { r: number; terms: [number, number][] }[] = [];
  FACTOR_KEYS.forEach((key, k) => {
    const pop = populationParam(k);
    const sigma = POPULATION_SIGMA[key];
    rows.push({ r: (x[pop]! - defaultLog(key)) / sigma, terms: [[pop, 1 / sigma]] });
    const spread = GPU_SPREAD[key];
    for (let g = 0; g < groups; g++) {
      rows.push({
        r: (x[gpuParam(g, k)]! - x[pop]!) / spread,
        terms: [
          [gpuParam(g, k), 1 / spread],
          [pop, -1 / spread],
        ],
      });
    }
  });
  return rows;
}

/**
 * The population's factors that minimise the prior given the GPU types' (the fit's stationary point, exactly): the
 * defaults moved by the pooling weight of the GPU types' mean log shift.
 */
function pooledPopulation(x: number[], groups: number): number[] {
  const out = [...x];
  FACTOR_KEYS.forEach((key, k) => {
    let shift = 0;
    for (let g = 0; g < groups; g++) shift += x[gpuParam(g, k)]! - defaultLog(key);
    out[populationParam(k)] = defaultLog(key) + (poolingWeight(key, groups) * shift) / groups;
  });
  return out;
}

/**
 * One hierarchical fit, minimised by Levenberg–Marquardt with Huber reweighting. Each GPU type has its own four
 * factors, scattered (GPU_SPREAD) around population values, which carry the textbook prior and stand for GPU types
 * without points. Points on one GPU type move the others' estimates only through the population, by at most the
 * pooling weight (`poolingWeight`) of their own type's shift — so a few imported points calibrate their GPU type
 * and leave the rest of the catalog nearly where it was. A GPU type's factors touch only its own points, so the
 * Jacobian costs about five passes over the points.
 */
export function calibrate(samples: CalibrationSample[], models: Model[], gpus: Gpu[]): Calibration {
  const modelById = new Map(models.map((m) => [m.id, m]));
  const gpuById = new Map(gpus.map((g) => [g.id, g]));
  const prepared = samples.flatMap((s) => prepare(s, modelById, gpuById) ?? []);
  if (prepared.length === 0) return { global: null, perGpu: {} };
  const byGpu = new Map<string, PreparedSample[]>();
  for (const s of prepared) byGpu.set(s.gpuId, [...(byGpu.get(s.gpuId) ?? []), s]);
  const gpuIds = [...byGpu.keys()].sort();
  const groups = gpuIds.map((id) => byGpu.get(id)!);
  // Errors within one deployment are correlated (one model structure, one engine build): its n points count as √n.
  const deploymentSize = new Map<string, number>();
  for (const s of prepared)
    deploymentSize.set(s.deploymentKey, (deploymentSize.get(s.deploymentKey) ?? 0) + 1);
  const weightsOf = (list: PreparedSample[][]) =>
    list.flatMap((group) =>
      group.flatMap((s) => s.targets.map((t) => t.weight / Math.sqrt(deploymentSize.get(s.deploymentKey)!))),
    );
  const weights = weightsOf(groups);
  // The step direction (Jacobian) comes from an evenly spread subsample of each GPU type, scaled to its full
  // weight; every step is still accepted or refused on all points.
  const jacobianGroups = groups.map((group) => {
    const stride = Math.ceil(group.length / JACOBIAN_POINTS);
    return group.filter((_, i) => i % stride === 0);
  });
  const subsampled = jacobianGroups.some((group, g) => group.length < groups[g]!.length);
  const jacobianWeights = weightsOf(jacobianGroups);
  const groupScale = groups.map((group, g) => {
    const sum = (list: PreparedSample[]) =>
      list.reduce(
        (a, s) =>
          a + s.targets.reduce((b, t) => b + t.weight, 0) / Math.sqrt(deploymentSize.get(s.deploymentKey)!),
        0,
      );
    return sum(group) / sum(jacobianGroups[g]!);
  });

  let x = [...FACTOR_KEYS, ...gpuIds.flatMap(() => FACTOR_KEYS)].map(defaultLog);
  const dataResiduals = (xs: number[], only?: number, of: PreparedSample[][] = groups) => {
    const out: number[][] = [];
    of.forEach((group, g) => {
      const r: number[] = [];
      if (only === undefined || only === g) residualsOf(group, factorsAt(xs, g), r);
      out.push(r);
    });
    return out;
  };
  const objective = (xs: number[], data: number[][]) => {
    let value = 0;
    let i = 0;
    for (const r of data) {
      for (const ri of r) {
        const a = Math.abs(ri);
        value += (weights[i++]! * (a <= HUBER ? ri * ri : HUBER * (2 * a - HUBER))) / NOISE ** 2;
      }
    }
    for (const row of priorRows(xs, groups.length)) value += row.r * row.r;
    return value;
  };

  let data = dataResiduals(x);
  let value = objective(x, data);
  let damping = 1e-2;
  const n = x.length;
  for (let iter = 0; iter < 20; iter++) {
    const h = 1e-3;
    // Data Jacobian, column by column; a GPU type's columns need only its own points.
    const base = subsampled ? dataResiduals(x, undefined, jacobianGroups) : data;
    const columns: (number[][] | null)[] = x.map((_, j) => {
      if (j < 4) return null;
      const xj = [...x];
      xj[j]! += h;
      const only = Math.floor(j / 4) - 1;
      const shifted = dataResiduals(xj, only, jacobianGroups);
      return shifted.map((r, g) => (only === g ? r.map((v, i) => (v - base[g]![i]!) / h) : []));
    });
    const jtj = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const jtr = new Array<number>(n).fill(0);
    let row = 0;
    base.forEach((r, g) => {
      const active = [0, 1, 2, 3].map((k) => gpuParam(g, k));
      r.forEach((ri, i) => {
        const a = Math.abs(ri);
        const wi = (groupScale[g]! * jacobianWeights[row++]! * (a <= HUBER ? 1 : HUBER / a)) / NOISE ** 2;
        for (const p of active) {
          const jp = columns[p]![g]![i]!;
          jtr[p]! += wi * jp * ri;
          for (const q of active) jtj[p]![q]! += wi * jp * columns[q]![g]![i]!;
        }
      });
    });
    for (const prior of priorRows(x, groups.length)) {
      for (const [p, jp] of prior.terms) {
        jtr[p]! += jp * prior.r;
        for (const [q, jq] of prior.terms) jtj[p]![q]! += jp * jq;
      }
    }
    let improved = false;
    for (let attempt = 0; attempt < 6; attempt++) {
      const lhs = jtj.map((r, a) => r.map((v, b) => (a === b ? v * (1 + damping) + 1e-9 : v)));
      const step = solveLinear(
        lhs,
        jtr.map((v) => -v),
      );
      const candidate = x.map((xi, i) => clampLog(keyOf(i), xi + step[i]!));
      const candidateData = dataResiduals(candidate);
      const candidateValue = objective(candidate, candidateData);
      if (candidateValue < value) {
        improved = value - candidateValue > 1e-6 * (1 + candidateValue);
        x = candidate;
        data = candidateData;
        value = candidateValue;
        damping = Math.max(damping / 3, 1e-6);
        break;
      }
      damping *= 4;
    }
    if (!improved) break;
  }
  x = pooledPopulation(x, groups.length);

  const rms = (r: number[]) => Math.sqrt(r.reduce((sum, v) => sum + v * v, 0) / Math.max(r.length, 1));
  const perGpu: Record<string, FactorFit> = {};
  gpuIds.forEach((id, g) => {
    perGpu[id] = {
      factors: factorsAt(x, g),
      points: groups[g]!.length,
      rmsLogError: rms(data[g]!),
    };
  });
  const global: FactorFit = {
    factors: factorsAt(x, -1),
    points: prepared.length,
    rmsLogError: rms(data.flat()),
  };
  return { global, perGpu };
}
