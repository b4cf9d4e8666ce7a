import { callsChat } from '../intent/batch-api.js';
import type { Priority } from '../intent/schema.js';
import {
  type Gpu,
  type Knowledge,
  type Model,
  type Precision,
  servedPrecisions,
} from '../knowledge/catalog.js';
import { checkSpec } from '../spec/build.js';
import type { DeploymentSpec } from '../spec/schema.js';
import {
  DEFAULT_GPU_MEMORY_UTILIZATION,
  type KvCacheDtype,
  precisionRunsOn,
  usableMemoryBytes,
  VLLM_VERSION,
} from './assumptions.js';
import { predictBatch } from './batch.js';
import { costPerMillionOutputTokens, HOURS_PER_MONTH, replicaHourlyUsd } from './cost.js';
import { fitAdvice } from './fit.js';
import { FAMILIES } from './measured.js';
import { longestRequestTokens, weightBytesTotal } from './memory.js';
import { instancesFor, podAllowance, podNeeds, podRequests, type ReplicaNode } from './node-fit.js';
import { gpuNotation } from './notation.js';
import type { Basis, SloLimit } from './predict.js';
import {
  calibratedFromObservations,
  deploymentOf,
  maxRateWithinSlo,
  predictPerformance,
  type ReplicaSizingResult,
  screenReplicas,
  sizeReplicas,
} from './predict.js';
import { pruneOptions } from './prune.js';
import { qualityOf } from './quality.js';
import type { DeploymentConfig, Slo } from './schema.js';

/** Tensor-parallel degrees vLLM deployments use within one node. */
export const TENSOR_PARALLEL_DEGREES = [1, 2, 4, 8] as const;
/**
 * Replicas are sized so each carries at most this share of the rate at which its p95s reach the SLO: headroom for
 * the model's error (its median error on public measurements is in the tens of percent) and for short bursts.
 */
export const SLO_CAPACITY_SHARE = 0.85;
export const DEFAULT_TOP = 5;
const NEAR_MISSES = 3;

/** One replica's shape: what runs where. */
export interface OptionShape {
  modelId: string;
  gpuId: string;
  /** GPUs per node a replica shards each layer over. */
  tensorParallel: number;
  precision: Precision;
  /**
   * Nodes a replica spans, one pipeline stage each (vLLM's --pipeline-parallel-size); absent for one node. Offered
   * only when the weights do not fit one node.
   */
  pipelineParallel?: number;
  /**
   * MoE only: attention data-parallel ranks of TP GPUs each (vLLM's --data-parallel-size), always with expert
   * parallelism; absent = 1.
   */
  dataParallel?: number;
  /** MoE only: experts placed whole over the replica's GPUs (--enable-expert-parallel); absent = TP-sharded. */
  expertParallel?: true;
}

/** Nodes (pipeline stages) one replica of the shape spans. */
export const nodesOf = (shape: Pick<OptionShape, 'pipelineParallel'>) => shape.pipelineParallel ?? 1;

/** GPUs one replica of the shape holds: TP × DP per node × nodes. */
export const gpusPerReplicaOf = (
  shape: Pick<OptionShape, 'tensorParallel' | 'pipelineParallel' | 'dataParallel'>,
) => shape.tensorParallel * (shape.dataParallel ?? 1) * nodesOf(shape);

/** The MoE serving fields of a shape, present only where set (shapes are copied field by field). */
export const moeShapeOf = (shape: Pick<OptionShape, 'dataParallel' | 'expertParallel'>) => ({
  ...(shape.dataParallel !== undefined && { dataParallel: shape.dataParallel }),
  ...(shape.expertParallel && { expertParallel: true as const }),
});

/** Pipeline stages Compass offers across nodes, when one node cannot hold the weights. */
export const PIPELINE_PARALLEL_DEGREES = [2, 3, 4] as const;

/**
 * The vLLM server one replica runs, as the planner resolved it for its prediction: what a manifest passes to vLLM,
 * so a deployment runs the engine that was predicted rather than a re-guessed one.
 */
export interface PlannedEngine {
  /** Hugging Face repo vLLM loads (`--model`): the precision's checkpoint, or the base model when none ships it. */
  checkpoint: string;
  /** vLLM quantizes the base weights to the option's precision as it loads them (no checkpoint ships it). */
  quantizeOnLoad: boolean;
  gpuMemoryUtilization: number;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  kvCacheDtype: KvCacheDtype;
  /** Longest prompt + output accepted: the context window, capped by what MAX_MODEL_LEN_KV_SHARE of the KV cache holds. */
  maxModelLen: number;
  /** The vLLM release the prediction assumes (VLLM_VERSION); absent from options planned before it was recorded. */
  vllmVersion?: string;
  /** Weights of the whole replica as loaded (GB); they pass through host memory while vLLM loads them. */
  weightsGb: number;
  /**
   * Bytes (GB) of the checkpoint vLLM downloads: the served weights, or the bf16 base when vLLM quantizes on load.
   * Absent from options planned before it existed (then the loaded weights stand in).
   */
  checkpointGb?: number;
}

export interface PlannedOption extends OptionShape {
  /** Stable key of the shape, for buttons and what-if requests. */
  id: string;
  modelName: string;
  gpusPerReplica: number;
  replicas: number;
  /** Total GPUs of the option. */
  gpuCount: number;
  hourlyCostUsd: number;
  monthlyCostUsd: number;
  costPerMillionOutputTokensUsd: number;
  /** 0–100 for the spec's use case at this precision; null when the catalog has no score. */
  quality: number | null;
  predicted: {
    ttftP50Ms: number;
    ttftP95Ms: number;
    itlP50Ms: number;
    itlP95Ms: number;
    e2eP50Ms: number;
    e2eP95Ms: number;
    /** Highest total request rate the option carries with every p95 within target. */
    maxRps: number;
    maxRpsPerReplica: number;
    /** The load each replica gets at the spec's peak rate. */
    loadPerReplicaRps: number;
    /** Expected error of the latencies (± percent, p90 of held-out errors); absent on plans made before it existed. */
    errorPct?: { ttft: number; itl: number; e2e: number; scope: string };
  };
  /** What stops a replica from carrying more. */
  limitedBy: SloLimit;
  meetsSlo: boolean;
  /** Which targets the prediction meets at the peak rate. */
  sloChecks: Record<'ttft' | 'itl' | 'e2e', boolean>;
  basis: Basis;
  /** Observations of deployed replicas of this configuration the prediction is calibrated from; absent: none. */
  observations?: number;
  /** For a batch job: the day's items submitted at once, split evenly over the replicas. */
  batch?: BatchEstimate;
  rationale: string;
  engine: PlannedEngine;
  /**
   * The instance one replica is priced on — the cheapest per GPU whose allocatable CPU and memory (after system
   * reservations and DaemonSets) hold the pod — and what the pod requests there. Absent where the catalog lacks the
   * instance's size (and from options planned before it was recorded).
   */
  node?: ReplicaNode;
}

/** Where one replica runs: the cheapest per-GPU instance with room for its pod. */
export function replicaNode(
  gpu: Gpu,
  shape: { gpusPerReplica: number; tensorParallel: number; weightsGb: number },
): ReplicaNode | undefined {
  const needs = podNeeds(shape);
  for (const instance of instancesFor(gpu, shape.gpusPerReplica)) {
    const allowance = podAllowance(instance, shape.gpusPerReplica);
    const pod = podRequests(needs, allowance);
    if (!pod.fits) continue;
    const round1 = (value: number) => Math.floor(value * 10) / 10;
    return {
      instanceType: instance.instanceType,
      gpus: instance.gpus,
      vcpus: instance.vcpus,
      memoryGib: instance.memoryGib,
      allowance: { cpu: round1(allowance.cpu), memoryGib: round1(allowance.memoryGib) },
      pod: { cpu: pod.cpu, memoryGib: pod.memoryGib },
    };
  }
  return undefined;
}

/** How an option runs a batch job's day of items (`predictBatch` on each replica's share). */
export interface BatchEstimate {
  itemsPerReplica: number;
  /** Hours until the last item is done when the day's items are all submitted at once. */
  makespanHours: number;
  /** Output tokens/s of all replicas together while the job runs. */
  outputTokensPerSec: number;
  /** The makespan ends within the job's window. */
  fitsWindow: boolean;
}

/** The batch job's day of items on `replicas` replicas of the option's shape; null when not a batch job. */
function batchEstimate(
  shape: OptionShape,
  replicas: number,
  spec: DeploymentSpec,
  knowledge: Knowledge,
): BatchEstimate | null {
  const job = spec.batch?.value;
  if (!job) return null;
  const itemsPerReplica = Math.ceil(job.itemsPerDay / replicas);
  const result = predictBatch(
    { ...deploymentConfigOf(shape, spec), requests: itemsPerReplica, chatStream: callsChat(job.api) },
    knowledge,
  );
  if (!result.ok) return null;
  const makespanHours = result.prediction.makespanSec / 3600;
  return {
    itemsPerReplica,
    makespanHours: round(makespanHours, 2),
    outputTokensPerSec: Math.round(result.prediction.outputTokensPerSec * replicas),
    fitsWindow: makespanHours <= job.windowHours,
  };
}

