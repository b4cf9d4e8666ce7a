/**
 * Roofline time of one engine step. A step reads the weights (for MoE: the experts its tokens touch) and the KV of
 * every decoding sequence, and does 2 FLOPs per active parameter per token plus attention. Its kernels run one after
 * another, so each operator class takes the longer of its own memory and compute time at calibrated efficiencies —
 * the linear layers (weights against their FLOPs, the routed experts' at their grouped GEMMs' lower share, padded
 * to whole tiles per expert and with their K loops' fill), then attention (KV against its FLOPs), then the Mamba-2
 * layers' chunked scans over the prompt tokens — and the classes add; plus the fixed time of each layer's small
 * kernels and of each MoE layer's fused-expert kernels, the activation bytes the norms move per token (not split by
 * TP), TP all-reduces (serial, 2 per layer), host work per sequence in the step, and a fixed per-step overhead; a step
 * beyond the largest captured CUDA graph adds the host's launches of its kernels. With pipeline parallelism a step is
 * PP stage steps over micro-batches of B/PP sequences.
 */
import {
  layoutOf,
  moeLayers,
  residualBranches,
  routedExpertParams,
  ssdFlopsPerToken,
  tpReplicatedParams,
  windowedLayerShare,
} from '../knowledge/architecture.js';
import type { Gpu, Model, Precision } from '../knowledge/catalog.js';
import {
  ACTIVATION_BYTES,
  ALL_REDUCE_LATENCY_SEC,
  BODY_BYTES_PER_PARAM,
  collectiveBusBytesPerSec,
  EAGER_LAYER_LAUNCH_SEC,
  EMBEDDING_BYTES_PER_PARAM,
  expertStreamShare,
  fusedMoeLayerSec,
  HOST_SEC_PER_SEQUENCE,
  LAYER_KERNELS_SEC,
  MARLIN_FOUR_BIT_BYTES_PER_SM_CYCLE,
  MARLIN_FOUR_BIT_GEMM_SHARE,
  MLA_EXTRA_KERNELS_SEC,
  mlaHeadTile,
  moeKernelOf,
  PIPELINE_HOP_SEC,
  PREFIX_PREFILL_QUERY_TILE,
  prefillKvPassesPerToken,
  type RocmV0Attention,
  SHARED_EXPERT_KERNELS_SEC,
  SSD_SCAN_SHARE,
  VENDOR_GEMM_FIXED_SEC,
  WEIGHT_ONLY_GEMM_SHARE,
  weightOnlyQuantized,
} from './assumptions.js';
import { gpuFamilyOf } from './error-bands.js';
import {
  expertBytesPerParam,
  nonExpertBytesPerGpu,
  type Parallelism,
  parameterSplit,
  unquantizedBodyParams,
} from './memory.js';

/** The fitted part of the model; everything else is hardware or architecture. */
export interface EfficiencyFactors {
  /** Share of memory bandwidth decode steps achieve. */
  bandwidth: number;
  /** Share of dense tensor-core peak that prefill-sized matmuls achieve. */
  compute: number;
  /** Fixed cost of every engine step: scheduling, sampling, launches, host sync. */
  stepOverheadMs: number;
  /** Fixed cost per request before its first token: HTTP, detokenization of the first chunk. */
  requestOverheadMs: number;
  /**
   * API-server time to tokenize one prompt token, µs. A host constant: one fitted value for every GPU type, since
   * vLLM's OpenAI server tokenizes on the CPU whatever the accelerator (see `calibrate`).
   */
  tokenizeUsPerToken: number;
  /**
   * Share of `compute` the routed experts' grouped GEMMs (vLLM's fused MoE kernels) reach. Each expert multiplies
   * only the k/E share of the step's tokens routed to it, padded to whole tiles per expert, so its GEMMs are short
   * and skinny where a dense layer's are one large GEMM. A kernel constant: one fitted value for every GPU type
   * (see `calibrate`).
   */
  expertGemmShare: number;
}

