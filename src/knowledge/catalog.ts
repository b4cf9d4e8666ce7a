import { z } from 'zod';
import { FIGURE_MAX } from '../intent/bounds.js';
import { lengthQuantileOverMean } from '../planner/distributions.js';
import type { PublicMeasurements } from './measurements.js';
import { PRECISIONS } from './precisions.js';
import { USE_CASE_IDS } from './use-case-ids.js';

export { USE_CASE_IDS };
export const UseCaseId = z.enum(USE_CASE_IDS);
export type UseCaseId = z.infer<typeof UseCaseId>;

export { PRECISIONS };
export const Precision = z.enum(PRECISIONS);
export type Precision = z.infer<typeof Precision>;

/** Where a figure comes from. `covers` names the fields it supports when an entry has several sources. */
export const Source = z.object({
  url: z.url(),
  title: z.string().min(1),
  covers: z.array(z.string()).optional(),
});
export type Source = z.infer<typeof Source>;

const positive = z.number().positive();
const positiveInt = z.number().int().positive();

export const Gpu = z.object({
  /** Canonical id: L4, A10G, L40S, A100-40GB, A100-80GB, H100, H200, B200, MI300X. */
  id: z.string().regex(/^[A-Z0-9][A-Za-z0-9-]*$/),
  name: z.string().min(1),
  vendor: z.enum(['nvidia', 'amd']),
  /** Memory as the vendor sells it, in GB (10^9 bytes). */
  memoryGb: positive,
  memoryBandwidthGBps: positive,
  /** Dense (no sparsity) tensor-core throughput. */
  bf16Tflops: positive,
  /** Dense FP8 throughput; null where the GPU has no FP8 tensor cores. */
  fp8Tflops: positive.nullable(),
  /** Dense FP4 throughput (NVFP4/MXFP4 tensor cores, Blackwell on); absent or null on earlier GPUs. */
  fp4Tflops: positive.nullable().optional(),
  /**
   * Streaming multiprocessors (compute units on AMD) and their boost clock, where a kernel bound by its SMs' issue
   * rate rather than by HBM is priced (Marlin's 4-bit weight stream, `marlinExpertBytesPerSec`) or one that fills
   * only some of them (ROCm's prefix-prefill kernel, `rocmV0Attention`); absent where not catalogued.
   */
  smCount: positiveInt.optional(),
  boostClockMhz: positive.optional(),
  interconnect: z.object({
    kind: z.enum(['nvlink', 'xgmi', 'pcie']),
    /** Vendor-quoted aggregate bidirectional bandwidth per GPU, GB/s. */
    bandwidthGBps: positive,
  }),
  /** Most GPUs of this type in one node (the limit for tensor parallelism). */
  maxPerNode: positiveInt,
  price: z.object({
    usdPerGpuHour: positive,
    provider: z.string().min(1),
    instanceType: z.string().min(1),
    region: z.string().min(1),
    /** ISO date the price was read. */
    asOf: z.iso.date(),
    /**
     * Multi-GPU instance sizes whose per-GPU price differs from the headline one. When present, the headline price is
     * a 1-GPU instance's, and a replica needing N GPUs on one node pays the cheapest per-GPU price among sizes with
     * at least N GPUs.
     */
    nodeSizes: z
      .array(
        z.object({
          gpus: positiveInt,
          usdPerHour: positive,
          instanceType: z.string().min(1),
          vcpus: positiveInt.optional(),
          memoryGib: positive.optional(),
        }),
      )
      .optional(),
    /** The headline instance's GPUs, vCPUs and memory: a replica's pod must fit its share of them. */
    instance: z.object({ gpus: positiveInt, vcpus: positiveInt, memoryGib: positive }).optional(),
  }),
  /** Lower-case phrases users type for this GPU ("h100 sxm", "a100s"). */
  aliases: z.array(z.string().min(1)),
  sources: z.array(Source).min(1),
});
export type Gpu = z.infer<typeof Gpu>;

