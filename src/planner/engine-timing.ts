/**
 * The performance model step by step, for a discrete-event engine (the GPU-free vLLM simulator): the duration of one
 * engine step for the batch it actually carries, and the deployment facts that bound the batch. The same roofline
 * and chunked-prefill formulas `serving.ts` averages over a steady state, applied to one concrete step.
 */
import type { EngineSettings, Knowledge, Precision } from '../knowledge/catalog.js';
import { KV_BLOCK_TOKENS, STEP_JITTER_SIGMA } from './assumptions.js';
import { type Calibration, type FactorsBasis, factorsFor } from './calibrate.js';
import { catalogPair, type Deployment } from './deployment.js';
import { checkMemory, dataParallelOf } from './memory.js';
import { calibrationOf, deploymentOf } from './predict.js';
import { type EfficiencyFactors, type StepGeometry, stageStepSec, stepFixedSec } from './step-time.js';

/** What one engine step carries. */
export interface StepBatch {
  /** Sequences that each decode one token this step. */
  decodeSequences: number;
  /** Mean tokens a decoding sequence attends to (its prompt plus what it has generated). */
  decodeContext: number;
  /** Prompt tokens prefilled this step (chunks of one or more prompts). */
  prefillTokens: number;
  /** Mean tokens a prefilled token attends to (its position in its prompt). */
  prefillContext: number;
}

/**
 * Seconds one step takes, as the planner prices it: with pipeline parallelism the decodes split into PP
 * micro-batches, and a prefill chunk rides in one of them, costing the decodes (PP + 1)/2 times its per-stage time
 * (see `evaluate` in serving.ts); plus the pipeline hand-offs and the fixed per-step overhead.
 */
export function engineStepSec(g: StepGeometry, f: EfficiencyFactors, batch: StepBatch): number {
  const pp = g.pipelineParallel;
  const perStage = batch.decodeSequences / pp;
  const plain = stageStepSec(g, f, perStage, batch.decodeContext, 0, 0);
  const fixed = stepFixedSec(g, f);
  if (batch.prefillTokens <= 0) return pp * plain + fixed;
  const withChunk = stageStepSec(
    g,
    f,
    perStage,
    batch.decodeContext,
    batch.prefillTokens,
    batch.prefillContext,
  );
  return pp * plain + ((pp + 1) / 2) * (withChunk - plain) + fixed;
}

/** One replica as an engine: everything a step-by-step simulation needs from the planner. */
export interface EngineTiming {
  deployment: Deployment;
  factors: EfficiencyFactors;
  factorsBasis: FactorsBasis;
  /** Log-normal spread of step times around the model (the planner's ITL tails assume the same). */
  stepJitterSigma: number;
  /** vLLM's KV-cache block: sequences hold whole blocks. */
  blockTokens: number;
  kvBlocks: number;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  /** Longest prompt + output a request may have. */
  maxModelLen: number;
}

export interface EngineTimingConfig {
  modelId: string;
  gpuId: string;
  gpuCount: number;
  tensorParallel: number;
  /** MoE: data-parallel attention ranks and expert parallelism, as the planner's DeploymentConfig. */
  dataParallel?: number;
  expertParallel?: boolean;
  precision: Precision;
  engine?: EngineSettings;
  /** vLLM's --max-model-len; default the model's context window, capped by what the KV pool holds. */
  maxModelLen?: number;
}

export type EngineTimingResult = { ok: true; timing: EngineTiming } | { ok: false; reason: string };

/**
 * Resolves a deployment the way `predictPerformance` does (same deployment, memory plan and calibrated factors from
 * the knowledge's measured points, or from `calibration` when given) and refuses what vLLM would refuse at start-up.
 */
export function engineTimingFor(
  config: EngineTimingConfig,
  knowledge: Knowledge,
  calibration: Calibration = calibrationOf(knowledge),
): EngineTimingResult {
  const pair = catalogPair(
    config,
    knowledge.models.find((m) => m.id === config.modelId),
    knowledge.gpus.find((g) => g.id === config.gpuId),
  );
  if (!pair.ok) return pair;
  const { model, gpu } = pair;
  const built = deploymentOf(knowledge, config, model, gpu);
  if (!built.ok) return built;
  const deployment = built.deployment;
  const fits = checkMemory(model, gpu, config.precision, deployment.parallel, deployment.memory, 1);
  if (!fits.ok) return fits;
  const kvTokens = deployment.memory.kvTokens;
  // One engine paces the replica: its data-parallel ranks together, a request within one rank's share of the cache.
  const ranks = dataParallelOf(deployment.parallel);
  const rankKvTokens = kvTokens / ranks;
  const maxModelLen = config.maxModelLen ?? Math.min(model.contextWindow, rankKvTokens);
  if (maxModelLen > model.contextWindow) {
    return {
      ok: false,
      reason: `max_model_len ${maxModelLen} exceeds ${model.name}'s ${model.contextWindow}-token context window`,
    };
  }
  if (maxModelLen > rankKvTokens) {
    return {
      ok: false,
      reason: `max_model_len ${maxModelLen} is larger than the ${rankKvTokens} tokens the KV cache holds; lower it or add memory`,
    };
  }
  const { factors, basis } = factorsFor(calibration, gpu.id);
  return {
    ok: true,
    timing: {
      deployment,
      factors,
      factorsBasis: basis,
      stepJitterSigma: STEP_JITTER_SIGMA,
      blockTokens: KV_BLOCK_TOKENS,
      kvBlocks: kvTokens / KV_BLOCK_TOKENS,
      maxNumSeqs: deployment.engine.maxNumSeqs * ranks,
      maxNumBatchedTokens: deployment.engine.maxNumBatchedTokens * ranks,
      maxModelLen,
    },
  };
}