/** Per-GPU, per-stage quantities of one deployment; independent of the efficiency factors. */
export interface StepGeometry {
  pipelineParallel: number;
  /** Bytes a stage step reads whatever its batch: attention, dense FFN, shared experts, lm_head share. */
  fixedWeightBytes: number;
  /** Routed-expert bytes on this GPU (0 for dense models); a step reads the share its tokens touch. */
  expertWeightBytes: number;
  /** Share of the dense layers' streaming rate at which the experts' kernels read their bytes (`expertStreamShare`). */
  expertStreamShare: number;
  /** Probability that one token routes to a given expert (experts per token / experts). */
  expertHitRate: number;
  /**
   * Routed experts whose grouped GEMMs pad each expert's rows to whole tiles (`expertTilePadding`): vLLM's Triton
   * and Marlin fused-MoE kernels (`moeKernelOf`); 0 for dense models and for MXFP4/NVFP4 experts on their own kernels
   * (triton_kernels matmul_ogs, FlashInfer, CUTLASS), which tile otherwise.
   */
  paddedExperts: number;
  /** Fixed time of the stage's fused-MoE kernels per step, beside the expert bytes they read (0 for dense models). */
  fusedMoeFixedSec: number;
  /**
   * Fixed time of the small kernels (norms, rope, cache write, activation) of the stage's layers per step, and of
   * their weight GEMMs beyond their bytes where the vendor's GEMMs carry more than NVIDIA's (VENDOR_GEMM_FIXED_SEC).
   */
  layerKernelsSec: number;
  kvBytesPerToken: number;
  /**
   * Activation bytes the stage's residual adds and norms move per token, whatever TP: every rank norms the whole
   * hidden vector of every token (`activationBytesPerToken`).
   */
  activationBytesPerToken: number;
  /**
   * Share of the attention layers that attend only to the last `attentionWindow` tokens (sliding-window or chunked
   * layers, `layout.windowed`); 0 when every layer attends to the whole context.
   */
  windowedLayerShare: number;
  /** Tokens a windowed layer attends to at most (Infinity without windowed layers). */
  attentionWindow: number;
  linearFlopsPerToken: number;
  /** The routed experts' part of linearFlopsPerToken (0 for dense models). */
  expertFlopsPerToken: number;
  /**
   * Work the experts' grouped GEMMs do per useful FLOP from their K loops' pipeline fill, with 16-row tiles
   * (`expertKLoopScale`; `expertKLoopWork` scales it to the step's tiles).
   */
  expertKLoopScale: number;
  /**
   * Weight-only formats: the share of the 16-bit rate peakLinearFlops already keeps (WEIGHT_ONLY_GEMM_SHARE), else 0.
   * Dequantization and short expert tiles both cost issue slots in one kernel's main loop, so the experts run at the
   * lower of the two shares, not their product.
   */
  expertGemmFloor: number;
  /**
   * FLOP rate of 4-bit experts (int4, MXFP4) on Marlin's fused MoE kernel (`moeKernelOf`), on the Ampere and Ada GPUs
   * it is built for (IST-DASLab/marlin README: "not yet optimized for Hopper"; its mma.sync loop reaches no measured
   * share of the newer GPUs' wgmma/tcgen05 rate, so their int4 experts stay as they were). Marlin computes every GEMM,
   * dense or grouped, in blocks of at most 64 rows (dense Marlin runs a larger batch as repeated 64-row problems,
   * IST-DASLab/marlin#2; fused_marlin_moe gives each expert 8- to 64-row blocks), so grouping rows by expert costs it
   * only their padding to whole blocks, not the grouped GEMMs' share: these experts run at its weight-only rate, as its
   * dense GEMMs do. Its int4 GEMM holds ~141 TFLOPS from 64 rows to 4,000 (vllm-project/vllm#2497, IST's bench.py on a
   * GPU whose ~1.16 TB/s at 1–16 rows fits an A100: 0.45 of its BF16 peak), and the gpt-oss MXFP4 bursts on one A100
   * (gpustack performance lab, vLLM 0.11) prefill at about that rate. No such figure is published for its 8-bit experts
   * (FP8 on Ampere), which stream twice the weight bytes per MMA; they keep the fitted share, which the FP8 bursts on
   * A100 nodes (Qwen3-235B-A22B at TP4, GLM-4.6 at TP8) bear out. That rate is MARLIN_FOUR_BIT_GEMM_SHARE of the BF16
   * peak; 0 for every other expert.
   */
  marlinExpertFlops: number;
  /**
   * Most bytes a second 4-bit experts on Marlin's fused MoE kernel stream: its SMs dequantize every weight and feed it
   * to their MMAs, MARLIN_FOUR_BIT_BYTES_PER_SM_CYCLE per SM per clock, below the HBM rate on an A100 (1.16 of
   * 2.04 TB/s). Infinity for every other expert and where the catalog gives no SM count and clock.
   */
  marlinExpertBytesPerSec: number;
  lmHeadFlopsPerSample: number;
  /**
   * Passes a prefilled token's attention kernel makes over its context's KV, per token (`prefillKvPassesPerToken`):
   * 1/BLOCK_Q on vLLM's Triton unified attention, 0 where the kernel is counted as reading the context once.
   */
  prefillKvPassesPerToken: number;
  /**
   * Share of the GPU's compute units one query tile of a prefill occupies when the prefill kernel's grid is one program
   * per query head and tile with no split over the context (`rocmV0Attention`); 0 where the kernel fills the GPU.
   */
  prefillQueryTileShare: number;
  /**
   * Decode context past which the decode kernel reads each token's context KV `decodeFallbackKvReads` times (ROCm V0's
   * generic paged attention, `rocmV0Attention`); infinite where decode reads it once.
   */
  decodeFallbackContext: number;
  decodeFallbackKvReads: number;
  /** Attention FLOPs per decoding token per token of context it attends to (QKᵀ and PV). */
  attentionFlopsPerContextToken: number;
  /** The same for a prefilled token: differs from decode for latent attention, which prefills in MHA form. */
  prefillAttentionFlopsPerContextToken: number;
  /**
   * Sparse attention (DeepSeek-V3.2's DSA): the top-k width every query's attention kernel runs over, whatever its
   * context; 0 for dense attention.
   */
  sparseTopK: number;
  /**
   * Sparse attention's lightning indexer: FLOPs per token per token of context it scores, and the key bytes it reads
   * per context token; 0 for dense attention.
   */
  indexerFlopsPerContextToken: number;
  indexerKeyBytesPerToken: number;
  /** Tensor-core rate of the indexer's FP8 logits kernel. */
  peakIndexerFlops: number;
  /**
   * FLOPs a prompt token's Mamba-2 chunked scans cost on this GPU's stage (`ssdFlopsPerToken`; vLLM's MambaMixer2
   * splits heads and groups over TP), and the rate their Triton kernels reach (SSD_SCAN_SHARE of the BF16 peak).
   * Decode tokens take the recurrent single-step update instead. 0 without Mamba-2 layers.
   */
  ssdFlopsPerPromptToken: number;
  peakSsdFlops: number;
  /** Tensor-core rate the linear layers reach when compute-bound (lower for weight-only quantized kernels). */
  peakLinearFlops: number;
  peakAttentionFlops: number;
  bandwidthBytesPerSec: number;
  allReducesPerStageStep: number;
  allReduceLatencySec: number;
  allReduceSecPerToken: number;
  /** Activation hand-offs of one step around the pipeline ring (0 without PP). */
  pipelineHopSec: number;
  /**
   * Share of the host (CPU) side of a step that adds to its time: 1, or less where async scheduling overlaps it with
   * the GPU's work (`ASYNC_HIDDEN_HOST_SHARE`).
   */
  hostShare: number;
  /** Host time per sequence a step carries: V1's `HOST_SEC_PER_SEQUENCE`, or V0's for measured V0 runs. */
  hostSecPerSequence: number;
  /**
   * Most tokens a stage step may carry and still replay a captured CUDA graph (`cudaGraphCaptureMax`); a larger step
   * runs its kernels eagerly, each launched by the host. Infinity where no limit is known.
   */
  graphMaxTokens: number;
  /**
   * Longest decode context a captured graph covers: V0's max_seq_len_to_capture (a decode batch attending further runs
   * eagerly); Infinity in V1, whose graphs do not depend on the context.
   */
  graphMaxDecodeContext: number;
  /**
   * V0 replays graphs for decode-only steps alone: a step with any prompt tokens runs eagerly (vllm/worker/
   * model_runner.py `_use_captured_graph`: decode_only, max_decode_seq_len ≤ max_seq_len_to_capture, batch ≤ the
   * largest captured). V1 captures mixed steps up to `graphMaxTokens`.
   */
  graphsDecodeOnly: boolean;
  /** Host time to launch the stage's kernels one by one, what an eager step pays beside its GPU work. */
  eagerLaunchSec: number;
}

