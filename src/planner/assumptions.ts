/**
 * Engine and hardware facts the performance model rests on, each with where it comes from.
 * Everything here is a constant of vLLM or of the hardware, not something fitted: fitted factors live in
 * `calibrate.ts` and are reported with every prediction.
 */
import type { Gpu, ModelArchitecture, Precision } from '../knowledge/catalog.js';
import { gpuFamilyOf } from './error-bands.js';
import type { MoeBackendGpu } from './memory.js';

export const GIB = 1024 ** 3;

/**
 * The vLLM release every prediction assumes and the manifests pin (VLLM_IMAGE and VLLM_ROCM_IMAGE default to its
 * images: https://github.com/vllm-project/vllm/releases/tag/v0.19.1, Docker Hub vllm/vllm-openai and
 * vllm/vllm-openai-rocm, tag v0.19.1). Its start-up memory profile is the one the memory model follows.
 */
export const VLLM_VERSION = '0.19.1';

/**
 * Oldest vLLM whose start-up profile the memory model follows. Older releases profile more activation memory
 * (Qwen3-14B on one H100: 41.9 GiB of KV pool under 0.16 against 45.2 under 0.18, ~3 GiB; public-measurements.json),
 * so a planned --max-model-len can exceed the cache they find and they refuse to start.
 */
export const OLDEST_VLLM: readonly [number, number] = [0, 18];

/** The vLLM version an image tag names (`:v0.19.1`, `:rocm7.0.0_vllm_0.11.2_…`, `:0.11`); null when it names none. */
export function vllmVersionOfImage(image: string): [number, number] | null {
  const tag = image.replace(/@sha256:[a-f0-9]+$/, '').match(/:([\w.-]+)$/)?.[1];
  const match = tag?.match(/^v?(\d+)\.(\d+)(?:\.\d+)?(?:$|[-_+])/) ?? tag?.match(/vllm[_-]v?(\d+)\.(\d+)/);
  return match ? [Number(match[1]), Number(match[2])] : null;
}

/** (major, minor, patch) of a release string ("0.19.1", "v0.14.0rc1"); null when it names none. */
export function releaseOf(version: string): [number, number, number] | null {
  const match = version.match(/^v?(\d+)\.(\d+)(?:\.(\d+))?/);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : null;
}

/** Whether a release (major, minor, patch) is `floor` or later. */
export function atLeast(release: readonly number[], floor: readonly number[]): boolean {
  for (let i = 0; i < floor.length; i++) {
    if (release[i] !== floor[i]) return (release[i] ?? 0) > (floor[i] ?? 0);
  }
  return true;
}

/** The release (major, minor[, patch]) is one whose start-up memory profile the memory model follows. */
export function followsMemoryModel(version: readonly number[]): boolean {
  return atLeast(version, OLDEST_VLLM);
}

/**
 * Bytes per parameter of the quantized transformer body. int4 (AWQ/GPTQ, group size 128) stores a 16-bit scale and
 * a packed 4-bit zero point per group of 128 weights: 0.5 + 2.5/128 B. Embeddings and lm_head stay 16-bit in vLLM's
 * quantized paths (VocabParallelEmbedding / ParallelLMHead are not quantized by AWQ, GPTQ, or llm-compressor FP8
 * checkpoints, which list lm_head as ignored); this reproduces the measured 33.88 GiB/GPU of Llama-3.3-70B FP8 at TP2.
 */
export const BODY_BYTES_PER_PARAM: Record<Precision, number> = {
  bf16: 2,
  fp8: 1,
  // One fp32 scale per output channel: a few bytes per thousands of weights.
  w8a8: 1,
  int4: 0.5 + 2.5 / 128,
  // OCP MX: an 8-bit shared exponent per block of 32 4-bit values (4.25 bits).
  mxfp4: (4 + 8 / 32) / 8,
  // NVFP4: an FP8 scale per block of 16 4-bit values (4.5 bits), plus one fp32 scale per tensor.
  nvfp4: (4 + 8 / 16) / 8,
};

/**
 * Bytes per parameter of the body's layers outside the routed experts (attention, dense and shared FFN, router).
 * vLLM's MXFP4 quantization covers the fused-MoE experts alone (Mxfp4Config.get_quant_method gives every LinearBase
 * layer UnquantizedLinearMethod, vllm/model_executor/layers/quantization/mxfp4.py), as the gpt-oss checkpoints ship
 * those layers in BF16; every other format quantizes the whole body.
 */
export function denseBytesPerParam(precision: Precision): number {
  return BODY_BYTES_PER_PARAM[precision === 'mxfp4' ? 'bf16' : precision];
}

/**
 * Whether vLLM serves the precision on the GPU: NVFP4 checkpoints need FP4 tensor cores (Blackwell). The rest run
 * everywhere vLLM does (FP8 weights on Ampere through the weight-only Marlin kernels).
 */
export const precisionRunsOn = (precision: Precision, gpu: Gpu): boolean =>
  precision !== 'nvfp4' || (gpu.fp4Tflops ?? null) !== null;
export const EMBEDDING_BYTES_PER_PARAM = 2;
/** Activations and all-reduce payloads are 16-bit for every weight precision vLLM serves. */
export const ACTIVATION_BYTES = 2;

export type KvCacheDtype = 'auto' | 'fp8';
/** kv_cache_dtype=auto keeps the model dtype (bf16) for bf16, fp8 and int4 weights alike. */
export const KV_BYTES: Record<KvCacheDtype, number> = { auto: 2, fp8: 1 };

