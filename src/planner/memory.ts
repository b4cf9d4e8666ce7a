/**
 * Memory feasibility the way vLLM decides it at start-up: weights, the profiled activation peak and non-torch
 * memory come out of gpu_memory_utilization × device memory; what remains is the KV-cache pool.
 */
import {
  attentionParams,
  kvValuesPerTokenPerLayer,
  layoutOf,
  routedExpertParams,
  tpReplicatedParams,
  windowedLayerShare,
} from '../knowledge/architecture.js';
import type { EngineSettings } from '../knowledge/catalog.js';
import {
  type Gpu,
  type Model,
  type ModelArchitecture,
  type Precision,
  servedPrecisionOf,
} from '../knowledge/catalog.js';
import {
  BODY_BYTES_PER_PARAM,
  DEFAULT_GPU_MEMORY_UTILIZATION,
  denseBytesPerParam,
  EMBEDDING_BYTES_PER_PARAM,
  GIB,
  KV_BLOCK_TOKENS,
  KV_BYTES,
  type KvCacheDtype,
  mxfp4BackendOf,
  nonTorchBytes,
  servingDefaults,
  usableMemoryBytes,
  V0_MAX_NUM_SEQS,
} from './assumptions.js';

export interface Parallelism {
  tensorParallel: number;
  pipelineParallel: number;
  /**
   * Attention data-parallel ranks of a stage (vLLM's --data-parallel-size): each runs its own batch with its own KV
   * cache on TP GPUs; absent = 1.
   */
  dataParallel?: number;
  /**
   * Expert parallelism (--enable-expert-parallel): the routed experts are placed whole over the TP × DP GPUs of a
   * stage instead of sharded by TP; the attention and dense layers stay TP-sharded in each DP rank.
   */
  expertParallel?: boolean;
}

/** Attention data-parallel ranks of a stage. */
export const dataParallelOf = (parallel: Pick<Parallelism, 'dataParallel'>) => parallel.dataParallel ?? 1;

/** GPUs of the whole replica: TP × DP in each of PP stages. */
export const gpusOf = (parallel: Parallelism) =>
  parallel.tensorParallel * dataParallelOf(parallel) * parallel.pipelineParallel;

/** vLLM knobs that change memory and batching, resolved to the values vLLM would use. */
export interface EngineConfig {
  gpuMemoryUtilization: number;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  kvCacheDtype: KvCacheDtype;
}

/** The values vLLM would use: the deployment's settings where given, vLLM's defaults for the GPU elsewhere. */
export function resolveEngine(gpu: Gpu, overrides: EngineSettings = {}): EngineConfig {
  const defaults = servingDefaults(gpu.id, usableMemoryBytes(gpu.memoryGb, gpu.memoryBandwidthGBps));
  return {
    gpuMemoryUtilization: overrides.gpuMemoryUtilization ?? DEFAULT_GPU_MEMORY_UTILIZATION,
    maxNumSeqs: overrides.maxNumSeqs ?? (overrides.v0Engine ? V0_MAX_NUM_SEQS : defaults.maxNumSeqs),
    maxNumBatchedTokens: overrides.maxNumBatchedTokens ?? defaults.maxNumBatchedTokens,
    kvCacheDtype: overrides.kvCacheDtype ?? 'auto',
  };
}

/** Parameters split by how vLLM stores them: the quantizable body, and the 16-bit vocabulary matrices. */
export function parameterSplit(model: Model): { body: number; embedding: number; lmHead: number } {
  const { vocabSize, hiddenSize, tiedEmbeddings } = model.architecture;
  const embedding = vocabSize * hiddenSize;
  const lmHead = tiedEmbeddings ? 0 : embedding;
  const body = Math.max(model.paramsTotalB * 1e9 - embedding - lmHead, 0);
  return { body, embedding, lmHead };
}

/** Parameters of the body outside the routed experts: attention, dense and shared FFNs, routers. */
function denseBodyParams(model: Model): number {
  const { body } = parameterSplit(model);
  return body - Math.min(routedExpertParams(model.architecture), body);
}