/**
 * Dense peak of the tensor cores the linear layers run on. Weight-only formats (W4A16, MXFP4 before Blackwell)
 * dequantize to 16 bits; FP8 weights use FP8 cores where the GPU has them; W8A8 uses INT8 cores, which run at twice
 * the dense BF16 rate on every GPU here (A100 624 vs 312, H100 1,979 vs 989, MI300X 2,615 vs 1,307 TOPS); NVFP4
 * (4-bit weights and activations) uses FP4 cores on GPUs that have them, MXFP4 there runs at the FP8 rate.
 */
export function linearPeakTflops(precision: Precision, gpu: Gpu): number {
  switch (precision) {
    case 'fp8':
      return gpu.fp8Tflops ?? gpu.bf16Tflops;
    case 'w8a8':
      return 2 * gpu.bf16Tflops;
    case 'mxfp4':
      // Where FP4 cores exist, vLLM's MXFP4 MoE kernels pair the 4-bit weights with 8-bit activations (FlashInfer
      // MXFP4×MXFP8; or BF16), and a mixed FP4×FP8 MMA runs at the FP8 rate: only FP4×FP4 reaches the FP4 peak.
      return gpu.fp4Tflops == null ? gpu.bf16Tflops : (gpu.fp8Tflops ?? gpu.bf16Tflops);
    case 'nvfp4':
      return gpu.fp4Tflops ?? gpu.bf16Tflops;
    default:
      return gpu.bf16Tflops;
  }
}

/**
 * The geometry a deployment runs with: `g` and its host share, built by this one object literal. Geometries also
 * come out of spreads (the host share, expert parallelism's per-rank shares), and V8 gives a spread's copy a hidden
 * class of its own per source shape: a plan's ~74k stageStepSec calls met 8 shapes of one interface, their property
 * loads went megamorphic and the step function ran 2.5× slower (bench/plan.ts). One literal keeps them one shape.
 */