/**
 * Share of the tensor-core rate a weight-only quantized GEMM (int4 AWQ/GPTQ/MXFP4 before Blackwell, fp8 on GPUs
 * without FP8 tensor cores: Marlin-style W4A16/W8A16 kernels) keeps once the batch makes it compute-bound: the
 * weights are dequantized to 16 bits inside the main loop, which costs issue slots beside every MMA. Marlin is
 * near-ideal while memory-bound (batch ≤ 16–32) and falls behind FP16 GEMMs beyond that (Frantar et al., "MARLIN:
 * Mixed-Precision Auto-Regressive Parallel Inference on Large Language Models", arXiv:2408.11743). 0.7 is what the
 * public bursts of weight-only deployments ask for (gpustack performance lab, vLLM 0.11: Qwen3-32B FP8 and AWQ on one
 * A100 SXM, 273 and 244 ms per step at batch 256 against the model's 221 ms at full rate; gpt-oss-20b MXFP4 on A100
 * and H100), a kernel constant of the engine, the same for every model and GPU.
 */
export const WEIGHT_ONLY_GEMM_SHARE = 0.7;

/**
 * Share of the GPU's dense BF16 tensor-core peak vLLM's Mamba-2 SSD prefill kernels reach (the five Triton kernels of
 * mamba_chunk_scan_combined_varlen, vllm/model_executor/layers/mamba/ops/ssd_combined.py, `ssdFlopsPerToken`). Their
 * tiles are a chunk by one head's 64–80 wide slice, with fp32 chunk states written, passed and re-read between
 * kernels, so they run far below a GEMM: on one H100, granite-4.0-h-small's shape (128 heads of 64, one group, state
 * 128, chunk 256) scans 1.26e7 tokens/s at 8k tokens (vllm-project/vllm#27299, the microbenchmark's "Original"
 * column), 6.36 MFLOP a token: 80 TFLOPS, 0.08 of 989. A kernel constant, the same for every model and GPU.
 */
export const SSD_SCAN_SHARE = 0.08;

/**
 * Share of the BF16 tensor-core peak Marlin's 4-bit GEMM achieves once compute-bound, as measured: ~141 TFLOPS from 64
 * rows to 4,000 on an A100-class GPU (vllm-project/vllm#2497, IST-DASLab/marlin bench.py), 0.45 of the A100's 312. A
 * measured rate of the kernel, not a peak: the 4-bit experts on Marlin's fused MoE kernel (`marlinExpertFlops`)
 * run at it whatever the fitted `compute` of the GPU's other GEMMs, where pricing them at WEIGHT_ONLY_GEMM_SHARE ×
 * `compute` (0.7 × ~0.51) counted the kernel's shortfall from the peak twice.
 */
export const MARLIN_FOUR_BIT_GEMM_SHARE = 0.45;

/**
 * Bytes of 4-bit weights Marlin streams per SM per clock when its SMs, not HBM, bound it. Every weight is dequantized
 * in registers and fed to mma.sync, so at 1–16 rows the kernel issues as fast as its SMs can: IST's bench.py on an
 * A100 (vllm-project/vllm#2497) holds 1,158 GB/s from 1 to 16 rows, against the A100-80GB's 2,039 GB/s of HBM, from
 * 108 SMs at 1,410 MHz: 7.6 bytes per SM per clock. vLLM's fused_marlin_moe streams about as much per SM on an H20
 * (flagos-ai/FlagGems#3222: Mixtral's two touched 4-bit experts at one token, 176 MB in 0.143 ms, 1.23 TB/s, under a
 * third of the H20's 4.0 TB/s, from its 78 SMs). Where a GPU's SMs give more than its HBM (the Marlin paper's A10,
 * near-ideal at 1–16 rows; L4, L40S) the HBM binds as before.
 */
export const MARLIN_FOUR_BIT_BYTES_PER_SM_CYCLE = 1158e9 / (108 * 1410e6);

/**
 * Share of the datasheet tensor-core peak a vendor's GPU software stack reaches in dense GEMMs, relative to CUDA on
 * NVIDIA parts: where the calibration centres a GPU family's compute efficiency before the family has points of its
 * own. ROCm on the MI300X sustains ~45% of its rated BF16/FP8 peak in measured GEMMs, where H100 and B200 reach up
 * to ~93% (clocks drop under sustained matrix load; hipBLASLt kernel selection; aiweekly.co, "AMD MI300X hits only
 * 45% of peak FLOPs in practice"; AMD's own max-achievable-FLOPs figures sit well below the datasheet too, ROCm blog
 * "Measuring Max-Achievable FLOPs – Part 2"). Memory bandwidth has its own share (VENDOR_BANDWIDTH_SHARE). A prior
 * only: a family's own points override it.
 */
export const VENDOR_COMPUTE_SHARE: Record<Gpu['vendor'], number> = { nvidia: 1, amd: 0.45 / 0.93 };

/**
 * Share of the datasheet HBM bandwidth a vendor's GPUs sustain, relative to NVIDIA parts: where the calibration
 * centres a GPU family's bandwidth efficiency before the family has points of its own. The same streaming benchmarks
 * (BabelStream and custom copy kernels) reach 81% of the MI300X's 5.3 TB/s, where NVIDIA's GPUs reach up to 90% of
 * theirs (Ambati et al., "AMD MI300X GPU Performance Analysis", arXiv:2510.27583): the MI300X spreads its HBM over
 * eight XCDs and four I/O dies, and its stream rate saturates only on arrays of tens of MB, about the size of one
 * TP-sharded weight matrix. A prior only, like VENDOR_COMPUTE_SHARE: a family's own points override it.
 */
export const VENDOR_BANDWIDTH_SHARE: Record<Gpu['vendor'], number> = { nvidia: 1, amd: 0.81 / 0.9 };

/** Weights are dequantized in the GEMM (no tensor-core path for their format on this GPU). */
export function weightOnlyQuantized(
  precision: Precision,
  gpu: { fp8Tflops: number | null; fp4Tflops?: number | null | undefined },
): boolean {
  switch (precision) {
    case 'int4':
      return true;
    case 'fp8':
      return gpu.fp8Tflops === null;
    case 'mxfp4':
    case 'nvfp4':
      return gpu.fp4Tflops == null;
    default:
      return false;
  }
}