/**
 * 'gpuQuota': more GPUs than the deploy policy's DEPLOY_GPU_QUOTA; 'gpuPlacement': a GPU type the deploy policy
 * cannot place on nodes. Both name the setting that would admit the option.
 */
export type MissedConstraint = 'ttft' | 'itl' | 'e2e' | 'budget' | 'maxGpus' | 'gpuQuota' | 'gpuPlacement';

export interface NearMiss extends OptionShape {
  id: string;
  modelName: string;
  gpusPerReplica: number;
  replicas: number | null;
  monthlyCostUsd: number | null;
  failed: MissedConstraint;
  /** Relative shortfall: 0.1 = 10% over the target, budget or GPU limit. */
  shortfall: number;
  /** The predicted p95 (ms), monthly cost (USD) or GPU count that missed, and the limit it missed. */
  value: number;
  limit: number;
  /**
   * What else stands in the way once `failed` is relaxed: a shape over the GPU quota may be over the budget too, and
   * one that misses a target at light load may, with the target relaxed, need more GPUs than the quota allows.
   */
  alsoBroken?: Breach[];
  /**
   * For a light-load SLO miss: the p95 targets (ms) its advice relaxes, where 5% above the prediction would leave the
   * shape over the budget, quota or GPU limit at the peak rate and targets at most twice the stated ones would not:
   * the missed one, and any other that then limits each replica's rate (`fittingTargets`).
   */
  relaxedSlo?: RelaxedSlo;
  reason: string;
  /** The smallest change of the spec that would admit this option. */
  relax: string;
}

/**
 * A constraint an option breaks: the predicted p95 (ms), monthly cost (USD) or GPU count and the limit (0 and 0
 * where its GPU type has no placement).
 */
export interface Breach {
  failed: MissedConstraint;
  value: number;
  limit: number;
}

/** A miss before it is put into words (only the few shown are). */
type RawMiss = Omit<NearMiss, 'reason' | 'relax'>;

/** The p95 targets a near miss's advice relaxes, each in ms. */
export type RelaxedSlo = Partial<Pick<Slo, 'ttftP95Ms' | 'itlP95Ms' | 'e2eP95Ms'>>;

export interface Plan {
  spec: DeploymentSpec;
  recommendations: PlannedOption[];
  nearMisses: NearMiss[];
  warnings: string[];
  /** Shapes evaluated (model × precision × GPU × TP). */
  considered: number;
  /** The vLLM release every prediction assumes and the manifests pin; absent from plans made before it was recorded. */
  vllmVersion?: string;
}

/** What the deploy policy lets a plan deploy (from DEPLOY_GPU_QUOTA and the GPU placements); absent = anything. */
export interface PlanPolicy {
  /** Most GPUs one deployment may hold at its largest scale (the planned replicas × GPUs per replica). */
  gpuQuota: number | null;
  /** GPU types the cluster can place pods on; null = any. */
  placeableGpus: readonly string[] | null;
}

export interface PlanOptions {
  top?: number;
  /** Options beyond the policy become near misses that name the setting that would admit them. */
  policy?: PlanPolicy;
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
/** A limit is shown rounded down: rounded up, a rate at capacity reads as one the replica cannot sustain. */
const roundDown = (value: number, digits: number) => Math.floor(value * 10 ** digits) / 10 ** digits;
const wholeNumber = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const usd = (value: number) => `$${wholeNumber.format(value)}`;
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });
const ms = (value: number) => `${value >= 100 ? wholeNumber.format(value) : round(value, 1)} ms`;

export function optionId(shape: OptionShape): string {
  const stages = nodesOf(shape) > 1 ? `|pp${nodesOf(shape)}` : '';
  const experts = `${shape.dataParallel ? `|dp${shape.dataParallel}` : ''}${shape.expertParallel ? '|ep' : ''}`;
  return `${shape.modelId}|${shape.gpuId}|tp${shape.tensorParallel}${stages}${experts}|${shape.precision}`;
}

export function sloOf(spec: DeploymentSpec): Slo {
  return {
    ttftP95Ms: spec.slo.ttftP95Ms.value,
    itlP95Ms: spec.slo.itlP95Ms.value,
    e2eP95Ms: spec.slo.e2eP95Ms.value,
  };
}

const SLO_NAMES: Record<'ttft' | 'itl' | 'e2e', string> = {
  ttft: 'TTFT p95',
  itl: 'ITL p95',
  e2e: 'E2E p95',
};

export function describeShape(shape: OptionShape & { modelName: string; replicas?: number | null }): string {
  const precision = shape.precision === 'bf16' ? '' : ` ${shape.precision}`;
  return `${shape.modelName}${precision} on ${gpuNotation(shape)}`;
}

/** A shape sized and priced for the spec: what ranking needs, before any text or full prediction. */
export interface SizedOption extends OptionShape {
  id: string;
  modelName: string;
  gpusPerReplica: number;
  replicas: number;
  gpuCount: number;
  hourlyUsd: number;
  monthlyCostUsd: number;
  quality: number | null;
  loadPerReplicaRps: number;
  p95: { ttftMs: number; itlMs: number; e2eMs: number };
  /** Latency score of the p95s against the spec's targets (latencyScore). */
  latency: number;
}

/** What names an option besides its shape. */
type OptionName = Pick<SizedOption, 'id' | 'modelName' | 'gpusPerReplica'>;

/** The outcome of sizing one shape against a spec. */
export type Evaluation =
  | { kind: 'infeasible'; reason: string }
  | { kind: 'slo-miss'; miss: RawMiss }
  | { kind: 'sized'; option: SizedOption };

/**
 * A shape in a plan: evaluated, or a budget miss not sized yet, with the monthly cost of the fewest replicas it may
 * need: a floor of its real one.
 */
type ShapeOutcome = Evaluation | { kind: 'over-budget'; floor: number };

/** What names a shape's option or miss. */
const nameOf = (shape: OptionShape, model: Model): OptionName => ({
  id: optionId(shape),
  modelName: model.name,
  gpusPerReplica: gpusPerReplicaOf(shape),
});

interface Context {
  spec: DeploymentSpec;
  slo: Slo;
  knowledge: Knowledge;
  models: Map<string, Model>;
  gpus: Map<string, Gpu>;
  /** replicaHourlyUsd by GPU and GPUs per node, as the plan asks for it (twice for most shapes). */
  prices: Map<Gpu, Map<number, number>>;
}

function contextOf(spec: DeploymentSpec, knowledge: Knowledge): Context {
  return {
    spec,
    slo: sloOf(spec),
    knowledge,
    models: new Map(knowledge.models.map((model) => [model.id, model])),
    gpus: new Map(knowledge.gpus.map((gpu) => [gpu.id, gpu])),
    prices: new Map(),
  };
}

/** What one node of a replica holding `gpus` GPUs of the type costs per hour (replicaHourlyUsd), once per plan. */
function nodeHourlyUsd(context: Context, gpu: Gpu, gpus: number): number {
  let byCount = context.prices.get(gpu);
  if (byCount === undefined) {
    byCount = new Map();
    context.prices.set(gpu, byCount);
  }
  let price = byCount.get(gpus);
  if (price === undefined) {
    price = replicaHourlyUsd(gpu, gpus);
    byCount.set(gpus, price);
  }
  return price;
}

/** What one replica of a shape costs an hour: each node of a multi-node replica is bought as its own instance. */
function replicaHourlyUsdOf(context: Context, gpu: Gpu, shape: OptionShape): number {
  const nodes = nodesOf(shape);
  return nodeHourlyUsd(context, gpu, gpusPerReplicaOf(shape) / nodes) * nodes;
}

/** What the planner predicts a shape with: the shape's deployment under the spec's traffic. */
export type ShapeConfig = Pick<
  DeploymentConfig,
  | 'modelId'
  | 'gpuId'
  | 'tensorParallel'
  | 'dataParallel'
  | 'expertParallel'
  | 'precision'
  | 'gpuCount'
  | 'promptTokens'
  | 'outputTokens'
  | 'prefixShare'
  | 'promptTokensCv'
  | 'outputTokensCv'
>;

/**
 * The deployment the planner predicts for a shape under the spec's traffic; a load is added per question asked.
 * Built field by field in a fixed order (the MoE fields only where set), as namedShape is: a plan builds one per shape.
 */
export function deploymentConfigOf(shape: OptionShape, spec: DeploymentSpec): ShapeConfig {
  const config = {
    modelId: shape.modelId,
    gpuId: shape.gpuId,
    tensorParallel: shape.tensorParallel,
  } as ShapeConfig;
  if (shape.dataParallel !== undefined) config.dataParallel = shape.dataParallel;
  if (shape.expertParallel) config.expertParallel = true;
  config.precision = shape.precision;
  config.gpuCount = gpusPerReplicaOf(shape);
  config.promptTokens = spec.traffic.promptTokens.value;
  config.outputTokens = spec.traffic.outputTokens.value;
  config.prefixShare = spec.traffic.prefixShare?.value ?? 0;
  config.promptTokensCv = spec.traffic.promptTokensCv?.value ?? 0;
  config.outputTokensCv = spec.traffic.outputTokensCv?.value ?? 0;
  return config;
}