export function deploymentGeometry(
  g: StepGeometry,
  hostShare: number,
  hostSecPerSequence: number,
  graphMaxTokens: number,
  graphMaxDecodeContext = Number.POSITIVE_INFINITY,
  graphsDecodeOnly = false,
  rocmV0?: RocmV0Attention,
): StepGeometry {
  return {
    pipelineParallel: g.pipelineParallel,
    fixedWeightBytes: g.fixedWeightBytes,
    expertWeightBytes: g.expertWeightBytes,
    expertStreamShare: g.expertStreamShare,
    expertHitRate: g.expertHitRate,
    paddedExperts: g.paddedExperts,
    fusedMoeFixedSec: g.fusedMoeFixedSec,
    layerKernelsSec: g.layerKernelsSec,
    kvBytesPerToken: g.kvBytesPerToken,
    activationBytesPerToken: g.activationBytesPerToken,
    windowedLayerShare: g.windowedLayerShare,
    attentionWindow: g.attentionWindow,
    linearFlopsPerToken: g.linearFlopsPerToken,
    expertFlopsPerToken: g.expertFlopsPerToken,
    expertKLoopScale: g.expertKLoopScale,
    expertGemmFloor: g.expertGemmFloor,
    marlinExpertFlops: g.marlinExpertFlops,
    marlinExpertBytesPerSec: g.marlinExpertBytesPerSec,
    lmHeadFlopsPerSample: g.lmHeadFlopsPerSample,
    prefillKvPassesPerToken: rocmV0?.prefillKvPassesPerToken ?? g.prefillKvPassesPerToken,
    prefillQueryTileShare: rocmV0?.prefillQueryTileShare ?? g.prefillQueryTileShare,
    decodeFallbackContext: rocmV0?.decodeFallbackContext ?? g.decodeFallbackContext,
    decodeFallbackKvReads: rocmV0?.decodeFallbackKvReads ?? g.decodeFallbackKvReads,
    attentionFlopsPerContextToken: g.attentionFlopsPerContextToken,
    prefillAttentionFlopsPerContextToken: g.prefillAttentionFlopsPerContextToken,
    sparseTopK: g.sparseTopK,
    indexerFlopsPerContextToken: g.indexerFlopsPerContextToken,
    indexerKeyBytesPerToken: g.indexerKeyBytesPerToken,
    peakIndexerFlops: g.peakIndexerFlops,
    ssdFlopsPerPromptToken: g.ssdFlopsPerPromptToken,
    peakSsdFlops: g.peakSsdFlops,
    peakLinearFlops: g.peakLinearFlops,
    peakAttentionFlops: g.peakAttentionFlops,
    bandwidthBytesPerSec: g.bandwidthBytesPerSec,
    allReducesPerStageStep: g.allReducesPerStageStep,
    allReduceLatencySec: g.allReduceLatencySec,
    allReduceSecPerToken: g.allReduceSecPerToken,
    pipelineHopSec: g.pipelineHopSec,
    hostShare,
    hostSecPerSequence,
    graphMaxTokens,
    graphMaxDecodeContext,
    graphsDecodeOnly,
    eagerLaunchSec: g.eagerLaunchSec,
  };
}

