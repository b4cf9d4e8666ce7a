/** Published burst runs (N requests at once, `vllm bench serve --request-rate inf`): the facts batch predictions are checked against. */
import { z } from 'zod';
import { Precision } from '../knowledge/catalog.js';
import type { BatchInput } from './batch.js';
import { outputShapeOfDataset } from './distributions.js';

const positive = z.number().positive();

export const BurstRun = z.object({
  id: z.string().min(1),
  source: z.object({ url: z.string().url(), title: z.string().min(1) }),
  /** vLLM version as the source states it, and the flags that differ from vLLM's defaults. */
  engine: z.object({ version: z.string().min(1), settings: z.string() }),
  modelId: z.string().min(1),
  gpuId: z.string().min(1),
  gpuCount: z.number().int().positive(),
  tensorParallel: z.number().int().positive(),
  precision: Precision,
  requests: z.number().int().positive(),
  dataset: z.string().min(1),
  /** Mean lengths over the run's requests (Total input / generated tokens ÷ successful requests). */
  promptTokens: positive,
  outputTokens: positive,
  /** Spread of lengths we assume for the dataset (standard deviation / mean); not a figure from the source. */
  promptTokensCv: z.number().nonnegative(),
  outputTokensCv: z.number().nonnegative(),
  /** The client sent chat completions and read their stream (`vllm bench serve --backend openai-chat`). */
  chatStream: z.boolean().optional(),
  measured: z.object({
    outputTokensPerSec: positive,
    requestsPerSec: positive,
    ttftMeanMs: positive,
    ttftP50Ms: positive,
    ttftP99Ms: positive,
  }),
  note: z.string(),
  /** Why the model is not yet held to this run (reported by bench/batch.ts, left out of the test's tolerance). */
  knownGap: z.string().optional(),
});
export type BurstRun = z.infer<typeof BurstRun>;

export const BurstRuns = z.object({ about: z.string(), runs: z.array(BurstRun).min(1) });
export type BurstRuns = z.infer<typeof BurstRuns>;

/** The batch prediction's input for a run: its replica, lengths and request count, at vLLM's default engine settings. */
export function batchInputOf(run: BurstRun): BatchInput {
  const { modelId, gpuId, gpuCount, tensorParallel, precision, requests } = run;
  const { promptTokens, outputTokens, promptTokensCv, outputTokensCv, chatStream } = run;
  return {
    modelId,
    gpuId,
    gpuCount,
    tensorParallel,
    precision,
    requests,
    promptTokens,
    outputTokens,
    promptTokensCv,
    outputTokensCv,
    outputTokensShape: outputShapeOfDataset(run.dataset),
    chatStream,
  };
}