/**
 * Sizes and prices one shape for the spec: the highest per-replica rate within the SLOs, the replicas the peak needs
 * (or the given count, for what-ifs), and the p95s at the resulting per-replica load.
 */
function sizeShape(shape: OptionShape, context: Context, replicasOverride?: number): Evaluation {
  const { spec, slo, knowledge } = context;
  const model = context.models.get(shape.modelId);
  const gpu = context.gpus.get(shape.gpuId);
  if (!model || !gpu) return { kind: 'infeasible', reason: `unknown model or GPU in ${optionId(shape)}` };
  const peak = spec.traffic.peakQps.value;
  const result = sizeReplicas(
    deploymentConfigOf(shape, spec),
    slo,
    peak,
    SLO_CAPACITY_SHARE,
    knowledge,
    replicasOverride,
  );
  if (!result.ok) return unsized(shape, model, result);
  const name = nameOf(shape, model);
  const { sizing } = result;
  const hourlyUsd = replicaHourlyUsdOf(context, gpu, shape) * sizing.replicas;
  return {
    kind: 'sized',
    option: Object.assign(namedShape(shape, name), {
      replicas: sizing.replicas,
      gpuCount: sizing.replicas * name.gpusPerReplica,
      hourlyUsd,
      monthlyCostUsd: Math.round(hourlyUsd * HOURS_PER_MONTH),
      quality: qualityOf(model, spec.useCase.value, shape.precision),
      loadPerReplicaRps: sizing.loadPerReplicaRps,
      p95: sizing.p95AtLoad,
      latency: latencyScore(sizing.p95AtLoad, slo),
    }),
  };
}

/**
 * A shape the performance model cannot size: infeasible, or missing a target even at light load. Named only then: a
 * plan has thousands of infeasible shapes.
 */
function unsized(
  shape: OptionShape,
  model: Model,
  result: Extract<ReplicaSizingResult, { ok: false }>,
): Evaluation {
  if (result.infeasible || result.lightLoadMiss === null)
    return { kind: 'infeasible', reason: result.reason };
  const miss = result.lightLoadMiss;
  return {
    kind: 'slo-miss',
    miss: rawMiss(shape, nameOf(shape, model), null, null, miss.limit, miss.predictedMs, miss.targetMs),
  };
}

/**
 * What a shape is when the budget is the only limit and it may cost more: unsized (as sizeShape says), or a budget
 * miss whose shortfall is at least `floor`'s, the miss of the fewest replicas the peak may need. Its rate search runs
 * only until its bracket shows that more replicas than the budget pays for are needed (just the preparation and a
 * light-load probe when one replica costs more); sizeShape carries it on when the miss may be shown (see
 * evaluateShapes). Null when the shape may fit the budget: sizeShape sizes it.
 */
function overBudget(shape: OptionShape, context: Context, budget: number): ShapeOutcome | null {
  const gpu = context.gpus.get(shape.gpuId);
  const model = context.models.get(shape.modelId);
  if (!gpu || !model) return null;
  // As sizeShape prices a replica, so monthlyUsd of a count is what it would charge.
  const replicaUsd = replicaHourlyUsdOf(context, gpu, shape);
  if (!(replicaUsd > 0)) return null;
  // The most replicas within the budget (the cost grows with the count).
  let most = Math.floor(budget / (replicaUsd * HOURS_PER_MONTH));
  while (monthlyUsd(replicaUsd, most + 1) <= budget) most += 1;
  while (most > 0 && monthlyUsd(replicaUsd, most) > budget) most -= 1;
  const config = deploymentConfigOf(shape, context.spec);
  const { spec, slo, knowledge } = context;
  const screened = screenReplicas(
    config,
    slo,
    spec.traffic.peakQps.value,
    SLO_CAPACITY_SHARE,
    knowledge,
    most,
  );
  if (!screened.ok) return unsized(shape, model, screened);
  if (screened.beyond === null) return null;
  return { kind: 'over-budget', floor: monthlyUsd(replicaUsd, screened.beyond) };
}

/** What `replicas` replicas at `replicaUsd` an hour cost a month, as sizeShape reckons it. */
const monthlyUsd = (replicaUsd: number, replicas: number) =>
  Math.round(replicaUsd * replicas * HOURS_PER_MONTH);

/**
 * A shape with its name, the start of a sized option or a miss. Built field by field and the rest added with
 * Object.assign: V8 builds `{ ...record, more }` and conditional spreads on a slow path (microseconds each), and a
 * plan builds one record per shape.
 */
function namedShape(shape: OptionShape, name: OptionName): OptionShape & OptionName {
  const named = {
    modelId: shape.modelId,
    gpuId: shape.gpuId,
    tensorParallel: shape.tensorParallel,
    precision: shape.precision,
  } as OptionShape & OptionName;
  if (shape.pipelineParallel !== undefined) named.pipelineParallel = shape.pipelineParallel;
  if (shape.dataParallel !== undefined) named.dataParallel = shape.dataParallel;
  if (shape.expertParallel) named.expertParallel = true;
  named.id = name.id;
  named.modelName = name.modelName;
  named.gpusPerReplica = name.gpusPerReplica;
  return named;
}

function rawMiss(
  shape: OptionShape,
  name: OptionName,
  replicas: number | null,
  monthlyCostUsd: number | null,
  failed: MissedConstraint,
  value: number,
  limit: number,
): RawMiss {
  return Object.assign(namedShape(shape, name), {
    replicas,
    monthlyCostUsd,
    failed,
    shortfall: value / limit - 1,
    value,
    limit,
  });
}

/** The fields that name a sized option, copied field by field (no spread of the whole record in the hot loop). */
function nodeOf(gpu: Gpu | undefined, shape: Parameters<typeof replicaNode>[1]): { node?: ReplicaNode } {
  const node = gpu && replicaNode(gpu, shape);
  return node ? { node } : {};
}

function identityOf(option: SizedOption) {
  return {
    modelId: option.modelId,
    gpuId: option.gpuId,
    tensorParallel: option.tensorParallel,
    precision: option.precision,
    ...(option.pipelineParallel !== undefined && { pipelineParallel: option.pipelineParallel }),
    ...moeShapeOf(option),
    id: option.id,
    modelName: option.modelName,
    gpusPerReplica: option.gpusPerReplica,
    replicas: option.replicas,
  };
}

/**
 * The full prediction of a sized option at its per-replica load, with costs, SLO checks and the highest rate within
 * them (a rate even light load misses, for replicas forced by a what-if, is 0), for showing.
 */
function describeOption(option: SizedOption, context: Context): PlannedOption {
  const { spec, slo, knowledge } = context;
  const config = deploymentConfigOf(option, spec);
  const predicted = predictPerformance(
    { ...config, load: { kind: 'rate', value: option.loadPerReplicaRps } },
    knowledge,
  );
  // sizeShape prepared the same deployment, so the prediction cannot fail here.
  if (!predicted.ok) throw new Error(`planner: ${option.id} stopped being feasible: ${predicted.reason}`);
  const limit = maxRateWithinSlo(config, slo, knowledge);
  const maxRpsPerReplica = limit.ok ? limit.requestsPerSec : 0;
  const p = predicted.prediction;
  const model = context.models.get(option.modelId)!;
  const checkpoint = model.precisions.find((served) => served.precision === option.precision)?.checkpoint;
  const sloChecks = {
    ttft: !p.saturated && p.ttftMs.p95 <= slo.ttftP95Ms,
    itl: !p.saturated && p.itlMs.p95 <= slo.itlP95Ms,
    e2e: !p.saturated && p.e2eMs.p95 <= slo.e2eP95Ms,
  };
  return {
    ...identityOf(option),
    gpuCount: option.gpuCount,
    hourlyCostUsd: round(option.hourlyUsd, 2),
    monthlyCostUsd: option.monthlyCostUsd,
    costPerMillionOutputTokensUsd: round(
      costPerMillionOutputTokens(
        option.hourlyUsd,
        spec.traffic.avgQps.value,
        spec.traffic.outputTokens.value,
      ),
      2,
    ),
    quality: option.quality,
    predicted: {
      ttftP50Ms: round(p.ttftMs.p50),
      ttftP95Ms: round(p.ttftMs.p95),
      itlP50Ms: round(p.itlMs.p50, 2),
      itlP95Ms: round(p.itlMs.p95, 2),
      e2eP50Ms: round(p.e2eMs.p50),
      e2eP95Ms: round(p.e2eMs.p95),
      maxRps: roundDown(maxRpsPerReplica * option.replicas, 2),
      maxRpsPerReplica: roundDown(maxRpsPerReplica, 3),
      loadPerReplicaRps: round(option.loadPerReplicaRps, 3),
      errorPct: {
        ttft: p.errorBand.ttftPct,
        itl: p.errorBand.itlPct,
        e2e: p.errorBand.e2ePct,
        scope: p.errorBand.scope,
      },
    },
    limitedBy: limit.ok ? limit.limitedBy : 'capacity',
    meetsSlo: sloChecks.ttft && sloChecks.itl && sloChecks.e2e,
    sloChecks,
    basis: p.basis,
    ...(p.evidence.observations > 0 && { observations: p.evidence.observations }),
    ...withBatch(batchEstimate(option, option.replicas, spec, knowledge)),
    rationale: '',
    engine: {
      checkpoint: checkpoint ?? option.modelId,
      quantizeOnLoad: !checkpoint && option.precision !== 'bf16',
      gpuMemoryUtilization: p.evidence.engine.gpuMemoryUtilization,
      maxNumSeqs: p.evidence.engine.maxNumSeqs,
      maxNumBatchedTokens: p.evidence.engine.maxNumBatchedTokens,
      kvCacheDtype: p.evidence.engine.kvCacheDtype,
      vllmVersion: VLLM_VERSION,
      // Sizing made sure the cache holds one request, so the margin never goes below one.
      maxModelLen: Math.min(
        model.contextWindow,
        Math.max(
          p.evidence.memory.plannedMaxModelLen,
          spec.traffic.promptTokens.value + spec.traffic.outputTokens.value,
        ),
      ),
      weightsGb: p.evidence.memory.weightsGbTotal,
      checkpointGb: checkpoint
        ? p.evidence.memory.weightsGbTotal
        : round(weightBytesTotal(model, 'bf16') / 1e9, 3),
    },
    ...nodeOf(context.gpus.get(option.gpuId), {
      gpusPerReplica: option.gpusPerReplica,
      tensorParallel: option.tensorParallel,
      weightsGb: p.evidence.memory.weightsGbTotal,
    }),
  };
}