/** vLLM allocates KV in blocks of 16 tokens (CUDA default block_size). */
export const KV_BLOCK_TOKENS = 16;

/** vLLM default --gpu-memory-utilization. */
export const DEFAULT_GPU_MEMORY_UTILIZATION = 0.9;

/**
 * Usable device memory as torch reports it, per GiB the vendor sells. HBM parts report ~99% (H100 80GB: 79.19 GiB,
 * llm-d-planner accuracy report); GDDR6 parts with ECC report ~93.75% (L4 and A10G 24GB: ~23,030 MiB; L40S 48GB:
 * 46,068 MiB in nvidia-smi). No catalog field says HBM vs GDDR; bandwidth does: every GDDR board is < 1.2 TB/s and
 * every HBM data-centre part is > 1.5 TB/s.
 */
export function usableMemoryBytes(memoryGb: number, bandwidthGBps: number): number {
  const share = bandwidthGBps < 1200 ? 0.9375 : 0.99;
  return memoryGb * share * GIB;
}

/**
 * Memory outside torch's allocator (CUDA context, NCCL buffers) per GPU, vLLM 0.19 on H100: ~0.24 GiB at TP1
 * (79.19 × 0.95 − 14.99 weights − 1.89 activation − 58.11 KV) and 2.07 GiB at TP≥2 (NCCL), llm-d-planner
 * accuracy report. Older vLLM measured 0.13 / 0.55 GiB (llm-d-planner empirical memory results).
 */
export function nonTorchBytes(gpusInGroup: number): number {
  return (gpusInGroup > 1 ? 2.07 : 0.24) * GIB;
}

/**
 * vLLM's serve defaults depend on the device (vllm/engine/arg_utils.py, EngineArgs.get_batch_defaults): GPUs with
 * ≥ 70 GiB that are not A100 get max_num_batched_tokens 8192 and max_num_seqs 1024; others 2048 and 256.
 */
export function servingDefaults(
  gpuId: string,
  usableBytes: number,
): { maxNumSeqs: number; maxNumBatchedTokens: number } {
  const large = usableBytes >= 70 * GIB && !gpuId.toUpperCase().startsWith('A100');
  return large
    ? { maxNumSeqs: 1024, maxNumBatchedTokens: 8192 }
    : { maxNumSeqs: 256, maxNumBatchedTokens: 2048 };
}

/**
 * Latency of one small all-reduce inside a CUDA graph. NVLink with vLLM's custom all-reduce: single-digit µs
 * (vllm-project/vllm#2192); PCIe through NCCL: ~20 µs for 4–32 KB messages (measured 19–24 µs, 4 ranks, in
 * haohervchb/sglang-V100#2). xGMI sits between.
 */
export const ALL_REDUCE_LATENCY_SEC: Record<'nvlink' | 'xgmi' | 'pcie', number> = {
  nvlink: 8e-6,
  xgmi: 12e-6,
  pcie: 20e-6,
};
/**
 * GPU time of the small kernels every decoder layer runs once per step whatever the batch, beside the weight, KV and
 * FLOP terms: the two fused residual-add + RMSNorm kernels, rotary embedding, the KV-cache write and the FFN
 * activation, each a few µs of launch inside the CUDA graph, one wave and a write. vLLM's layerwise profile of a CUDA
 * graph decode step (neuralmagic/nm-vllm#332, H100) times rms_norm at 4 µs and rotary_embedding at 3 µs per layer;
 * the layer's five such kernels come to ~17 µs and their launch gaps to ~3 µs more. Serial, so a step pays it per
 * layer — 1.8 ms for GLM-4.6's 92 layers, 0.7 ms for gpt-oss-120b's 36 — where the fitted per-step overhead is one
 * constant for every model: at 4 concurrent requests on an H200 TP8 node (vLLM 0.11) GLM-4.6 BF16 streams at 17.9 ms
 * (gpustack performance lab) and gpt-oss-120b at 3.6 ms (InferenceMAX).
 */
export const LAYER_KERNELS_SEC = 20e-6;

/**
 * GPU time of the small kernels a latent-attention (MLA) layer runs beyond a GQA layer's (LAYER_KERNELS_SEC), once per
 * step whatever the batch. vLLM's MLA wrapper (MultiHeadLatentAttentionWrapper.forward, vllm/model_executor/layers/
 * mla.py) norms the query latent and the KV latent with RMSNorms of their own (q_a_layernorm, kv_a_layernorm), and its
 * decode path (MLACommonImpl, vllm/v1/attention/backends/mla/common.py) absorbs W_UK into the query with a batched
 * GEMM (torch.bmm over the heads), concatenates that with the rope part for FlashMLA (`torch.cat(q, dim=-1)` in
 * FlashMLAImpl._forward_decode) and up-projects the latent output through W_UV with a second bmm (`_v_up_proj`): five
 * kernels, at the ~4 µs apiece of LAYER_KERNELS_SEC's five (rms_norm 4 µs, rotary_embedding 3 µs plus launch gaps in
 * vLLM's H100 layerwise profile, neuralmagic/nm-vllm#332). 1.2 ms a step for DeepSeek-R1's 61 layers, whose TP8 H200
 * decode at 4 concurrent requests (19.4 ms mean ITL, gpustack performance lab, deepseek-r1/h200.md, vLLM 0.11) the
 * model put at 11 ms.
 */
export const MLA_EXTRA_KERNELS_SEC = 5 * (LAYER_KERNELS_SEC / 5);