/**
 * Parameters of the body outside the routed experts that the served checkpoint keeps at 16 bits (its catalog entry's
 * `unquantized` parts): every attention projection, whole first and last layers at the mean size of a layer, and
 * whole recurrent mixers.
 * Zero when the checkpoint quantizes the whole body. `checkpoint` absent: the catalog's first one of the precision.
 */
export function unquantizedBodyParams(model: Model, precision: Precision, checkpoint?: string): number {
  const parts = servedPrecisionOf(model, precision, checkpoint)?.unquantized;
  if (!parts) return 0;
  const a = model.architecture;
  const dense = denseBodyParams(model);
  const attention = parts.attention ? layoutOf(a).attentionLayers * attentionParams(a) : 0;
  const wholeLayers = ((parts.firstLayers + parts.lastLayers) * (dense - attention)) / a.layers;
  const mixers = (parts.recurrentLayers ?? 0) * (layoutOf(a).recurrent?.paramsPerLayer ?? 0);
  return Math.min(attention + wholeLayers + mixers, dense);
}

/**
 * The body outside the routed experts by how vLLM holds it: split over TP at the served byte rate, split at 16 bits
 * (the parts the checkpoint leaves unquantized), or kept whole on every TP rank (tpReplicatedParams), quantized or
 * at 16 bits.
 */
function nonExpertParams(model: Model, precision: Precision, checkpoint?: string) {
  const replicated = tpReplicatedParams(model.architecture);
  const split = Math.max(denseBodyParams(model) - replicated.quantized - replicated.sixteenBit, 0);
  const unquantized = Math.min(unquantizedBodyParams(model, precision, checkpoint), split);
  return { quantizedSplit: split - unquantized, sixteenBitSplit: unquantized, replicated };
}

/** Bytes of the whole checkpoint as loaded at this precision: routed experts, the rest of the body, vocabulary. */
export function weightBytesTotal(model: Model, precision: Precision, checkpoint?: string): number {
  const { body, embedding, lmHead } = parameterSplit(model);
  const experts = Math.min(routedExpertParams(model.architecture), body);
  const { quantizedSplit, sixteenBitSplit, replicated } = nonExpertParams(model, precision, checkpoint);
  return (
    experts * BODY_BYTES_PER_PARAM[precision] +
    (quantizedSplit + replicated.quantized) * denseBytesPerParam(precision) +
    (sixteenBitSplit + replicated.sixteenBit) * BODY_BYTES_PER_PARAM.bf16 +
    (embedding + lmHead) * EMBEDDING_BYTES_PER_PARAM
  );
}

/**
 * Bytes of the body outside the routed experts on one GPU of a stage, its quantized weights at `bytesPerParam` and
 * the parts the checkpoint leaves unquantized at 16 bits: TP splits all of it but what vLLM keeps whole on every
 * rank (tpReplicatedParams), which each GPU holds and reads in full. DeepSeek-V3 at TP8 in FP8: 0.92 GB of latent
 * down-projections and 0.21 GB of routers per GPU, where a split would leave 0.14 GB.
 */
export function nonExpertBytesPerGpu(
  model: Model,
  precision: Precision,
  bytesPerParam: number,
  parallel: Pick<Parallelism, 'tensorParallel' | 'pipelineParallel'>,
  checkpoint?: string,
): number {
  const { tensorParallel: tp, pipelineParallel: pp } = parallel;
  const { quantizedSplit, sixteenBitSplit, replicated } = nonExpertParams(model, precision, checkpoint);
  const bf16 = BODY_BYTES_PER_PARAM.bf16;
  return (
    (quantizedSplit * bytesPerParam + sixteenBitSplit * bf16) / (tp * pp) +
    (replicated.quantized * bytesPerParam + replicated.sixteenBit * bf16) / pp
  );
}

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

/** The GPU facts that pick vLLM's MXFP4 MoE backend. */
export type MoeBackendGpu = Pick<Gpu, 'vendor' | 'fp8Tflops' | 'memoryBandwidthGBps' | 'bf16Tflops'>;

/** Rounding of (intermediate per partition, hidden) each MXFP4 backend pads expert weights to (mxfp4ExpertBytesPerParam). */
const MXFP4_EXPERT_PADDING: Record<ReturnType<typeof mxfp4BackendOf>, [number, number]> = {
  'flashinfer-trtllm': [256, 256],
  'triton-kernels': [64, 1],
  marlin: [128, 256],
  rocm: [128, 128],
};