export function stepGeometry(
  model: Model,
  gpu: Gpu,
  precision: Precision,
  parallel: Parallelism,
  kvBytesPerTokenPerGpu: number,
  checkpoint?: string,
): StepGeometry {
  const { tensorParallel: tp, pipelineParallel: pp } = parallel;
  const shards = tp * pp;
  const arch = model.architecture;
  const { body, embedding, lmHead } = parameterSplit(model);
  const bytesPerParam = BODY_BYTES_PER_PARAM[precision];
  const expertParams = Math.min(routedExpertParams(arch), body);
  const replicated = tpReplicatedParams(arch);
  const replicatedParams = replicated.quantized + replicated.sixteenBit;
  const mla = arch.latentAttention;
  // Per head and context token: QKᵀ over the key width and PV over the value width, 2 FLOPs per multiply-add. vLLM's
  // MLA runs two forms (vllm/v1/attention/backends/mla/common.py, "data-movement friendly" and "compute friendly"):
  // decode absorbs W_UK into the query and W_UV into the output, so every head attends over the shared latent
  // (MQA with kv_lora_rank + rope keys and kv_lora_rank values); prefill up-projects the latent to per-head keys and
  // values and runs MHA with qk_nope + qk_rope key and v_head_dim value widths (128 + 64 and 128 for DeepSeek-V3).
  const decodeWidth = mla ? 2 * mla.kvLoraRank + mla.qkRopeHeadDim : 2 * arch.headDim;
  const sparseTopK = mla?.sparse?.topK ?? 0;
  // DSA's sparse kernels (FlashMLA sparse prefill and decode, vLLM's FLASHMLA_SPARSE backend) run prefill in the
  // latent (MQA) form too. The latent-form kernels compute a whole tile of query heads (mlaHeadTile): at TP8, 16 heads
  // a rank, a Hopper rank computes 64 heads' worth.
  const prefillWidth = !mla
    ? 2 * arch.headDim
    : sparseTopK > 0
      ? decodeWidth
      : mla.qkNopeHeadDim + mla.qkRopeHeadDim + mla.vHeadDim;
  const headsPerShard = arch.attentionHeads / tp;
  const decodeHeads = mla ? Math.max(headsPerShard, mlaHeadTile(gpu)) : headsPerShard;
  const prefillHeads = sparseTopK > 0 ? decodeHeads : headsPerShard;
  const layout = layoutOf(arch);
  const flopsPerHeadWidth = (2 * layout.attentionLayers) / pp;
  const activeBody = Math.max(model.paramsActiveB * 1e9 - embedding - lmHead, 0);
  const moeKernel = arch.moe ? moeKernelOf(precision, gpu) : null;
  const quantizedPeakFlops =
    linearPeakTflops(precision, gpu) *
    1e12 *
    (weightOnlyQuantized(precision, gpu) ? WEIGHT_ONLY_GEMM_SHARE : 1);
  // The layers a checkpoint keeps at 16 bits run BF16 GEMMs (vLLM gives modules_to_not_convert an
  // UnquantizedLinearMethod): the body's FLOPs split between the two rates.
  const unquantizedShare =
    activeBody > 0 ? unquantizedBodyParams(model, precision, checkpoint) / activeBody : 0;
  const peakLinearFlops =
    1 / ((1 - unquantizedShare) / quantizedPeakFlops + unquantizedShare / (gpu.bf16Tflops * 1e12));
  // The lm_head matmul reads a vocab × hidden matrix every step, tied to the embedding or not.
  const lmHeadBytes = arch.vocabSize * arch.hiddenSize * EMBEDDING_BYTES_PER_PARAM;
  const fourBitOnMarlin = moeKernel === 'marlin' && (precision === 'int4' || precision === 'mxfp4');
  const marlinFourBit =
    fourBitOnMarlin && (gpuFamilyOf(gpu) === 'nvidia-ampere' || gpuFamilyOf(gpu) === 'nvidia-ada');
  const linkBytesPerSec = collectiveBusBytesPerSec(gpu, tp);
  const ringShare = (2 * (tp - 1)) / tp;
  return {
    pipelineParallel: pp,
    // The body outside the experts at the precision's byte rate, though MXFP4 keeps it in BF16 (denseBytesPerParam,
    // which the memory plan follows): read at BF16 here it moved held-out E2E and throughput p90 up (issue #14). The
    // parts the checkpoint leaves unquantized are read at 16 bits, what every TP rank keeps whole is read whole.
    fixedWeightBytes:
      nonExpertBytesPerGpu(model, precision, bytesPerParam, parallel, checkpoint) + lmHeadBytes / shards,
    // Marlin runs its tile loops over the MXFP4 experts' padded shapes (mxfp4ExpertBytesPerParam), so a step reads
    // the padding it holds: 9% more than gpt-oss's own 2880 × 2880 experts.
    expertWeightBytes:
      (expertParams *
        (moeKernel === 'marlin' && precision === 'mxfp4'
          ? expertBytesPerParam(model, precision, parallel, gpu)
          : bytesPerParam)) /
      shards,
    expertStreamShare: expertStreamShare(precision, gpu),
    expertHitRate: arch.moe ? arch.moe.expertsPerToken / arch.moe.experts : 0,
    paddedExperts: arch.moe && moeKernel !== 'fp4' ? arch.moe.experts : 0,
    fusedMoeFixedSec: (moeLayers(arch) / pp) * fusedMoeLayerSec(precision, gpu),
    // LAYER_KERNELS_SEC is a transformer layer's: two residual branches; each branch runs two weight GEMMs, whose
    // fixed time beyond their bytes is the vendor's (VENDOR_GEMM_FIXED_SEC). A latent-attention layer runs five small
    // kernels more (MLA_EXTRA_KERNELS_SEC), a MoE layer with shared experts two (SHARED_EXPERT_KERNELS_SEC).
    layerKernelsSec:
      (residualBranches(arch) / pp) * (LAYER_KERNELS_SEC / 2 + 2 * VENDOR_GEMM_FIXED_SEC[gpu.vendor]) +
      (mla ? (layout.attentionLayers / pp) * MLA_EXTRA_KERNELS_SEC : 0) +
      (arch.moe && arch.moe.sharedExperts > 0 ? (moeLayers(arch) / pp) * SHARED_EXPERT_KERNELS_SEC : 0),
    kvBytesPerToken: kvBytesPerTokenPerGpu,
    activationBytesPerToken: activationBytesPerToken(arch) / pp,
    windowedLayerShare: windowedLayerShare(arch),
    attentionWindow: layout.windowed?.window ?? Number.POSITIVE_INFINITY,
    // What every TP rank keeps whole it also multiplies whole: at TP8 DeepSeek-V3's latent down-projections are a
    // fifth of a rank's linear FLOPs.
    linearFlopsPerToken: (2 * (activeBody - replicatedParams)) / shards + (2 * replicatedParams) / pp,
    expertFlopsPerToken: arch.moe
      ? (2 * expertParams * arch.moe.expertsPerToken) / arch.moe.experts / shards
      : 0,
    expertKLoopScale: expertKLoopScale(arch, precision, tp),
    expertGemmFloor: weightOnlyQuantized(precision, gpu) ? WEIGHT_ONLY_GEMM_SHARE : 0,
    marlinExpertFlops: marlinFourBit ? MARLIN_FOUR_BIT_GEMM_SHARE * gpu.bf16Tflops * 1e12 : 0,
    marlinExpertBytesPerSec:
      fourBitOnMarlin && gpu.smCount && gpu.boostClockMhz
        ? MARLIN_FOUR_BIT_BYTES_PER_SM_CYCLE * gpu.smCount * gpu.boostClockMhz * 1e6
        : Number.POSITIVE_INFINITY,
    lmHeadFlopsPerSample: (2 * arch.vocabSize * arch.hiddenSize) / shards,
    prefillKvPassesPerToken: prefillKvPassesPerToken(arch, gpu, tp),
    prefillQueryTileShare: 0,
    decodeFallbackContext: Number.POSITIVE_INFINITY,
    decodeFallbackKvReads: 1,
    attentionFlopsPerContextToken: flopsPerHeadWidth * decodeHeads * decodeWidth,
    prefillAttentionFlopsPerContextToken: flopsPerHeadWidth * prefillHeads * prefillWidth,
    sparseTopK,
    // vLLM's Indexer is replicated, not split over TP ranks ("no tensor parallel, just replicated", deepseek_v2.py), and
    // scores with DeepGEMM's FP8 MQA logits kernels (fp8_mqa_logits, fp8_paged_mqa_logits) over an FP8 key cache of
    // index_head_dim values plus one fp32 scale per token and layer.
    indexerFlopsPerContextToken: mla?.sparse
      ? (2 * layout.attentionLayers * mla.sparse.indexerHeads * mla.sparse.indexerHeadDim) / pp
      : 0,
    indexerKeyBytesPerToken: mla?.sparse
      ? (layout.attentionLayers * (mla.sparse.indexerHeadDim + 4)) / pp
      : 0,
    peakIndexerFlops: (gpu.fp8Tflops ?? gpu.bf16Tflops) * 1e12,
    ssdFlopsPerPromptToken: ssdFlopsPerToken(arch) / shards,
    peakSsdFlops: SSD_SCAN_SHARE * gpu.bf16Tflops * 1e12,
    peakLinearFlops,
    peakAttentionFlops: gpu.bf16Tflops * 1e12,
    bandwidthBytesPerSec: gpu.memoryBandwidthGBps * 1e9,
    allReducesPerStageStep: tp > 1 ? residualBranches(arch) / pp : 0,
    allReduceLatencySec: ALL_REDUCE_LATENCY_SEC[gpu.interconnect.kind],
    allReduceSecPerToken: tp > 1 ? (arch.hiddenSize * ACTIVATION_BYTES * ringShare) / linkBytesPerSec : 0,
    pipelineHopSec: pp > 1 ? pp * PIPELINE_HOP_SEC : 0,
    hostShare: 1,
    hostSecPerSequence: HOST_SEC_PER_SEQUENCE,
    graphMaxTokens: Number.POSITIVE_INFINITY,
    graphMaxDecodeContext: Number.POSITIVE_INFINITY,
    graphsDecodeOnly: false,
    eagerLaunchSec: (residualBranches(arch) / 2 / pp) * EAGER_LAYER_LAUNCH_SEC,
  };
}