const withBatch = (batch: BatchEstimate | null) => (batch ? { batch } : {});

/** Every shape a plan of the spec considers, in the order it sizes them (see candidateShapes). */
export function shapesFor(spec: DeploymentSpec, knowledge: Knowledge): OptionShape[] {
  return candidateShapes(contextOf(spec, knowledge), []);
}

/** Every shape the spec allows: supported models that fit the context, allowed GPUs, served precisions, TP in a node. */
function candidateShapes(context: Context, warnings: string[]): OptionShape[] {
  const { spec, knowledge } = context;
  const useCase = spec.useCase.value;
  const requestTokens = spec.traffic.promptTokens.value + spec.traffic.outputTokens.value;
  const preferred = spec.models.value;
  const models = preferred.length
    ? preferred.flatMap((id) => {
        const model = context.models.get(id);
        if (!model) warnings.push(`The knowledge base has no model ${id}; it was left out.`);
        else if (!model.tasks.includes(useCase)) {
          warnings.push(
            `${model.name} is not rated for ${useCase}; it is planned anyway because you asked for it.`,
          );
        }
        return model ? [model] : [];
      })
    : knowledge.models.filter((model) => model.tasks.includes(useCase));
  const fitting = models.filter((model) => {
    if (requestTokens <= model.contextWindow) return true;
    if (preferred.length) {
      warnings.push(
        `${model.name} holds ${model.contextWindow.toLocaleString('en-US')} tokens, fewer than the ${requestTokens.toLocaleString('en-US')} a request needs; it was left out.`,
      );
    }
    return false;
  });
  const allowedGpus = spec.gpuTypes.value.length
    ? spec.gpuTypes.value.flatMap((id) => {
        const gpu = context.gpus.get(id);
        if (!gpu) warnings.push(`The knowledge base has no GPU ${id}; it was left out.`);
        return gpu ? [gpu] : [];
      })
    : knowledge.gpus;
  const maxGpus = spec.maxGpus.value ?? Number.POSITIVE_INFINITY;
  const asked = spec.precisions?.value ?? [];
  const shapes: OptionShape[] = [];
  for (const model of fitting) {
    const served = servedPrecisions(model).filter(
      (precision) => asked.length === 0 || asked.includes(precision),
    );
    if (served.length === 0 && preferred.length) {
      warnings.push(
        `${model.name} has no ${asked.join(' or ')} weights (available: ${servedPrecisions(model).join(', ')}); it was left out.`,
      );
    }
    for (const precision of served) {
      for (const gpu of allowedGpus) {
        if (!precisionRunsOn(precision, gpu)) continue;
        for (const tensorParallel of TENSOR_PARALLEL_DEGREES) {
          if (tensorParallel > gpu.maxPerNode || tensorParallel > maxGpus) continue;
          shapes.push({ modelId: model.id, gpuId: gpu.id, tensorParallel, precision });
          if (model.architecture.moe && tensorParallel > 1)
            shapes.push(
              ...expertParallelShapes({ modelId: model.id, gpuId: gpu.id, tensorParallel, precision }),
            );
        }
        if (!outgrowsNode(model, gpu, precision)) continue;
        for (const pipelineParallel of PIPELINE_PARALLEL_DEGREES) {
          if (gpu.maxPerNode * pipelineParallel > maxGpus) continue;
          shapes.push({
            modelId: model.id,
            gpuId: gpu.id,
            tensorParallel: gpu.maxPerNode,
            precision,
            pipelineParallel,
          });
        }
      }
    }
  }
  if (shapes.length === 0) warnings.push(noShapeReason(models, fitting, requestTokens));
  return shapes;
}

/**
 * When no shape holds one request's KV cache: the most tokens any allowed shape holds, and where. A context window on
 * paper (Llama 4 Scout's 10M) is no context a deployment has. Null when some shape has the room (memory for weights
 * or the SLOs stood in the way instead).
 */
function longestServableContext(shapes: OptionShape[], context: Context): string | null {
  const requestTokens = context.spec.traffic.promptTokens.value + context.spec.traffic.outputTokens.value;
  let best: { tokens: number; shape: OptionShape; model: Model; gpu: Gpu } | null = null;
  for (const shape of shapes) {
    const model = context.models.get(shape.modelId);
    const gpu = context.gpus.get(shape.gpuId);
    if (!model || !gpu) continue;
    const built = deploymentOf(context.knowledge, deploymentConfigOf(shape, context.spec), model, gpu);
    if (!built.ok) continue;
    const { memory, parallel } = built.deployment;
    const tokens = Math.min(longestRequestTokens(memory, parallel), model.contextWindow);
    if (tokens >= requestTokens) return null;
    if (best === null || tokens > best.tokens) best = { tokens, shape, model, gpu };
  }
  if (best === null) return null;
  return (
    `No model has a ${requestTokens.toLocaleString('en-US')}-token context on the allowed GPUs (prompt + output ` +
    `of one request): the most any holds is ${Math.floor(best.tokens).toLocaleString('en-US')} tokens ` +
    `(${best.model.name} ${best.shape.precision} on ${gpusPerReplicaOf(best.shape)}× ${best.gpu.id}). Split the ` +
    'documents into chunks that fit, or summarise them in stages.'
  );
}

/** Why no shape is left: no model long enough for a request is the user's figure to change, not the GPUs. */
function noShapeReason(models: Model[], fitting: Model[], requestTokens: number): string {
  if (models.length === 0 || fitting.length > 0)
    return 'No model supports this use case with the allowed GPUs and limits.';
  const longest = models.reduce((a, b) => (b.contextWindow > a.contextWindow ? b : a));
  return (
    `No model has a ${requestTokens.toLocaleString('en-US')}-token context (prompt + output of one request): the ` +
    `longest, ${longest.name}, holds ${longest.contextWindow.toLocaleString('en-US')}. Split the documents into ` +
    'chunks that fit, or summarise them in stages.'
  );
}

/**
 * The expert-parallel shapes of a MoE model on `tensorParallel` GPUs of one node, offered beside plain TP: the same
 * TP attention with the experts placed whole (EP), and one attention data-parallel rank per GPU with EP over them all.
 */
function expertParallelShapes(tp: OptionShape): OptionShape[] {
  // Written out rather than spread from `tp`: V8 spreads on a slow path, and a 200-model catalog has thousands.
  const { modelId, gpuId, tensorParallel, precision } = tp;
  return [
    { modelId, gpuId, tensorParallel, precision, expertParallel: true },
    { modelId, gpuId, tensorParallel: 1, precision, dataParallel: tensorParallel, expertParallel: true },
  ];
}

/**
 * Whether the weights alone take more than vLLM's share (gpu_memory_utilization) of a full node's memory, so no
 * single-node shape can serve the model and replicas must span nodes (TP within a node × PP across nodes).
 */
function outgrowsNode(model: Model, gpu: Gpu, precision: Precision): boolean {
  const node = usableMemoryBytes(gpu.memoryGb, gpu.memoryBandwidthGBps) * gpu.maxPerNode;
  return weightBytesTotal(model, precision) > node * DEFAULT_GPU_MEMORY_UTILIZATION;
}

export interface P95s {
  ttftMs: number;
  itlMs: number;
  e2eMs: number;
}

/** Lower is better: the mean of predicted p95 / target over the three SLOs. */
export function latencyScore(p95: P95s, slo: Slo): number {
  return (p95.ttftMs / slo.ttftP95Ms + p95.itlMs / slo.itlP95Ms + p95.e2eMs / slo.e2eP95Ms) / 3;
}

const p95sOf = (option: PlannedOption): P95s => ({
  ttftMs: option.predicted.ttftP95Ms,
  itlMs: option.predicted.itlP95Ms,
  e2eMs: option.predicted.e2eP95Ms,
});

/**
 * Balanced score (higher is better), each term 0–1 relative to the best option available:
 * 0.40 × quality / best quality + 0.35 × cheapest cost / cost + 0.25 × best latency score / latency score.
 */
