/**
 * The planner's performance model: predictPerformance for one replica under a load, maxRateWithinSlo for the
 * highest rate that keeps p95 latencies within targets. Pure functions of (input, knowledge); calibration and
 * per-deployment work are cached per knowledge snapshot (the Knowledge object is treated as immutable).
 */
import type { BenchmarkLoad, BenchmarkPoint, Gpu, Knowledge, Model } from '../knowledge/catalog.js';
import { describeSource, isObservedSource } from '../knowledge/catalog.js';
import { KV_BLOCK_TOKENS } from './assumptions.js';
import {
  type Calibration,
  type CalibrationSample,
  calibrate,
  type FactorsBasis,
  factorsFor,
} from './calibrate.js';
import { buildDeployment, catalogPair, type Deployment, systemFor } from './deployment.js';
import {
  describeErrorBand,
  type ErrorBand,
  errorBandOf,
  gpuFamilyOf,
  loadRegionOf,
  modelClassOf,
} from './error-bands.js';
import {
  correctionFor,
  FAMILIES,
  type Family,
  indexResiduals,
  type MeasuredCorrection,
  type MeasuredIndex,
  type MeasuredReference,
  type PhysicsAtPoint,
  residualOf,
  STATS,
} from './measured.js';
import {
  checkMemory,
  type EngineConfig,
  longestRequestTokens,
  plannedMaxModelLen,
  sequencePoolTokens,
} from './memory.js';
import { cachedPromptTokens, cachesPrefixesByDefault } from './prefix-cache.js';
import { samplesOf, withMeasuredCatalog } from './public-measurements.js';
import type { DeploymentConfig, PerformanceInput, Slo } from './schema.js';
import {
  allStats,
  capacity,
  e2eMs,
  itlMs,
  type LatencyStatsMs,
  type OperatingPoint,
  type ServingSystem,
  solveAtRate,
  solveClosedLoop,
  ttftMs,
  type Workload,
} from './serving.js';
import { decodeStepSec, type EfficiencyFactors } from './step-time.js';

export type Basis = 'measured' | 'interpolated' | 'estimated';

/** The figures a prediction rests on, so it can be explained. */
export interface PredictionEvidence {
  parallel: { tensorParallel: number; pipelineParallel: number };
  engine: EngineConfig;
  memory: {
    weightsGbTotal: number;
    weightsGbPerGpu: number;
    activationGbPerGpu: number;
    nonTorchGbPerGpu: number;
    kvPoolGbPerGpu: number;
    kvBytesPerToken: number;
    kvBytesPerTokenPerGpu: number;
    kvTokens: number;
    /** Longest max_model_len vLLM will accept on this deployment. */
    maxModelLenThatFits: number;
    /** The --max-model-len a manifest sets at most: within a margin of the KV cache (plannedMaxModelLen). */
    plannedMaxModelLen: number;
    /** Requests of the workload's length the KV cache holds at once, each at its peak (windows and state counted). */
    requestsAtOnce: number;
  };
  batching: {
    maxRunning: number;
    limitedBy: 'kv-cache' | 'max-num-seqs';
    meanDecoding: number;
    batchSeen: number;
    chunksPerPrompt: number;
    chunkTokens: number;
    mixedStepShare: number;
    prefillUtilization: number;
  };
  stepTimesMs: {
    singleSequenceDecode: number;
    decode: number;
    withPrefillChunk: number;
    mean: number;
    ownPrefill: number;
    queueWait: number;
  };
  factors: EfficiencyFactors & { basis: FactorsBasis; calibratedOnPoints: number };
  measuredPoints: MeasuredReference[];
  /** Observations of Compass's own deployments of this configuration behind the correction (0: none used). */
  observations: number;
}

export interface Prediction {
  basis: Basis;
  ttftMs: LatencyStatsMs;
  itlMs: LatencyStatsMs;
  e2eMs: LatencyStatsMs;
  requestsPerSec: number;
  outputTokensPerSec: number;
  /** Highest request rate this replica sustains at this traffic, whatever the latency. */
  capacityRequestsPerSec: number;
  /** Open loop beyond capacity: latencies are those at capacity and the queue grows without bound. */
  saturated: boolean;
  /** Requests per second the waiting queue grows by when saturated (0 otherwise). */
  backlogGrowthPerSec: number;
  /** Expected error of the latencies: p90 of held-out errors on public measurements like this deployment. */
  errorBand: ErrorBand;
  evidence: PredictionEvidence;
  notes: string[];
}

export type PredictionResult = { ok: true; prediction: Prediction } | { ok: false; reason: string };

// ---------------------------------------------------------------------------------------------------------------
// Per-snapshot cache

interface Index {
  models: Map<string, Model>;
  gpus: Map<string, Gpu>;
  calibration: Calibration | null;
  pointsByConfig: Map<string, BenchmarkPoint[]>;
  /** Deployments by the parts of deploymentPartsOf. */
  deployments: TupleMemo<BuiltDeployment>;
  /**
   * Default-engine deployments by model, GPU, precision and layoutKeyOf: a plan asks for one per shape (twice for
   * most), and the key of deploymentPartsOf took a walk of nine maps, a twentieth of a plan.
   */
  defaultDeployments: Map<Model, Map<Gpu, Map<string, Map<number, BuiltDeployment>>>>;
  capacities: Map<string, OperatingPoint>;
  /** Residuals of each default-engine deployment's measured points. */
  residuals: Map<Deployment, MeasuredIndex>;
  /**
   * Prepared deployments (default options only) by traffic and engine options, then by model and deployment: a plan
   * looks one up per shape, a model's shapes one after another, and a model's few hundred stay in cache where one map
   * of a 200-model plan's ~24k did not.
   */
  prepared: TupleMemo<Map<Model, Map<BuiltDeployment, PrepareResult>>>;
  /** Deployments prepared in `prepared`, all traffics together. */
  preparedCount: number;
}

/**
 * Most entries a per-snapshot memo keeps (a long-lived bot sees many specs on one snapshot); past it the memo starts
 * over, which costs one slower plan, never a different one.
 */
const MEMO_ENTRIES = 100_000;

type KeyPart = string | number | undefined;