/**
 * Bytes per routed-expert parameter of an MXFP4 checkpoint as vLLM holds it on one GPU: 4-bit values and one uint8
 * scale per 32, over shapes vLLM pads per MoE backend (Mxfp4MoEMethod.create_weights,
 * vllm/model_executor/layers/quantization/mxfp4.py, vLLM 0.11–0.12):
 * - Blackwell, FlashInfer TRT-LLM: intermediate_size_per_partition and hidden_size rounded up to 256 (gpt-oss's
 *   2880 → 3072 on both, +14%);
 * - Hopper, triton_kernels: intermediate rounded up to 64, hidden as is; process_weights_after_loading swizzles the
 *   scales into a copy padded to 256 rows (HopperMXScaleLayout, num_warps 8) and keeps the loaded w13/w2_weight_scale
 *   parameters too, so the scales are held twice (+3.6 GiB on gpt-oss-120b at TP1, what vLLM's "Model loading took
 *   64.38 GiB" shows against 60.7 unpadded);
 * - Ampere and Ada, Marlin: intermediate to 128, hidden to 256;
 * - ROCm: both to 128 (get_padding_alignment on gfx942).
 * `intermediatePerPartition` is the expert's intermediate size on one rank (split over TP unless experts are placed
 * whole by expert parallelism): at TP8 gpt-oss's 360 rounds to 384 on Hopper and 512 on Blackwell.
 */
export function mxfp4ExpertBytesPerParam(
  arch: Pick<ModelArchitecture, 'hiddenSize'>,
  intermediatePerPartition: number,
  gpu: MoeBackendGpu,
): number {
  const h = arch.hiddenSize;
  const i = intermediatePerPartition;
  const backend = mxfp4BackendOf(gpu);
  const [padI, padH] = MXFP4_EXPERT_PADDING[backend];
  const ip = roundUp(i, padI);
  const hp = roundUp(h, padH);
  // gate_up (2·I × H) and down (H × I): half a byte a value, one byte a 32-value block.
  const values = (3 * ip * hp) / 2;
  const scales = (3 * ip * hp) / 32;
  const swizzledScales =
    backend === 'triton-kernels' ? (roundUp(2 * ip, 256) * hp + roundUp(hp, 256) * ip) / 32 : 0;
  return (values + scales + swizzledScales) / (3 * i * h);
}

/**
 * Bytes per routed-expert parameter held on one GPU: MXFP4 as vLLM's backend for `gpu` pads and holds it (without a
 * GPU, the checkpoint's own rate), every other precision at its byte rate.
 */
export function expertBytesPerParam(
  model: Model,
  precision: Precision,
  parallel: Pick<Parallelism, 'tensorParallel' | 'expertParallel'>,
  gpu: MoeBackendGpu | undefined,
): number {
  const moe = model.architecture.moe;
  if (precision !== 'mxfp4' || !moe || !gpu) return BODY_BYTES_PER_PARAM[precision];
  const perPartition = moe.expertIntermediateSize / (parallel.expertParallel ? 1 : parallel.tensorParallel);
  return mxfp4ExpertBytesPerParam(model.architecture, perPartition, gpu);
}

/**
 * Weight bytes on the most loaded GPU: the body splits over TP × PP (but for what every TP rank keeps whole); the vocabulary matrices split over TP, and with
 * PP the first stage holds the embedding and the last the lm_head. Each attention data-parallel rank holds its own
 * copy of everything but the routed experts, which expert parallelism spreads over all TP × DP GPUs of a stage.
 */
export function weightBytesPerGpu(
  model: Model,
  precision: Precision,
  parallel: Parallelism,
  checkpoint?: string,
  gpu?: MoeBackendGpu,
): number {
  const { body, embedding, lmHead } = parameterSplit(model);
  const { tensorParallel: tp, pipelineParallel: pp } = parallel;
  const experts = Math.min(routedExpertParams(model.architecture), body);
  // Expert parallelism spreads the experts over the DP ranks too; without it each TP rank holds its slice of all.
  const expertShards = parallel.expertParallel ? dataParallelOf(parallel) : 1;
  const vocab = pp === 1 ? embedding + lmHead : embedding;
  return (
    nonExpertBytesPerGpu(model, precision, denseBytesPerParam(precision), parallel, checkpoint) +
    absorbedUpProjectionBytesPerGpu(model, precision, parallel) +
    (experts * expertBytesPerParam(model, precision, parallel, gpu)) / (tp * expertShards * pp) +
    (vocab * EMBEDDING_BYTES_PER_PARAM) / tp
  );
}