export const BALANCED_WEIGHTS = { quality: 0.4, cost: 0.35, latency: 0.25 } as const;

/**
 * Options costing at most this multiple of the cheapest one that meets the SLOs are the affordable ones: the latency
 * priority ranks by predicted tails among them (dearer ones follow: ten times the bill for a few milliseconds is
 * rarely what "latency matters" means), and "the best affordable quality" (NEAR_BEST_QUALITY_SHARE) of the latency and
 * balanced priorities is the best among them.
 */
export const AFFORDABLE_COST_MULTIPLE = 3;

/**
 * With the latency and balanced priorities, the options whose quality reaches this share of the best among those
 * within AFFORDABLE_COST_MULTIPLE of the cheapest come first. "Low latency matters" for a chatbot means a fast answer
 * from a model fit for it, not the smallest model in the catalog (Llama 3.2 1B, quality 17.5 of 100, topped "chatbot
 * for 1000 users, low latency matters" against 3B models at 48); and a balance of quality, cost and latency is one
 * among models fit for the use case (Llama 3.2 1B, quality 14.9, topped a RAG assistant for 300 engineers under
 * $8k/month: its low cost and latency outweighed its quality in the score). An option of unknown quality is not held
 * back: nothing says it falls short.
 */
export const NEAR_BEST_QUALITY_SHARE = 0.8;

function ranker(priority: Priority, options: SizedOption[]): (a: SizedOption, b: SizedOption) => number {
  const quality = (option: SizedOption) => option.quality ?? 0;
  const latency = (option: SizedOption) => option.latency;
  const byCost = (a: SizedOption, b: SizedOption) => a.monthlyCostUsd - b.monthlyCostUsd;
  const cheapest = Math.min(...options.map((option) => option.monthlyCostUsd));
  const affordable = (option: SizedOption) =>
    option.monthlyCostUsd <= AFFORDABLE_COST_MULTIPLE * cheapest ? 0 : 1;
  const floor =
    NEAR_BEST_QUALITY_SHARE *
    Math.max(0, ...options.filter((option) => affordable(option) === 0).map(quality));
  const short = (option: SizedOption) => (option.quality !== null && option.quality < floor ? 1 : 0);
  switch (priority) {
    case 'cost':
      return (a, b) => byCost(a, b) || quality(b) - quality(a);
    case 'latency':
      return (a, b) =>
        affordable(a) - affordable(b) || short(a) - short(b) || latency(a) - latency(b) || byCost(a, b);
    case 'accuracy':
      return (a, b) => quality(b) - quality(a) || byCost(a, b);
    case 'balanced': {
      const bestQuality = Math.max(1, ...options.map(quality));
      const fastest = Math.min(...options.map(latency));
      const score = (option: SizedOption) =>
        BALANCED_WEIGHTS.quality * (quality(option) / bestQuality) +
        BALANCED_WEIGHTS.cost * (cheapest / option.monthlyCostUsd) +
        BALANCED_WEIGHTS.latency * (fastest / latency(option));
      return (a, b) => short(a) - short(b) || score(b) - score(a) || byCost(a, b);
    }
  }
}

const LIMIT_WORDS: Record<SloLimit, string> = {
  ttft: 'TTFT',
  itl: 'ITL',
  e2e: 'E2E latency',
  capacity: 'throughput',
};

function rationaleFor(
  option: PlannedOption,
  rank: number,
  best: PlannedOption,
  priority: Priority,
  slo: Slo,
): string {
  const rate = (rps: number) => String(Number(rps.toPrecision(3)));
  const sizing = `${option.replicas} replica${option.replicas > 1 ? 's' : ''} at ${rate(option.predicted.loadPerReplicaRps)} req/s each (up to ${rate(option.predicted.maxRpsPerReplica)} before ${LIMIT_WORDS[option.limitedBy]} limits)`;
  const quality = option.quality === null ? 'quality unknown' : `quality ${option.quality}`;
  const observed =
    (option.observations ? ` ${calibratedFromObservations(option.observations)}.` : '') +
    (option.batch ? ` ${describeBatch(option.batch)}` : '');
  if (rank === 0) {
    const lead = {
      cost: 'Cheapest option that meets every SLO',
      latency: 'Lowest predicted latency among options near the best affordable quality',
      accuracy: 'Highest quality for this use case that meets every SLO',
      balanced: 'Best balance of quality, cost and latency among options near the best affordable quality',
    }[priority];
    return `${lead}: ${quality}, ${usd(option.monthlyCostUsd)}/month; ${sizing}.${observed}`;
  }
  const costDelta = option.monthlyCostUsd - best.monthlyCostUsd;
  const cost =
    costDelta === 0
      ? 'Same cost as #1'
      : `${costDelta > 0 ? '+' : '−'}${usd(Math.abs(costDelta))}/month vs #1`;
  const speed = latencyScore(p95sOf(option), slo) < latencyScore(p95sOf(best), slo) ? 'faster' : 'slower';
  return `${cost}, ${quality}, ${speed} than #1; ${sizing}.${observed}`;
}

function describeBatch(batch: BatchEstimate): string {
  const hours = Number(batch.makespanHours.toPrecision(2));
  return (
    `The day's items, submitted at once, take ${hours} h (${wholeNumber.format(batch.itemsPerReplica)} per replica, ${wholeNumber.format(batch.outputTokensPerSec)} output tokens/s in all)` +
    (batch.fitsWindow ? '.' : ', longer than the window: add replicas or widen the window.')
  );
}

/** What relaxing every breach takes: the product of their ratios less one (a missing placement: infinite). */
const shortfallOf = (breaches: Breach[]) =>
  breaches.reduce((product, b) => product * (b.limit > 0 ? b.value / b.limit : Number.POSITIVE_INFINITY), 1) -
  1;

/**
 * A sized option that breaks limits, the first of `breaches` named as its failure. Its shortfall is what relaxing
 * them all takes, so a shape over the quota and twenty times over the budget ranks behind one only over the budget.
 */
function limitMiss(option: SizedOption, breaches: Breach[]): RawMiss {
  const [first, ...others] = breaches as [Breach, ...Breach[]];
  const { replicas, monthlyCostUsd } = option;
  const miss = rawMiss(option, option, replicas, monthlyCostUsd, first.failed, first.value, first.limit);
  return Object.assign(
    miss,
    { shortfall: shortfallOf(breaches) },
    others.length > 0 ? { alsoBroken: others } : {},
  );
}

/** The breach a miss is named after. */
const breachOf = (miss: Breach): Breach => ({ failed: miss.failed, value: miss.value, limit: miss.limit });

/** A miss that also breaks `also`, ranked by what relaxing them all takes. */
const alsoBreaking = (miss: RawMiss, also: Breach[]): RawMiss =>
  Object.assign({ ...miss }, { shortfall: shortfallOf([breachOf(miss), ...also]), alsoBroken: also });

/** The plan's limits (placement, quota, GPU limit, budget) a sized shape breaks. */
type LimitsOf = (option: Pick<SizedOption, 'gpuId' | 'gpuCount' | 'monthlyCostUsd'>) => Breach[];

/** The target a light-load miss's advice relaxes its SLO to: 5% above the prediction, in whole milliseconds. */
const relaxedTarget = (predictedMs: number) => Math.ceil(predictedMs * 1.05);

const SLO_KEYS: Record<'ttft' | 'itl' | 'e2e', keyof Slo> = {
  ttft: 'ttftP95Ms',
  itl: 'itlP95Ms',
  e2e: 'e2eP95Ms',
};

/**
 * A light-load SLO miss with what relaxing its target would still leave in the way: sized at the relaxed target
 * (and at each further target that then shows a miss), the limits the sized shape breaks. Run for the few misses
 * shown: "relax ITL p95 to 43 ms" for 10 million users is no advice when the shape then needs 2,480 GPUs. Where the
 * first relaxation leaves only limits a looser target can lift (budget, quota, GPU limit), the advice relaxes the
 * target further, to the lowest one up to RELAXED_TARGET_CAP × the stated target at which the shape fits them: a
 * target 5% above the light-load p95 lets each replica carry almost nothing ("relax TTFT p95 to 527 ms and raise
 * DEPLOY_GPU_QUOTA to 135").
 */
function afterRelaxing(miss: RawMiss, context: Context, limitsOf: LimitsOf): RawMiss {
  if (miss.failed !== 'ttft' && miss.failed !== 'itl' && miss.failed !== 'e2e') return miss;
  const also: Breach[] = [];
  let slo = context.slo;
  let missed = breachOf(miss);
  for (let round = 0; round < 3; round++) {
    const metric = missed.failed as 'ttft' | 'itl' | 'e2e';
    slo = { ...slo, [SLO_KEYS[metric]]: relaxedTarget(missed.value) };
    const evaluation = sizeShape(miss, { ...context, slo });
    if (evaluation.kind === 'sized') {
      const limits = limitsOf(evaluation.option);
      const fitting = round === 0 && limits.length > 0 ? fittingTargets(miss, context, limitsOf) : null;
      // Ranked by the relaxation its advice asks for, not by how near the light-load p95 came.
      if (fitting !== null)
        return Object.assign(
          { ...miss },
          { relaxedSlo: fitting, shortfall: shortfallOf(relaxationsOf(fitting, context.slo)) },
        );
      also.push(...limits);
      break;
    }
    if (evaluation.kind !== 'slo-miss') break;
    missed = breachOf(evaluation.miss);
    also.push(missed);
  }
  return also.length === 0 ? miss : alsoBreaking(miss, also);
}