/**
 * GPU time of the small kernels a MoE layer with shared experts runs beside its fused-MoE kernels (FUSED_MOE_LAYER_SEC)
 * and a layer's own (LAYER_KERNELS_SEC), once per step whatever the batch: the shared experts' SiluAndMul between
 * their gate/up and down GEMMs, and the elementwise sum of the shared and the routed outputs before the all-reduce
 * (DeepseekV2MoE.forward, vllm/model_executor/models/deepseek_v2.py; Glm4MoE alike). Two kernels at LAYER_KERNELS_SEC's
 * ~4 µs apiece (neuralmagic/nm-vllm#332), 0.46 ms a step for DeepSeek-R1's 58 MoE layers.
 */
export const SHARED_EXPERT_KERNELS_SEC = 2 * (LAYER_KERNELS_SEC / 5);

/**
 * Fixed GPU time of one weight GEMM beyond streaming its bytes, in excess of what the NVIDIA-calibrated terms carry,
 * per vendor. hipBLASLt's decode-sized (one-row) GEMMs on the MI300X take 9.7 µs plus their weight bytes at 4.14 TB/s
 * (a least-squares line through the 14 Llama-sized shapes of 90 MB to 2 GB that ROCm/rocm-libraries#12329 times on
 * MI300X, within ±8% of each), and the 10.5 MB FP8 QKV GEMM of Llama-3.1-70B at TP8 takes 10.7 µs where its bytes
 * need 2.5 (ROCm/aiter#1092, tuned CK kernel at 1 row). An NVIDIA GPU's small kernels take ~3–4 µs inside a CUDA
 * graph (vLLM's H100 layerwise profile, neuralmagic/nm-vllm#332: rms_norm 4 µs, rotary_embedding 3 µs), which the
 * factors fitted on NVIDIA points already hold; the MI300X's GEMMs take ~6 µs more each, four per dense transformer
 * layer (QKV, output, gate-up and down projections: two per residual branch), whatever the batch: 1.9 ms a step for
 * Llama-3.1-70B's 80 layers, which the fitted bandwidth share would otherwise have to fake.
 */
export const VENDOR_GEMM_FIXED_SEC: Record<Gpu['vendor'], number> = { nvidia: 0, amd: 6e-6 };

/**
 * Fixed time of one MoE layer's fused-expert kernels (the gate/up and down grouped GEMMs with their token sorting),
 * beside the expert bytes they stream: kernel time per layer is this intercept plus the touched experts' bytes at
 * near-full bandwidth, whatever the batch. Public kernel benchmarks fit that line: vLLM's benchmark_moe.py for
 * Qwen3-30B-A3B FP8 at TP1 (vllm-project/vllm#24700: 40 µs at batch 1, 78 at 4, 237 at 64 where all 128 experts
 * are read: 27 µs + bytes at 2.9 TB/s) and SGLang's tuning run for Qwen3-235B-A22B FP8 at TP8 on H200
 * (sgl-project/sglang#11730: 32, 50, 67, 92, 125 µs at batch 1–32: 25 µs + bytes at 2.6 TB/s). It is a latency
 * floor (launches, pipeline fill of each expert's K loop, sorting), so CUDA graphs do not remove it and a model pays
 * it once per MoE layer per step: 1.5 ms for DeepSeek-R1's 58, 2.2 ms for GLM-4.6's 89. Both runs are the Triton
 * fused_moe kernel, which serves 16- and 8-bit experts; vLLM's Marlin MoE kernel (int4, and fp8 or MXFP4 without
 * tensor cores for them) tiles each expert the same way. FP4 experts on Hopper and Blackwell run other kernels
 * (vLLM's Mxfp4Backend: triton_kernels on SM90, FlashInfer TRT-LLM / CUTLASS on SM100), which gpt-oss-120b's
 * TP1–TP8 sweeps (InferenceMAX, B200 and H200) show with no such intercept to spare, so they get none.
 */
const FUSED_MOE_LAYER_SEC = 25e-6;

/**
 * Share of the 16-bit fused-MoE kernel's weight-streaming rate that FP8 (W8A8) experts reach where vLLM runs them on
 * the Triton fused_moe kernel (or DeepGEMM) with FP8 tensor cores. Each expert tile also loads its weight scales and
 * quantizes its activations to FP8 (per token, or per 128-wide group for block-quantized checkpoints) before the MMA,
 * so half the bytes do not halve the kernel time. vLLM's benchmark_moe.py on one H100 (vllm-project/vllm#24700, tuned
 * configs, time beyond the 25 µs intercept below): BF16 Mixtral-8x7B experts at TP2 (all 8 read from batch 16:
 * 1.41 GB in 471–494 µs) stream at 0.92 of the 3.35 TB/s peak, FP8 Qwen3-30B-A3B experts (all 128 read from batch 64:
 * 0.60 GB in 237–248 µs) at 0.83: FP8 over BF16, 0.9. vLLM's tuned H200 configs for Qwen3-30B-A3B at TP8 find FP8 only
 * 10–17% faster than BF16 at batch ≥ 4 (vllm-project/vllm#35457).
 */
const FP8_EXPERT_STREAM_SHARE = 0.9;

/**
 * Rate at which the experts' kernels stream weights stored in `precision` on `gpu`, as a share of the 16-bit
 * fused-MoE kernel's, which reads at the dense layers' rate (`EfficiencyFactors.bandwidth`). FP8 experts on FP8 tensor
 * cores below FP4 ones (Hopper, Ada, CDNA3) run the Triton or DeepGEMM path; Blackwell's go to FlashInfer's TRT-LLM
 * or CUTLASS kernels (select_fp8_moe_backend, vllm/model_executor/layers/fused_moe/oracle/fp8.py), and the weight-only
 * paths (Marlin, triton_kernels' MXFP4) have no published figure that sets them apart: 1.
 */
export function expertStreamShare(precision: Precision, gpu: Gpu): number {
  const tritonFp8 = precision === 'fp8' && gpu.fp8Tflops !== null && gpu.fp4Tflops == null;
  return tritonFp8 ? FP8_EXPERT_STREAM_SHARE : 1;
}

