import { describe, expect, it } from 'vitest';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { stageStepSec, stepGeometry } from '../../src/planner/step-time.js';
import { catalogGpu } from './catalog-knowledge.js';
import { A100_80GB, H100, MIXTRAL_8X7B } from './fixtures.js';

// vLLM's benchmark_moe.py on an H100 (vllm-project/vllm#24700): FP8 experts stream at 0.9 of the rate BF16 experts
// do, so halving the bytes does not halve the experts' time.
describe('FP8 experts on the Triton fused-MoE path stream slower than BF16 experts', () => {
  const parallel = { tensorParallel: 2, pipelineParallel: 1 };

  it('prices the touched FP8 experts at 0.9 of the dense streaming rate on Hopper', () => {
    const fp8 = stepGeometry(MIXTRAL_8X7B, H100, 'fp8', parallel, 64e3);
    const atDenseRate = { ...fp8, expertStreamShare: 1 };
    // 64 decoding tokens touch all 8 experts; the step stays memory-bound, so only the expert bytes' time moves.
    const step = (g: typeof fp8) => stageStepSec(g, DEFAULT_FACTORS, 64, 0, 0, 0);
    const expertSec = fp8.expertWeightBytes / (fp8.bandwidthBytesPerSec * DEFAULT_FACTORS.bandwidth);
    expect(step(fp8) - step(atDenseRate)).toBeCloseTo(expertSec * (1 / 0.9 - 1), 9);
  });

  it('leaves BF16 experts, weight-only FP8 (A100 Marlin) and Blackwell FP8 (FlashInfer) at the dense rate', () => {
    expect(stepGeometry(MIXTRAL_8X7B, H100, 'fp8', parallel, 64e3).expertStreamShare).toBe(0.9);
    expect(stepGeometry(MIXTRAL_8X7B, H100, 'bf16', parallel, 64e3).expertStreamShare).toBe(1);
    expect(stepGeometry(MIXTRAL_8X7B, A100_80GB, 'fp8', parallel, 64e3).expertStreamShare).toBe(1);
    expect(stepGeometry(MIXTRAL_8X7B, catalogGpu('B200'), 'fp8', parallel, 64e3).expertStreamShare).toBe(1);
  });
});