/** How far past the stated targets a light-load miss's advice may relax them (`afterRelaxing`). */
const RELAXED_TARGET_CAP = 2;

/** The targets `relaxed` loosens as breaches of the stated ones, so shortfallOf ranks the advice by them. */
const relaxationsOf = (relaxed: RelaxedSlo, slo: Slo): Breach[] =>
  FAMILIES.flatMap((metric) => {
    const value = relaxed[SLO_KEYS[metric]];
    return value === undefined ? [] : [{ failed: metric, value, limit: slo[SLO_KEYS[metric]] }];
  });

/**
 * The lowest targets (whole ms) for a light-load miss, up to RELAXED_TARGET_CAP × the stated ones, at which the
 * shape sizes within every limit; null when even the cap leaves one broken (a placement never lifts). First the
 * missed target alone, between 5% above its prediction and the cap. Where that is not enough (once it is loose,
 * another target limits each replica's rate: "relax ITL p95 to 38 ms … and raise DEPLOY_GPU_QUOTA to 58" for a
 * shape whose TTFT then binds), all targets loosen by one factor, those that need not stay as stated, and each that
 * does is brought back as far as the shape still fits. Sizing needs fewer replicas as targets loosen, so bisections
 * find them.
 */
function fittingTargets(miss: RawMiss, context: Context, limitsOf: LimitsOf): RelaxedSlo | null {
  const missedKey = SLO_KEYS[miss.failed as 'ttft' | 'itl' | 'e2e'];
  const floor = relaxedTarget(miss.value);
  const fits = (relaxed: RelaxedSlo) => {
    const evaluation = sizeShape(miss, { ...context, slo: { ...context.slo, ...relaxed } });
    return evaluation.kind === 'sized' && limitsOf(evaluation.option).length === 0;
  };
  const cap = (key: keyof RelaxedSlo) => Math.ceil(RELAXED_TARGET_CAP * context.slo[key]);
  // The lowest whole-ms value of `key` in (low, high] that still fits with `others`, high known to fit; to within
  // 1%: the advice is read, not applied to the microsecond.
  const lowest = (key: keyof RelaxedSlo, low: number, high: number, others: RelaxedSlo) => {
    while (high - low > Math.max(1, 0.01 * low)) {
      const middle = Math.ceil((low + high) / 2);
      if (fits({ ...others, [key]: middle })) high = middle;
      else low = middle;
    }
    return high;
  };
  if (cap(missedKey) <= floor) return null;
  if (fits({ [missedKey]: cap(missedKey) }))
    return { [missedKey]: lowest(missedKey, floor, cap(missedKey), {}) };
  const scaled = (factor: number): RelaxedSlo =>
    Object.fromEntries(
      FAMILIES.map((metric) => {
        const key = SLO_KEYS[metric];
        const target = Math.ceil(factor * context.slo[key]);
        return [key, key === missedKey ? Math.max(target, floor) : target];
      }),
    );
  if (!fits(scaled(RELAXED_TARGET_CAP))) return null;
  let [low, high] = [1, RELAXED_TARGET_CAP];
  while (high - low > 0.01) {
    const middle = (low + high) / 2;
    if (fits(scaled(middle))) high = middle;
    else low = middle;
  }
  const relaxed = scaled(high);
  for (const metric of FAMILIES) {
    const key = SLO_KEYS[metric];
    if (key === missedKey) continue;
    const { [key]: _, ...rest } = relaxed;
    if (fits(rest)) delete relaxed[key];
  }
  for (const key of Object.keys(relaxed) as (keyof RelaxedSlo)[]) {
    const { [key]: value, ...others } = relaxed;
    // A stated target need not be whole (a spec scaled by a what-if): whole bounds keep the bisection moving.
    relaxed[key] = lowest(key, key === missedKey ? floor : Math.floor(context.slo[key]), value!, others);
  }
  return relaxed;
}

/**
 * What a breach says after "meets the SLOs but" or "it also" (a missing placement always comes first) and the change
 * that lifts it.
 */
function breachWords(breach: Breach, gpuId: string): { says: string; relax: string } {
  switch (breach.failed) {
    case 'budget':
      return {
        says: `costs ${usd(breach.value)}/month, ${usd(breach.value - breach.limit)} over the budget`,
        relax: `raise the budget to ${usd(breach.value)}/month`,
      };
    case 'gpuQuota':
      return {
        says: `needs ${wholeNumber.format(breach.value)} GPUs; DEPLOY_GPU_QUOTA is ${breach.limit}`,
        relax: `raise DEPLOY_GPU_QUOTA to ${breach.value}`,
      };
    case 'gpuPlacement':
      return {
        says: `the deploy policy cannot place ${gpuId} pods on nodes`,
        relax: `give ${gpuId} a placement in DEPLOY_GPU_NODE_LABELS`,
      };
    case 'maxGpus':
      return {
        says: `needs ${wholeNumber.format(breach.value)} GPUs, more than the limit of ${wholeNumber.format(breach.limit)}`,
        relax: `allow ${wholeNumber.format(breach.value)} GPUs`,
      };
    default:
      return {
        says: `misses ${SLO_NAMES[breach.failed]} (${ms(breach.value)} vs ${ms(breach.limit)})`,
        relax: `relax ${SLO_NAMES[breach.failed]} to ${ms(relaxedTarget(breach.value))}`,
      };
  }
}

/** Puts a miss into words: what failed by how much, and the change to the spec that would admit it. */
export function explainMiss(miss: RawMiss): NearMiss {
  const shape = describeShape(miss);
  switch (miss.failed) {
    case 'budget':
    case 'gpuQuota':
    case 'maxGpus':
    case 'gpuPlacement': {
      const breaches = [breachOf(miss), ...(miss.alsoBroken ?? [])];
      const words = breaches.map((breach) => breachWords(breach, miss.gpuId));
      const [first, ...others] = words as [(typeof words)[0], ...typeof words];
      return {
        ...miss,
        reason: `${shape} meets the SLOs but ${first.says}${others.map((w) => `; it also ${w.says}`).join('')}`,
        relax: words.map((w) => w.relax).join(' and '),
      };
    }
    default: {
      // As many decimals as it takes to tell the prediction from the target ("by 0 ms (40 ms vs 40 ms)" said nothing).
      const digits =
        [miss.value >= 100 ? 0 : 1, 2, 3].find((d) => round(miss.value, d) !== round(miss.limit, d)) ?? 3;
      const also = (miss.alsoBroken ?? []).map((breach) => breachWords(breach, miss.gpuId));
      // The missed target first, then any other the advice relaxes.
      const relaxed = [
        miss.failed as 'ttft' | 'itl' | 'e2e',
        ...FAMILIES.filter((m) => m !== miss.failed),
      ].flatMap((metric) => {
        const to = miss.relaxedSlo?.[SLO_KEYS[metric]];
        return to === undefined ? [] : [{ name: SLO_NAMES[metric], to }];
      });
      return {
        ...miss,
        reason:
          `${shape} misses ${SLO_NAMES[miss.failed]} by ${decimal.format(round(miss.value - miss.limit, digits))} ms even at light load (${decimal.format(round(miss.value, digits))} ms vs ${ms(miss.limit)})` +
          (relaxed.length === 0
            ? ''
            : `; to carry the peak rate within the limits, it needs ${relaxed.map(({ name, to }) => `${name} of ${ms(to)}`).join(' and ')}`) +
          also.map((w) => `; relaxed, it also ${w.says}`).join(''),
        relax: [
          relaxed.length === 0
            ? `relax ${SLO_NAMES[miss.failed]} to ${ms(relaxedTarget(miss.value))}`
            : `relax ${relaxed.map(({ name, to }) => `${name} to ${ms(to)}`).join(' and ')}`,
          ...also.map((w) => w.relax),
        ].join(' and '),
      };
    }
  }
}

/**
 * Plans a deployment for the spec: every allowed shape sized for the peak rate within the SLOs, priced, ranked by
 * the spec's priority; plus the closest misses and warnings that say what to change when nothing fits.
 */