/**
 * Latent attention's decode form multiplies by kv_b_proj's halves W_UK and W_UV in 16 bits: for a quantized
 * checkpoint vLLM dequantizes kv_b_proj into a 16-bit copy beside the quantized weight, which prefill still uses
 * ("we just store fp16/bf16 copies and perform the bmm's in 16-bit", MLACommonImpl.process_weights_after_loading).
 * Split over TP with the heads: 0.24 GiB a GPU for DeepSeek-V3 FP8 at TP8.
 */
function absorbedUpProjectionBytesPerGpu(model: Model, precision: Precision, parallel: Parallelism): number {
  const a = model.architecture;
  const mla = a.latentAttention;
  if (!mla || denseBytesPerParam(precision) >= BODY_BYTES_PER_PARAM.bf16) return 0;
  const upProjection = mla.kvLoraRank * a.attentionHeads * (mla.qkNopeHeadDim + mla.vHeadDim);
  const layers = layoutOf(a).attentionLayers;
  return (
    (layers * upProjection * BODY_BYTES_PER_PARAM.bf16) /
    (parallel.tensorParallel * parallel.pipelineParallel)
  );
}

/**
 * KV bytes one token occupies across the whole model: per attention layer, K and V of every KV head (or, for latent
 * attention, the one compressed latent) × dtype bytes. Recurrent layers store no per-token KV; windowed layers are
 * counted per token, which is exact while a sequence is shorter than the window (what a longer sequence holds in
 * them is capped in `servingSystem`'s occupancy).
 */
export function kvBytesPerToken(model: Model, kvCacheDtype: KvCacheDtype = 'auto'): number {
  const a = model.architecture;
  return layoutOf(a).attentionLayers * kvValuesPerTokenPerLayer(a) * KV_BYTES[kvCacheDtype];
}

/**
 * KV bytes one token occupies on one GPU. KV heads shard across TP; when TP exceeds the KV heads vLLM replicates
 * them so every GPU still holds one head per layer. Latent attention has a single latent per layer that every TP rank
 * keeps whole (vLLM's MLA backends do not shard the latent cache), so TP does not shrink it. PP splits the layers.
 */
export function kvBytesPerTokenPerGpu(
  model: Model,
  kvCacheDtype: KvCacheDtype,
  parallel: Parallelism,
): number {
  const a = model.architecture;
  const layersPerStage = Math.ceil(layoutOf(a).attentionLayers / parallel.pipelineParallel);
  const perLayer = a.latentAttention
    ? kvValuesPerTokenPerLayer(a)
    : Math.max(a.kvHeads / parallel.tensorParallel, 1) * a.headDim * 2;
  return layersPerStage * perLayer * KV_BYTES[kvCacheDtype];
}

/**
 * Recurrent (linear-attention / Mamba) state one sequence holds on one GPU, whatever its length: the state shards
 * across TP ranks with the heads, and PP splits the layers.
 */
export function recurrentStateBytesPerGpu(model: Model, parallel: Parallelism): number {
  const recurrent = layoutOf(model.architecture).recurrent;
  if (!recurrent) return 0;
  return recurrent.stateBytes / (parallel.tensorParallel * parallel.pipelineParallel);
}

/** Width of the FFN one token passes through (routed + shared experts for MoE). */
export function ffnWidth(model: Model): number {
  const { moe, intermediateSize } = model.architecture;
  if (!moe) return intermediateSize;
  return (moe.expertsPerToken + moe.sharedExperts) * moe.expertIntermediateSize + intermediateSize;
}

