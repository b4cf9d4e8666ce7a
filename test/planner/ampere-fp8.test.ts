import { describe, expect, it } from 'vitest';
import { BODY_BYTES_PER_PARAM, WEIGHT_ONLY_GEMM_SHARE } from '../../src/planner/assumptions.js';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { stageStepSec, stepGeometry } from '../../src/planner/step-time.js';
import { A100_80GB, H100, LLAMA_70B } from './fixtures.js';

// Issue #14: Ampere has no FP8 tensor cores. vLLM serves FP8 checkpoints there through Marlin's weight-only W8A16
// kernels (the weights are dequantized to 16 bits inside the GEMM): half the bytes of BF16 to read, the BF16 tensor
// cores at WEIGHT_ONLY_GEMM_SHARE of their rate once the batch makes the GEMM compute-bound.
describe('fp8 on Ampere runs through weight-only kernels', () => {
  const parallel = { tensorParallel: 2, pipelineParallel: 1 };
  const geometry = (gpu: typeof H100, precision: 'bf16' | 'fp8') =>
    stepGeometry(LLAMA_70B, gpu, precision, parallel, 160e3);

  it('reads one byte per weight but runs its GEMMs on the BF16 cores at the weight-only share', () => {
    const fp8 = geometry(A100_80GB, 'fp8');
    const bf16 = geometry(A100_80GB, 'bf16');
    expect(BODY_BYTES_PER_PARAM.fp8 / BODY_BYTES_PER_PARAM.bf16).toBe(0.5);
    expect(fp8.fixedWeightBytes / bf16.fixedWeightBytes).toBeLessThan(0.55);
    expect(fp8.peakLinearFlops).toBeCloseTo(A100_80GB.bf16Tflops * 1e12 * WEIGHT_ONLY_GEMM_SHARE, -6);
    expect(WEIGHT_ONLY_GEMM_SHARE).toBeLessThan(1);
    // Hopper has FP8 tensor cores: the full FP8 rate, no dequantization.
    expect(geometry(H100, 'fp8').peakLinearFlops).toBeCloseTo(H100.fp8Tflops! * 1e12, -6);
  });

  it('decodes faster than BF16 (memory-bound) and prefills slower (compute-bound)', () => {
    const step = (precision: 'bf16' | 'fp8', decode: number, prefill: number) =>
      stageStepSec(geometry(A100_80GB, precision), DEFAULT_FACTORS, decode, 1000, prefill, prefill / 2);
    expect(step('fp8', 8, 0)).toBeLessThan(0.7 * step('bf16', 8, 0));
    expect(step('fp8', 0, 8192)).toBeGreaterThan(1.2 * step('bf16', 0, 8192));
  });
});
