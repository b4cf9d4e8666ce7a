import { z } from 'zod';
import type { Gpu, Model } from '../knowledge/catalog.js';
import { Precision, UseCaseId } from '../knowledge/catalog.js';
import { BATCH_APIS } from './batch-api.js';
import { BOUNDED_FIGURES, type BoundedFigure, FIGURE_MAX, figureOutOfBounds } from './bounds.js';

export const Priority = z.enum(['latency', 'cost', 'accuracy', 'balanced']);
export type Priority = z.infer<typeof Priority>;

/** Facts without which a plan is a guess; users and qps are alternatives (either one settles both). */
export const MissingFact = z.enum(['useCase', 'users', 'qps']);
export type MissingFact = z.infer<typeof MissingFact>;

const figure = (field: BoundedFigure) => z.number().positive().max(BOUNDED_FIGURES[field].max).nullable();
const count = (field: BoundedFigure) =>
  z.number().int().positive().max(BOUNDED_FIGURES[field].max).nullable();

/** An offline job: items (one request each) to process a day, within a window of the day. */
export const BatchJob = z.object({
  itemsPerDay: z.number().positive().max(1e12),
  /** Hours of each day the job may run ("nightly": the night's hours); 24 = around the clock. */
  windowHours: z.number().positive().max(24),
  /** The OpenAI API its requests call; absent = completions (what `vllm bench serve` sends by default). */
  api: z.enum(BATCH_APIS).optional(),
});
export type BatchJob = z.infer<typeof BatchJob>;

/** What the user asked for, as far as the text says. Null / [] = not stated. */
export const Intent = z.object({
  useCase: UseCaseId.nullable(),
  users: count('users'),
  /** Requests per second the deployment must carry at peak. */
  qps: figure('qps'),
  priority: Priority,
  /** False when `priority` is the default rather than something the user said. */
  priorityStated: z.boolean(),
  budgetMonthlyUsd: figure('budgetMonthlyUsd'),
  /** Canonical GPU ids the user allows. */
  gpuTypes: z.array(z.string()),
  /** Hugging Face ids of models the user prefers. */
  models: z.array(z.string()),
  /** Upper bound on the total number of GPUs. */
  maxGpus: count('maxGpus'),
  /** Weight precisions the user asks for ("405B in bf16", "AWQ"); absent or [] = any the catalog serves. */
  precisions: z.array(Precision).optional(),
  promptTokens: count('promptTokens'),
  outputTokens: count('outputTokens'),
  ttftP95Ms: figure('ttftP95Ms'),
  itlP95Ms: figure('itlP95Ms'),
  e2eP95Ms: figure('e2eP95Ms'),
  /**
   * The user waived latency ("latency doesn't matter", "no rush"): targets not stated are relaxed (RELAXED_LATENCY)
   * rather than the use case's. Absent = not waived.
   */
  latencyWaived: z.literal(true).optional(),
  /** An offline (batch) job's volume: items processed a day, one request each; absent for interactive traffic. */
  batchItemsPerDay: figure('batchItemsPerDay').optional(),
  missing: z.array(MissingFact),
  /**
   * Share of each prompt that repeats what earlier requests sent (system prompt, history), served from vLLM's prefix
   * cache, as set in the spec form; absent or null = the use case's.
   */
  prefixShare: z.number().min(0).lt(1).nullable().optional(),
  /**
   * Spread of prompt and output lengths across requests (standard deviation ÷ mean), as set in the spec form or by
   * `compass plan --prompt-cv/--output-cv`; absent or null = the use case's.
   */
  promptTokensCv: z.number().min(0).max(FIGURE_MAX.lengthCv).nullable().optional(),
  outputTokensCv: z.number().min(0).max(FIGURE_MAX.lengthCv).nullable().optional(),
  /** An offline batch job ("2 million tickets every night"); absent or null = interactive traffic. */
  batch: BatchJob.nullable().optional(),
  /** Figures of this message that are beyond FIGURE_MAX, each in words for the user; absent when there are none. */
  refused: z.array(z.string()).optional(),
});
export type Intent = z.infer<typeof Intent>;

/** The catalog words the extractor recognises; taken from the knowledge base so imported models count. */
export interface ExtractionVocabulary {
  /** With its vendor where known, so that "anything but AMD" rules out each AMD GPU. */
  gpus: (Pick<Gpu, 'id' | 'aliases'> & Partial<Pick<Gpu, 'vendor'>>)[];
  models: Pick<Model, 'id' | 'name' | 'family' | 'aliases'>[];
}

/**
 * The intent with every figure beyond its bound left out (null), and why in `refused`: a plan for 3.5e18 GPUs helps
 * nobody, and the user should hear that their figure was not used rather than see it silently replaced.
 */
export function withinBounds(intent: Omit<Intent, 'missing'>): Intent {
  const { refused: earlier = [], ...bounded } = intent;
  const refused = [...earlier];
  for (const field of Object.keys(BOUNDED_FIGURES) as BoundedFigure[]) {
    const value = bounded[field];
    if (value === undefined) continue;
    const reason = value === null ? null : figureOutOfBounds(field, value);
    if (reason === null) continue;
    bounded[field] = null;
    refused.push(reason);
  }
  return { ...bounded, missing: missingFacts(bounded), ...(refused.length > 0 ? { refused } : {}) };
}

/** Which facts are still missing, derived from the others (never stored separately). */
export function missingFacts(intent: Omit<Intent, 'missing'>): MissingFact[] {
  const missing: MissingFact[] = [];
  if (intent.useCase === null) missing.push('useCase');
  // A batch job's items per day settle the load as a rate or a user count would.
  if (intent.users === null && intent.qps === null && !intent.batch) missing.push('users', 'qps');
  return missing;
}