/**
 * Bytes of activations the norms move per token, over all layers. They are memory-bound and TP does not split them:
 * every rank holds the whole hidden vector of every token. Each residual branch ends in vLLM's fused residual add +
 * RMSNorm (`fused_add_rms_norm`, csrc/layernorm_kernels.cu), which reads the branch output and the residual and writes
 * both back: 4 hidden vectors. Negligible in decode, they grow with the tokens of a prefill chunk: 1.7 MB a token for
 * gpt-oss-120b, ~0.5 µs on an H100 whatever the TP, where TP8 leaves ~6 µs of GEMMs.
 */
export function activationBytesPerToken(arch: Model['architecture']): number {
  return 4 * residualBranches(arch) * arch.hiddenSize * ACTIVATION_BYTES;
}

/**
 * Bytes the fused-MoE kernels' expert-wide buffers move per token, over the MoE layers, on a rank whose experts are
 * `width` wide and hold `localShare` of a token's routed experts. vLLM's Triton and Marlin fused-MoE paths
 * (TritonExperts.apply in vllm/model_executor/layers/fused_moe/fused_moe.py, fused_marlin_moe.py) keep a row per routed
 * (token, expert) slot whether or not the expert lives on this rank: the gate/up GEMM writes (tokens, top_k,
 * 2·width), the activation reads it and writes (tokens·top_k, width), and the down GEMM reads the local slots' rows.
 * Under expert parallelism the kernel writes zero rows for the slots of other ranks' experts (`write_zeros_to_output`
 * where expert_ids is −1, fused_moe_kernel). The hidden-wide buffers after the down GEMM are alike in every layout.
 */
export function expertBufferBytesPerToken(
  arch: Model['architecture'],
  width: number,
  localShare: number,
): number {
  if (!arch.moe) return 0;
  const perSlot = (2 + 2 + 1 + localShare) * width;
  return moeLayers(arch) * arch.moe.expertsPerToken * perSlot * ACTIVATION_BYTES;
}

/**
 * K elements of pipeline fill each output tile of vLLM's Triton fused-MoE kernel pays (fused_moe_kernel in
 * vllm/model_executor/layers/fused_moe/fused_moe.py): a tile loops over K in BLOCK_SIZE_K steps, software-pipelined
 * with num_stages − 1 steps of loads issued before the first multiply, so it costs about K + (num_stages − 1) ×
 * BLOCK_SIZE_K. vLLM's tuned A100 config for TP-sharded experts of this kind (fused_moe/configs/E=128,N=192,
 * device_name=NVIDIA_A100-SXM4-80GB.json, Qwen3-235B-A22B at TP8) runs its 16-row tiles with BLOCK_SIZE_K 64 and 3
 * stages (8–24 tokens) or 128–256 and 2 (32–128 tokens): 128 to 256 elements of fill; the lower bound here.
 */
const EXPERT_K_LOOP_FILL = 2 * 64;

/**
 * Work the routed experts' grouped GEMMs do per useful FLOP, from their K loops' fill (EXPERT_K_LOOP_FILL). The gate
 * and up projections loop over the hidden size and hardly notice; the down projection loops over the expert's
 * intermediate width on this rank, which TP splits (vLLM's FusedMoE shards intermediate_size_per_partition): 192 of
 * Qwen3-235B's 1536 at TP8, where the fill adds two thirds to it, against 4% for an expert 2880 wide. Under expert
 * parallelism experts stay whole (`tensorParallel` 1). MXFP4/NVFP4 experts run other kernels (`paddedExperts`): 1.
 */