/**
 * Peak activation memory of vLLM's start-up profile run (vLLM ≥ 0.18): a max_num_batched_tokens forward pass
 * (gate/up/act of the FFN at 16-bit, plus hidden-state buffers) and a sampler pass over max_num_seqs fp32 logits
 * (logits + probabilities). Reproduces 1.89 GiB for Llama-3.1-8B on H100 (1.88 predicted) and 2.25 GiB for
 * Qwen3-14B (2.27 predicted), llm-d-planner accuracy report.
 */
export function activationPeakBytes(model: Model, engine: EngineConfig, tensorParallel: number): number {
  const { hiddenSize, vocabSize } = model.architecture;
  const tokens = engine.maxNumBatchedTokens;
  const forward = tokens * ((3 * ffnWidth(model) * 2) / tensorParallel + hiddenSize * 8);
  const sampler = engine.maxNumSeqs * vocabSize * 8;
  return forward + sampler;
}

export interface MemoryPlan {
  usableBytesPerGpu: number;
  budgetBytesPerGpu: number;
  weightBytesTotal: number;
  weightBytesPerGpu: number;
  activationBytesPerGpu: number;
  nonTorchBytesPerGpu: number;
  kvPoolBytesPerGpu: number;
  kvBytesPerToken: number;
  kvBytesPerTokenPerGpu: number;
  /** Recurrent state one sequence holds per GPU (0 for pure-attention models). */
  stateBytesPerSequencePerGpu: number;
  /**
   * Tokens the whole replica's KV pool holds (rounded down to whole blocks), before any recurrent state: a sequence
   * of n tokens takes n + `stateTokensPerSequence` of them. With attention data parallelism, the pools of all DP
   * ranks together; one sequence lives in one rank's pool.
   */
  kvTokens: number;
  /** A sequence's recurrent state in KV-token equivalents (state bytes ÷ KV bytes per token). */
  stateTokensPerSequence: number;
  /** Share of the attention layers that are windowed (gpt-oss's sliding layers); 0 when all attend in full. */
  windowedLayerShare: number;
  /** Tokens of one sequence a windowed layer holds at most (Infinity without windowed layers). */
  windowPeakTokens: number;
}

export function memoryPlan(
  model: Model,
  gpu: Gpu,
  precision: Precision,
  parallel: Parallelism,
  engine: EngineConfig,
  checkpoint?: string,
): MemoryPlan {
  const usable = usableMemoryBytes(gpu.memoryGb, gpu.memoryBandwidthGBps);
  const budget = usable * engine.gpuMemoryUtilization;
  const weightsPerGpu = weightBytesPerGpu(model, precision, parallel, checkpoint, gpu);
  const activation = activationPeakBytes(model, engine, parallel.tensorParallel);
  const nonTorch = nonTorchBytes(gpusOf(parallel));
  const pool = budget - weightsPerGpu - activation - nonTorch;
  return {
    usableBytesPerGpu: usable,
    budgetBytesPerGpu: budget,
    weightBytesTotal: weightBytesTotal(model, precision, checkpoint),
    weightBytesPerGpu: weightsPerGpu,
    activationBytesPerGpu: activation,
    nonTorchBytesPerGpu: nonTorch,
    kvPoolBytesPerGpu: pool,
    kvBytesPerToken: kvBytesPerToken(model, engine.kvCacheDtype),
    ...kvCapacity(model, engine, parallel, pool),
  };
}

/**
 * What a KV pool of `poolBytesPerGpu` holds: tokens in whole blocks, each sequence's recurrent state, and how much of
 * a sequence its windowed layers keep. vLLM sizes a sliding-window layer's share of one sequence at the window's last
 * `sliding_window - 1` tokens plus a chunk of up to max_num_batched_tokens being prefilled, plus one block because
 * the window need not start at a block's edge (SlidingWindowSpec.max_memory_usage_bytes,
 * vllm/v1/kv_cache_interface.py); Llama 4's chunked-local layers are sized the same way here.
 */
export function kvCapacity(
  model: Model,
  engine: Pick<EngineConfig, 'kvCacheDtype' | 'maxNumBatchedTokens'>,
  parallel: Parallelism,
  poolBytesPerGpu: number,
): Pick<
  MemoryPlan,
  | 'kvBytesPerTokenPerGpu'
  | 'stateBytesPerSequencePerGpu'
  | 'kvTokens'
  | 'stateTokensPerSequence'
  | 'windowedLayerShare'
  | 'windowPeakTokens'