/** Fixed time per MoE layer of the fused-expert kernels vLLM runs for experts stored in `precision` on `gpu`. */
export function fusedMoeLayerSec(precision: Precision, gpu: MoeBackendGpu): number {
  return moeKernelOf(precision, gpu) === 'fp4' ? 0 : FUSED_MOE_LAYER_SEC;
}

/**
 * The kernel vLLM runs a MoE layer's routed experts on, by their format and the GPU:
 * - 'marlin', fused_marlin_moe (vllm/model_executor/layers/fused_moe/fused_marlin_moe.py), which dequantizes the
 *   weights to 16 bits in its main loop: int4 (the AWQ/GPTQ Marlin MoE methods), FP8 without FP8 tensor cores
 *   (Fp8MoEMethod: `use_marlin = not has_device_capability(89)`) and MXFP4 below Hopper (`get_mxfp4_backend` in
 *   quantization/mxfp4.py: FlashInfer and triton_kernels only on SM90–SM10x, Marlin otherwise). CUDA only;
 * - 'fp4', MXFP4/NVFP4's own kernels on Hopper, Blackwell and AMD (triton_kernels matmul_ogs, FlashInfer, CUTLASS);
 * - 'triton', the Triton fused_moe kernel, for 16- and 8-bit experts.
 */
export function moeKernelOf(precision: Precision, gpu: MoeBackendGpu): 'marlin' | 'fp4' | 'triton' {
  if (precision === 'mxfp4') return mxfp4BackendOf(gpu) === 'marlin' ? 'marlin' : 'fp4';
  if (precision === 'nvfp4') return 'fp4';
  if (gpu.vendor !== 'nvidia') return 'triton';
  return precision === 'int4' || (precision === 'fp8' && gpu.fp8Tflops === null) ? 'marlin' : 'triton';
}

/**
 * vLLM's MoE backend for MXFP4 experts on a GPU (`get_mxfp4_backend`, vllm/model_executor/layers/quantization/
 * mxfp4.py): FlashInfer's TRT-LLM kernels on Blackwell, triton_kernels' matmul_ogs on Hopper, Marlin below Hopper,
 * and ROCm's own on AMD. The step time (`moeKernelOf`) and the padded weights it holds (`mxfp4ExpertBytesPerParam`)
 * both follow it.
 */
export function mxfp4BackendOf(
  gpu: MoeBackendGpu,
): 'flashinfer-trtllm' | 'triton-kernels' | 'marlin' | 'rocm' {
  switch (gpuFamilyOf(gpu)) {
    case 'amd-cdna':
      return 'rocm';
    case 'nvidia-blackwell':
      return 'flashinfer-trtllm';
    case 'nvidia-hopper':
      return 'triton-kernels';
    default:
      return 'marlin';
  }
}

/**
 * Passes a prefilled token's attention makes over the KV of its context, per token. Models with attention sinks
 * (gpt-oss) cannot run vLLM's FlashAttention backend below Hopper: sinks need FlashAttention 3 (FlashAttentionImpl,
 * vllm/v1/attention/backends/flash_attn.py: "Sinks are only supported in FlashAttention 3"; vllm-project/vllm#22331),
 * and FlashInfer takes them only through its TRT-LLM kernels on Blackwell, so Ampere and Ada run the Triton backend's
 * unified_attention (vllm/attention/ops/triton_unified_attention.py). Its prefill programs each hold BLOCK_M = 16 query
 * rows of one KV head (more only past 16 query heads per KV head), packed as BLOCK_Q = 16 / (query heads per KV head)
 * tokens, and each loops over every KV tile of its tokens' causal prefix: the KV of the context is read once per
 * BLOCK_Q prompt tokens, 2 for gpt-oss's 64 query and 8 KV heads: 1,024 bytes a query token per context token at
 * TP1, against 16K FLOPs, far below an A100's FLOP-to-byte ratio. FlashAttention tiles 128 query tokens and is
 * counted as reading the context once: 0. `stageStepSec` streams those reads at the KV's rate, an upper bound: the
 * programs of one KV head run side by side over the same tiles, so part of them hit L2 (no published hit rate).
 */
export function prefillKvPassesPerToken(
  arch: Pick<ModelArchitecture, 'attentionSinks' | 'attentionHeads' | 'kvHeads'>,
  gpu: MoeBackendGpu,
  tensorParallel: number,
): number {
  const family = gpuFamilyOf(gpu);
  if (!arch.attentionSinks || (family !== 'nvidia-ampere' && family !== 'nvidia-ada')) return 0;
  const queriesPerKv = arch.attentionHeads / tensorParallel / Math.max(arch.kvHeads / tensorParallel, 1);
  const blockM = queriesPerKv <= 16 ? 16 : 2 ** Math.ceil(Math.log2(queriesPerKv));
  return 1 / Math.max(Math.floor(blockM / queriesPerKv), 1);
}

/**
 * Query tokens one program of vLLM's prefix-prefill kernel holds: `context_attention_fwd`
 * (vllm/attention/ops/prefix_prefill.py) launches BLOCK = 128 on devices of capability 8.0 and up (an MI300X, gfx942,
 * reports 9.4) over the grid (sequences, query heads, query tiles of BLOCK tokens).
 */
export const PREFIX_PREFILL_QUERY_TILE = 128;

/**
 * Longest context ROCm's custom paged-attention decode kernel takes (`_use_rocm_custom_paged_attention`,
 * vllm/attention/backends/rocm_flash_attn.py, later vllm/platforms/rocm.py: head size 64 or 128, 1 to 16 query heads
 * per KV head, `max_seq_len <= 32768`). That kernel computes all the query heads of a KV head in one workgroup.
 */
export const ROCM_CUSTOM_PAGED_ATTENTION_MAX_CONTEXT = 32768;

