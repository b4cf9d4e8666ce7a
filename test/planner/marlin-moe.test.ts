import { describe, expect, it } from 'vitest';
import { routedExpertParams } from '../../src/knowledge/architecture.js';
import {
  BODY_BYTES_PER_PARAM,
  MARLIN_FOUR_BIT_BYTES_PER_SM_CYCLE,
  moeKernelOf,
  mxfp4BackendOf,
  WEIGHT_ONLY_GEMM_SHARE,
} from '../../src/planner/assumptions.js';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { mxfp4ExpertBytesPerParam } from '../../src/planner/memory.js';
import { stageStepSec, stepGeometry } from '../../src/planner/step-time.js';
import { catalog, catalogGpu } from './catalog-knowledge.js';
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

  it('runs MXFP4 experts on the backend whose padding the memory plan holds, on every catalogued GPU', () => {
    const gptOss = { hiddenSize: 2880 };
    for (const gpu of catalog.gpus) {
      const backend = mxfp4BackendOf(gpu);
      expect(moeKernelOf('mxfp4', gpu) === 'marlin', gpu.id).toBe(backend === 'marlin');
      // 4-bit values and a one-byte scale per 32, over the shapes the backend pads: Marlin rounds the intermediate size
      // to 128 (2880 -> 2944) and the hidden size to 256 (2880 -> 3072); triton_kernels keeps them and holds the scales
      // a second time, swizzled.
      const padded = mxfp4ExpertBytesPerParam(gptOss, 2880, gpu);
      const unpadded = 0.5 + 1 / 32;
      if (backend === 'marlin')
        expect(padded, gpu.id).toBeCloseTo(((2944 * 3072) / (2880 * 2880)) * unpadded, 12);
      if (backend === 'triton-kernels') expect(padded, gpu.id).toBeGreaterThan(unpadded);
    }
    expect(mxfp4BackendOf(H100)).toBe('triton-kernels');
    expect(mxfp4BackendOf(A100_80GB)).toBe('marlin');
    expect(mxfp4BackendOf(L40S)).toBe('marlin');
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

  it("streams Marlin's 4-bit experts no faster than its SMs feed them, whatever the HBM allows", () => {
    const a100 = catalogGpu('A100-80GB');
    const geometry = stepGeometry(GPT_OSS_120B, a100, 'mxfp4', parallel, 36e3);
    // 7.6 bytes per SM per clock over 108 SMs at 1,410 MHz: 1.16 TB/s against the A100's 2.04 TB/s of HBM.
    const marlinRate = MARLIN_FOUR_BIT_BYTES_PER_SM_CYCLE * 108 * 1410e6;
    expect(geometry.marlinExpertBytesPerSec).toBeCloseTo(marlinRate, -6);
    expect(marlinRate / 1e12).toBeCloseTo(1.158, 3);
    // A decode step of 4 sequences reads the experts they touch at the kernel's rate, not at the HBM's.
    const factors = { ...DEFAULT_FACTORS, bandwidth: 0.8 };
    const uncapped = { ...geometry, marlinExpertBytesPerSec: Number.POSITIVE_INFINITY };
    const touchedBytes = geometry.expertWeightBytes * (1 - (1 - geometry.expertHitRate) ** 4);
    const hbm = geometry.bandwidthBytesPerSec * factors.bandwidth;
    expect(
      stageStepSec(geometry, factors, 4, 1000, 0, 0) - stageStepSec(uncapped, factors, 4, 1000, 0, 0),
    ).toBeCloseTo(touchedBytes / marlinRate - touchedBytes / hbm, 9);
    // 8-bit experts (FP8 on Ampere) are not capped, nor are GPUs the catalog gives no SM count for.
    expect(stepGeometry(MIXTRAL_8X7B, a100, 'fp8', parallel, 64e3).marlinExpertBytesPerSec).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(stepGeometry(GPT_OSS_120B, L40S, 'mxfp4', parallel, 36e3).marlinExpertBytesPerSec).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it('caps int4 experts on Marlin at the same rate on H100 and H200: their SMs, not their HBM, bind', () => {
    const rate = (id: string) =>
      stepGeometry(MIXTRAL_8X7B, catalogGpu(id), 'int4', parallel, 64e3).marlinExpertBytesPerSec;
    // 132 SMs at 1.98 GHz: ~2.0 TB/s on both, below the H100's 3.35 and the H200's 4.8 TB/s of HBM.
    expect(rate('H100')).toBeCloseTo(MARLIN_FOUR_BIT_BYTES_PER_SM_CYCLE * 132 * 1980e6, -6);
    expect(rate('H200')).toBe(rate('H100'));
    expect(rate('H100') / 1e12).toBeCloseTo(1.99, 2);
  });

  it('reads the MXFP4 experts Marlin runs at the padded shapes vLLM holds them in', () => {
    const experts = routedExpertParams(GPT_OSS_120B.architecture);
    const a100 = stepGeometry(GPT_OSS_120B, A100_80GB, 'mxfp4', parallel, 36e3);
    expect(a100.expertWeightBytes).toBeCloseTo(
      experts * mxfp4ExpertBytesPerParam(GPT_OSS_120B.architecture, 2880, A100_80GB),
      -3,
    );
    expect(a100.expertWeightBytes / (experts * BODY_BYTES_PER_PARAM.mxfp4)).toBeCloseTo(
      (2944 * 3072) / (2880 * 2880),
      9,
    );
    // Hopper's triton_kernels keep the checkpoint's shape.
    const h100 = stepGeometry(GPT_OSS_120B, H100, 'mxfp4', parallel, 36e3);
    expect(h100.expertWeightBytes).toBeCloseTo(experts * BODY_BYTES_PER_PARAM.mxfp4, -3);
  });
});