export function expertKLoopScale(
  arch: Model['architecture'],
  precision: Precision,
  tensorParallel: number,
): number {
  if (!arch.moe || precision === 'mxfp4' || precision === 'nvfp4') return 1;
  const matrices = layoutOf(arch).ffnMatrices;
  const down = arch.moe.expertIntermediateSize / tensorParallel;
  const fill = (k: number) => (k + EXPERT_K_LOOP_FILL) / k;
  return ((matrices - 1) * fill(arch.hiddenSize) + fill(down)) / matrices;
}

/** The tile rows the fused-MoE kernels pick for `perExpert` tokens per expert (see `expertTilePadding`). */
const expertTileRows = (perExpert: number) => Math.min(Math.max(perExpert / 0.9, 8), 64);

/**
 * The K-loop fill's share of the experts' work at `perExpert` tokens per expert, from its share with 16-row tiles
 * (`scaleAt16Rows`, `expertKLoopScale`). The fill is the latency of the loads issued before the first multiply, while
 * a K step's multiplies grow with the tile's rows: a 64-row tile hides a quarter of what a 16-row tile shows. The
 * tuned configs run 16-row tiles up to 128 tokens, 32 at 256 and 64–128 rows from 512 (E=128,N=192 on A100, `EXPERT_K_LOOP_FILL`).
 */
export function expertKLoopWork(scaleAt16Rows: number, perExpert: number): number {
  return 1 + (scaleAt16Rows - 1) * Math.min(1, 16 / expertTileRows(perExpert));
}

/**
 * Rows a routed expert's grouped GEMMs execute per row its tokens fill. vLLM's fused-MoE kernels pad each expert's
 * tokens to whole BLOCK_SIZE_M tiles (moe_align_block_size) and pick the tile by the tokens per expert: the smallest
 * of 8, 16, 32, 48, 64 rows that the expected tokens per expert fill to less than 0.9 (get_default_config for the
 * Marlin MoE kernel in vllm/model_executor/layers/fused_moe/fused_moe.py; the tuned Triton configs under
 * fused_moe/configs likewise take 16-row tiles for small batches and 64 or more for large ones). Taken without the
 * rounding to that menu — the tile the mean fills to 0.9, from 8 to 64 rows — so that step time stays continuous in
 * the batch, as the average over steps whose token counts straddle a switch is. With `perExpert` tokens per expert
 * on average and `touched` the chance an expert has any, a touched expert runs at least one whole tile, and with
 * many tokens wastes half a tile on average.
 */
export function expertTilePadding(experts: number, perExpert: number, touched: number): number {
  if (experts === 0 || perExpert <= 0) return 1;
  const tile = expertTileRows(perExpert);
  return Math.max(tile * touched, perExpert + (tile / 2) * touched) / perExpert;
}

/**
 * Context tokens one query attends to, averaged over the attention layers: windowed layers (gpt-oss's alternate
 * 128-token sliding-window layers, HF config `layer_types` / `sliding_window`) read and score only the last
 * `attentionWindow` tokens — vLLM's attention backends take the window per layer (FlashAttention `window_size`,
 * FlashInfer/TRT-LLM `window_left`) — while full layers attend to all `context`. Llama 4's chunked layers attend within
 * their chunk, at most the window: the window is their upper bound.
 */
export function attendedContext(g: StepGeometry, context: number): number {
  return (1 - g.windowedLayerShare) * context + g.windowedLayerShare * Math.min(context, g.attentionWindow);
}

/**
 * Peak-rate work one expert FLOP of a step costs. The experts' FLOPs run at the grouped GEMMs' lower efficiency: they
 * count 1/share times against the peak; Marlin's 4-bit experts run at its measured rate (MARLIN_FOUR_BIT_GEMM_SHARE),
 * whatever the fitted compute. Padded tile rows cost like real ones: decode-sized steps leave most of each expert's
 * tile empty.
 */
function expertWorkPerFlop(g: StepGeometry, f: EfficiencyFactors, tokens: number, touched: number): number {
  const expertShare =
    g.marlinExpertFlops > 0
      ? g.marlinExpertFlops / (g.peakLinearFlops * f.compute)
      : g.expertGemmFloor > 0
        ? Math.min(1, f.expertGemmShare / g.expertGemmFloor)
        : f.expertGemmShare;
  const padding = expertTilePadding(g.paddedExperts, tokens * g.expertHitRate, touched);
  return (padding * expertKLoopWork(g.expertKLoopScale, tokens * g.expertHitRate)) / expertShare;
}

/**
 * One stage step over `decodeTokens` decoding sequences at mean context `decodeContext`, plus `prefillTokens` of
 * prompt at mean attention context `prefillContext`. Seconds, without the per-step overhead.
 */