export const ModelArchitecture = z.object({
  layers: positiveInt,
  hiddenSize: positiveInt,
  /** FFN width of a dense layer (for MoE: of the dense/shared path, 0 when every layer is MoE). */
  intermediateSize: z.number().int().nonnegative(),
  attentionHeads: positiveInt,
  kvHeads: positiveInt,
  headDim: positiveInt,
  vocabSize: positiveInt,
  tiedEmbeddings: z.boolean(),
  moe: z
    .object({
      experts: positiveInt,
      expertsPerToken: positiveInt,
      expertIntermediateSize: positiveInt,
      sharedExperts: z.number().int().nonnegative().default(0),
      /** Layers whose FFN is dense (DeepSeek's first_k_dense_replace, Llama 4's interleaved dense layers). */
      denseLayers: z.number().int().nonnegative().optional(),
      /** FFN width of those dense layers. */
      denseIntermediateSize: z.number().int().nonnegative().optional(),
    })
    .nullable(),
  /**
   * Multi-head latent attention (DeepSeek-V2/V3, Kimi K2): the KV cache holds one compressed latent of
   * kvLoraRank + qkRopeHeadDim values per token and layer, whatever the head count. `headDim` is then the query/key
   * head size (qk_nope + qk_rope) and `kvHeads` equals `attentionHeads`.
   */
  latentAttention: z
    .object({
      qLoraRank: positiveInt.nullable(),
      kvLoraRank: positiveInt,
      qkNopeHeadDim: positiveInt,
      qkRopeHeadDim: positiveInt,
      vHeadDim: positiveInt,
      /**
       * DeepSeek Sparse Attention (DeepSeek-V3.2): a lightning indexer of `index_n_heads` × `index_head_dim` scores
       * every context token for every query, and attention runs over the `index_topk` best alone. Absent for dense MLA.
       */
      sparse: z
        .object({ topK: positiveInt, indexerHeads: positiveInt, indexerHeadDim: positiveInt })
        .optional(),
    })
    .optional(),
  /**
   * Learned attention sinks: one extra softmax logit per query head that takes a share of the attention without a
   * value (gpt-oss: `self.sinks` in vllm/model_executor/models/gpt_oss.py). Only some attention kernels take them,
   * so they decide the backend vLLM runs (`prefillKvPassesPerToken`). Absent: no sinks.
   */
  attentionSinks: z.boolean().optional(),
  /**
   * How the layers differ when they are not all alike (absent: every layer has full attention and an FFN).
   * Counts are of `layers`; a layer may hold attention, a recurrent mixer, an FFN, or (Nemotron-H) just one of them.
   */
  layout: z
    .object({
      /** Layers with softmax attention (full or windowed). */
      attentionLayers: z.number().int().nonnegative(),
      /** Of those, layers that attend only to the last `window` tokens (sliding window, Llama 4 chunked attention). */
      windowed: z.object({ layers: positiveInt, window: positiveInt }).nullable(),
      /**
       * Linear-attention or Mamba layers: no per-token KV, a constant state per sequence. `stateBytes` is one
       * sequence's state over all these layers as vLLM holds it, split across TP ranks: the conv state at 16 bits
       * (vLLM's default mamba cache dtype), the recurrent state at the config's `mamba_ssm_dtype` where it sets one
       * (Qwen3.5: float32, see hf-families/hybrid.ts), else at 16 bits too.
       */
      recurrent: z
        .object({
          kind: z.enum(['gated_deltanet', 'mamba2']),
          layers: positiveInt,
          paramsPerLayer: positiveInt,
          stateBytes: positiveInt,
          /**
           * A Mamba-2 mixer's SSD shape (config.json `mamba_num_heads`, `mamba_head_dim`, `ssm_state_size`,
           * `n_groups`, `chunk_size`): what its chunked scan computes per prompt token (`ssdFlopsPerToken`).
           * Absent for other mixers.
           */
          ssd: z
            .object({
              heads: positiveInt,
              headDim: positiveInt,
              stateSize: positiveInt,
              groups: positiveInt,
              chunkSize: positiveInt,
            })
            .optional(),
        })
        .nullable(),
      /** Layers with an FFN (dense or MoE). */
      ffnLayers: z.number().int().nonnegative(),
      /** 3 for gated (SwiGLU) FFNs, 2 for plain up/down ones (Nemotron-H's squared ReLU). */
      ffnMatrices: z.union([z.literal(2), z.literal(3)]),
    })
    .optional(),
});
export type ModelArchitecture = z.infer<typeof ModelArchitecture>;

