/**
 * Fits the efficiency factors to measured BenchmarkPoints.
 *
 * Each point is evaluated at its own measured operating point (measured throughput and mean ITL fix the batch and
 * prefill load by Little's law), so the fit asks "given the load the server really carried, do the step times and
 * queueing explain the latencies?" — cheap (no load solve per point) and not thrown off by a capacity the model
 * gets wrong. Loss: Huber on log error (δ = ln 1.5, in units of NOISE) over the mean, median and one tail of TTFT,
 * ITL and E2E, each family of a point weighted equally and a deployment's n points counting as √n; plus the
 * hierarchical prior described at `calibrate`. Minimised by Levenberg–Marquardt under the factors' bounds (bounded-least-squares.ts): deterministic.
 */
import type { BenchmarkPoint, EngineSettings, Gpu, LatencyStats, Model } from '../knowledge/catalog.js';
import {
  atLeast,
  KV_BLOCK_TOKENS,
  releaseOf,
  VENDOR_BANDWIDTH_SHARE,
  VENDOR_COMPUTE_SHARE,
} from './assumptions.js';
import { minimiseBounded, solveLinear } from './bounded-least-squares.js';
import { buildDeployment, type Deployment, systemFor } from './deployment.js';
import type { LatencyShape } from './distributions.js';
import { type GpuFamily, gpuFamilyOf } from './error-bands.js';
import { cachedPromptTokens } from './prefix-cache.js';
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
 * HTTP path. Tokenization: vLLM's OpenAI server tokenizes every prompt on a single-thread executor (serving_engine:
 * ThreadPoolExecutor(max_workers=1); vllm-project/vllm#25301), so a prompt waits its own tokenization before the
 * engine sees it; the public figure is 10–21 µs per token on 131-token prompts with Hugging Face tokenizers, per-call
 * overhead included (tenstorrent/tt-inference-server#2173), so the per-token part is at most its low end: 10 µs.
 * Experts' GEMM share: the Triton fused-MoE kernel vLLM runs reaches 215 TFLOPS on an H100 for a 32K-token prefill
 * of fine-grained experts (128 experts, top 8, hidden 2048; ByteDance-Seed/VeOmni#460), ~0.3 of the ~700 TFLOPS
 * dense BF16 GEMMs reach, while grouped GEMMs with thousands of rows per expert keep ~0.9 of dense (DeepGEMM,
 * deepseek-ai/DeepGEMM#73: 1,317 against 1,404–1,470 TFLOPS); their geometric middle, 0.53.
 * Replaced by fitted values as soon as measured points exist.
 */
export const DEFAULT_FACTORS: EfficiencyFactors = {
  bandwidth: 0.75,
  compute: 0.55,
  stepOverheadMs: 1.5,
  requestOverheadMs: 10,
  tokenizeUsPerToken: 10,
  expertGemmShare: 0.53,
};

const BOUNDS: Record<keyof EfficiencyFactors, [number, number]> = {
  bandwidth: [0.2, 1],
  compute: [0.08, 1],
  stepOverheadMs: [0.05, 40],
  requestOverheadMs: [0.1, 400],
  tokenizeUsPerToken: [0.5, 50],
  expertGemmShare: [0.2, 1],
};

/** A measured point plus what the point cannot say about how it was run. */
export interface CalibrationSample {
  point: BenchmarkPoint;
  engine?: EngineSettings;
  /** vLLM release the point was measured on ("0.11.0"); absent or null when the source does not say. */
  engineVersion?: string | null;
  promptCv?: number;
  outputCv?: number;
  /**
   * Coefficient of variation of the gaps between arrivals (`Workload.arrivalCv`): 0 for a constant-rate load generator
   * (GuideLLM's constant profile), absent for Poisson (1). Near capacity it decides the prefill queue (Kingman's wait
   * grows with its square), as it does in the predictions scored against the point: fitted as Poisson, gpustack's
   * Qwen3.5-9B page (32K-token prompts evenly spaced at 1 req/s, TTFT 1.0 s) held the H100 compute factor at 0.73.
   */
  arrivalCv?: number | undefined;
  /** Share of each prompt served from the prefix cache (`DeploymentConfig.prefixShare`); 0 when absent. */
  prefixShare?: number | undefined;
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
  /**
   * Factors of each GPU family (vendor and architecture) of the catalog, for its GPU types without points: the
   * family's measured types pull it, the population and the vendor's prior hold it (`calibrate`). Absent in
   * hand-made calibrations, which then fall back to `global`.
   */
  perFamily?: Partial<Record<GpuFamily, FactorFit>>;
  /** The family of each catalog GPU type the calibration saw. */
  familyOfGpu?: Record<string, GpuFamily>;
}

export type FactorsBasis = 'default' | 'global' | 'family' | 'per-gpu';

export function factorsFor(
  calibration: Calibration,
  gpuId: string,
): { factors: EfficiencyFactors; basis: FactorsBasis } {
  const own = calibration.perGpu[gpuId];
  if (own) return { factors: own.factors, basis: 'per-gpu' };
  const family = calibration.familyOfGpu?.[gpuId];
  const ofFamily = family === undefined ? undefined : calibration.perFamily?.[family];
  if (ofFamily) return { factors: ofFamily.factors, basis: 'family' };
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

/** The release that made V1 vLLM's default engine. */
const V1_DEFAULT_SINCE = [0, 8, 0] as const;

/**
 * Points measured on vLLM before 0.8 ran the V0 engine, whose step is another machine than the V1 engine the planner
 * deploys (VLLM_VERSION): the scheduler and output processing run in the engine loop at ~100 µs per sequence
 * (vllm-project/vllm#6801, against ~1 µs in V1), prefills are not chunked by default on ROCm, and CUDA/HIP graphs
 * cover decodes only up to max_seq_len_to_capture (8192 tokens), longer contexts running eager. V1 became the
 * default in 0.8.0 (vLLM blog, "vLLM V1: A Major Upgrade to vLLM's Core Architecture", and the 0.8.0 release notes).
 * Their latencies would teach the factors V0's costs, so they are not fitted (measured-first still uses them for
 * their own deployment). A point whose source does not name the release counts as V1; one whose run chose V0 in a
 * release that ships both (`EngineSettings.v0Engine`, VLLM_USE_V1=0) counts as V0.
 */
export function runsV1Engine(version: string | null | undefined): boolean {
  const release = version ? releaseOf(version) : null;
  return release === null || atLeast(release, V1_DEFAULT_SINCE);
}

function prepare(
  sample: CalibrationSample,
  models: Map<string, Model>,
  gpus: Map<string, Gpu>,
): PreparedSample | null {
  const { point } = sample;
  if (!informsFactors(point) || !runsV1Engine(sample.engineVersion) || sample.engine?.v0Engine) return null;
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
    {},
    point.checkpoint,
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
      point.checkpoint ?? '',
      JSON.stringify(sample.engine ?? {}),
    ].join('|'),
    deployment: built.deployment,
    workload: {
      promptTokens: point.promptTokens,
      outputTokens: point.outputTokens,
      cachedPromptTokens: cachedPromptTokens(point.promptTokens, sample.prefixShare ?? 0, KV_BLOCK_TOKENS),
      promptCv: sample.promptCv ?? 0,
      outputCv: sample.outputCv ?? 0,
      ...(sample.arrivalCv !== undefined && { arrivalCv: sample.arrivalCv }),
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
/** The factors each GPU type fits for itself (and its family and the population pool). */
const FACTOR_KEYS = ['stepOverheadMs', 'requestOverheadMs', 'bandwidth', 'compute'] as const;
export type GpuFactor = (typeof FACTOR_KEYS)[number];
/**
 * The factors one value of which serves every GPU type: host work of the API server, the same CPU code whatever the
 * accelerator, and the experts' GEMM share, a property of the fused-MoE kernels' shape rather than of one GPU (and
 * only MoE points inform it, too few on most GPU types to fit it apart). Fitted on all points at once, around
 * DEFAULT_FACTORS with HOST_SIGMA.
 */
const HOST_KEYS = ['tokenizeUsPerToken', 'expertGemmShare'] as const;
/**
 * Prior spread (log) of the shared factors: ×2 for the tokenizer, the width of the public figure and then some; ×1.7
 * for the experts' GEMM share, whose public bounds (see DEFAULT_FACTORS) sit one spread either side of its centre.
 */
const HOST_SIGMA: Record<(typeof HOST_KEYS)[number], number> = {
  tokenizeUsPerToken: Math.log(2),
  expertGemmShare: Math.log(1.7),
};
/**
 * Prior spread (log) of the population's factors around the defaults: one standard deviation is ×1.2 (efficiencies),
 * ×1.3 (overheads). The population stands for every GPU type without points of its own.
 */
const POPULATION_SIGMA: Record<GpuFactor, number> = {
  bandwidth: Math.log(1.2),
  compute: Math.log(1.2),
  stepOverheadMs: Math.log(1.3),
  requestOverheadMs: Math.log(1.3),
};
/**
 * Spread (log) of one GPU family's factors (vendor and architecture: one kernel generation) around the population's,
 * as the vendor's software stack moves them (VENDOR_SPREAD) and then the architecture within it (FAMILY_SPREAD): one
 * standard deviation is ×1.35 (efficiencies), ×1.6 (overheads) in all, its variance split evenly between the two
 * levels, as the spread of a type around the population is split between family and type (GPU_SPREAD). Families of
 * one vendor run one software stack (CUDA or ROCm, the same vLLM kernels: the argument of VENDOR_COMPUTE_SHARE), so
 * they share the vendor's part of the spread: a family with few or poorly explained points leans on its vendor's
 * other families before the population.
 */
const VENDOR_FAMILY_SPREAD: Record<GpuFactor, number> = {
  bandwidth: Math.log(1.35),
  compute: Math.log(1.35),
  stepOverheadMs: Math.log(1.6),
  requestOverheadMs: Math.log(1.6),
};
const halfOf = (spread: Record<GpuFactor, number>): Record<GpuFactor, number> => ({
  bandwidth: spread.bandwidth / Math.SQRT2,
  compute: spread.compute / Math.SQRT2,
  stepOverheadMs: spread.stepOverheadMs / Math.SQRT2,
  requestOverheadMs: spread.requestOverheadMs / Math.SQRT2,
});
/** Spread (log) of one vendor's factors around the population's (moved by the vendor's prior): ×1.24, ×1.39. */
const VENDOR_SPREAD = halfOf(VENDOR_FAMILY_SPREAD);
/** Spread (log) of one architecture family's factors around its vendor's: ×1.24, ×1.39. */
const FAMILY_SPREAD = halfOf(VENDOR_FAMILY_SPREAD);
/**
 * Spread (log) of one GPU type's factors around its family's: ×1.3 (efficiencies: memory kind, clocks, board power),
 * ×1.65 (overheads: the host CPU and driver stack behind each GPU type differ too). With VENDOR_FAMILY_SPREAD it
 * makes the spread of a type around the population ×1.5 and ×2, as before families were pooled.
 */
const GPU_SPREAD: Record<GpuFactor, number> = {
  bandwidth: Math.log(1.3),
  compute: Math.log(1.3),
  stepOverheadMs: Math.log(1.65),
  requestOverheadMs: Math.log(1.65),
};

/**
 * The pooling weight: the share of the measured GPU types' mean (log) shift from the defaults that the population —
 * and so every GPU type without points outside their vendors — takes, with `gpuTypes` types measured, each of a
 * vendor of its own (each pinned by its points). Points on one GPU type move an unmeasured one of another vendor by
 * at most this share of their own type's shift: 0.17 of it for one measured type's efficiencies, 0.13 for its
 * overheads; only as more GPU types agree does the weight grow. A type of the same vendor moves further
 * (`vendorPoolingWeight`), one of the same family further still (`familyPoolingWeight`).
 */
export function poolingWeight(factor: GpuFactor, gpuTypes: number): number {
  const population = POPULATION_SIGMA[factor] ** 2;
  const spread = VENDOR_SPREAD[factor] ** 2 + FAMILY_SPREAD[factor] ** 2 + GPU_SPREAD[factor] ** 2;
  return (gpuTypes * population) / (gpuTypes * population + spread);
}

/**
 * The share of the gap between one measured GPU type, the only measured one of its vendor, and the population that
 * its vendor — and so the vendor's other families' types without points — takes: 0.28 for efficiencies, 0.23 for
 * overheads.
 */
export function vendorPoolingWeight(factor: GpuFactor): number {
  const vendor = VENDOR_SPREAD[factor] ** 2;
  return vendor / (vendor + FAMILY_SPREAD[factor] ** 2 + GPU_SPREAD[factor] ** 2);
}

/**
 * The share of the gap between one measured GPU type, the only measured one of its vendor, and the population that
 * its family — and so the family's types without points — takes: 0.57 for efficiencies, 0.47 for overheads.
 */
export function familyPoolingWeight(factor: GpuFactor): number {
  const above = VENDOR_SPREAD[factor] ** 2 + FAMILY_SPREAD[factor] ** 2;
  return above / (above + GPU_SPREAD[factor] ** 2);
}

/**
 * Prefill utilization the fit treats as the edge of the model's capacity. Past it Kingman's wait (∝ 1/(1 − ρ))
 * runs to infinity at ρ = 1, where the measured server still showed a steady state; at 0.99 a Poisson queue already
 * waits ~50 prefills (ρ/(2(1 − ρ)) services), so the edge sits just short of the pole and the residual stays finite.
 */
const CAPACITY_EDGE_UTILIZATION = 0.99;
/** Residual of a target the model cannot predict even at a small share of the measured load. */
const UNPREDICTABLE_RESIDUAL = 3;

const servable = (state: OperatingPoint | null): state is OperatingPoint =>
  state !== null && state.prefillUtilization <= CAPACITY_EDGE_UTILIZATION;

/**
 * The model's state at the measured load, or — when the model cannot carry that load (its capacity below the
 * measured throughput) — at the highest rate it can carry, the capacity edge, found by bisection in log rate (state
 * at fixed step grows monotonically with the rate). Returns that state and the measured throughput over its rate
 * (1 when servable); null when not even a thousandth of the load is servable.
 */
function stateAtEdge(
  sys: ServingSystem,
  s: PreparedSample,
): { state: OperatingPoint; overload: number } | null {
  const at = (rate: number) => stateAtMeasuredLoad(sys, rate, s.meanStepSec, s.othersShare, s.clients);
  const measured = at(s.throughput);
  if (servable(measured)) return { state: measured, overload: 1 };
  let lo = Math.log(s.throughput / 1e3);
  let state = at(Math.exp(lo));
  if (!servable(state)) return null;
  let hi = Math.log(s.throughput);
  // 1e-10 in log rate: the edge moves smoothly with the factors, so finite differences (h = 1e-3) see its slope.
  while (hi - lo > 1e-10) {
    const mid = 0.5 * (lo + hi);
    const trial = at(Math.exp(mid));
    if (servable(trial)) {
      lo = mid;
      state = trial;
    } else hi = mid;
  }
  return { state, overload: s.throughput / Math.exp(lo) };
}

/**
 * Log residuals of each target of `samples` under `factors`. A point beyond the model's capacity is evaluated at the
 * capacity edge and its residuals raised by the log of the overload (measured throughput over the model's capacity):
 * the model predicts too slow a server by at least that factor. Continuous across the edge (overload 1 there) and
 * growing with how far beyond it the factors put the point, so a fit can step across the edge instead of meeting a
 * fixed residual that no small step improves.
 */
function residualsOf(samples: PreparedSample[], factors: EfficiencyFactors, into: number[]): void {
  for (const s of samples) {
    const sys = systemFor(s.deployment, factors, s.workload);
    const edge = stateAtEdge(sys, s);
    const shapes =
      edge === null ? null : { ttft: ttftShape(sys, edge.state), e2e: e2eShape(sys, edge.state) };
    for (const target of s.targets) {
      const predicted =
        edge === null || shapes === null ? Number.NaN : predictTarget(sys, edge.state, shapes, target);
      into.push(
        edge !== null && Number.isFinite(predicted) && predicted > 0
          ? Math.log(predicted / target.measuredMs) + Math.log(edge.overload)
          : UNPREDICTABLE_RESIDUAL,
      );
    }
  }
}

/** Log residuals of one sample's fitted statistics under `factors`; null when the sample is not fitted. */
export function sampleResiduals(
  sample: CalibrationSample,
  factors: EfficiencyFactors,
  models: Model[],
  gpus: Gpu[],
): number[] | null {
  const prepared = prepare(
    sample,
    new Map(models.map((m) => [m.id, m])),
    new Map(gpus.map((g) => [g.id, g])),
  );
  if (prepared === null) return null;
  const residuals: number[] = [];
  residualsOf([prepared], factors, residuals);
  return residuals;
}

/**
 * The parameter vector, all in log space: the host factors (HOST_KEYS order), then the population's four factors
 * (FACTOR_KEYS order), then each vendor's, then each family's, then each GPU type's (`uppers` is the number of
 * vendors and families together).
 */
const HOST = HOST_KEYS.length;
const hostParam = (k: number) => k;
const populationParam = (k: number) => HOST + k;
const vendorParam = (v: number, k: number) => HOST + 4 * (v + 1) + k;
const familyParam = (h: Hierarchy, f: number, k: number) => HOST + 4 * (h.vendorOffsets.length + f + 1) + k;
const gpuParam = (uppers: number, g: number, k: number) => HOST + 4 * (uppers + g + 1) + k;
const keyOf = (i: number): keyof EfficiencyFactors =>
  i < HOST ? HOST_KEYS[i]! : FACTOR_KEYS[(i - HOST) % 4]!;

/** Factors whose four per-GPU log values start at `base` (FACTOR_KEYS order), with the host factors of `x`. */
function factorsFrom(x: number[], base: number): EfficiencyFactors {
  const at = (k: number) => Math.exp(x[base + k]!);
  return {
    stepOverheadMs: at(0),
    requestOverheadMs: at(1),
    bandwidth: at(2),
    compute: at(3),
    tokenizeUsPerToken: Math.exp(x[hostParam(0)]!),
    expertGemmShare: Math.exp(x[hostParam(1)]!),
  };
}

const defaultLog = (key: keyof EfficiencyFactors) => Math.log(DEFAULT_FACTORS[key]);

/** The vendors and families the prior knows and where each GPU type sits among them. */
interface Hierarchy {
  /** Log offset of each vendor's prior centre from the population's, per factor (FACTOR_KEYS order). */
  vendorOffsets: number[][];
  /** Vendor index of each family. */
  vendorOfFamily: number[];
  /** Family index of each fitted GPU type. */
  familyOfGroup: number[];
}

/** Vendors and families together: the levels between the population and the GPU types. */
const uppersOf = (h: Hierarchy) => h.vendorOffsets.length + h.vendorOfFamily.length;

/**
 * The vendor's prior: its software stack's share of the tensor-core peak (VENDOR_COMPUTE_SHARE) and its GPUs' share of
 * the datasheet bandwidth (VENDOR_BANDWIDTH_SHARE).
 */
function vendorOffset(vendor: Gpu['vendor'], key: GpuFactor): number {
  if (key === 'compute') return Math.log(VENDOR_COMPUTE_SHARE[vendor]);
  return key === 'bandwidth' ? Math.log(VENDOR_BANDWIDTH_SHARE[vendor]) : 0;
}

/** Prior rows: each (value − centre) / spread, with the row's dependence on the parameters. */
function priorRows(x: number[], h: Hierarchy): { r: number; terms: [number, number][] }[] {
  const rows: { r: number; terms: [number, number][] }[] = [];
  const uppers = uppersOf(h);
  const difference = (a: number, b: number, offset: number, spread: number) => ({
    r: (x[a]! - x[b]! - offset) / spread,
    terms: [
      [a, 1 / spread],
      [b, -1 / spread],
    ] as [number, number][],
  });
  HOST_KEYS.forEach((key, k) => {
    const sigma = HOST_SIGMA[key];
    rows.push({ r: (x[hostParam(k)]! - defaultLog(key)) / sigma, terms: [[hostParam(k), 1 / sigma]] });
  });
  FACTOR_KEYS.forEach((key, k) => {
    const pop = populationParam(k);
    const sigma = POPULATION_SIGMA[key];
    rows.push({ r: (x[pop]! - defaultLog(key)) / sigma, terms: [[pop, 1 / sigma]] });
    h.vendorOffsets.forEach((offsets, v) => {
      rows.push(difference(vendorParam(v, k), pop, offsets[k]!, VENDOR_SPREAD[key]));
    });
    h.vendorOfFamily.forEach((v, f) => {
      rows.push(difference(familyParam(h, f, k), vendorParam(v, k), 0, FAMILY_SPREAD[key]));
    });
    h.familyOfGroup.forEach((f, g) => {
      rows.push(difference(gpuParam(uppers, g, k), familyParam(h, f, k), 0, GPU_SPREAD[key]));
    });
  });
  return rows;
}

/**
 * The population's, vendors' and families' factors that minimise the prior given the GPU types' (the fit's
 * stationary point, exactly): per factor, the normal equations of the population, vendor and family rows.
 */
function pooledUpperLevels(x: number[], h: Hierarchy): number[] {
  const out = [...x];
  const vendors = h.vendorOffsets.length;
  const uppers = uppersOf(h);
  FACTOR_KEYS.forEach((key, k) => {
    // Unknowns: population (0), then each vendor (1 + v), then each family (1 + vendors + f).
    const a = Array.from({ length: uppers + 1 }, () => new Array<number>(uppers + 1).fill(0));
    const b = new Array<number>(uppers + 1).fill(0);
    const p = 1 / POPULATION_SIGMA[key] ** 2;
    a[0]![0] = p;
    b[0] = p * defaultLog(key);
    // One prior row (child − parent − offset) / spread between two unknowns.
    const link = (child: number, parent: number, offset: number, spread: number) => {
      const w = 1 / spread ** 2;
      a[child]![child]! += w;
      a[parent]![parent]! += w;
      a[child]![parent]! -= w;
      a[parent]![child]! -= w;
      b[child]! += w * offset;
      b[parent]! -= w * offset;
    };
    h.vendorOffsets.forEach((offsets, v) => {
      link(1 + v, 0, offsets[k]!, VENDOR_SPREAD[key]);
    });
    h.vendorOfFamily.forEach((v, f) => {
      link(1 + vendors + f, 1 + v, 0, FAMILY_SPREAD[key]);
    });
    const gpu = 1 / GPU_SPREAD[key] ** 2;
    h.familyOfGroup.forEach((f, g) => {
      a[1 + vendors + f]![1 + vendors + f]! += gpu;
      b[1 + vendors + f]! += gpu * x[gpuParam(uppers, g, k)]!;
    });
    const solved = solveLinear(a, b);
    out[populationParam(k)] = solved[0]!;
    for (let v = 0; v < vendors; v++) out[vendorParam(v, k)] = solved[1 + v]!;
    h.vendorOfFamily.forEach((_, f) => {
      out[familyParam(h, f, k)] = solved[1 + vendors + f]!;
    });
  });
  return out;
}

/**
 * One hierarchical fit, minimised by Levenberg–Marquardt with Huber reweighting, on four levels. Each GPU type has
 * its own four factors, scattered (GPU_SPREAD) around its family's (vendor and architecture, `gpuFamilyOf`), which
 * scatter (FAMILY_SPREAD) around their vendor's (one software stack: CUDA or ROCm and their vLLM kernels), which
 * scatter (VENDOR_SPREAD) around population values that carry the textbook prior; a vendor's prior centre is the
 * population's moved by its software stack and memory system (`VENDOR_COMPUTE_SHARE`, `VENDOR_BANDWIDTH_SHARE`).
 * A GPU type without points takes its family's factors, so it borrows strength from measured types of its own
 * architecture first (`familyPoolingWeight`), then from its vendor's other architectures (`vendorPoolingWeight`),
 * and from other vendors only through the population, by at most the pooling weight (`poolingWeight`) of their
 * shift — so a few imported points calibrate their GPU type and leave the rest of the catalog nearly where it was.
 * The host factors (HOST_KEYS: API-server work, the same CPU code on every GPU type) are one value for all GPU types,
 * fitted on every point around their sourced prior. A GPU type's factors touch only its own points, so the Jacobian
 * costs about six passes over the points (one for each host factor).
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
  const familyOfGpu = Object.fromEntries(gpus.map((g) => [g.id, gpuFamilyOf(g)]));
  const vendorOfFamily = new Map(gpus.map((g) => [gpuFamilyOf(g), g.vendor]));
  const familyIds = [...vendorOfFamily.keys()].sort();
  const vendorIds = [...new Set(vendorOfFamily.values())].sort();
  const hierarchy: Hierarchy = {
    vendorOffsets: vendorIds.map((v) => FACTOR_KEYS.map((key) => vendorOffset(v, key))),
    vendorOfFamily: familyIds.map((f) => vendorIds.indexOf(vendorOfFamily.get(f)!)),
    familyOfGroup: gpuIds.map((id) => familyIds.indexOf(familyOfGpu[id]!)),
  };
  const uppers = uppersOf(hierarchy);
  const firstGpuParam = gpuParam(uppers, 0, 0);
  const factorsAt = (xs: number[], g: number) => factorsFrom(xs, gpuParam(uppers, g, 0));
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

  let x = [
    ...HOST_KEYS.map(defaultLog),
    ...FACTOR_KEYS.map(defaultLog),
    ...hierarchy.vendorOffsets.flatMap((offsets) =>
      FACTOR_KEYS.map((key, k) => defaultLog(key) + offsets[k]!),
    ),
    ...hierarchy.vendorOfFamily.flatMap((v) =>
      FACTOR_KEYS.map((key, k) => defaultLog(key) + hierarchy.vendorOffsets[v]![k]!),
    ),
    ...hierarchy.familyOfGroup.flatMap((f) =>
      FACTOR_KEYS.map(
        (key, k) => defaultLog(key) + hierarchy.vendorOffsets[hierarchy.vendorOfFamily[f]!]![k]!,
      ),
    ),
  ];
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
    for (const row of priorRows(xs, hierarchy)) value += row.r * row.r;
    return value;
  };

  const moeColumn = (xj: number[], base: number[][], h: number) =>
    jacobianGroups.map((group, g) => {
      const factors = factorsAt(xj, g);
      const column: number[] = [];
      for (const s of group) {
        if (s.deployment.geometry.expertFlopsPerToken === 0) {
          for (const _ of s.targets) column.push(0);
          continue;
        }
        const shifted: number[] = [];
        residualsOf([s], factors, shifted);
        for (const r of shifted) column.push((r - base[g]![column.length]!) / h);
      }
      return column;
    });

  // Normal equations of the Huber-reweighted data (Jacobian on the subsample) and the prior, with the host factors
  // held at their prior unless `freeHost`.
  const normalEquations = (xs: number[], data: number[][], freeHost: boolean) => {
    const n = xs.length;
    const h = 1e-3;
    // Data Jacobian, column by column; a GPU type's columns need only its own points, a host factor's all of them but
    // the experts' GEMM share's, which moves only the MoE points (a dense step has no expert FLOPs to scale).
    const base = subsampled ? dataResiduals(xs, undefined, jacobianGroups) : data;
    const columns: (number[][] | null)[] = xs.map((_, j) => {
      const host = j < HOST;
      if ((host && !freeHost) || (!host && j < firstGpuParam)) return null;
      const xj = [...xs];
      xj[j]! += h;
      if (HOST_KEYS[j] === 'expertGemmShare') return moeColumn(xj, base, h);
      const only = host ? undefined : Math.floor((j - firstGpuParam) / 4);
      const shifted = dataResiduals(xj, only, jacobianGroups);
      return shifted.map((r, g) =>
        only === undefined || only === g ? r.map((v, i) => (v - base[g]![i]!) / h) : [],
      );
    });
    const jtj = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const jtr = new Array<number>(n).fill(0);
    let row = 0;
    base.forEach((r, g) => {
      const active = [
        ...(freeHost ? HOST_KEYS.map((_, k) => hostParam(k)) : []),
        ...[0, 1, 2, 3].map((k) => gpuParam(uppers, g, k)),
      ];
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
    for (const prior of priorRows(xs, hierarchy)) {
      for (const [p, jp] of prior.terms) {
        jtr[p]! += jp * prior.r;
        for (const [q, jq] of prior.terms) jtj[p]![q]! += jp * jq;
      }
    }
    return { jtj, jtr };
  };
  const bounds = {
    lower: x.map((_, i) => Math.log(BOUNDS[keyOf(i)][0])),
    upper: x.map((_, i) => Math.log(BOUNDS[keyOf(i)][1])),
  };
  const problemOf = (freeHost: boolean) => ({
    bounds,
    evaluate: (xs: number[]) => {
      const data = dataResiduals(xs);
      return { value: objective(xs, data), state: data };
    },
    normalEquations: (xs: number[], data: number[][]) => normalEquations(xs, data, freeHost),
  });
  // Two phases: the GPU types' factors with the host factors at their prior, then everything. A host factor moves
  // every GPU type's residuals at once; freeing it from the start sends a GPU type with few, poorly explained points
  // to another local minimum than the prior's (H200 without InferenceMAX: step overhead 4.9 → 5.9 ms), where the
  // second phase only adjusts the first one's answer to the fitted host factors. Each phase ends when a step gains
  // nothing or after 20 iterations (the bounded step converges in far fewer).
  const start = problemOf(false).evaluate(x);
  const gpuPhase = minimiseBounded(problemOf(false), { x, ...start }, 20);
  const fitted = minimiseBounded(problemOf(true), gpuPhase, 20);
  const data = fitted.state;
  x = fitted.x;
  x = pooledUpperLevels(x, hierarchy);

  const rms = (r: number[]) => Math.sqrt(r.reduce((sum, v) => sum + v * v, 0) / Math.max(r.length, 1));
  const perGpu: Record<string, FactorFit> = {};
  gpuIds.forEach((id, g) => {
    perGpu[id] = {
      factors: factorsAt(x, g),
      points: groups[g]!.length,
      rmsLogError: rms(data[g]!),
    };
  });
  const perFamily: Partial<Record<GpuFamily, FactorFit>> = {};
  familyIds.forEach((family, f) => {
    const members = hierarchy.familyOfGroup.flatMap((of, g) => (of === f ? [g] : []));
    perFamily[family] = {
      factors: factorsFrom(x, familyParam(hierarchy, f, 0)),
      points: members.reduce((sum, g) => sum + groups[g]!.length, 0),
      rmsLogError: rms(members.flatMap((g) => data[g]!)),
    };
  });
  const global: FactorFit = {
    factors: factorsFrom(x, populationParam(0)),
    points: prepared.length,
    rmsLogError: rms(data.flat()),
  };
  return { global, perGpu, perFamily, familyOfGpu };
}