export function stageStepSec(
  g: StepGeometry,
  f: EfficiencyFactors,
  decodeTokens: number,
  decodeContext: number,
  prefillTokens: number,
  prefillContext: number,
): number {
  const tokens = decodeTokens + prefillTokens;
  const touched = g.expertHitRate > 0 ? 1 - (1 - g.expertHitRate) ** tokens : 0;
  const bandwidth = g.bandwidthBytesPerSec * f.bandwidth;
  // The touched experts' bytes count 1/share times against the dense layers' streaming rate, the lower share where
  // Marlin's SMs stream them slower than the HBM would (`marlinExpertBytesPerSec`).
  const expertShare = Math.min(g.expertStreamShare, g.marlinExpertBytesPerSec / bandwidth);
  const weightBytes = g.fixedWeightBytes + (g.expertWeightBytes * touched) / expertShare;
  // Sparse attention gathers at most its top-k context tokens but computes over the whole top-k width: the kernels take
  // a fixed (tokens, top-k) index tensor with unused entries -1 (deepseek-ai/FlashMLA README, "Sparse Attention").
  const windowedDecode = attendedContext(g, decodeContext);
  const attendedDecode = g.sparseTopK > 0 ? Math.min(decodeContext, g.sparseTopK) : windowedDecode;
  const computedDecode = g.sparseTopK > 0 ? g.sparseTopK : windowedDecode;
  const computedPrefill =
    g.sparseTopK > 0 && prefillTokens > 0 ? g.sparseTopK : attendedContext(g, prefillContext);
  // A prefill kernel that re-reads its context's KV for every few query tokens (`prefillKvPassesPerToken`) streams
  // those bytes too, and so does a decode kernel past its context limit (`decodeFallbackContext`, which vLLM checks
  // against the batch's longest sequence: the mean stands for it), which reads the context once per query head.
  const decodeKvReads = decodeContext > g.decodeFallbackContext ? g.decodeFallbackKvReads : 1;
  const kvBytes =
    g.kvBytesPerToken *
      (decodeTokens * attendedDecode * decodeKvReads +
        prefillTokens * (1 + g.prefillKvPassesPerToken * computedPrefill)) +
    g.indexerKeyBytesPerToken * decodeTokens * decodeContext;
  const indexerFlops =
    (decodeTokens * decodeContext + prefillTokens * prefillContext) * g.indexerFlopsPerContextToken;
  const samples = decodeTokens + (prefillTokens > 0 ? 1 : 0);
  const linearFlops = tokens * g.linearFlopsPerToken + samples * g.lmHeadFlopsPerSample;
  // A prefill kernel with one program per query head and tile (`prefillQueryTileShare`) computes on only the compute
  // units its programs fill: its FLOPs count 1/fill times against the peak.
  const prefillGridFill =
    g.prefillQueryTileShare > 0 && prefillTokens > 0
      ? Math.min(1, Math.ceil(prefillTokens / PREFIX_PREFILL_QUERY_TILE) * g.prefillQueryTileShare)
      : 1;
  const attentionFlops =
    decodeTokens * computedDecode * g.attentionFlopsPerContextToken +
    (prefillTokens * computedPrefill * g.prefillAttentionFlopsPerContextToken) / prefillGridFill;
  const effectiveLinearFlops =
    g.expertFlopsPerToken > 0
      ? linearFlops + tokens * g.expertFlopsPerToken * (expertWorkPerFlop(g, f, tokens, touched) - 1)
      : linearFlops;
  const linearSec = Math.max(weightBytes / bandwidth, effectiveLinearFlops / (g.peakLinearFlops * f.compute));
  // Attention's FLOPs at the GEMMs' efficiency: a share of its own, fitted beside `compute` around FlashAttention's
  // published utilisation (FA2 ~35% of the H100's peak, FA3 up to 75%; arXiv:2407.08608), settled at 1.0–1.1 of
  // `compute` on every held-out fit and moved nothing (issue #14).
  const attentionComputeSec =
    (attentionFlops / g.peakAttentionFlops + indexerFlops / g.peakIndexerFlops) / f.compute;
  const attentionSec = Math.max(kvBytes / bandwidth, attentionComputeSec);
  // The Mamba-2 layers' chunked scans run as kernels of their own over the prompt tokens, at their own rate.
  const ssdSec = (prefillTokens * g.ssdFlopsPerPromptToken) / g.peakSsdFlops;
  // The residual adds and norms run as kernels of their own between the GEMMs: their bytes add.
  const activationSec = (tokens * g.activationBytesPerToken) / bandwidth;
  const commSec = g.allReducesPerStageStep * (g.allReduceLatencySec + tokens * g.allReduceSecPerToken);
  // Host work per sequence (a prefill chunk is one more); over PP stages of B/PP sequences it sums to B per step.
  const hostSec = samples * g.hostSecPerSequence * g.hostShare;
  // A step larger than the largest captured CUDA graph runs eagerly: its kernels wait on the host's launches.
  // V0 (`graphsDecodeOnly`) runs any step with prompt tokens eagerly; a decode-only one past its context limit too.
  const eager =
    tokens > g.graphMaxTokens ||
    (prefillTokens > 0 ? g.graphsDecodeOnly : decodeContext > g.graphMaxDecodeContext);
  const launchSec = eager ? g.eagerLaunchSec : 0;
  return (
    linearSec +
    g.fusedMoeFixedSec +
    g.layerKernelsSec +
    activationSec +
    attentionSec +
    ssdSec +
    commSec +
    hostSec +
    launchSec
  );
}

/** What a decoding sequence waits between tokens when the step carries only decodes. */
export function decodeStepSec(g: StepGeometry, f: EfficiencyFactors, batch: number, context: number): number {
  const pp = g.pipelineParallel;
  return pp * stageStepSec(g, f, batch / pp, context, 0, 0) + stepFixedSec(g, f);
}

/** Fixed time of every engine step whatever its batch: the fitted overhead and the pipeline hand-offs. */
export function stepFixedSec(g: StepGeometry, f: EfficiencyFactors): number {
  return g.pipelineHopSec + (g.hostShare * f.stepOverheadMs) / 1e3;
}
