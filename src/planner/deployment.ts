/** One vLLM replica: model × GPU × parallelism × precision × engine knobs, with its memory plan and step geometry. */

import type { EngineSettings } from '../knowledge/catalog.js';
import {
  type Gpu,
  type Model,
  type Precision,
  servedPrecisionOf,
  servedPrecisions,
} from '../knowledge/catalog.js';
import {
  ASYNC_HIDDEN_HOST_SHARE,
  cudaGraphCaptureMax,
  HOST_SEC_PER_SEQUENCE,
  rocmV0Attention,
  V0_HOST_SEC_PER_SEQUENCE,
  V0_MAX_SEQ_LEN_TO_CAPTURE,
  VLLM_VERSION,
  v0ChunksPrompts,
  v0UnchunkedTokenBudget,
} from './assumptions.js';
import { asyncSchedulingByDefault } from './async-scheduling.js';
import { checkExpertParallelism, expertParallelGeometry } from './expert-parallel.js';
import {
  checkParallelism,
  dataParallelOf,
  type EngineConfig,
  type MemoryPlan,
  memoryPlan,
  type Parallelism,
  resolveEngine,
} from './memory.js';
import {
  type ApiServerCost,
  apiServerCost,
  type ServingSystem,
  servingSystem,
  type Workload,
} from './serving.js';
import { deploymentGeometry, type EfficiencyFactors, type StepGeometry, stepGeometry } from './step-time.js';

export interface Deployment {
  model: Model;
  gpu: Gpu;
  precision: Precision;
  parallel: Parallelism;
  engine: EngineConfig;
  memory: MemoryPlan;
  geometry: StepGeometry;
  /** API-server CPU per request and per streamed token: caps the request rate (see `apiServerCost`). */
  apiServer: ApiServerCost;
  /** The engine schedules asynchronously (a scheduling knob, no memory effect); see `asyncSchedulingOf`. */
  asyncScheduling?: boolean;
  /**
   * V0 without chunked prefill: prompts run in prefill-only steps between passes of this many decode steps
   * (--num-scheduler-steps); see `ServingSystem.prefillOnlyPass`.
   */
  prefillOnlyPass?: number;
}

export type DeploymentResult = { ok: true; deployment: Deployment } | { ok: false; reason: string };

/** The model and GPU a configuration names, provided the model ships its precision; why vLLM could not start otherwise. */
export function catalogPair(
  config: { modelId: string; gpuId: string; precision: Precision; checkpoint?: string | undefined },
  model: Model | undefined,
  gpu: Gpu | undefined,
): { ok: true; model: Model; gpu: Gpu } | { ok: false; reason: string } {
  if (!model) return { ok: false, reason: `unknown model ${config.modelId}` };
  if (!gpu) return { ok: false, reason: `unknown GPU ${config.gpuId}` };
  if (config.checkpoint !== undefined && !servedPrecisionOf(model, config.precision, config.checkpoint)) {
    return {
      ok: false,
      reason: `${model.name} lists no ${config.precision} checkpoint ${config.checkpoint}`,
    };
  }
  if (!model.precisions.some((p) => p.precision === config.precision)) {
    const listed = servedPrecisions(model).join(', ');
    return {
      ok: false,
      reason: `${model.name} has no ${config.precision} checkpoint (available: ${listed})`,
    };
  }
  return { ok: true, model, gpu };
}

/** How a MoE replica places its experts and attention: plain TP when absent (see expert-parallel.ts). */
export type MoeShape = Pick<Parallelism, 'dataParallel' | 'expertParallel'>;