/** Precisions vLLM can produce from 16-bit weights as it loads them; the others need a published checkpoint. */
export const ON_LOAD_PRECISIONS: readonly Precision[] = ['bf16', 'fp8', 'int4'];

/**
 * Parts of the transformer body a checkpoint keeps at 16 bits although it ships a lower precision. Meta's FP8 Llama
 * 3.1 405B quantizes the feed-forward layers alone, and not those of the first and last layers (Llama 3 paper,
 * arXiv 2407.21783, §6.2; the checkpoint's quantization_config lists every self_attn and model.layers.0 / .125 in
 * modules_to_not_convert, which vLLM's fbgemm_fp8 loads unquantized).
 */
export const UnquantizedParts = z.object({
  /** The attention projections (q, k, v, o) of every layer. */
  attention: z.boolean(),
  /** Whole layers counted from the first, and from the last. */
  firstLayers: z.number().int().nonnegative(),
  lastLayers: z.number().int().nonnegative(),
  /**
   * Recurrent mixers (a Mamba-2 layer's in and out projections) kept at 16 bits: how many. NVIDIA's selective FP8
   * recipe for Nemotron 3 Nano keeps the Mamba layers that feed its attention layers in BF16 (Nemotron 3 Nano report,
   * arXiv 2512.20848, §4). Absent: none.
   */
  recurrentLayers: z.number().int().nonnegative().optional(),
});
export type UnquantizedParts = z.infer<typeof UnquantizedParts>;

export const ServedPrecision = z
  .object({
    precision: Precision,
    /** Hugging Face repo that serves this precision; null = vLLM quantizes the base weights on load. */
    checkpoint: z.string().min(1).nullable(),
    /** What the checkpoint leaves at 16 bits beside the vocabulary matrices; absent = it quantizes the whole body. */
    unquantized: UnquantizedParts.optional(),
  })
  .refine((served) => served.checkpoint !== null || ON_LOAD_PRECISIONS.includes(served.precision), {
    message: `vLLM cannot quantize to this precision on load; name the checkpoint that ships it`,
    path: ['checkpoint'],
  });
export type ServedPrecision = z.infer<typeof ServedPrecision>;

/** The precisions a model is served in, each once, in catalog order. */
export const servedPrecisions = (model: Pick<Model, 'precisions'>): Precision[] => [
  ...new Set(model.precisions.map((served) => served.precision)),
];

/** The catalog entry serving `precision`: the named checkpoint, or the first of the precision when none is named. */
export function servedPrecisionOf(
  model: Pick<Model, 'precisions'>,
  precision: Precision,
  checkpoint?: string,
): ServedPrecision | undefined {
  return model.precisions.find(
    (served) =>
      served.precision === precision && (checkpoint === undefined || served.checkpoint === checkpoint),
  );
}

export const QualityEvidence = z.object({
  benchmark: z.string().min(1),
  score: z.number(),
  url: z.url(),
});

