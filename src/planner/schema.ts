/** Inputs of the performance model, validated at the edges (CLI, Slack); the core trusts typed values. */
import { z } from 'zod';
import { EngineSettings, Precision } from '../knowledge/catalog.js';

export const Load = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rate'), value: z.number().positive() }),
  z.object({ kind: z.literal('concurrency'), value: z.number().positive() }),
]);
export type Load = z.infer<typeof Load>;

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