> {
  const perTokenPerGpu = kvBytesPerTokenPerGpu(model, engine.kvCacheDtype, parallel);
  const blocks = Math.floor(Math.max(poolBytesPerGpu, 0) / (perTokenPerGpu * KV_BLOCK_TOKENS));
  const state = recurrentStateBytesPerGpu(model, parallel);
  const { windowed } = layoutOf(model.architecture);
  return {
    kvBytesPerTokenPerGpu: perTokenPerGpu,
    stateBytesPerSequencePerGpu: state,
    kvTokens: blocks * KV_BLOCK_TOKENS * dataParallelOf(parallel),
    stateTokensPerSequence: state / perTokenPerGpu,
    windowedLayerShare: windowedLayerShare(model.architecture),
    windowPeakTokens: windowed
      ? windowed.window - 1 + engine.maxNumBatchedTokens + KV_BLOCK_TOKENS
      : Number.POSITIVE_INFINITY,
  };
}

/**
 * Pool tokens (`kvTokens`' unit: a token in every attention layer) one sequence of `tokens` takes at its peak: all of
 * them in the full-attention layers, at most `windowPeakTokens` in the windowed ones (vLLM's hybrid KV cache manager
 * draws every layer group's blocks from one pool), and its recurrent state.
 */
export function sequencePoolTokens(
  plan: Pick<MemoryPlan, 'stateTokensPerSequence' | 'windowedLayerShare' | 'windowPeakTokens'>,
  tokens: number,
): number {
  const share = plan.windowedLayerShare;
  return (1 - share) * tokens + share * Math.min(tokens, plan.windowPeakTokens) + plan.stateTokensPerSequence;
}

/**
 * The longest request one data-parallel rank's pool holds: `sequencePoolTokens` solved for the tokens (Infinity when
 * every attention layer is windowed and the window fits).
 */
export function longestRequestTokens(
  plan: Pick<MemoryPlan, 'kvTokens' | 'stateTokensPerSequence' | 'windowedLayerShare' | 'windowPeakTokens'>,
  parallel: Parallelism,
): number {
  const room = plan.kvTokens / dataParallelOf(parallel) - plan.stateTokensPerSequence;
  if (room <= plan.windowPeakTokens) return Math.max(room, 0);
  const share = plan.windowedLayerShare;
  return share === 1 ? Number.POSITIVE_INFINITY : (room - share * plan.windowPeakTokens) / (1 - share);
}

/**
 * Share of the KV cache a max_model_len capped by it takes: vLLM refuses to start when max_model_len exceeds the KV
 * cache it measures, and the memory model's estimate of that cache is off by a few percent.
 */
export const MAX_MODEL_LEN_KV_SHARE = 0.9;

/**
 * The longest request a manifest's --max-model-len may allow: what `MAX_MODEL_LEN_KV_SHARE` of one rank's pool holds,
 * counted as vLLM's start-up check counts it (each layer group's max_memory_usage_bytes, so a windowed layer only its
 * window: _check_enough_kv_cache_memory, vllm/v1/core/kv_cache_utils.py), in whole blocks, within the context window.
 */
export function plannedMaxModelLen(
  plan: Pick<MemoryPlan, 'kvTokens' | 'stateTokensPerSequence' | 'windowedLayerShare' | 'windowPeakTokens'>,
  parallel: Parallelism,
  contextWindow: number,
): number {
  const margin = { ...plan, kvTokens: plan.kvTokens * MAX_MODEL_LEN_KV_SHARE };
  const blocks = Math.floor(longestRequestTokens(margin, parallel) / KV_BLOCK_TOKENS);
  return Math.min(contextWindow, blocks * KV_BLOCK_TOKENS);
}

/**
 * What vLLM logs as "GPU KV cache size: N tokens" at start-up (v1 engine): the sequences of max_model_len tokens the
 * pool holds (max concurrency, fractional) × max_model_len (vllm/v1/core/kv_cache_utils.py, _report_kv_cache_config
 * and get_max_concurrency_for_kv_cache_config). Each of those sequences also holds its recurrent state and only its
 * window in windowed layers, so for hybrid models the figure depends on max_model_len.
 */
