import { z } from 'zod';
import { FIGURE_MAX } from '../intent/bounds.js';
import { BatchJob, Priority } from '../intent/schema.js';
import { Precision, UseCaseId } from '../knowledge/catalog.js';

/** Where a spec value came from: the user's words, arithmetic on them, or the use case's defaults. */
export const FieldSource = z.enum(['stated', 'derived', 'default']);
export type FieldSource = z.infer<typeof FieldSource>;

const field = <T extends z.ZodType>(value: T) => z.object({ value, source: FieldSource });

/** The editable deployment spec the planner works from. */
export const DeploymentSpec = z.object({
  useCase: field(UseCaseId),
  /** Users served; null when the user gave a request rate instead. */
  users: field(z.number().int().positive().nullable()),
  traffic: z.object({
    promptTokens: field(z.number().int().positive()),
    outputTokens: field(z.number().int().positive()),
    avgQps: field(z.number().positive()),
    /** The rate the deployment is sized for. */
    peakQps: field(z.number().positive()),
    /**
     * Share of each prompt earlier requests already sent (system prompt, chat history, RAG template), served from
     * vLLM's prefix cache; absent (specs stored before it existed) = 0.
     */
    prefixShare: field(z.number().min(0).lt(1)).optional(),
    /**
     * Spread of prompt and output lengths across requests (standard deviation ÷ mean): long requests set the p95s.
     * Absent (specs stored before it existed) = every request has the mean lengths.
     */
    promptTokensCv: field(z.number().min(0).max(FIGURE_MAX.lengthCv)).optional(),
    outputTokensCv: field(z.number().min(0).max(FIGURE_MAX.lengthCv)).optional(),
  }),
  slo: z.object({
    ttftP95Ms: field(z.number().positive()),
    itlP95Ms: field(z.number().positive()),
    e2eP95Ms: field(z.number().positive()),
  }),
  priority: field(Priority),
  budgetMonthlyUsd: field(z.number().positive().nullable()),
  /** Allowed GPU types; empty = any. */
  gpuTypes: field(z.array(z.string())),
  /** Preferred models; empty = any that supports the use case. */
  models: field(z.array(z.string())),
  maxGpus: field(z.number().int().positive().nullable()),
  /** Weight precisions the user asked for; absent or empty = any the catalog serves. */
  precisions: field(z.array(Precision)).optional(),
  /**
   * An offline job sized by throughput and makespan rather than by users; absent = interactive traffic (and in specs
   * stored before batch jobs existed).
   */
  batch: field(BatchJob).optional(),
  /** The user waived latency: targets not stated are relaxed (RELAXED_LATENCY), not the use case's. */
  latencyWaived: z.literal(true).optional(),
  /** How derived and defaulted values were obtained, in words a user can check. */
  notes: z.array(z.string()),
});
export type DeploymentSpec = z.infer<typeof DeploymentSpec>;
