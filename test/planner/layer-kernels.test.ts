import { describe, expect, it } from 'vitest';
import {
  LAYER_KERNELS_SEC,
  SHARED_EXPERT_KERNELS_SEC,
  VENDOR_GEMM_FIXED_SEC,
} from '../../src/planner/assumptions.js';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { decodeStepSec, stepGeometry } from '../../src/planner/step-time.js';
import { catalogGpu, catalogModel } from './catalog-knowledge.js';

const h200 = catalogGpu('H200');
const b200 = catalogGpu('B200');
const tp8 = { tensorParallel: 8, pipelineParallel: 1 };
const glm = stepGeometry(catalogModel('zai-org/GLM-4.6'), h200, 'bf16', tp8, 0);
const gptOss = stepGeometry(catalogModel('openai/gpt-oss-120b'), h200, 'mxfp4', tp8, 0);
// GLM-4.6's 89 MoE layers (3 dense of 92) also run their shared expert's activation and the shared + routed sum.
const glmLayerKernels = 92 * LAYER_KERNELS_SEC + 89 * SHARED_EXPERT_KERNELS_SEC;

describe("each layer's small kernels (norms, rope, cache write, activation)", () => {
  it('cost every step LAYER_KERNELS_SEC per layer, whatever the batch, summed over pipeline stages', () => {
    expect(glm.layerKernelsSec).toBeCloseTo(glmLayerKernels, 12);
    for (const batch of [1, 256]) {
      const without = decodeStepSec({ ...glm, layerKernelsSec: 0 }, DEFAULT_FACTORS, batch, 512);
      expect(decodeStepSec(glm, DEFAULT_FACTORS, batch, 512) - without).toBeCloseTo(glmLayerKernels, 9);
    }
    const pp2 = stepGeometry(
      catalogModel('zai-org/GLM-4.6'),
      h200,
      'bf16',
      { tensorParallel: 4, pipelineParallel: 2 },
      0,
    );
    expect(2 * pp2.layerKernelsSec).toBeCloseTo(glm.layerKernelsSec, 12);
  });

  // H200, TP8, 4 concurrent requests on vLLM 0.11: GLM-4.6 BF16 (92 layers) 17.85 ms mean ITL (gpustack performance
  // lab, glm-4.x/h200.md, "ShareGPT batch size 4"); gpt-oss-120b (36 layers) 3.57 ms (InferenceMAX 1024/1024 TP8).
  // The model's decode steps at one set of factors must keep more of that 14.3 ms gap with the per-layer term.
  it('separates a 92-layer from a 36-layer model as the measured pair does', () => {
    const gap = (a: typeof glm, b: typeof glm) =>
      decodeStepSec(a, DEFAULT_FACTORS, 4, 450) - decodeStepSec(b, DEFAULT_FACTORS, 4, 1400);
    const measuredGap = 17.85e-3 - 3.57e-3;
    const withLayers = gap(glm, gptOss);
    const withoutLayers = gap({ ...glm, layerKernelsSec: 0 }, { ...gptOss, layerKernelsSec: 0 });
    expect(withLayers - withoutLayers).toBeCloseTo(glmLayerKernels - 36 * LAYER_KERNELS_SEC, 9);
    expect(Math.abs(withLayers - measuredGap)).toBeLessThan(Math.abs(withoutLayers - measuredGap));
  });
});

describe('residual branches of a hybrid whose layers are single blocks (Nemotron-H)', () => {
  const nano = catalogModel('nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16');
  const tp2 = { tensorParallel: 2, pipelineParallel: 1 };
  const g = stepGeometry(nano, b200, 'fp8', tp2, 0);

  // vllm/model_executor/models/nemotron_h.py: each of the 52 layers is one Mamba-2, attention or MoE mixer behind one
  // norm, closed by one row-parallel projection, where a transformer layer has two (attention and FFN).
  it('pays one norm and one TP all-reduce per block, half a transformer layer each', () => {
    expect(nano.architecture.layers).toBe(52);
    expect(g.allReducesPerStageStep).toBe(52);
    expect(g.layerKernelsSec).toBeCloseTo(26 * LAYER_KERNELS_SEC, 12);
    expect(stepGeometry(catalogModel('zai-org/GLM-4.6'), h200, 'bf16', tp8, 0).allReducesPerStageStep).toBe(
      2 * 92,
    );
  });

  // Vultr's B200 cookbook (docs.vultr.com/inference-cookbook/cuda/optimization/concurrency-tuning, vLLM 0.16.0):
  // Nemotron 3 Nano FP8 at TP2 on two B200s streams one request at 2.91 ms per token. Counting two branches per
  // block would put the fixed per-step terms alone past that.
  it('keeps the batch-1 step of the measured TP2 run within reach', () => {
    const doubled = {
      ...g,
      layerKernelsSec: 2 * g.layerKernelsSec,
      allReducesPerStageStep: 2 * g.allReducesPerStageStep,
    };
    const measured = 2.91e-3;
    const perBlock = decodeStepSec(g, DEFAULT_FACTORS, 1, 2300);
    expect(decodeStepSec(doubled, DEFAULT_FACTORS, 1, 2300) - measured).toBeGreaterThan(
      2 * Math.abs(perBlock - measured),
    );
  });
});

describe("an AMD GPU's weight GEMMs (hipBLASLt on the MI300X)", () => {
  const mi300x = catalogGpu('MI300X');
  const llama70b = catalogModel('meta-llama/Llama-3.1-70B-Instruct');
  const onAmd = stepGeometry(llama70b, mi300x, 'fp8', tp8, 0);
  // The same GPU's datasheet under NVIDIA's software stack: only the vendor differs.
  const asNvidia = stepGeometry(llama70b, { ...mi300x, vendor: 'nvidia' }, 'fp8', tp8, 0);

  // ROCm/rocm-libraries#12329: hipBLASLt's one-row GEMMs on MI300X take ~9.7 µs plus their bytes at 4.14 TB/s, where
  // an H100's small kernels take 3-4 µs inside a CUDA graph (neuralmagic/nm-vllm#332).
  it('add a fixed time per GEMM, four per layer, whatever the batch', () => {
    expect(VENDOR_GEMM_FIXED_SEC.nvidia).toBe(0);
    expect(VENDOR_GEMM_FIXED_SEC.amd).toBeGreaterThan(3e-6);
    expect(asNvidia.layerKernelsSec).toBeCloseTo(80 * LAYER_KERNELS_SEC, 12);
    expect(onAmd.layerKernelsSec - asNvidia.layerKernelsSec).toBeCloseTo(
      80 * 4 * VENDOR_GEMM_FIXED_SEC.amd,
      12,
    );
    for (const batch of [1, 64]) {
      const gap =
        decodeStepSec(onAmd, DEFAULT_FACTORS, batch, 1000) -
        decodeStepSec(asNvidia, DEFAULT_FACTORS, batch, 1000);
      expect(gap).toBeCloseTo(80 * 4 * VENDOR_GEMM_FIXED_SEC.amd, 9);
    }
  });
});