export function reportedKvCacheTokens(
  plan: Pick<MemoryPlan, 'kvTokens' | 'stateTokensPerSequence' | 'windowedLayerShare' | 'windowPeakTokens'>,
  maxModelLen: number,
): number {
  return (plan.kvTokens * maxModelLen) / sequencePoolTokens(plan, maxModelLen);
}

export type Feasibility = { ok: true } | { ok: false; reason: string };

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(bytes < 10e9 ? 1 : 0)} GB`;

/** Whether vLLM can shard the model this way at all. */
export function checkParallelism(
  model: Model,
  gpu: Gpu,
  gpuCount: number,
  tensorParallel: number,
): Feasibility {
  const { attentionHeads, kvHeads, layers } = model.architecture;
  if (gpuCount % tensorParallel !== 0) {
    return {
      ok: false,
      reason: `${gpuCount} GPUs cannot be split into tensor-parallel groups of ${tensorParallel}`,
    };
  }
  if (tensorParallel > gpu.maxPerNode) {
    return {
      ok: false,
      reason: `tensor parallel ${tensorParallel} needs ${tensorParallel} ${gpu.id} in one node; a node has at most ${gpu.maxPerNode}`,
    };
  }
  if (attentionHeads % tensorParallel !== 0) {
    return {
      ok: false,
      reason: `tensor parallel ${tensorParallel} does not divide ${model.name}'s ${attentionHeads} attention heads`,
    };
  }
  const kvSplits =
    tensorParallel >= kvHeads ? tensorParallel % kvHeads === 0 : kvHeads % tensorParallel === 0;
  if (!kvSplits) {
    return {
      ok: false,
      reason: `tensor parallel ${tensorParallel} cannot shard or replicate ${model.name}'s ${kvHeads} KV heads evenly`,
    };
  }
  const pipeline = gpuCount / tensorParallel;
  if (pipeline > layers) {
    return { ok: false, reason: `${pipeline} pipeline stages exceed ${model.name}'s ${layers} layers` };
  }
  return { ok: true };
}

/**
 * Whether weights plus the KV of one full-length request fit in vLLM's budget; the reason names the shortfall in
 * figures a user can check ("… needs 141 GB of weights; 1× L40S has 48 GB").
 */
export function checkMemory(
  model: Model,
  gpu: Gpu,
  precision: Precision,
  parallel: Parallelism,
  plan: MemoryPlan,
  requestTokens: number,
): Feasibility {
  const gpus = gpusOf(parallel);
  const fleet = `${gpus}× ${gpu.id}`;
  if (plan.weightBytesPerGpu >= plan.usableBytesPerGpu * 0.98) {
    return {
      ok: false,
      reason: `${model.name} ${precision} needs ${gb(plan.weightBytesTotal)} of weights; ${fleet} has ${gb(gpu.memoryGb * 1e9 * gpus)}`,
    };
  }
  if (plan.kvPoolBytesPerGpu <= 0) {
    const used = plan.weightBytesPerGpu + plan.activationBytesPerGpu + plan.nonTorchBytesPerGpu;
    return {
      ok: false,
      reason: `${model.name} ${precision} on ${fleet} leaves no KV cache: weights ${gb(plan.weightBytesPerGpu)} + activations and runtime ${gb(used - plan.weightBytesPerGpu)} per GPU exceed vLLM's ${gb(plan.budgetBytesPerGpu)} budget (gpu_memory_utilization × ${(plan.usableBytesPerGpu / GIB).toFixed(1)} GiB)`,
    };
  }
  // A request lives in one data-parallel rank's pool.
  const rankTokens = plan.kvTokens / dataParallelOf(parallel);
  const requestPoolTokens = sequencePoolTokens(plan, requestTokens);
  if (rankTokens < requestPoolTokens) {
    return {
      ok: false,
      reason: `${model.name} ${precision} on ${fleet} has KV room for ${Math.floor(rankTokens)} tokens; one request needs ${Math.ceil(requestPoolTokens)}`,
    };
  }
  if (requestTokens > model.contextWindow) {
    return {
      ok: false,
      reason: `a request of ${Math.ceil(requestTokens)} tokens exceeds ${model.name}'s ${model.contextWindow}-token context window`,
    };
  }
  return { ok: true };
}