export function planDeployment(spec: DeploymentSpec, knowledge: Knowledge, options: PlanOptions = {}): Plan {
  const top = options.top ?? DEFAULT_TOP;
  const context = contextOf(spec, knowledge);
  const warnings = checkSpec(spec).map((problem) => problem.message);
  const shapes = candidateShapes(context, warnings);
  const sized: SizedOption[] = [];
  const misses: RawMiss[] = [];
  // Per GPU type, its shapes and those that cannot run, with why the last with the most GPUs per replica (the
  // closest) cannot: kept as counts and one reason, not a record per shape (a 200-model plan has ~8k such shapes).
  const shapesByGpu = new Map<string, number>();
  const infeasibleByGpu = new Map<string, { count: number; widestReason: string; widestGpus: number }>();
  const budget = spec.budgetMonthlyUsd.value;
  const maxGpus = spec.maxGpus.value;
  const quota = options.policy?.gpuQuota ?? null;
  const placeable = options.policy?.placeableGpus ?? null;
  const evaluations = evaluateShapes(shapes, context, {
    budget:
      quota === null && maxGpus === null && shapes.every((shape) => placeable?.includes(shape.gpuId) ?? true)
        ? budget
        : null,
  });
  // Every limit a sized option breaks, so a near miss's advice admits it whole. A missing placement ranks after
  // every shortfall of a figure: a setting, not a number, stands in the way.
  const limitsOf: LimitsOf = (option) => {
    const breaches: Breach[] = [];
    if (placeable !== null && !placeable.includes(option.gpuId))
      breaches.push({ failed: 'gpuPlacement', value: 0, limit: 0 });
    if (quota !== null && option.gpuCount > quota)
      breaches.push({ failed: 'gpuQuota', value: option.gpuCount, limit: quota });
    if (maxGpus !== null && option.gpuCount > maxGpus)
      breaches.push({ failed: 'maxGpus', value: option.gpuCount, limit: maxGpus });
    if (budget !== null && option.monthlyCostUsd > budget)
      breaches.push({ failed: 'budget', value: option.monthlyCostUsd, limit: budget });
    return breaches;
  };
  const limited = placeable !== null || quota !== null || maxGpus !== null || budget !== null;
  // Model and GPU pairs with a budget miss left unsized among the misses.
  const unsizedPairs = new Map<string, Set<string>>();
  /** A shape missed on the budget alone, at `costUsd` a month: unsized, so no replica count. */
  const budgetMiss = (shape: OptionShape, costUsd: number) =>
    rawMiss(
      shape,
      nameOf(shape, context.models.get(shape.modelId)!),
      null,
      costUsd,
      'budget',
      costUsd,
      budget!,
    );
  for (const [index, shape] of shapes.entries()) {
    const evaluation = evaluations[index]!;
    shapesByGpu.set(shape.gpuId, (shapesByGpu.get(shape.gpuId) ?? 0) + 1);
    if (evaluation.kind === 'over-budget') {
      // Never shown (see evaluateShapes), so only the first of each pair joins the misses, at its floor: there it
      // keeps the pair's place among equally close misses (closestMisses ranks pairs by their first miss).
      let gpus = unsizedPairs.get(shape.modelId);
      if (gpus === undefined) {
        gpus = new Set();
        unsizedPairs.set(shape.modelId, gpus);
      }
      if (gpus.has(shape.gpuId)) continue;
      gpus.add(shape.gpuId);
      misses.push(budgetMiss(shape, evaluation.floor));
    } else if (evaluation.kind === 'infeasible') {
      const gpus = gpusPerReplicaOf(shape);
      const infeasible = infeasibleByGpu.get(shape.gpuId);
      if (infeasible === undefined)
        infeasibleByGpu.set(shape.gpuId, { count: 1, widestReason: evaluation.reason, widestGpus: gpus });
      else {
        infeasible.count += 1;
        if (gpus >= infeasible.widestGpus) {
          infeasible.widestReason = evaluation.reason;
          infeasible.widestGpus = gpus;
        }
      }
    } else if (evaluation.kind === 'slo-miss') {
      // Relaxing the SLO alone would not admit a shape whose one replica breaks a limit (the budget, the quota): the
      // miss names those too, and ranks by them all. Priced only where a limit is set: most plans set none.
      const oneReplica = limited
        ? limitsOf({
            gpuId: shape.gpuId,
            gpuCount: gpusPerReplicaOf(shape),
            monthlyCostUsd: monthlyUsd(replicaHourlyUsdOf(context, context.gpus.get(shape.gpuId)!, shape), 1),
          })
        : [];
      misses.push(oneReplica.length === 0 ? evaluation.miss : alsoBreaking(evaluation.miss, oneReplica));
    } else {
      const breaches = limitsOf(evaluation.option);
      if (breaches.length > 0) misses.push(limitMiss(evaluation.option, breaches));
      else sized.push(evaluation.option);
    }
  }

  for (const [gpuId, count] of shapesByGpu) {
    const infeasible = infeasibleByGpu.get(gpuId);
    if (infeasible !== undefined && infeasible.count === count) {
      warnings.push(`${gpuId} cannot hold any allowed model for this traffic: ${infeasible.widestReason}.`);
    }
  }
  if (shapes.length > 0 && sized.length === 0 && misses.length === 0) {
    const longest = longestServableContext(shapes, context);
    if (longest !== null) warnings.unshift(longest);
  }
  warnings.push(...notFitting(spec, context, sized, misses));

  const { kept, shownBecause } = pruneOptions(sized, {
    priority: spec.priority.value,
    models: spec.models.value,
    gpuTypes: spec.gpuTypes.value,
  });
  const ranked = kept.sort(ranker(spec.priority.value, kept));
  const shown = diverse(ranked, top, spec.models.value).map((option) => describeOption(option, context));
  for (const [index, option] of shown.entries()) {
    const rationale = rationaleFor(option, index, shown[0]!, spec.priority.value, context.slo);
    const because = shownBecause.get(option.id);
    option.rationale = because ? `${rationale} ${because}` : rationale;
  }

  const nearMisses = closestMisses(misses, (miss) => afterRelaxing(miss, context, limitsOf));
  if (shown.length === 0 && nearMisses.length > 0) {
    const closest = nearMisses[0]!;
    warnings.push(
      `No option meets every constraint. Closest: ${closest.reason}; to admit it, ${closest.relax}.`,
    );
  }
  // Only when the budget is what stands in the way: not while an option that meets the SLOs within the budget is held
  // back by the GPU quota, the GPU limit or a placement.
  const fitsBudgetElsewhere = misses.some(
    (miss) =>
      (miss.failed === 'gpuQuota' || miss.failed === 'maxGpus' || miss.failed === 'gpuPlacement') &&
      !miss.alsoBroken?.some((breach) => breach.failed === 'budget'),
  );
  if (
    budget !== null &&
    sized.length === 0 &&
    !fitsBudgetElsewhere &&
    misses.some((miss) => miss.failed === 'budget')
  ) {
    const cheapest = misses
      .filter((miss) => miss.failed === 'budget')
      .sort((a, b) => a.shortfall - b.shortfall)[0]!;
    warnings.push(
      `The budget of ${usd(budget)}/month is below the cheapest option that meets the SLOs (${usd(cheapest.monthlyCostUsd ?? 0)}/month).`,
    );
  }
  return {
    spec,
    recommendations: shown,
    nearMisses,
    warnings,
    considered: shapes.length,
    vllmVersion: VLLM_VERSION,
  };
}

/**
 * Every shape sized for the spec, in order. Where the budget is the only limit (`budget` given: no quota, GPU limit
 * or unplaceable GPU), a shape whose rate search shows it needs more replicas than the budget pays for (one, when one
 * replica costs more) can only be a budget miss, and sizing it to the end (the bulk of a plan's work) changes nothing
 * unless that miss may be shown: closestMisses shows at most three, the closest budget miss first. Such shapes are
 * sized in order of their floor until the floor exceeds the third-closest budget miss of the model and GPU pairs
 * sized; those left keep their floor, which ranks them after those three (and after the cheapest miss the budget
 * warning names), as their real shortfall would: never shown.
 */
function evaluateShapes(
  shapes: OptionShape[],
  context: Context,
  limits: { budget: number | null },
): ShapeOutcome[] {
  const { budget } = limits;
  const evaluations: ShapeOutcome[] = shapes.map(
    (shape) => (budget === null ? null : overBudget(shape, context, budget)) ?? sizeShape(shape, context),
  );
  if (budget === null) return evaluations;
  // The closest budget miss of each model and GPU pair, from the shapes sized.
  const closest = new Map<string, number>();
  // The third-closest pair's miss, recounted only after a pair's closest miss changed: the loop below asks it once per
  // pending shape, and sorting the pairs each time was a tenth of a 200-model plan.
  let third: number | null = null;
  const note = (evaluation: ShapeOutcome) => {
    if (evaluation.kind !== 'sized' || evaluation.option.monthlyCostUsd <= budget) return;
    const pair = `${evaluation.option.modelId}|${evaluation.option.gpuId}`;
    const shortfall = evaluation.option.monthlyCostUsd / budget - 1;
    const current = closest.get(pair) ?? Number.POSITIVE_INFINITY;
    if (shortfall >= current) return;
    closest.set(pair, shortfall);
    third = null;
  };
  const thirdClosest = () => {
    if (third === null) {
      let first = Number.POSITIVE_INFINITY;
      let second = Number.POSITIVE_INFINITY;
      third = Number.POSITIVE_INFINITY;
      for (const shortfall of closest.values()) {
        if (shortfall < first) {
          third = second;
          second = first;
          first = shortfall;
        } else if (shortfall < second) {
          third = second;
          second = shortfall;
        } else if (shortfall < third) third = shortfall;
      }
    }
    return third;
  };
  for (const evaluation of evaluations) note(evaluation);
  // Sizing a shape only lowers the third-closest miss, so a shape whose floor is beyond it now is never sized: the
  // loop below would stop before it. Left out before the sort, which took a tenth of a 200-model plan over ~14k
  // budget misses where ~1k remain.
  const beyond = thirdClosest();
  const pending: { index: number; shortfall: number }[] = [];
  for (const [index, evaluation] of evaluations.entries()) {
    if (evaluation.kind !== 'over-budget') continue;
    // The shortfall as rawMiss reckons it.
    const shortfall = evaluation.floor / budget - 1;
    if (!(shortfall > beyond)) pending.push({ index, shortfall });
  }
  pending.sort((a, b) => a.shortfall - b.shortfall);
  for (const { index, shortfall } of pending) {
    if (shortfall > thirdClosest()) break;
    const sized = sizeShape(shapes[index]!, context);
    evaluations[index] = sized;
    note(sized);
  }
  return evaluations;
}