export function buildDeployment(
  model: Model,
  gpu: Gpu,
  gpuCount: number,
  tensorParallel: number,
  precision: Precision,
  overrides: EngineSettings = {},
  moe: MoeShape = {},
  checkpoint?: string,
): DeploymentResult {
  const stageGpus = gpuCount / dataParallelOf(moe);
  const shape = checkParallelism(model, gpu, stageGpus, tensorParallel);
  if (!shape.ok) return shape;
  const parallel: Parallelism = {
    tensorParallel,
    pipelineParallel: stageGpus / tensorParallel,
    ...(moe.dataParallel !== undefined && moe.dataParallel > 1 && { dataParallel: moe.dataParallel }),
    ...(moe.expertParallel && { expertParallel: true }),
  };
  const experts = checkExpertParallelism(model, gpu, parallel);
  if (!experts.ok) return experts;
  // V0 without chunked prefill packs whole prompts up to max_model_len (vLLM's default: the model's context window).
  const unchunkedV0 = overrides.v0Engine && !v0ChunksPrompts(overrides);
  const engine = resolveEngine(gpu, {
    ...overrides,
    maxNumBatchedTokens:
      overrides.maxNumBatchedTokens ??
      (unchunkedV0 ? v0UnchunkedTokenBudget(model.contextWindow) : undefined),
  });
  const memory = memoryPlan(model, gpu, precision, parallel, engine, checkpoint);
  const asyncScheduling = asyncSchedulingOf(parallel, overrides);
  const geometry = deploymentGeometry(
    parallel.expertParallel
      ? expertParallelGeometry(model, gpu, precision, parallel, memory.kvBytesPerTokenPerGpu, checkpoint)
      : stepGeometry(model, gpu, precision, parallel, memory.kvBytesPerTokenPerGpu, checkpoint),
    asyncScheduling ? 1 - ASYNC_HIDDEN_HOST_SHARE : 1,
    overrides.v0Engine ? V0_HOST_SEC_PER_SEQUENCE / (overrides.schedulerSteps ?? 1) : HOST_SEC_PER_SEQUENCE,
    overrides.maxCudagraphCaptureSize ?? cudaGraphCaptureMax(engine.maxNumSeqs, overrides.v0Engine === true),
    overrides.v0Engine
      ? (overrides.maxSeqLenToCapture ?? V0_MAX_SEQ_LEN_TO_CAPTURE)
      : Number.POSITIVE_INFINITY,
    overrides.v0Engine === true,
    // V0 on ROCm runs attention kernels of its own (vllm#11146).
    overrides.v0Engine && gpu.vendor === 'amd'
      ? rocmV0Attention(model.architecture, gpu, parallel.tensorParallel, overrides.chunkedPrefill !== false)
      : undefined,
  );
  return {
    ok: true,
    deployment: {
      model,
      gpu,
      precision,
      parallel,
      engine,
      memory,
      geometry,
      apiServer: apiServerCost(overrides),
      ...(asyncScheduling && { asyncScheduling }),
      ...(overrides.v0Engine &&
        overrides.chunkedPrefill === false && { prefillOnlyPass: overrides.schedulerSteps ?? 1 }),
    },
  };
}

/**
 * Whether the replica schedules asynchronously: as --async-scheduling says when the settings set it, else as the
 * release the manifests pin (VLLM_VERSION) does by default for its layout; the manifests render no such flag, so
 * vLLM's default is what runs. Measured series set it from their own serve flags (`engineSettingsOf`). V0 has no async
 * scheduler (a V1 engine feature).
 */
const asyncSchedulingOf = (parallel: Parallelism, engine: EngineSettings): boolean =>
  !engine.v0Engine &&
  (engine.asyncScheduling ?? asyncSchedulingByDefault(VLLM_VERSION, parallel.pipelineParallel));

export function systemFor(
  deployment: Deployment,
  factors: EfficiencyFactors,
  workload: Workload,
): ServingSystem {
  // Each data-parallel rank schedules its own batch with the engine's limits; the replica carries them all.
  const ranks = dataParallelOf(deployment.parallel);
  return servingSystem(
    deployment.geometry,
    factors,
    workload,
    deployment.memory.kvTokens,
    deployment.engine.maxNumSeqs * ranks,
    deployment.engine.maxNumBatchedTokens * ranks,
    deployment.memory.stateTokensPerSequence,
    deployment.apiServer,
    deployment.asyncScheduling,
    deployment.prefillOnlyPass ?? 0,
  );
}
