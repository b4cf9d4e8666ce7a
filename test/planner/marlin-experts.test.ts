/** Marlin's fused MoE kernel runs 4-bit experts at its own measured rate (vllm-project/vllm#2497). */
import { describe, expect, it } from 'vitest';
import { MARLIN_FOUR_BIT_GEMM_SHARE } from '../../src/planner/assumptions.js';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { stageStepSec, stepGeometry } from '../../src/planner/step-time.js';
import { catalogGpu, catalogModel } from './catalog-knowledge.js';

const parallel = { tensorParallel: 1, pipelineParallel: 1 };
const gptOss = catalogModel('openai/gpt-oss-20b');

describe("Marlin's 4-bit experts", () => {
  it('run at the kernel’s measured rate, not at a share of the fitted compute efficiency of the other GEMMs', () => {
    const a100 = catalogGpu('A100-80GB');
    const g = stepGeometry(gptOss, a100, 'mxfp4', parallel, 49152);
    expect(g.marlinExpertFlops).toBeCloseTo(MARLIN_FOUR_BIT_GEMM_SHARE * a100.bf16Tflops * 1e12, -6);
    // A compute-bound prefill chunk: halving the fitted compute efficiency slows the attention and dense GEMMs, while
    // the experts (most of gpt-oss's FLOPs) keep Marlin's rate.
    const fast = stageStepSec(g, DEFAULT_FACTORS, 0, 0, 2048, 64);
    const slow = stageStepSec(
      g,
      { ...DEFAULT_FACTORS, compute: DEFAULT_FACTORS.compute / 2 },
      0,
      0,
      2048,
      64,
    );
    const expertSec = (2048 * g.expertFlopsPerToken) / g.marlinExpertFlops;
    expect(slow - fast).toBeLessThan(fast - expertSec);
    expect(slow - fast).toBeGreaterThan(0);
  });
});