/**
 * A memo keyed by a tuple of primitives, held as nested maps. The planner looks up every shape of a plan: a key string
 * per lookup took microseconds to build and hash, where the parts are catalog strings (V8 keeps their hash) and
 * numbers.
 */
class TupleMemo<V> {
  private readonly root = new Map<KeyPart, unknown>();
  /** The key last found and its value: a plan looks up one traffic for every shape, a walk of seven maps each time. */
  private last: { parts: readonly KeyPart[]; value: V } | null = null;

  get(parts: readonly KeyPart[]): V | undefined {
    if (this.last !== null && samePartsAs(this.last.parts, parts)) return this.last.value;
    let node: unknown = this.root;
    for (const part of parts) {
      node = (node as Map<KeyPart, unknown>).get(part);
      if (node === undefined) return undefined;
    }
    this.last = { parts, value: node as V };
    return node as V;
  }

  set(parts: readonly KeyPart[], value: V): V {
    this.last = null;
    let node = this.root;
    for (const part of parts.slice(0, -1)) {
      let next = node.get(part) as Map<KeyPart, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(part, next);
      }
      node = next;
    }
    node.set(parts.at(-1), value);
    return value;
  }
}

/** Whether two keys are the same tuple, as the maps compare parts (NaN, which never equals itself, counts as a miss). */
function samePartsAs(a: readonly KeyPart[], b: readonly KeyPart[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const indexes = new WeakMap<Knowledge, Index>();

function configKey(c: Omit<ReplicaShape, 'engine'>) {
  const moe = `${c.dataParallel ? `|dp${c.dataParallel}` : ''}${c.expertParallel ? '|ep' : ''}`;
  const checkpoint = c.checkpoint === undefined ? '' : `|${c.checkpoint}`;
  return `${c.modelId}|${c.gpuId}|${c.gpuCount}|${c.tensorParallel}|${c.precision}${checkpoint}${moe}`;
}

function indexFor(knowledge: Knowledge): Index {
  const cached = indexes.get(knowledge);
  if (cached) return cached;
  const pointsByConfig = new Map<string, BenchmarkPoint[]>();
  for (const point of knowledge.benchmarks) {
    const key = configKey(point);
    pointsByConfig.set(key, [...(pointsByConfig.get(key) ?? []), point]);
  }
  const index: Index = {
    models: new Map(knowledge.models.map((m) => [m.id, m])),
    gpus: new Map(knowledge.gpus.map((g) => [g.id, g])),
    calibration: null,
    pointsByConfig,
    deployments: new TupleMemo(),
    defaultDeployments: new Map(),
    capacities: new Map(),
    residuals: new Map(),
    prepared: new TupleMemo(),
    preparedCount: 0,
  };
  indexes.set(knowledge, index);
  return index;
}

/**
 * The calibration a knowledge snapshot yields, fitted once per snapshot: on the steady-state points of its public
 * measurements (with the engine settings and length spreads their series state, on the catalog's GPUs and models and
 * the hardware variants and models only they ran) and on its own benchmarks, imported or observed.
 */
export function calibrationOf(knowledge: Knowledge): Calibration {
  const index = indexFor(knowledge);
  if (index.calibration) return index.calibration;
  const { measurements } = knowledge;
  const { gpus, models } = measurements ? withMeasuredCatalog(knowledge, measurements) : knowledge;
  index.calibration = calibrate(
    [
      ...(measurements ? samplesOf(measurements, gpus) : []),
      ...knowledge.benchmarks.map((point): CalibrationSample => ({ point })),
    ],
    models,
    gpus,
  );
  return index.calibration;
}

/** What a replica's deployment depends on (its traffic does not). */
type ReplicaShape = Pick<
  DeploymentConfig,
  | 'modelId'
  | 'gpuId'
  | 'gpuCount'
  | 'tensorParallel'
  | 'dataParallel'
  | 'expertParallel'
  | 'precision'
  | 'checkpoint'
  | 'engine'
>;

/** The deployment of `config` on the knowledge's catalog entries, built once per snapshot. */
export function deploymentOf(knowledge: Knowledge, config: ReplicaShape, model: Model, gpu: Gpu) {
  return deploymentFor(indexFor(knowledge), config, model, gpu);
}

/** Key of a deployment in the capacity memo: its configuration and engine options. */
const deploymentKeyOf = (config: ReplicaShape) =>
  `${configKey(config)}|${JSON.stringify(config.engine ?? {})}`;

/** What tells deployments apart, as deploymentKeyOf does (engine options given as `engine`). */
const deploymentPartsOf = (config: ReplicaShape, engine: string) => [
  config.modelId,
  config.gpuId,
  config.gpuCount,
  config.tensorParallel,
  config.precision,
  config.checkpoint ?? '',
  config.dataParallel || 0,
  config.expertParallel ? 1 : 0,
  engine,
];

type BuiltDeployment = ReturnType<typeof buildDeployment>;

/** Largest GPU count, TP or DP degree layoutKeyOf packs; a layout beyond it is keyed by its parts. */
const LAYOUT_PART_LIMIT = 256;

/**
 * GPUs, TP, DP and expert parallelism of a deployment packed in one small integer, as deploymentPartsOf tells them
 * apart; null when a part is not a whole number below LAYOUT_PART_LIMIT.
 */
function layoutKeyOf(config: ReplicaShape): number | null {
  const dataParallel = config.dataParallel || 0;
  if (!packable(config.gpuCount) || !packable(config.tensorParallel) || !packable(dataParallel)) return null;
  const packed =
    (config.gpuCount * LAYOUT_PART_LIMIT + config.tensorParallel) * LAYOUT_PART_LIMIT + dataParallel;
  return packed * 2 + (config.expertParallel ? 1 : 0);
}

const packable = (part: number) => Number.isInteger(part) && part >= 0 && part < LAYOUT_PART_LIMIT;

/** The map under `key`, added empty when absent. */
function branch<K, L, V>(maps: Map<K, Map<L, V>>, key: K): Map<L, V> {
  const known = maps.get(key);
  if (known !== undefined) return known;
  const added = new Map<L, V>();
  maps.set(key, added);
  return added;
}

const build = (config: ReplicaShape, model: Model, gpu: Gpu) =>
  buildDeployment(
    model,
    gpu,
    config.gpuCount,
    config.tensorParallel,
    config.precision,
    config.engine,
    { dataParallel: config.dataParallel, expertParallel: config.expertParallel },
    config.checkpoint,
  );

function deploymentFor(index: Index, config: ReplicaShape, model: Model, gpu: Gpu): BuiltDeployment {
  const layout = config.engine || config.checkpoint !== undefined ? null : layoutKeyOf(config);
  if (layout === null) {
    const parts = deploymentPartsOf(config, config.engine ? JSON.stringify(config.engine) : '{}');
    return index.deployments.get(parts) ?? index.deployments.set(parts, build(config, model, gpu));
  }
  const byGpu = branch(index.defaultDeployments, model);
  const byLayout = branch(branch(byGpu, gpu), config.precision);
  const known = byLayout.get(layout);
  if (known !== undefined) return known;
  const built = build(config, model, gpu);
  byLayout.set(layout, built);
  return built;
}

// ---------------------------------------------------------------------------------------------------------------
// Physics

interface Estimate {
  sys: ServingSystem;
  point: OperatingPoint;
  capacity: OperatingPoint;
  requestsPerSec: number;
  saturated: boolean;
  backlogGrowthPerSec: number;
}

/** Capacity at one deployment, traffic and factor set, cached per knowledge snapshot. */
function capacityOf(index: Index, sys: ServingSystem, key: string): OperatingPoint {
  const cached = index.capacities.get(key);
  if (cached) return cached;
  const cap = capacity(sys);
  index.capacities.set(key, cap);
  return cap;
}

function estimate(sys: ServingSystem, load: BenchmarkLoad, index: Index, key: string): Estimate {
  const cap = capacityOf(index, sys, key);
  if (load.kind === 'concurrency') {
    const { point, saturated } = solveClosedLoop(sys, load.value, cap);
    return { sys, point, capacity: cap, requestsPerSec: point.throughput, saturated, backlogGrowthPerSec: 0 };
  }
  // At capacity the server serves its maximum; an offered rate beyond it grows the backlog.
  const atCapacity = (backlogGrowthPerSec: number): Estimate => ({
    sys,
    point: cap,
    capacity: cap,
    requestsPerSec: cap.throughput,
    saturated: true,
    backlogGrowthPerSec,
  });
  if (load.kind === 'max') return atCapacity(0);
  const point = load.value < cap.throughput ? solveAtRate(sys, load.value) : null;
  if (point === null) return atCapacity(Math.max(load.value - cap.throughput, 0));
  return { sys, point, capacity: cap, requestsPerSec: load.value, saturated: false, backlogGrowthPerSec: 0 };
}

function latencyOf(e: Estimate): Record<Family, LatencyStatsMs> {
  return {
    ttft: allStats((s) => ttftMs(e.sys, e.point, s)),
    itl: allStats((s) => itlMs(e.sys, e.point, s)),
    e2e: allStats((s) => e2eMs(e.sys, e.point, s)),
  };
}

function workloadOf(c: {
  promptTokens: number;
  outputTokens: number;
  promptTokensCv?: number | undefined;
  outputTokensCv?: number | undefined;
  arrivalCv?: number | undefined;
  prefixShare?: number | undefined;
}): Workload {
  // The arrival cv added only where set, not by a conditional spread (V8's slow path): a plan builds one per shape.
  const workload: Workload = {
    promptTokens: c.promptTokens,
    outputTokens: c.outputTokens,
    cachedPromptTokens: cachedPromptTokens(c.promptTokens, c.prefixShare ?? 0, KV_BLOCK_TOKENS),
    promptCv: c.promptTokensCv ?? 0,
    outputCv: c.outputTokensCv ?? 0,
  };
  if (c.arrivalCv !== undefined) workload.arrivalCv = c.arrivalCv;
  return workload;
}

function factorsKey(f: EfficiencyFactors): string {
  return `${f.bandwidth}|${f.compute}|${f.stepOverheadMs}|${f.requestOverheadMs}|${f.tokenizeUsPerToken}|${f.expertGemmShare}`;
}

function workloadKey(w: Workload): string {
  return `${w.promptTokens}|${w.outputTokens}|${w.promptCv}|${w.outputCv}|${w.arrivalCv ?? 1}|${w.cachedPromptTokens ?? 0}`;
}

/**
 * Residuals of the measured points of one default-engine deployment against the calibrated physics, cached per
 * snapshot.
 */
function residualsFor(
  index: Index,
  deployment: Deployment,
  factors: EfficiencyFactors,
  config: ReplicaShape,
) {
  const cached = index.residuals.get(deployment);
  if (cached) return cached;
  const key = configKey(config);
  const points = index.pointsByConfig.get(key) ?? [];
  const residuals = points.map((point) => {
    const workload = workloadOf(point);
    const sys = systemFor(deployment, factors, workload);
    const e = estimate(sys, point.load, index, `${key}|{}|${workloadKey(workload)}|${factorsKey(factors)}`);
    const physics: PhysicsAtPoint = {
      latency: latencyOf(e),
      requestsPerSec: e.requestsPerSec,
      utilization: e.requestsPerSec / e.capacity.throughput,
    };
    return residualOf(point, physics);
  });
  const indexed = indexResiduals(residuals);
  index.residuals.set(deployment, indexed);
  return indexed;
}

function applyCorrection(
  stats: Record<Family, LatencyStatsMs>,
  correction: MeasuredCorrection | null,
): Record<Family, LatencyStatsMs> {
  if (!correction) return stats;
  const out = {} as Record<Family, LatencyStatsMs>;
  for (const family of FAMILIES) {
    const adjusted = { ...stats[family] };
    for (const stat of STATS) adjusted[stat] = stats[family][stat] * Math.exp(correction.log[family][stat]);
    // Keep percentiles ordered after per-statistic corrections.
    adjusted.p90 = Math.max(adjusted.p90, adjusted.p50);
    adjusted.p95 = Math.max(adjusted.p95, adjusted.p90);
    adjusted.p99 = Math.max(adjusted.p99, adjusted.p95);
    out[family] = adjusted;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Front door

const gb = (bytes: number) => bytes / 1e9;
/** Three significant digits, for text. */
const round = (x: number) => Number(x.toPrecision(3));
/** Three decimals, for evidence figures (ms, GB, counts): cheap enough for the planner's inner loop. */
const round3 = (x: number) => Math.round(x * 1e3) / 1e3;

/** How to predict: by default calibrated on the knowledge's own points and corrected by them where they apply. */
export interface PredictOptions {
  /** Use these factors instead of fitting the knowledge's points (e.g. a calibration held out from a source). */
  calibration?: Calibration;
  /** Correct by measured points of the same deployment (default true). */
  measuredFirst?: boolean;
}

/** A deployment ready to predict: resolved, memory-checked, with its factors and measured residuals. */
interface Prepared {
  index: Index;
  deployment: Deployment;
  calibration: Calibration;
  factors: EfficiencyFactors;
  factorsBasis: FactorsBasis;
  sys: ServingSystem;
  /** The configuration prepared, for the capacity memo's key. */
  replica: ReplicaShape;
  /** Key of the capacity memo, built on first use (see capacityKeyOf): the planner's searches never need it. */
  capacityKey: string | null;
  /** Measured points of this deployment, null when there are none. */
  measured: MeasuredIndex | null;
  /** Probes at the rates every search of the highest rate within targets starts from (see ladderProbe). */
  ladder: Probe[];
  /**
   * Probes of the bisections between ladder rungs, by rung and place in the bisection (see bisectionProbe). This and
   * the memos below start on first use: most shapes of a plan miss at light load and never search.
   */
  bisection: Map<number, Probe> | null;
  /** Unseeded probes at a per-replica load, by rate: specs with other targets often size the same replicas. */
  atLoad: Map<number, Probe> | null;
}

function capacityKeyOf(prepared: Prepared): string {
  prepared.capacityKey ??= `${deploymentKeyOf(prepared.replica)}|${workloadKey(prepared.sys.workload)}|${factorsKey(prepared.factors)}`;
  return prepared.capacityKey;
}

type PrepareResult = { ok: true; prepared: Prepared } | { ok: false; reason: string };

/** Prepares a deployment, once per snapshot for the default options (the planner prepares every shape each plan). */
function prepare(config: DeploymentConfig, knowledge: Knowledge, options: PredictOptions): PrepareResult {
  const index = indexFor(knowledge);
  const pair = catalogPair(config, index.models.get(config.modelId), index.gpus.get(config.gpuId));
  if (!pair.ok) return pair;
  const built = deploymentFor(index, config, pair.model, pair.gpu);
  if (options.calibration !== undefined || options.measuredFirst === false)
    return prepareAfresh(index, config, pair, built, knowledge, options);
  const traffic = [
    config.promptTokens,
    config.outputTokens,
    config.promptTokensCv,
    config.outputTokensCv,
    config.arrivalCv ?? 1,
    config.prefixShare ?? 0,
    config.engine ? JSON.stringify(config.engine) : '',
  ];
  const byModel = index.prepared.get(traffic) ?? index.prepared.set(traffic, new Map());
  const byDeployment = branch(byModel, pair.model);
  const known = byDeployment.get(built);
  if (known) return known;
  // Past MEMO_ENTRIES the memo starts over, which costs one slower plan, never a different one.
  if (index.preparedCount >= MEMO_ENTRIES) {
    index.prepared = new TupleMemo();
    index.preparedCount = 0;
    return prepare(config, knowledge, options);
  }
  const prepared = prepareAfresh(index, config, pair, built, knowledge, options);
  byDeployment.set(built, prepared);
  index.preparedCount += 1;
  return prepared;
}

function prepareAfresh(
  index: Index,
  config: DeploymentConfig,
  { model, gpu }: { model: Model; gpu: Gpu },
  built: BuiltDeployment,
  knowledge: Knowledge,
  options: PredictOptions,
): PrepareResult {
  if (!built.ok) return built;
  const deployment = built.deployment;
  const requestTokens = config.promptTokens + config.outputTokens;
  const memory = checkMemory(
    model,
    gpu,
    config.precision,
    deployment.parallel,
    deployment.memory,
    requestTokens,
  );
  if (!memory.ok) return memory;
  const calibration = options.calibration ?? calibrationOf(knowledge);
  const { factors, basis: factorsBasis } = factorsFor(calibration, gpu.id);
  // The shared prefix only counts where the deployed engine caches it (measured points keep their own).
  const workload = workloadOf(cachesPrefixesByDefault(model) ? config : { ...config, prefixShare: 0 });
  const useMeasured = (options.measuredFirst ?? true) && options.calibration === undefined;
  // Measured points ran with vLLM's defaults: their residuals come from the default-engine deployment.
  const measuredAs = config.engine
    ? deploymentFor(index, { ...config, engine: undefined }, model, gpu)
    : built;
  const measured =
    useMeasured && measuredAs.ok ? residualsFor(index, measuredAs.deployment, factors, config) : null;
  return {
    ok: true,
    prepared: {
      index,
      deployment,
      calibration,
      factors,
      factorsBasis,
      sys: systemFor(deployment, factors, workload),
      replica: config,
      capacityKey: null,
      measured: measured && measured.residuals.length > 0 ? measured : null,
      ladder: [],
      bisection: null,
      atLoad: null,
    },
  };
}

export function predictPerformance(
  input: PerformanceInput,
  knowledge: Knowledge,
  options: PredictOptions = {},
): PredictionResult {
  const ready = prepare(input, knowledge, options);
  if (!ready.ok) return ready;
  const { index, deployment, calibration, factors, factorsBasis, sys, measured } = ready.prepared;
  const physics = estimate(sys, input.load, index, capacityKeyOf(ready.prepared));
  const utilization = Math.min(physics.requestsPerSec / physics.capacity.throughput, 1);
  const correction = measured
    ? correctionFor(measured, input.promptTokens, input.outputTokens, input.load, utilization)
    : null;
  // The feedback loop: every observation of this configuration is counted once the correction draws on one.
  const observations =
    measured && correction?.references.some((ref) => isObservedSource(ref.source))
      ? measured.residuals.filter((r) => isObservedSource(r.point.source)).length
      : 0;
  return {
    ok: true,
    prediction: compose(
      input,
      deployment,
      physics,
      factors,
      factorsBasis,
      calibration,
      correction,
      observations,
    ),
  };
}

function compose(
  input: PerformanceInput,
  deployment: Deployment,
  physics: Estimate,
  factors: EfficiencyFactors,
  factorsBasis: FactorsBasis,
  calibration: Calibration,
  correction: MeasuredCorrection | null,
  observations: number,
): Prediction {
  const { point, sys } = physics;
  const latency = applyCorrection(latencyOf(physics), correction);
  const capacityRequestsPerSec = physics.capacity.throughput * Math.exp(correction?.logCapacity ?? 0);
  const saturated =
    physics.saturated || (input.load.kind === 'rate' && input.load.value > capacityRequestsPerSec * 1.0001);
  const requestsPerSec =
    input.load.kind === 'rate'
      ? Math.min(input.load.value, capacityRequestsPerSec)
      : physics.saturated
        ? capacityRequestsPerSec
        : physics.requestsPerSec;
  const backlog = input.load.kind === 'rate' ? Math.max(input.load.value - capacityRequestsPerSec, 0) : 0;
  const basis: Basis = correction?.basis ?? 'estimated';
  const m = deployment.memory;
  const family = calibration.familyOfGpu?.[deployment.gpu.id];
  const familyPoints = (family && calibration.perFamily?.[family]?.points) || 0;
  // A family without points of its own has its factors from its vendor's other families and the population.
  const scope =
    factorsBasis === 'per-gpu' ? 'gpu' : factorsBasis === 'family' && familyPoints > 0 ? 'family' : 'others';
  const calibratedOn =
    factorsBasis === 'default'
      ? 0
      : scope === 'gpu'
        ? (calibration.perGpu[deployment.gpu.id]?.points ?? 0)
        : scope === 'family'
          ? familyPoints
          : (calibration.global?.points ?? 0);
  const notes = explain(
    input,
    deployment,
    physics,
    basis,
    factorsBasis,
    { calibratedOn, scope, family },
    correction,
    {
      saturated,
      capacityRequestsPerSec,
      backlog,
    },
  );
  if (observations > 0)
    notes.push(`${calibratedFromObservations(observations)}: what Prometheus saw them serve.`);
  const region = loadRegionOf(requestsPerSec, capacityRequestsPerSec, saturated);
  const errorBand = errorBandOf(gpuFamilyOf(deployment.gpu), modelClassOf(deployment.model), region);
  notes.push(describeErrorBand(errorBand));
  return {
    basis,
    ttftMs: latency.ttft,
    itlMs: latency.itl,
    e2eMs: latency.e2e,
    requestsPerSec,
    outputTokensPerSec: requestsPerSec * input.outputTokens,
    capacityRequestsPerSec,
    saturated,
    backlogGrowthPerSec: backlog,
    errorBand,
    evidence: {
      parallel: deployment.parallel,
      engine: deployment.engine,
      memory: {
        weightsGbTotal: round3(gb(m.weightBytesTotal)),
        weightsGbPerGpu: round3(gb(m.weightBytesPerGpu)),
        activationGbPerGpu: round3(gb(m.activationBytesPerGpu)),
        nonTorchGbPerGpu: round3(gb(m.nonTorchBytesPerGpu)),
        kvPoolGbPerGpu: round3(gb(m.kvPoolBytesPerGpu)),
        kvBytesPerToken: m.kvBytesPerToken,
        kvBytesPerTokenPerGpu: m.kvBytesPerTokenPerGpu,
        kvTokens: m.kvTokens,
        maxModelLenThatFits: Math.floor(
          Math.min(longestRequestTokens(m, deployment.parallel), deployment.model.contextWindow),
        ),
        plannedMaxModelLen: plannedMaxModelLen(m, deployment.parallel, deployment.model.contextWindow),
        requestsAtOnce: Math.floor(
          m.kvTokens / sequencePoolTokens(m, input.promptTokens + input.outputTokens),
        ),
      },
      batching: {
        maxRunning: round3(sys.maxRunning),
        limitedBy: sys.maxRunningLimitedBy,
        meanDecoding: round3(point.decoding),
        batchSeen: round3(point.batchSeen),
        chunksPerPrompt: point.chunks,
        chunkTokens: round3(point.chunkTokens),
        mixedStepShare: round3(point.mixedShare),
        prefillUtilization: round3(point.prefillUtilization),
      },
      stepTimesMs: {
        singleSequenceDecode: round3(
          1e3 * decodeStepSec(sys.geometry, factors, 1, input.promptTokens + input.outputTokens / 2),
        ),
        decode: round3(1e3 * point.decodeStepSec),
        withPrefillChunk: round3(1e3 * point.mixedStepSec),
        mean: round3(1e3 * point.meanStepSec),
        ownPrefill: round3(1e3 * point.prefillSec),
        queueWait: round3(1e3 * point.queueWaitMeanSec),
      },
      factors: { ...factors, basis: factorsBasis, calibratedOnPoints: calibratedOn },
      measuredPoints: correction?.references ?? [],
      observations,
    },
    notes,
  };
}

/** How a prediction corrected by the feedback loop says so. */
export const calibratedFromObservations = (count: number) =>
  `Calibrated from ${count} observation${count === 1 ? '' : 's'} of deployed replicas of this configuration`;

function explain(
  input: PerformanceInput,
  deployment: Deployment,
  physics: Estimate,
  basis: Basis,
  factorsBasis: FactorsBasis,
  calibrated: { calibratedOn: number; scope: 'gpu' | 'family' | 'others'; family: string | undefined },
  correction: MeasuredCorrection | null,
  load: { saturated: boolean; capacityRequestsPerSec: number; backlog: number },
): string[] {
  const m = deployment.memory;
  const notes = [
    `${deployment.model.name} ${input.precision} on ${input.gpuCount}× ${deployment.gpu.id} (TP ${deployment.parallel.tensorParallel}${deployment.parallel.pipelineParallel > 1 ? `, PP ${deployment.parallel.pipelineParallel}` : ''}): ${round(gb(m.weightBytesPerGpu))} GB weights per GPU, KV cache for ${m.kvTokens.toLocaleString('en-US')} tokens (${m.kvBytesPerToken.toLocaleString('en-US')} B per token), at most ${Math.floor(physics.sys.maxRunning)} requests running (${physics.sys.maxRunningLimitedBy === 'kv-cache' ? 'KV cache' : 'max_num_seqs'}).`,
  ];
  // Where the factors come from, so a user sees when their GPU itself was never measured.
  const gpu = deployment.gpu.id;
  const { calibratedOn, scope, family } = calibrated;
  const whose =
    scope === 'gpu'
      ? `of ${gpu}`
      : scope === 'family'
        ? `of ${family} GPUs (none of ${gpu} itself)`
        : `of other architectures (none of ${family ?? gpu} GPUs)`;
  const factorText =
    factorsBasis === 'default'
      ? 'default efficiency factors (no measured points yet)'
      : `efficiency factors calibrated on ${calibratedOn} measured points ${whose}`;
  if (basis === 'estimated') notes.push(`Estimated from the roofline and queueing model with ${factorText}.`);
  if (correction && basis === 'measured') {
    notes.push(
      `Measured: ${correction.references[0] ? describeSource(correction.references[0].source) : 'a benchmark point'} at this exact traffic and load.`,
    );
  }
  if (correction && basis === 'interpolated') {
    const sources = [...new Set(correction.references.map((r) => describeSource(r.source)))].join(', ');
    notes.push(
      `Interpolated from ${correction.references.length} measured point(s) of this deployment (${sources}), carried to this traffic and load by the model (${factorText}).`,
    );
  }
  if (load.saturated && input.load.kind === 'rate') {
    notes.push(
      `Saturated: ${round(input.load.value)} req/s exceeds this replica's capacity of ${round(load.capacityRequestsPerSec)} req/s; the queue grows by ${round(load.backlog)} requests per second and latencies shown are those at capacity, before queueing.`,
    );
  }
  if (load.saturated && input.load.kind === 'concurrency') {
    notes.push(
      `Saturated: ${input.load.value} clients exceed the ${Math.floor(physics.sys.maxRunning)} requests the engine runs at once; the rest wait for a slot, which TTFT includes.`,
    );
  }
  return notes;
}

// ---------------------------------------------------------------------------------------------------------------
// Highest rate within SLO

export type SloLimit = 'ttft' | 'itl' | 'e2e' | 'capacity';

export type SloCapacityResult =
  | {
      ok: true;
      /** Highest open-loop rate (to ~2%) with every p95 within the SLO and the replica below capacity. */
      requestsPerSec: number;
      /** What stops a higher rate. */
      limitedBy: SloLimit;
      /** p95 latencies at that rate; predictPerformance at that rate gives the full picture. */
      p95AtLimit: { ttftMs: number; itlMs: number; e2eMs: number };
      basis: Basis;
    }
  | { ok: false; reason: string };

/** p95s at one rate, whatever the targets: the searches of every spec on one deployment share them. */
interface Probe {
  /** Beyond capacity: no steady state (or a saturated corrected prediction). */
  unstable: boolean;
  ttftMs: number;
  itlMs: number;
  e2eMs: number;
  meanStepSec: number;
}

function judge(slo: Slo, ttft: number, itl: number, e2e: number): SloLimit | null {
  if (ttft > slo.ttftP95Ms) return 'ttft';
  if (itl > slo.itlP95Ms) return 'itl';
  if (e2e > slo.e2eP95Ms) return 'e2e';
  return null;
}

/** The target a probe misses, 'capacity' when it is beyond capacity; null when it meets them all. */
const limitOf = (slo: Slo, p: Probe): SloLimit | null =>
  p.unstable ? 'capacity' : judge(slo, p.ttftMs, p.itlMs, p.e2eMs);

const UNSTABLE: Probe = {
  unstable: true,
  ttftMs: Infinity,
  itlMs: Infinity,
  e2eMs: Infinity,
  meanStepSec: 0,
};

type Prober = (rate: number, below?: number, above?: number) => Probe;

/** The search stops when the bracket is this tight: 2% is well inside the model's own error and the planner's headroom. */
const MAX_RATE_PRECISION = 1.02;

/** Probes p95s at a rate: physics only when the deployment has no measured points, else the corrected prediction. */
function proberFor(
  config: DeploymentConfig,
  prepared: Prepared,
  knowledge: Knowledge,
  options: PredictOptions,
): Prober {
  const { sys } = prepared;
  if (prepared.measured !== null) {
    return (rate) => {
      const result = predictPerformance(
        { ...config, load: { kind: 'rate', value: rate } },
        knowledge,
        options,
      );
      if (!result.ok || result.prediction.saturated) return UNSTABLE;
      const p = result.prediction;
      return {
        unstable: false,
        ttftMs: p.ttftMs.p95,
        itlMs: p.itlMs.p95,
        e2eMs: p.e2eMs.p95,
        meanStepSec: 0,
      };
    };
  }
  return (rate, below, above) => {
    const point = solveAtRate(sys, rate, 1, below, above);
    if (point === null) return UNSTABLE;
    return {
      unstable: false,
      ttftMs: ttftMs(sys, point, 'p95'),
      itlMs: itlMs(sys, point, 'p95'),
      e2eMs: e2eMs(sys, point, 'p95'),
      meanStepSec: point.meanStepSec,
    };
  };
}

/** p95 latencies of the worst-placed SLO at light load, when even one request at a time misses. */
export interface LightLoadMiss {
  limit: Exclude<SloLimit, 'capacity'>;
  predictedMs: number;
  targetMs: number;
}

type RateSearch =
  | { ok: true; requestsPerSec: number; limitedBy: SloLimit; goodProbe: Probe }
  | { ok: false; reason: string; lightLoadMiss: LightLoadMiss | null };

/** Light load, then ×4 from 1 req/s: the rates every search brackets its limit with. */
const LIGHT_RATE = 1e-6;
const ladderRate = (step: number) => (step === 0 ? LIGHT_RATE : 4 ** (step - 1));
const stepOf = (p: Probe) => (p.meanStepSec > 0 ? p.meanStepSec : undefined);

/**
 * The probe at the ladder's `step`, each seeded by the one below it, as the bracketing of any targets probes them; the
 * deployment keeps them, so a spec with other targets rereads the ladder instead of solving it again.
 */
function ladderProbe(prepared: Prepared, probe: Prober, step: number): Probe {
  const { ladder } = prepared;
  while (ladder.length <= step) {
    const below = ladder.at(-1);
    ladder.push(probe(ladderRate(ladder.length), below && stepOf(below)));
  }
  return ladder[step]!;
}

/** Why the search fails at light load, where it does: the targets missed even by one request at a time. */
function lightLoadFailure(
  prepared: Prepared,
  probe: Prober,
  slo: Slo,
): Extract<RateSearch, { ok: false }> | null {
  const light = ladderProbe(prepared, probe, 0);
  const lightLimit = limitOf(slo, light);
  if (lightLimit !== null) {
    if (lightLimit === 'capacity') {
      return { ok: false, reason: 'misses the SLO even at light load: no steady state', lightLoadMiss: null };
    }
    // Report the target missed by the widest margin: the one a user has to move most.
    const misses = [
      { limit: 'ttft' as const, name: 'TTFT', predictedMs: light.ttftMs, targetMs: slo.ttftP95Ms },
      { limit: 'itl' as const, name: 'ITL', predictedMs: light.itlMs, targetMs: slo.itlP95Ms },
      { limit: 'e2e' as const, name: 'E2E', predictedMs: light.e2eMs, targetMs: slo.e2eP95Ms },
    ];
    const worst = misses.reduce((a, b) => (b.predictedMs / b.targetMs > a.predictedMs / a.targetMs ? b : a));
    return {
      ok: false,
      reason: `misses the SLO even at light load: ${worst.name} p95 ${round(worst.predictedMs)} ms > ${worst.targetMs} ms`,
      lightLoadMiss: { limit: worst.limit, predictedMs: worst.predictedMs, targetMs: worst.targetMs },
    };
  }
  return null;
}

/**
 * A search for the highest rate within targets, carried only as far as its caller needs: sizing replicas for a peak
 * needs just a bracket that fixes their count, only the options shown need the rate itself. Run again further, it
 * rereads the probes the deployment remembers (ladderProbe, bisectionProbe) at the same rates from the same seeds, so
 * it ends where one uninterrupted search would. While it climbs the ladder `bad` is Infinity and `step` the rung to
 * probe next; then `step` is the rung the bisection narrows below and `place` its place in it (see bisectionProbe).
 */
interface SearchRun {
  /** Set once the search failed at light load or closed its bracket. */
  result: RateSearch | null;
  good: number;
  goodProbe: Probe;
  bad: number;
  badProbe: Probe;
  limitedBy: SloLimit;
  step: number;
  place: number;
}

/** Whether a bracket [good, bad) of the highest rate within targets already answers the caller. */
type Enough = (good: number, bad: number) => boolean;

const toTheEnd: Enough = () => false;

function startSearch(prepared: Prepared, probe: Prober, slo: Slo): SearchRun {
  const light = ladderProbe(prepared, probe, 0);
  return {
    result: lightLoadFailure(prepared, probe, slo),
    good: ladderRate(0),
    goodProbe: light,
    bad: Number.POSITIVE_INFINITY,
    badProbe: UNSTABLE,
    limitedBy: 'capacity',
    step: 1,
    place: 1,
  };
}

/**
 * Carries the search on until `enough` says its bracket suffices or the bracket is MAX_RATE_PRECISION tight. Bracket:
 * up the ladder until a rate misses (if 1 req/s misses, the bracket is [light, 1]), then a log-space bisection. A
 * probe's mean step brackets the next probe's fixed point: from below if it was at a lower rate, else above.
 */
function advanceSearch(run: SearchRun, prepared: Prepared, probe: Prober, slo: Slo, enough: Enough): void {
  if (run.result !== null) return;
  while (run.bad === Number.POSITIVE_INFINITY) {
    if (enough(run.good, run.bad)) return;
    const rung = ladderProbe(prepared, probe, run.step);
    const limit = limitOf(slo, rung);
    if (limit === null) {
      run.good = ladderRate(run.step);
      run.goodProbe = rung;
      run.step += 1;
    } else {
      run.bad = ladderRate(run.step);
      run.badProbe = rung;
      run.limitedBy = limit;
    }
  }
  while (run.bad / run.good > MAX_RATE_PRECISION) {
    if (enough(run.good, run.bad)) return;
    const mid = Math.sqrt(run.good * run.bad);
    const { goodProbe, badProbe } = run;
    const p = bisectionProbe(prepared, run.step, run.place, () =>
      probe(mid, stepOf(goodProbe), stepOf(badProbe)),
    );
    const limit = limitOf(slo, p);
    if (limit === null) {
      run.good = mid;
      run.goodProbe = p;
      run.place = 2 * run.place + 1;
    } else {
      run.bad = mid;
      run.badProbe = p;
      run.limitedBy = limit;
      run.place = 2 * run.place;
    }
  }
  run.result = { ok: true, requestsPerSec: run.good, limitedBy: run.limitedBy, goodProbe: run.goodProbe };
}

/**
 * The probe at one place of the bisection between ladder rungs `step` − 1 and `step`. A place fixes the bracket, so
 * its rate and the probes that seed it, whatever the targets: searches for other targets on the same deployment
 * share the probes of the places both pass (the bracket narrows 4 → 1.02 in 7 halvings, so places stay below 2^8).
 */
function bisectionProbe(prepared: Prepared, step: number, place: number, solve: () => Probe): Probe {
  const key = step * 256 + place;
  prepared.bisection ??= new Map();
  const known = prepared.bisection.get(key);
  if (known) return known;
  const probe = solve();
  prepared.bisection.set(key, probe);
  return probe;
}

/**
 * The search for the highest rate within `slo`, carried on until `enough`. The search itself is not remembered, only
 * its probes, which do not depend on the targets: rerunning it is a few comparisons per probe, where remembering each
 * deployment's searches kept one object per shape and targets alive (a 200-model plan for new targets added ~24k),
 * and the garbage collector's walks over them took more than the reruns they saved.
 */
function searchRate(prepared: Prepared, probe: Prober, slo: Slo, enough: Enough): SearchRun {
  const run = startSearch(prepared, probe, slo);
  advanceSearch(run, prepared, probe, slo, enough);
  return run;
}

/** Most per-replica loads a deployment remembers its probe at; past it the memo starts over. */
const AT_LOAD_ENTRIES = 64;

/** The unseeded probe at a per-replica load, remembered per deployment. */
function probeAtLoad(prepared: Prepared, probe: Prober, rate: number): Probe {
  prepared.atLoad ??= new Map();
  const known = prepared.atLoad.get(rate);
  if (known) return known;
  if (prepared.atLoad.size >= AT_LOAD_ENTRIES) prepared.atLoad.clear();
  const computed = probe(rate);
  prepared.atLoad.set(rate, computed);
  return computed;
}

/**
 * The highest open-loop request rate one replica sustains with every p95 within the SLO: one log-space bisection over
 * the rate in which an unstable rate (beyond capacity) counts as a miss. Physics-only probes need just the three
 * p95s; deployments with measured points go through predictPerformance so the correction applies.
 */
export function maxRateWithinSlo(
  config: DeploymentConfig,
  slo: Slo,
  knowledge: Knowledge,
  options: PredictOptions = {},
): SloCapacityResult {
  const ready = prepare(config, knowledge, options);
  if (!ready.ok) return ready;
  const probe = proberFor(config, ready.prepared, knowledge, options);
  const search = searchRate(ready.prepared, probe, slo, toTheEnd).result!;
  if (!search.ok) return { ok: false, reason: search.reason };
  const { goodProbe } = search;
  return {
    ok: true,
    requestsPerSec: search.requestsPerSec,
    limitedBy: search.limitedBy,
    p95AtLimit: { ttftMs: goodProbe.ttftMs, itlMs: goodProbe.itlMs, e2eMs: goodProbe.e2eMs },
    basis: ready.prepared.measured !== null ? 'interpolated' : 'estimated',
  };
}

/** Replicas that keep each at most `capacityShare` of a per-replica rate limit at the peak; the count falls as it rises. */
const replicaCount = (peakRps: number, capacityShare: number) => (maxRpsPerReplica: number) =>
  Math.max(1, Math.ceil(peakRps / (capacityShare * maxRpsPerReplica)));

/**
 * What sizeReplicas would say, searched only as far as telling whether the peak needs more than `most` replicas (the
 * most the caller can use): its failure where the deployment cannot be prepared or misses the targets at light load;
 * else `beyond`, the fewest replicas the peak may need when that is more than `most`, null when sizeReplicas may size
 * `most` or fewer. With `most` 0 it costs a preparation and one probe. The search's probes are remembered, so
 * sizeReplicas afterwards carries it on to the same end as an uninterrupted one.
 */
export function screenReplicas(
  config: DeploymentConfig,
  slo: Slo,
  peakRps: number,
  capacityShare: number,
  knowledge: Knowledge,
  most: number,
): { ok: true; beyond: number | null } | Extract<ReplicaSizingResult, { ok: false }> {
  const ready = prepare(config, knowledge, {});
  if (!ready.ok) return { ok: false, reason: ready.reason, infeasible: true, lightLoadMiss: null };
  const probe = proberFor(config, ready.prepared, knowledge, {});
  if (most < 1) {
    const failure = lightLoadFailure(ready.prepared, probe, slo);
    if (!failure) return { ok: true, beyond: 1 };
    return { ok: false, reason: failure.reason, infeasible: false, lightLoadMiss: failure.lightLoadMiss };
  }
  const countAt = replicaCount(peakRps, capacityShare);
  const run = searchRate(
    ready.prepared,
    probe,
    slo,
    (good, bad) => countAt(good) === countAt(bad) || countAt(bad) > most,
  );
  if (run.result?.ok === false) {
    const { reason, lightLoadMiss } = run.result;
    return { ok: false, reason, infeasible: false, lightLoadMiss };
  }
  // The count falls as the rate rises: no rate in the bracket [good, bad) needs fewer than the count at `bad`.
  const fewest = countAt(run.bad);
  return { ok: true, beyond: fewest > most ? fewest : null };
}

export interface ReplicaSizing {
  replicas: number;
  loadPerReplicaRps: number;
  /** p95s at the per-replica load; Infinity when that load is beyond capacity. */
  p95AtLoad: { ttftMs: number; itlMs: number; e2eMs: number };
  basis: Basis;
}

export type ReplicaSizingResult =
  | { ok: true; sizing: ReplicaSizing }
  | { ok: false; reason: string; infeasible: boolean; lightLoadMiss: LightLoadMiss | null };

/**
 * Sizes a deployment for a peak rate in one pass over the model: the replicas that keep each at most `capacityShare`
 * of the highest per-replica rate within the SLO (or the given count), and the p95s at the resulting per-replica
 * load. The planner's inner loop: it prepares the deployment once, needs no full prediction, and searches the rate
 * only until its bracket fixes the count (maxRateWithinSlo finishes the search for the options shown).
 */
export function sizeReplicas(
  config: DeploymentConfig,
  slo: Slo,
  peakRps: number,
  capacityShare: number,
  knowledge: Knowledge,
  replicas?: number,
): ReplicaSizingResult {
  const ready = prepare(config, knowledge, {});
  if (!ready.ok) return { ok: false, reason: ready.reason, infeasible: true, lightLoadMiss: null };
  const probe = proberFor(config, ready.prepared, knowledge, {});
  // The count falls as the rate rises, so a bracket whose ends give one count gives it for any rate between them.
  const countAt = replicaCount(peakRps, capacityShare);
  const run = searchRate(
    ready.prepared,
    probe,
    slo,
    (good, bad) => replicas !== undefined || countAt(good) === countAt(bad),
  );
  if (run.result?.ok === false && replicas === undefined) {
    const { reason, lightLoadMiss } = run.result;
    return { ok: false, reason, infeasible: false, lightLoadMiss };
  }
  const count = replicas ?? countAt(run.good);
  const loadPerReplicaRps = peakRps / count;
  const atLoad = probeAtLoad(ready.prepared, probe, loadPerReplicaRps);
  return {
    ok: true,
    sizing: {
      replicas: count,
      loadPerReplicaRps,
      p95AtLoad: { ttftMs: atLoad.ttftMs, itlMs: atLoad.itlMs, e2eMs: atLoad.e2eMs },
      basis: ready.prepared.measured !== null ? 'interpolated' : 'estimated',
    },
  };
}
