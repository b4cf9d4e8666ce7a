import { describe, expect, it } from 'vitest';
import {
  LAYER_KERNELS_SEC,
  MLA_EXTRA_KERNELS_SEC,
  SHARED_EXPERT_KERNELS_SEC,
} from '../../src/planner/assumptions.js';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { decodeStepSec, stepGeometry } from '../../src/planner/step-time.js';
import { catalogGpu, catalogModel } from './catalog-knowledge.js';

const h200 = catalogGpu('H200');
const tp8 = { tensorParallel: 8, pipelineParallel: 1 };
const r1 = catalogModel('deepseek-ai/DeepSeek-R1');
const glm = catalogModel('zai-org/GLM-4.6');

// vLLM's MLA layer (MultiHeadLatentAttentionWrapper.forward, vllm/model_executor/layers/mla.py; MLACommonImpl and
// FlashMLAImpl._forward_decode, vllm/v1/attention/backends/mla/) runs q_a_layernorm, kv_a_layernorm, the W_UK bmm, the
// torch.cat of the absorbed query with its rope part and the W_UV bmm beside what a GQA layer runs: five small kernels.
describe("a latent-attention layer's small kernels", () => {
  it('add five small kernels per MLA layer to every step, whatever the batch', () => {
    const g = stepGeometry(r1, h200, 'fp8', tp8, 0);
    expect(MLA_EXTRA_KERNELS_SEC).toBeCloseTo(LAYER_KERNELS_SEC, 12);
    const shared = 58 * SHARED_EXPERT_KERNELS_SEC;
    expect(g.layerKernelsSec).toBeCloseTo(61 * (LAYER_KERNELS_SEC + MLA_EXTRA_KERNELS_SEC) + shared, 12);
    for (const batch of [1, 4, 256]) {
      const without = decodeStepSec(
        { ...g, layerKernelsSec: 61 * LAYER_KERNELS_SEC + shared },
        DEFAULT_FACTORS,
        batch,
        400,
      );
      expect(decodeStepSec(g, DEFAULT_FACTORS, batch, 400) - without).toBeCloseTo(61 * 5 * 4e-6, 9);
    }
    const pp2 = stepGeometry(r1, h200, 'fp8', { tensorParallel: 4, pipelineParallel: 2 }, 0);
    expect(2 * pp2.layerKernelsSec).toBeCloseTo(g.layerKernelsSec, 12);
  });

  it('leave GQA layers as they were', () => {
    expect(stepGeometry(glm, h200, 'bf16', tp8, 0).layerKernelsSec).toBeCloseTo(
      92 * LAYER_KERNELS_SEC + 89 * SHARED_EXPERT_KERNELS_SEC,
      12,
    );
  });

  // DeepseekV2MoE.forward (vllm/model_executor/models/deepseek_v2.py): the shared experts' SiluAndMul and the sum of the
  // shared and routed outputs run in each of the 58 MoE layers; the 3 dense layers and experts-only MoE models
  // (gpt-oss-120b) run neither.
  it("add a shared expert's two kernels per MoE layer that has one", () => {
    expect(SHARED_EXPERT_KERNELS_SEC).toBeCloseTo(8e-6, 12);
    const gptOss = stepGeometry(catalogModel('openai/gpt-oss-120b'), h200, 'mxfp4', tp8, 0);
    expect(gptOss.layerKernelsSec).toBeCloseTo(36 * LAYER_KERNELS_SEC, 12);
  });

  // H200, TP8, 4 concurrent ShareGPT requests on vLLM 0.11 (gpustack performance lab): DeepSeek-R1-0528 FP8 (61 MLA
  // layers) 19.41 ms mean ITL, GLM-4.6 BF16 (92 GQA layers) 17.85 ms: 318 µs a layer against 194. At one set of
  // factors the model must put more time in an MLA layer than it did without these kernels.
  it('narrow the per-layer gap between the measured MLA and GQA pair', () => {
    const perLayer = (g: ReturnType<typeof stepGeometry>, layers: number) =>
      decodeStepSec(g, DEFAULT_FACTORS, 4, 400) / layers;
    const r1g = stepGeometry(r1, h200, 'fp8', tp8, 0);
    const glmg = stepGeometry(glm, h200, 'bf16', tp8, 0);
    const withKernels = perLayer(r1g, 61) - perLayer(glmg, 92);
    // Both models' steps grow, the 61-layer MLA one by more per layer.
    const without =
      perLayer({ ...r1g, layerKernelsSec: 61 * LAYER_KERNELS_SEC }, 61) -
      perLayer({ ...glmg, layerKernelsSec: 92 * LAYER_KERNELS_SEC }, 92);
    const measured = 19.41e-3 / 61 - 17.85e-3 / 92;
    expect(withKernels).toBeGreaterThan(without);
    expect(withKernels).toBeLessThan(measured);
  });
});