/** The attention kernels V0 runs on ROCm, as the step prices them (`rocmV0Attention`). */
export interface RocmV0Attention {
  /** Passes over the context's KV per prefilled token (`prefillKvPassesPerToken`). */
  prefillKvPassesPerToken: number;
  /** Share of the GPU's compute units the programs of one prefill query tile occupy (one per query head). */
  prefillQueryTileShare: number;
  /** Decode context past which V0 falls back to the generic paged-attention kernel. */
  decodeFallbackContext: number;
  /** Times that kernel reads a decoding token's context KV: once per query head of a KV head. */
  decodeFallbackKvReads: number;
}

/**
 * V0 on ROCm runs every chunked prefill through the Triton prefix-prefill kernel, not CK/Triton flash attention:
 * ROCmFlashAttentionImpl takes the `forward_prefix` path whenever a prefill has block tables, which chunked prefill
 * always gives it, and its flash-attention kernels take no paged context (vllm-project/vllm#11146: chunked prefill on
 * ROCm "is showing poor performance due to a suboptimal triton kernel"; ROCm flash attention "is not getting called
 * when chunked prefill is enabled"). That kernel's grid is one program per (sequence, query head, 128-token query tile)
 * and each program loops over the whole context with no split along it:
 * - the context's KV is read once per query head and tile: query heads per KV head / 128 passes a prefilled token;
 * - a step's programs are its query tiles times the rank's query heads, and each runs on one compute unit: a lone
 *   512-token chunk of Llama 3.1 405B at TP8 (16 query heads a rank) gives 64 programs to an MI300X's 304 CUs.
 * GPUs whose compute units the catalog does not give (`smCount`) are counted as filled.
 * Decode runs ROCm's custom paged attention up to ROCM_CUSTOM_PAGED_ATTENTION_MAX_CONTEXT and the generic
 * paged_attention_v1/v2 past it (or for shapes the custom kernel does not take), whose grid is (query heads,
 * sequences, partitions) (csrc/attention/paged_attention_v2.cu): every query head's block reads its KV head's context,
 * so the KV is read once per query head.
 */
export function rocmV0Attention(
  arch: Pick<ModelArchitecture, 'attentionHeads' | 'kvHeads' | 'headDim'>,
  gpu: Pick<Gpu, 'smCount'>,
  tensorParallel: number,
  chunkedPrefill: boolean,
): RocmV0Attention {
  const queryHeads = arch.attentionHeads / tensorParallel;
  const queriesPerKv = queryHeads / Math.max(arch.kvHeads / tensorParallel, 1);
  const computeUnits = gpu.smCount;
  const customDecode = (arch.headDim === 64 || arch.headDim === 128) && queriesPerKv <= 16;
  return {
    prefillKvPassesPerToken: chunkedPrefill ? queriesPerKv / PREFIX_PREFILL_QUERY_TILE : 0,
    prefillQueryTileShare: chunkedPrefill && computeUnits ? queryHeads / computeUnits : 0,
    decodeFallbackContext: customDecode ? ROCM_CUSTOM_PAGED_ATTENTION_MAX_CONTEXT : 0,
    decodeFallbackKvReads: queriesPerKv,
  };
}

/**
 * Query heads vLLM's latent-form (MQA) MLA kernels compute per rank at least, whatever the heads TP leaves a rank
 * (16 of DeepSeek-V3's 128 at TP8): the heads are the rows of one tensor-core tile. On Hopper, FlashMLA's dense decode
 * tiles 64 query rows (csrc/kernels/traits.h, BLOCK_SIZE_M = 64) and vLLM pads the sparse kernels' heads to 64; on
 * Blackwell the CUTLASS MLA decode pads to 128 heads (vLLM cutlass_mla.py, MAX_HEADS = 128) and the sparse kernels
 * too (vllm/v1/attention/backends/mla/flashmla_sparse.py: `padding = 128 if is_device_capability(100) else 64`).
 * AMD's AITER MLA kernels are not known to pad: 1.
 */
export function mlaHeadTile(gpu: Gpu): number {
  if (gpu.vendor !== 'nvidia') return 1;
  return gpu.fp4Tflops == null ? 64 : 128;
}

/** Share of the one-direction link bandwidth a ring all-reduce achieves (NCCL bus bandwidth vs link rate). */
export const LINK_EFFICIENCY = 0.75;

/**
 * Bus bandwidth of one xGMI GPU's all-reduce over all its links together, whatever the links could carry: at TP8 the
 * collective kernel, not the links, sets it. vLLM's custom all-reduce (two-stage: each rank reads its 1/N of every
 * peer's buffer, reduces it, then gathers) adds 8.2 µs per 768 KiB between 0.75 and 1.5 MiB on 8 MI355X: 168 GB/s of
 * bus traffic against the 537.6 GB/s its seven 76.8 GB/s links peak at (vllm-project/vllm#39080, "vllm" column). RCCL's
 * all-reduce reaches 161 GB/s at 8 MB on 8 MI300X, whose seven links peak at 448 (rccl-tests,
 * crickett-hpe/hpc-ai-envs#30).
 */
const XGMI_COLLECTIVE_BUS_BYTES_PER_SEC = 160e9;

/**
 * Bus bandwidth (bytes/s) a collective among `groupGpus` GPUs of one node reaches. NVLink and PCIe GPUs reach every
 * peer through a switch at their full link rate, whatever the group. An xGMI node is a point-to-point mesh: a GPU has
 * one link to each other GPU (MI300X: 7 links of 64 GB/s a direction, the 896 GB/s both ways the datasheet sums), so a
 * group of N uses N − 1 of them ("Peak busbw = (N-1) × 76.8 GB/s" on MI355X, vllm-project/vllm#39080): vLLM's custom
 * all-reduce adds 21.9 µs per MiB from 1 to 8 MiB at TP2 on MI300X (48 GB/s of bus traffic, one link; ROCm/aiter#801)
 * and its baseline 13.6 µs at TP4 (115 GB/s, three links; vllm-project/vllm#19744). Beyond a few links the collective
 * kernel's own limit binds.
 */
