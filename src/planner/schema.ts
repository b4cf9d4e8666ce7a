/** Inputs of the performance model, validated at the edges (CLI, Slack); the core trusts typed values. */
import { z } from 'zod';
import { Precision } from '../knowledge/catalog.js';

export const Load = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rate'), value: z.number().positive() }),
  z.object({ kind: z.literal('concurrency'), value: z.number().positive() }),
]);
export type Load = z.infer<typeof Load>;

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

/** One replica: what to run where. GPU count = tensor parallel × data parallel × pipeline stages. */
export const DeploymentConfig = z.object({
  modelId: z.string().min(1),
  gpuId: z.string().min(1),
  gpuCount: z.number().int().positive(),
  tensorParallel: z.number().int().positive(),
  /** MoE only: attention data-parallel ranks (vLLM's --data-parallel-size), absent = 1; GPU count includes them. */
  dataParallel: z.number().int().positive().optional(),
  /** MoE only: experts placed whole over the TP × DP GPUs (--enable-expert-parallel) instead of TP-sharded. */
  expertParallel: z.boolean().optional(),
  precision: Precision,
  /** The checkpoint served, where it is not the catalog's first one of the precision (see `Model.precisions`). */
  checkpoint: z.string().min(1).optional(),
  /** Mean tokens per request; non-integer means are fine. */
  promptTokens: z.number().positive(),
  outputTokens: z.number().positive(),
  /** Spread of lengths across requests (standard deviation / mean); 0 = every request the same length. */
  promptTokensCv: z.number().nonnegative().optional(),
  outputTokensCv: z.number().nonnegative().optional(),
  /**
   * Family of the output lengths around their mean and CV: 'weibull' for ShareGPT's replies (see `LengthShape` in
   * distributions.ts), log-normal when absent.
   */
  outputTokensShape: z.enum(['lognormal', 'weibull']).optional(),
  /**
   * Spread of the gaps between arrivals (standard deviation / mean): 1 = Poisson (independent users, the default),
   * 0 = evenly spaced (a load generator's constant rate).
   */
  arrivalCv: z.number().nonnegative().optional(),
  /** Share of each prompt that is a prefix every request shares, served from vLLM's prefix cache (0 when absent). */
  prefixShare: z.number().min(0).lt(1).optional(),
  engine: EngineSettings.optional(),
});
export type DeploymentConfig = z.infer<typeof DeploymentConfig>;

export const PerformanceInput = DeploymentConfig.extend({ load: Load });
export type PerformanceInput = z.infer<typeof PerformanceInput>;

export const Slo = z.object({
  ttftP95Ms: z.number().positive(),
  itlP95Ms: z.number().positive(),
  e2eP95Ms: z.number().positive(),
});
export type Slo = z.infer<typeof Slo>;