export const Model = z.object({
  /** Hugging Face id, e.g. meta-llama/Llama-3.1-8B-Instruct. */
  id: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
  name: z.string().min(1),
  family: z.string().min(1),
  /** Lower-case phrases users type for this model ("llama 3.1 70b", "gpt-oss"). */
  aliases: z.array(z.string().min(1)),
  paramsTotalB: positive,
  /** Parameters used per token; equal to paramsTotalB for dense models. */
  paramsActiveB: positive,
  architecture: ModelArchitecture,
  contextWindow: positiveInt,
  license: z.string().min(1),
  tasks: z.array(UseCaseId).min(1),
  /**
   * Checkpoints by precision. A precision may be listed again with another checkpoint that measurements name
   * (`BenchmarkPoint.checkpoint`); plans serve the first of each precision.
   */
  precisions: z.array(ServedPrecision).min(1),
  /** 0–100 per use case the model supports, derived from `qualityEvidence` (see data/README.md). */
  quality: z.partialRecord(UseCaseId, z.number().min(0).max(100)),
  qualityEvidence: z.array(QualityEvidence),
  sources: z.array(Source).min(1),
});
export type Model = z.infer<typeof Model>;

export const UseCase = z.object({
  id: UseCaseId,
  name: z.string().min(1),
  description: z.string().min(1),
  traffic: z.object({
    promptTokens: positiveInt,
    outputTokens: positiveInt,
    /** Peak-to-average request-rate ratio. */
    burstiness: z.number().min(1),
    /** Share of all users that are active at the same time in a busy hour. */
    activeShare: z.number().gt(0).max(1),
    /** Requests an active user sends per minute. */
    requestsPerActiveUserPerMinute: positive,
    /**
     * Typical share of a prompt that earlier requests already sent (system prompt, chat history, RAG template), which
     * vLLM's prefix cache serves without prefilling; absent = 0.
     */
    prefixShare: z.number().min(0).lt(1).optional(),
    /**
     * Spread of prompt and output lengths across requests (standard deviation ÷ mean) in a published trace of such
     * traffic; absent (catalogs stored before it existed) = every request has the mean lengths.
     */
    promptTokensCv: z.number().min(0).max(FIGURE_MAX.lengthCv).optional(),
    outputTokensCv: z.number().min(0).max(FIGURE_MAX.lengthCv).optional(),
  }),
  slo: z.object({
    ttftP95Ms: positive,
    itlP95Ms: positive,
    e2eP95Ms: positive,
  }),
  sources: z.array(Source).min(1),
});
export type UseCase = z.infer<typeof UseCase>;

/**
 * The least E2E p95 target that TTFT and ITL targets leave room for: TTFT + the tokens of the reply 5% of replies
 * exceed (log-normal lengths, as the planner draws them) × ITL. Below it a deployment meeting both other targets
 * can still miss E2E on every long reply.
 */
export function e2eFloorMs(
  ttftP95Ms: number,
  itlP95Ms: number,
  outputTokens: number,
  outputTokensCv = 0,
): { floorMs: number; replyTokens: number } {
  const replyTokens = Math.ceil(outputTokens * lengthQuantileOverMean('lognormal', outputTokensCv, 0.95));
  return { floorMs: Math.ceil(ttftP95Ms + replyTokens * itlP95Ms), replyTokens };
}

const LatencyStats = z.object({
  mean: positive.nullable(),
  p50: positive.nullable(),
  p90: positive.nullable(),
  p95: positive.nullable(),
  p99: positive.nullable(),
});
export type LatencyStats = z.infer<typeof LatencyStats>;

/** Load of a measured point: open-loop request rate, closed-loop concurrency, or saturation. */
export const BenchmarkLoad = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rate'), value: positive }),
  z.object({ kind: z.literal('concurrency'), value: positive }),
  z.object({ kind: z.literal('max') }),
]);
export type BenchmarkLoad = z.infer<typeof BenchmarkLoad>;

/** One measured serving point; latencies in milliseconds. */
export const BenchmarkPoint = z.object({
  modelId: z.string().min(1),
  gpuId: z.string().min(1),
  gpuCount: positiveInt,
  tensorParallel: positiveInt,
  precision: Precision,
  /** The checkpoint served, where it is not the catalog's first one of the precision (see `Model.precisions`). */
  checkpoint: z.string().min(1).optional(),
  /** Mean tokens per request (benchmark reports give non-integer means). */
  promptTokens: positive,
  outputTokens: positive,
  load: BenchmarkLoad,
  ttftMs: LatencyStats,
  itlMs: LatencyStats,
  e2eMs: LatencyStats,
  requestsPerSec: positive.nullable(),
  outputTokensPerSec: positive.nullable(),
  source: z.string().min(1),
});
export type BenchmarkPoint = z.infer<typeof BenchmarkPoint>;