export function collectiveBusBytesPerSec(gpu: Gpu, groupGpus: number): number {
  const { kind, bandwidthGBps } = gpu.interconnect;
  const linkRate = (bandwidthGBps / 2) * 1e9 * LINK_EFFICIENCY;
  if (kind !== 'xgmi') return linkRate;
  const links = Math.max(gpu.maxPerNode - 1, 1);
  const groupLinks = Math.min(Math.max(groupGpus - 1, 1), links);
  return Math.min((linkRate * groupLinks) / links, XGMI_COLLECTIVE_BUS_BYTES_PER_SEC);
}

/**
 * Pipeline stages sit on different nodes (that is why PP is used) and hand activations over the network: one hop
 * per stage per step, the last returning sampled tokens to the first. Assumed, not measured: small-message latency
 * over data-centre Ethernet/InfiniBand plus NCCL send/recv.
 */
export const PIPELINE_HOP_SEC = 300e-6;

/**
 * Host (CPU) time per sequence an engine step carries: the scheduler's pass over the running requests, input
 * preparation, sampling bookkeeping and the output handed to the API server. It grows with the batch, so it matters
 * only at large batches, where CUDA graphs (which remove kernel-launch cost) do not touch it. Public bounds: one of
 * vLLM V1's per-request loops, `update_from_output`, takes 0.287 ms at batch 256 (~1.1 µs per request,
 * vllm-project/vllm#46112); vLLM V0 spent ~20 ms between steps at batch 200, ~100 µs per sequence
 * (vllm-project/vllm#6801). 30 µs lies between and is what the TP1 gpt-oss-20b bursts ask for (gpustack performance
 * lab, vLLM 0.11, one A100 and one H100: mean ITL 42 and 45 ms at batches up to 256 and ~1000, where the GPU work
 * alone is ~30 and ~24 ms); an engine constant, the same for every model and GPU.
 */
export const HOST_SEC_PER_SEQUENCE = 30e-6;

/**
 * The same host time per sequence in vLLM's V0 engine, whose scheduler, input preparation and output processing run
 * in Python between steps, sequence by sequence: ~100 µs per sequence (~20 ms between steps at batch 200,
 * vllm-project/vllm#6801). One MI300X's V0 decode (cmontemuino/amd-mi300x-ml-benchmarks, Llama-3.1-8B, vLLM 0.9.2
 * with VLLM_USE_V1=0) grows by 3.2 ms from batch 1 to 32, of which reading the batch's KV cache is ~0.6 ms: ~80 µs
 * per sequence. Only measured V0 runs use it; the planner deploys V1.
 */
export const V0_HOST_SEC_PER_SEQUENCE = 100e-6;

/**
 * V0's batch limit when a run does not set --max-num-seqs: 256 on every device (EngineArgs.max_num_seqs up to 0.7;
 * the device-dependent defaults of `servingDefaults` came with V1).
 */
export const V0_MAX_NUM_SEQS = 256;

/**
 * V0's token budget (max_num_batched_tokens) when a run sets none, from SchedulerConfig.__init__ (vllm/config.py, V0).
 * Without chunked prefill, and with chunked prefill under multi-step scheduling (which does not chunk prompts), it is
 * max(max_model_len, 2048): the budget never splits a prompt, so one prefill-only step packs as many waiting prompts
 * as max_model_len tokens hold (`v0UnchunkedTokenBudget`). With chunked prefill it is 512, raised to 2048 by
 * vllm-project/vllm#10544 in v0.6.5 (`v0ChunkedTokenBudget`). The device-dependent defaults of `servingDefaults` came
 * with V1.
 */
export const v0UnchunkedTokenBudget = (maxModelLen: number): number => Math.max(maxModelLen, 2048);

/** Whether V0 splits prompts into chunks: chunked prefill on (its default here) under single-step scheduling. */
export const v0ChunksPrompts = (run: { chunkedPrefill?: boolean; schedulerSteps?: number }): boolean =>
  run.chunkedPrefill !== false && (run.schedulerSteps ?? 1) === 1;

/** V0's default token budget with chunked prefill in a release (`v0UnchunkedTokenBudget`); 2048 when unknown. */
export function v0ChunkedTokenBudget(version: string | null | undefined): number {
  const release = version ? releaseOf(version) : null;
  return release !== null && !atLeast(release, [0, 6, 5]) ? 512 : 2048;
}

/**
 * Share of a step's host-side time (the fitted per-step overhead and HOST_SEC_PER_SEQUENCE) that --async-scheduling
 * takes off the step. vLLM's async scheduler prepares and schedules step k + 1 while step k runs on the GPU and
 * processes step k's outputs behind it (vllm-project/vllm#23569, "Fully overlap model execution"), so that CPU work
 * overlaps the GPU's instead of adding to it; what stays is the part that cannot overlap (the GPU-side fixed cost of
 * a step, synchronisation, and CPU work longer than the GPU step it hides behind). Read off the gpustack performance
 * lab's paired bursts, the same 1000-request ShareGPT burst and deployment with async scheduling off and on (gpt-oss-20b
 * on one A100 and one H100, gpt-oss-120b on one A100 and one H100, vLLM 0.10.2–0.11): async saves 5.1, 6.1, 4.4 and
 * 1.3 ms of mean ITL where the model puts 10.5, 19.1, 10.5 and 13.3 ms of host-side time in those steps; pooled,
 * 16.9 of 53.4 ms. An engine constant, the same for every model and GPU.
 */
export const ASYNC_HIDDEN_HOST_SHARE = 0.32;

