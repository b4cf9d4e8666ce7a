/**
 * A deployment's step geometry is built by one object literal (`deploymentGeometry`), so that V8 gives every
 * deployment's geometry one hidden class and the step-time functions stay monomorphic. The literal must be the
 * geometry the physics derives, field for field: the spread it replaced is the reference here.
 */
import { describe, expect, it } from 'vitest';
import type { Precision } from '../../src/knowledge/catalog.js';
import { ASYNC_HIDDEN_HOST_SHARE, cudaGraphCaptureMax } from '../../src/planner/assumptions.js';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { buildDeployment, type MoeShape } from '../../src/planner/deployment.js';
import { expertParallelGeometry } from '../../src/planner/expert-parallel.js';
import { stageStepSec, stepGeometry } from '../../src/planner/step-time.js';
import { catalogKnowledge as knowledge } from './catalog-knowledge.js';

const model = (id: string) => knowledge.models.find((candidate) => candidate.id === id)!;
const gpu = (id: string) => knowledge.gpus.find((candidate) => candidate.id === id)!;

interface Case {
  label: string;
  modelId: string;
  gpuId: string;
  gpuCount: number;
  tensorParallel: number;
  precision: Precision;
  asyncScheduling: boolean;
  moe?: MoeShape;
}
const CASES: Case[] = [
  {
    label: 'dense, one GPU',
    modelId: 'meta-llama/Llama-3.1-8B-Instruct',
    gpuId: 'H100',
    gpuCount: 1,
    tensorParallel: 1,
    precision: 'bf16',
    asyncScheduling: true,
  },
  {
    label: 'dense, TP2 × PP2',
    modelId: 'meta-llama/Llama-3.3-70B-Instruct',
    gpuId: 'H100',
    gpuCount: 4,
    tensorParallel: 2,
    precision: 'bf16',
    asyncScheduling: false,
  },
  {
    label: 'padded BF16 experts',
    modelId: 'openai/gpt-oss-120b',
    gpuId: 'H100',
    gpuCount: 2,
    tensorParallel: 2,
    precision: 'bf16',
    asyncScheduling: true,
  },
  {
    label: 'latent attention, TP8',
    modelId: 'deepseek-ai/DeepSeek-V3',
    gpuId: 'H200',
    gpuCount: 8,
    tensorParallel: 8,
    precision: 'fp8',
    asyncScheduling: true,
  },
  {
    label: 'DP8 attention with EP8',
    modelId: 'deepseek-ai/DeepSeek-V3',
    gpuId: 'H200',
    gpuCount: 8,
    tensorParallel: 1,
    precision: 'fp8',
    asyncScheduling: true,
    moe: { dataParallel: 8, expertParallel: true },
  },
];

describe("a deployment's step geometry", () => {
  for (const c of CASES) {
    it(`is the physics' geometry with its host share, field for field: ${c.label}`, () => {
      const built = buildDeployment(
        model(c.modelId),
        gpu(c.gpuId),
        c.gpuCount,
        c.tensorParallel,
        c.precision,
        { asyncScheduling: c.asyncScheduling },
        c.moe,
      );
      if (!built.ok) throw new Error(built.reason);
      const { deployment } = built;
      const derive = deployment.parallel.expertParallel ? expertParallelGeometry : stepGeometry;
      const direct = {
        ...derive(
          deployment.model,
          deployment.gpu,
          deployment.precision,
          deployment.parallel,
          deployment.memory.kvBytesPerTokenPerGpu,
        ),
        hostShare: c.asyncScheduling ? 1 - ASYNC_HIDDEN_HOST_SHARE : 1,
        graphMaxTokens: cudaGraphCaptureMax(deployment.engine.maxNumSeqs, false),
      };
      expect(deployment.geometry).toStrictEqual(direct);
      expect(Object.keys(deployment.geometry)).toEqual(Object.keys(direct));
      for (const [decodes, context, prefill, prefillContext] of [
        [1, 1024, 0, 0],
        [64, 3000, 0, 0],
        [32, 2048, 2048, 1024],
        [600, 2048, 0, 0],
      ] as const) {
        expect(
          stageStepSec(deployment.geometry, DEFAULT_FACTORS, decodes, context, prefill, prefillContext),
        ).toBe(stageStepSec(direct, DEFAULT_FACTORS, decodes, context, prefill, prefillContext));
      }
    });
  }
});
