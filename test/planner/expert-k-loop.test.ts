import { describe, expect, it } from 'vitest';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { expertParallelGeometry } from '../../src/planner/expert-parallel.js';
import {
  expertKLoopScale,
  expertKLoopWork,
  stageStepSec,
  stepGeometry,
} from '../../src/planner/step-time.js';
import { catalogGpu, catalogModel } from './catalog-knowledge.js';

// vLLM's Triton fused-MoE kernel runs every output tile as a pipelined loop over K with num_stages − 1 steps of loads
// before the first multiply. TP splits each expert's intermediate width, the down projection's K: at TP8 Qwen3-235B's
// experts are 192 wide and the fill is a large share of that loop, at TP1 (1536) a small one.
describe("routed experts' K loops pay their pipeline fill", () => {
  const qwen = catalogModel('Qwen/Qwen3-235B-A22B-Instruct-2507');
  const a100 = catalogGpu('A100-80GB');

  it('costs TP-sharded experts more per FLOP the thinner TP slices them', () => {
    // Gate and up loop over the 4096 hidden size, down over 1536 / TP; 128 elements of fill each.
    const gateUp = (4096 + 128) / 4096;
    expect(expertKLoopScale(qwen.architecture, 'bf16', 8)).toBeCloseTo(
      (2 * gateUp + (192 + 128) / 192) / 3,
      6,
    );
    expect(expertKLoopScale(qwen.architecture, 'bf16', 1)).toBeCloseTo(
      (2 * gateUp + (1536 + 128) / 1536) / 3,
      6,
    );
  });

  it('is 1 for dense models and for MXFP4 experts, which other kernels run', () => {
    expect(expertKLoopScale(catalogModel('meta-llama/Llama-3.3-70B-Instruct').architecture, 'bf16', 8)).toBe(
      1,
    );
    expect(expertKLoopScale(catalogModel('openai/gpt-oss-120b').architecture, 'mxfp4', 2)).toBe(1);
  });

  it('shows in full with 16-row tiles and a quarter of it with 64-row ones', () => {
    expect(expertKLoopWork(1.4, 10)).toBeCloseTo(1.4, 9);
    expect(expertKLoopWork(1.4, 0.9 * 16)).toBeCloseTo(1.4, 9);
    expect(expertKLoopWork(1.4, 0.9 * 32)).toBeCloseTo(1.2, 9);
    expect(expertKLoopWork(1.4, 500)).toBeCloseTo(1.1, 9);
  });

  it('slows a compute-bound step of TP8 experts', () => {
    const parallel = { tensorParallel: 8, pipelineParallel: 1 };
    const g = stepGeometry(qwen, a100, 'bf16', parallel, 24e3);
    const withoutFill = { ...g, expertKLoopScale: 1 };
    // 256 decodes and a 200-token prefill chunk: 28 tokens per expert, 31-row tiles; factors near A100's fit, where
    // such a step is compute-bound.
    const factors = { ...DEFAULT_FACTORS, bandwidth: 0.85, compute: 0.5, expertGemmShare: 0.44 };
    const step = (geometry: typeof g) => stageStepSec(geometry, factors, 256, 400, 200, 100);
    expect(step(g) / step(withoutFill)).toBeGreaterThan(1.05);
  });

  it('keeps experts whole under expert parallelism: their down projection loops over the full width', () => {
    const parallel = { tensorParallel: 8, pipelineParallel: 1, expertParallel: true };
    const g = expertParallelGeometry(qwen, a100, 'bf16', parallel, 24e3);
    expect(g.expertKLoopScale).toBeCloseTo(expertKLoopScale(qwen.architecture, 'bf16', 1), 9);
  });
});
