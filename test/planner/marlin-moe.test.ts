import { describe, expect, it } from 'vitest';
import { moeKernelOf, WEIGHT_ONLY_GEMM_SHARE } from '../../src/planner/assumptions.js';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { stageStepSec, stepGeometry } from '../../src/planner/step-time.js';
import { A100_80GB, GPT_OSS_120B, H100, L40S, MIXTRAL_8X7B } from './fixtures.js';

// vLLM runs routed experts on Marlin's fused MoE kernel wherever their format has no tensor-core path: int4, FP8
// without FP8 cores, MXFP4 below Hopper. Marlin computes every GEMM in blocks of at most 64 rows, so grouping rows by
// expert costs its 4-bit experts the padding of each expert's rows to whole blocks, not the grouped GEMMs' fitted
// share; its 8-bit experts, with no published rate of their own, keep that share.
describe("Marlin's fused MoE kernel", () => {
  it('is the kernel vLLM picks for int4, for FP8 on Ampere and for MXFP4 below Hopper', () => {
    expect(moeKernelOf('int4', H100)).toBe('marlin');
    expect(moeKernelOf('fp8', A100_80GB)).toBe('marlin');
    expect(moeKernelOf('fp8', H100)).toBe('triton');
    expect(moeKernelOf('mxfp4', A100_80GB)).toBe('marlin');
    expect(moeKernelOf('mxfp4', L40S)).toBe('marlin');
    expect(moeKernelOf('mxfp4', H100)).toBe('fp4');
    expect(moeKernelOf('bf16', A100_80GB)).toBe('triton');
  });

  const parallel = { tensorParallel: 1, pipelineParallel: 1 };

  it("pads MXFP4 experts to whole blocks on Ampere, where Marlin runs them, and not on Hopper's FP4 kernels", () => {
    expect(stepGeometry(GPT_OSS_120B, A100_80GB, 'mxfp4', parallel, 36e3).paddedExperts).toBe(128);
    expect(stepGeometry(GPT_OSS_120B, H100, 'mxfp4', parallel, 36e3).paddedExperts).toBe(0);
  });

  it("runs Marlin's 4-bit experts at its weight-only rate whatever the grouped GEMMs' fitted share", () => {
    const prefill = (
      gpu: typeof H100,
      model: typeof GPT_OSS_120B,
      precision: 'mxfp4' | 'int4' | 'fp8',
      share: number,
    ) =>
      stageStepSec(
        stepGeometry(model, gpu, precision, parallel, 36e3),
        { ...DEFAULT_FACTORS, expertGemmShare: share },
        0,
        0,
        8192,
        1000,
      );
    expect(prefill(A100_80GB, GPT_OSS_120B, 'mxfp4', 0.3)).toBe(
      prefill(A100_80GB, GPT_OSS_120B, 'mxfp4', 0.6),
    );
    expect(prefill(A100_80GB, MIXTRAL_8X7B, 'int4', 0.3)).toBe(prefill(A100_80GB, MIXTRAL_8X7B, 'int4', 0.6));
    // On Hopper, which Marlin is not built for, int4 experts keep the fitted share.
    expect(prefill(H100, MIXTRAL_8X7B, 'int4', 0.3)).toBeGreaterThan(
      prefill(H100, MIXTRAL_8X7B, 'int4', 0.6),
    );
    // Its 8-bit experts (FP8 on Ampere) keep the fitted share.
    expect(prefill(A100_80GB, MIXTRAL_8X7B, 'fp8', 0.3)).toBeGreaterThan(
      prefill(A100_80GB, MIXTRAL_8X7B, 'fp8', 0.6),
    );
    // Hopper's MXFP4 experts run triton_kernels, whose grouped GEMMs keep the fitted share below the weight-only one.
    expect(prefill(H100, GPT_OSS_120B, 'mxfp4', 0.3)).toBeGreaterThan(
      prefill(H100, GPT_OSS_120B, 'mxfp4', WEIGHT_ONLY_GEMM_SHARE),
    );
  });
});