/**
 * Host time to launch one decoder layer's kernels one by one, what a step pays when no captured CUDA graph covers it
 * (`cudaGraphCaptureMax`). Without a graph the host launches every kernel through Python and the GPU waits on those
 * launches beside its own work: vLLM's Qwen2.5-7B decoder runs ~9.5 ms a token slower eager than with graphs, ~340 µs
 * a layer over its 28 (vllm-project/vllm-omni#7960, A800, --enforce-eager: unfused PyTorch ops), and Llama-2-7B's
 * leaner layers 47 µs a layer (vllm-project/vllm#1440: 1.2 against 1.05 s for 100 tokens over 32 layers); their
 * geometric middle, ~125 µs, for the compiled but uncaptured pieces vLLM V1 runs. The GPU work does not hide it: at
 * high load a graph still saves about half its batch-1 launch time (xLLM-AI/xllm#713, Qwen3-0.6B: 1.48 ms at
 * concurrency 1, 0.74 ms at 30 where the step takes 9 ms), and capturing DeepSeek-R1's mixed batches cut its decode
 * E2E by a third at max-num-seqs 512 (vllm-project/vllm#24123).
 */
export const EAGER_LAYER_LAUNCH_SEC = 125e-6;

/**
 * Most tokens of one step that replay a captured CUDA graph when the run does not set --max-cudagraph-capture-size:
 * min(2 × max_num_seqs, 512) in V1 (CompilationConfig.max_cudagraph_capture_size in vllm/config/compilation.py,
 * VllmConfig._set_cudagraph_sizes; the dispatcher runs a larger step with CUDAGraphMode.NONE), so mixed steps that
 * carry a prefill chunk of more tokens run eagerly, as do decodes of more than 512 sequences under max_num_seqs 1024.
 * V0 captured decodes of at most min(max_num_seqs, 256) sequences (_BATCH_SIZES_TO_CAPTURE in its model runner).
 */
export function cudaGraphCaptureMax(maxNumSeqs: number, v0Engine: boolean): number {
  return v0Engine ? Math.min(maxNumSeqs, 256) : Math.min(2 * maxNumSeqs, 512);
}

/**
 * V0's default --max-seq-len-to-capture: decode batches attending to more tokens run without a CUDA/HIP graph
 * (EngineArgs.max_seq_len_to_capture = 8192, vllm/engine/arg_utils.py, V0; `_use_captured_graph` in
 * vllm/worker/model_runner.py).
 */
export const V0_MAX_SEQ_LEN_TO_CAPTURE = 8192;

/** Spread (log-normal σ) of step times around the model's value: CPU scheduling, GC, kernel variance. */
export const STEP_JITTER_SIGMA = 0.08;

/**
 * API-server (CPU) seconds per streamed token when the server runs a reasoning parser. vLLM's OpenAI server is one
 * Python process per `--api-server-count` (vllm-project/vllm#17546) that detokenizes, runs the parser over every
 * delta (`chat_completion_stream_generator` in vllm/entrypoints/openai/serving_chat.py keeps each stream's text and
 * token ids for `extract_reasoning_streaming`), builds the chunk and writes it as an SSE event; it runs beside the
 * engine core, so it caps the rate rather than adding to the step. The same process takes in every request
 * (API_SERVER_SEC_PER_CHAT_REQUEST, `apiServerCost`), so a run at the cap spends 1 = rate · (10 ms + O · this).
 * Read off the gpustack performance lab's ShareGPT bursts (vLLM 0.17.1, --reasoning-parser qwen3, 281 output tokens a
 * request): the Qwen3.5-9B page's thirteen runs on one H100 (max_num_seqs 256–2048, token budgets 8k–48k) complete
 * 18.3 requests/s (median), 159 µs per token besides the request's 10 ms; the Qwen3.5-35B-A3B page's five on one H200,
 * 15.1 requests/s, 200 µs: 180 µs between the two pages (their geometric mean), each within ~12% of it. The same
 * 35B page's 1000/2000-token runs (200 streams) stream 6,900–8,100 tokens/s, 120–140 µs per token: fewer, longer
 * streams cost less per token there, which neither term explains. Without a parser the data never reach the
 * server's own cap (one API server streams 15.8k tokens/s in the Nemotron-3-Nano H200 recipe), so that part stays
 * out of the model.
 * Not fitted in `calibrate`: it fits latencies at each point's measured load, where the cap only bounds the value from
 * above (a point streaming faster than 1/value would be impossible), and the overloaded runs that sit on the cap are
 * left out of calibration (`samplesOf`: their queue grows with the run). Holding one page out moves it by ~12%.
 */
export const REASONING_STREAM_SEC_PER_TOKEN = 180e-6;

/**
 * API-server (CPU) seconds to take in one chat request before its prompt can reach the engine: parse the HTTP body,
 * validate it and render the chat template (Jinja). vLLM's OpenAI server does this in one Python process per
 * `--api-server-count`, one request at a time under the GIL (see `preprocessedMs` in batch.ts for why a burst waits for
 * all of it). Read off the gpustack performance lab's bursts of 1000 chat requests of 128 prompt tokens and 4 output
 * tokens (vLLM 0.11, every Jinja-template page: Qwen3-14B and Qwen3-32B on one A100 and one H100, Qwen3-235B-A22B at
 * TP 4 and 8 on A100 and H100 nodes, DeepSeek-R1 and GLM-4.6 on an H200 node), where the engine's work is small and
 * measured: the first tokens come out after the TTFT mean less half the prefill's spread (the pages' TPOT, one full
 * prefill chunk a step, times the burst's steps), 5–17 ms a request by page, 9.9 ms their geometric mean. The host's
 * CPU and the template set where a page falls; 7 or 13 ms score the bursts' TTFT within a point of 10. In a steady
 * state it takes the same process's time as the streaming, so with a reasoning parser it counts in the rate cap
 * (`apiServerCost`).
 */
export const API_SERVER_SEC_PER_CHAT_REQUEST = 10e-3;
