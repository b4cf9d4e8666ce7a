import { describe, expect, it } from 'vitest';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { expertTilePadding, stageStepSec, stepGeometry } from '../../src/planner/step-time.js';
import { GPT_OSS_120B, H100, LLAMA_70B } from './fixtures.js';

// vLLM's fused-MoE kernels pad each expert's tokens to whole BLOCK_SIZE_M tiles (moe_align_block_size), the tile
// picked by the tokens per expert: decode-sized steps pay for mostly empty tiles, prefill-sized ones hardly.
describe("routed experts' grouped GEMMs pad each expert's rows to whole tiles", () => {
  const touched = (perExpert: number) => 1 - Math.exp(-perExpert);

  it('costs a single decode token a whole 8-row tile per expert it routes to', () => {
    const perExpert = 8 / 256;
    expect(expertTilePadding(256, perExpert, touched(perExpert))).toBeCloseTo(8, 0);
  });

  it('costs a prefill-sized step half a 64-row tile per expert: almost nothing', () => {
    expect(expertTilePadding(128, 2048, 1)).toBeCloseTo(1 + 32 / 2048, 6);
  });

  it('takes the tile the tokens per expert fill to 0.9 (Marlin MoE get_default_config), continuous in the batch', () => {
    // Up to 7.2 tokens per expert the 8-row tile; from 57.6 the 64-row one; between, half a tile's waste is the same
    // share of the tokens, and the padding meets both ends.
    expect(expertTilePadding(128, 7, 1)).toBeCloseTo((7 + 4) / 7, 6);
    expect(expertTilePadding(128, 20, 1)).toBeCloseTo(1 + 1 / 1.8, 6);
    expect(expertTilePadding(128, 57.6, 1)).toBeCloseTo(1 + 32 / 57.6, 6);
    expect(expertTilePadding(128, 7.2, 1)).toBeCloseTo(expertTilePadding(128, 7.2 + 1e-9, 1), 6);
  });

  it("is 1 for dense models and for MXFP4 experts on Hopper's FP4 kernels (Ampere's Marlin pads them)", () => {
    expect(expertTilePadding(0, 4, 1)).toBe(1);
    const parallel = { tensorParallel: 1, pipelineParallel: 1 };
    expect(stepGeometry(GPT_OSS_120B, H100, 'mxfp4', parallel, 72e3).paddedExperts).toBe(0);
    expect(stepGeometry(GPT_OSS_120B, H100, 'bf16', parallel, 72e3).paddedExperts).toBe(128);
    expect(stepGeometry(LLAMA_70B, H100, 'bf16', parallel, 160e3).paddedExperts).toBe(0);
  });

  it('slows a compute-bound step of BF16 experts, and leaves a memory-bound one as it was', () => {
    const parallel = { tensorParallel: 2, pipelineParallel: 1 };
    // Without the K loops' fill (expert-k-loop.test.ts), which multiplies the padded rows' work too.
    const padded = { ...stepGeometry(GPT_OSS_120B, H100, 'bf16', parallel, 36e3), expertKLoopScale: 1 };
    const unpadded = { ...padded, paddedExperts: 0 };
    const step = (g: typeof padded, tokens: number) => stageStepSec(g, DEFAULT_FACTORS, tokens, 0, 0, 0);
    // 4096 tokens: 128 per expert in 64-row tiles run a quarter more rows than tokens, at the experts' GEMM share of
    // the compute-bound rate (the GEMMs bind, not the weights).
    const { compute, expertGemmShare } = DEFAULT_FACTORS;
    const extraFlops = (4096 * padded.expertFlopsPerToken * 0.25) / expertGemmShare;
    expect(step(padded, 4096) - step(unpadded, 4096)).toBeCloseTo(
      extraFlops / (padded.peakLinearFlops * compute),
      6,
    );
    // 4 tokens: the step reads the experts its tokens touch, whatever the rows their GEMMs run.
    expect(step(padded, 4)).toBe(step(unpadded, 4));
  });
});