/** How a vLLM engine runs: what a measured run was started with, and what the planner deploys (absent: the default). */
export const EngineSettings = z.object({
  gpuMemoryUtilization: z.number().gt(0).max(1).optional(),
  maxNumSeqs: z.number().int().positive().optional(),
  maxNumBatchedTokens: z.number().int().positive().optional(),
  kvCacheDtype: z.enum(['auto', 'fp8']).optional(),
  /** --reasoning-parser set: the API server runs the parser over every streamed token. */
  reasoningParser: z.boolean().optional(),
  /** --api-server-count: API server processes sharing the streams (vLLM's default 1). */
  apiServerCount: z.number().int().positive().optional(),
  /**
   * --async-scheduling: the engine schedules the next step while the GPU runs the current one. Absent: the default of
   * the release deploys pin (on for one node since v0.14.0; see async-scheduling.ts).
   */
  asyncScheduling: z.boolean().optional(),
  /**
   * The run used vLLM's V0 engine (every release before 0.8, or VLLM_USE_V1=0 up to 0.10): a measured run's engine,
   * never one the planner deploys.
   */
  v0Engine: z.boolean().optional(),
  /**
   * V0's --num-scheduler-steps: the scheduler prepares the batch once and the GPU runs this many decode steps on it
   * (multi-step scheduling, vLLM 0.6), so its per-sequence work is paid once per pass. A measured run's setting.
   */
  schedulerSteps: z.number().int().positive().optional(),
  /**
   * V0's --enable-chunked-prefill, false: prompts are prefilled in steps of their own, never beside decodes (vLLM V0
   * `Scheduler._schedule_default`). Absent: chunked, as V1 always does. A measured run's setting.
   */
  chunkedPrefill: z.boolean().optional(),
  /** V0's --max-seq-len-to-capture: longest decode context its CUDA/HIP graphs cover (V0_MAX_SEQ_LEN_TO_CAPTURE). */
  maxSeqLenToCapture: z.number().int().positive().optional(),
  /**
   * --max-cudagraph-capture-size: the largest step (in tokens) that replays a CUDA graph; 0 for --enforce-eager.
   * Absent: vLLM's default (`cudaGraphCaptureMax`).
   */
  maxCudagraphCaptureSize: z.number().int().nonnegative().optional(),
});
export type EngineSettings = z.infer<typeof EngineSettings>;

/** Source of the points Compass observed on its own deployments (the feedback loop), not taken from a report. */
export const OBSERVED_SOURCE_PREFIX = 'observed:';
export const isObservedSource = (source: string) => source.startsWith(OBSERVED_SOURCE_PREFIX);

/** Source of the points a Benchmark of a deployment measured on the user's own cluster: `cluster:DATE:TARGET`. */
export const clusterSource = (target: string, measuredAt: Date) =>
  `cluster:${measuredAt.toISOString().slice(0, 10)}:${target}`;

/** How a point's source reads in a prediction's basis: a cluster benchmark says where and when. */
export function describeSource(source: string): string {
  const cluster = /^cluster:(\d{4}-\d{2}-\d{2}):(.+)$/.exec(source);
  return cluster ? `measured on your cluster on ${cluster[1]} (${cluster[2]})` : source;
}

/** Everything the pure core needs, as plain data. */
export interface Knowledge {
  gpus: Gpu[];
  models: Model[];
  useCases: UseCase[];
  /** Points imported from reports and observed on Compass's own deployments (the database's). */
  benchmarks: BenchmarkPoint[];
  /**
   * The public serving measurements shipped in data/benchmarks/, which calibrate the performance model beside
   * `benchmarks`; absent (hand-made snapshots in tests), the model starts from its textbook factors.
   */
  measurements?: PublicMeasurements;
}