/** For each model the user named that no shape within their GPU limit can hold: why, and what would fit. */
function notFitting(
  spec: DeploymentSpec,
  context: Context,
  sized: SizedOption[],
  misses: RawMiss[],
): string[] {
  const maxGpus = spec.maxGpus.value;
  if (maxGpus === null) return [];
  const gpus = spec.gpuTypes.value.length
    ? spec.gpuTypes.value.flatMap((id) => context.gpus.get(id) ?? [])
    : [...context.gpus.values()];
  if (gpus.length === 0) return [];
  const planned = new Set([...sized, ...misses].map((option) => option.modelId));
  return spec.models.value
    .flatMap((id) => context.models.get(id) ?? [])
    .filter((model) => !planned.has(model.id))
    .map((model) => fitAdvice(model, gpus, maxGpus, spec.useCase.value, context.knowledge.models));
}

/** Most options one model or one GPU type may take in the list shown, so the list offers real alternatives. */
export const MAX_SHOWN_PER_MODEL_OR_GPU = 2;

/** Single-node or multi-node: a replica spanning nodes needs different infrastructure (a multi-node cluster). */
const nodeShapeOf = (option: SizedOption) => (nodesOf(option) > 1 ? 'multi-node' : 'node');

/**
 * The best `top` options in rank order, so the list offers real alternatives rather than TP variants of one.
 * A model the user named comes first in each distinct way to serve it (precision × single or multi-node), each on a
 * GPU type not shown yet: the cheapest int4 shape must not hide the fp8 node or the multi-node one the team may
 * need. Then one option per model, GPU and node shape (a named model's precisions counted apart), at most
 * MAX_SHOWN_PER_MODEL_OR_GPU per model and per GPU type while others remain to fill the list.
 */
function diverse(ranked: SizedOption[], top: number, named: readonly string[]): SizedOption[] {
  const setupOf = (option: SizedOption) => `${option.modelId}|${option.precision}|${nodeShapeOf(option)}`;
  const keys = new Set<string>();
  const distinct = ranked.filter((option) => {
    const key = named.includes(option.modelId)
      ? `${setupOf(option)}|${option.gpuId}`
      : `${option.modelId}|${option.gpuId}|${nodeShapeOf(option)}`;
    if (keys.has(key)) return false;
    keys.add(key);
    return true;
  });
  const shown: SizedOption[] = [];
  for (const option of distinct) {
    if (shown.length === top) break;
    if (
      named.includes(option.modelId) &&
      shown.every((other) => setupOf(other) !== setupOf(option) && other.gpuId !== option.gpuId)
    ) {
      shown.push(option);
    }
  }
  const count = (key: string) => shown.filter((o) => o.modelId === key || o.gpuId === key).length;
  for (const option of distinct) {
    if (shown.length === top) break;
    if (
      !shown.includes(option) &&
      count(option.modelId) < MAX_SHOWN_PER_MODEL_OR_GPU &&
      count(option.gpuId) < MAX_SHOWN_PER_MODEL_OR_GPU
    ) {
      shown.push(option);
    }
  }
  for (const option of distinct) {
    if (shown.length === top) break;
    if (!shown.includes(option)) shown.push(option);
  }
  return shown.sort((a, b) => distinct.indexOf(a) - distinct.indexOf(b));
}

/**
 * The closest misses, one per model, GPU and kind of failure: first the closest of each kind (so a blocking budget or
 * quota shows next to a near SLO miss, also when the user named the one model and GPU), then the next closest overall;
 * each chosen one `complete`d with what else stands in its way, and ordered by what relaxing it all takes.
 */
function closestMisses(misses: RawMiss[], complete: (miss: RawMiss) => RawMiss): NearMiss[] {
  const best = new Map<string, RawMiss>();
  for (const miss of misses) {
    const pair = `${miss.modelId}|${miss.gpuId}|${miss.failed}`;
    const current = best.get(pair);
    if (!current || miss.shortfall < current.shortfall) best.set(pair, miss);
  }
  const sorted = [...best.values()].sort((a, b) => a.shortfall - b.shortfall);
  const firstOfKind = sorted.filter(
    (miss, index) => sorted.findIndex((other) => other.failed === miss.failed) === index,
  );
  const chosen = [...firstOfKind, ...sorted.filter((miss) => !firstOfKind.includes(miss))].slice(
    0,
    NEAR_MISSES,
  );
  return chosen
    .map(complete)
    .sort((a, b) => a.shortfall - b.shortfall)
    .map(explainMiss);
}

export interface WhatIfOverrides {
  modelId?: string;
  gpuId?: string;
  tensorParallel?: number;
  precision?: Precision;
  /** Total GPUs; replicas = gpuCount / tensorParallel. */
  gpuCount?: number;
  peakQps?: number;
  slo?: Partial<Slo>;
}

export type Scenario =
  | { kind: 'infeasible'; reason: string }
  | { kind: 'slo-miss'; miss: NearMiss }
  | { kind: 'planned'; option: PlannedOption };

export interface WhatIfResult {
  spec: DeploymentSpec;
  scenario: Scenario;
  baseline: PlannedOption;
  /** scenario − baseline, for the figures both have. */
  difference: {
    monthlyCostUsd: number;
    ttftP95Ms: number;
    itlP95Ms: number;
    e2eP95Ms: number;
    maxRps: number;
    quality: number | null;
  } | null;
}

/** Re-evaluates a baseline option with overrides (model, GPU, count, TP, precision, load, SLOs) and diffs the two. */
export function whatIf(
  spec: DeploymentSpec,
  baseline: PlannedOption,
  overrides: WhatIfOverrides,
  knowledge: Knowledge,
): WhatIfResult {
  const changed: DeploymentSpec = {
    ...spec,
    traffic: {
      ...spec.traffic,
      peakQps:
        overrides.peakQps === undefined
          ? spec.traffic.peakQps
          : { value: overrides.peakQps, source: 'stated' },
    },
    slo: {
      ttftP95Ms:
        overrides.slo?.ttftP95Ms === undefined
          ? spec.slo.ttftP95Ms
          : { value: overrides.slo.ttftP95Ms, source: 'stated' },
      itlP95Ms:
        overrides.slo?.itlP95Ms === undefined
          ? spec.slo.itlP95Ms
          : { value: overrides.slo.itlP95Ms, source: 'stated' },
      e2eP95Ms:
        overrides.slo?.e2eP95Ms === undefined
          ? spec.slo.e2eP95Ms
          : { value: overrides.slo.e2eP95Ms, source: 'stated' },
    },
  };
  const shape: OptionShape = {
    modelId: overrides.modelId ?? baseline.modelId,
    gpuId: overrides.gpuId ?? baseline.gpuId,
    tensorParallel: overrides.tensorParallel ?? baseline.tensorParallel,
    precision: overrides.precision ?? baseline.precision,
    ...(baseline.pipelineParallel !== undefined && { pipelineParallel: baseline.pipelineParallel }),
    // Another model or TP degree is asked for as plain TP: the baseline's expert placement belonged to its own shape.
    ...(overrides.modelId === undefined && overrides.tensorParallel === undefined && moeShapeOf(baseline)),
  };
  const replicas =
    overrides.gpuCount === undefined
      ? undefined
      : Math.max(1, Math.floor(overrides.gpuCount / gpusPerReplicaOf(shape)));
  const context = contextOf(changed, knowledge);
  const evaluation = sizeShape(shape, context, replicas);
  const scenario: Scenario =
    evaluation.kind === 'sized'
      ? { kind: 'planned', option: describeOption(evaluation.option, context) }
      : evaluation.kind === 'slo-miss'
        ? { kind: 'slo-miss', miss: explainMiss(evaluation.miss) }
        : evaluation;
  const difference =
    scenario.kind === 'planned'
      ? {
          monthlyCostUsd: scenario.option.monthlyCostUsd - baseline.monthlyCostUsd,
          ttftP95Ms: round(scenario.option.predicted.ttftP95Ms - baseline.predicted.ttftP95Ms),
          itlP95Ms: round(scenario.option.predicted.itlP95Ms - baseline.predicted.itlP95Ms, 2),
          e2eP95Ms: round(scenario.option.predicted.e2eP95Ms - baseline.predicted.e2eP95Ms),
          maxRps: round(scenario.option.predicted.maxRps - baseline.predicted.maxRps, 2),
          quality:
            scenario.option.quality === null || baseline.quality === null
              ? null
              : round(scenario.option.quality - baseline.quality),
        }
      : null;
  return { spec: changed, scenario, baseline, difference };
}
