import { describe, expect, it } from 'vitest';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { stageStepSec, stepGeometry } from '../../src/planner/step-time.js';
import { catalogGpu, catalogModel } from './catalog-knowledge.js';

const h200 = catalogGpu('H200');
const tp8 = { tensorParallel: 8, pipelineParallel: 1 };
const r1 = stepGeometry(catalogModel('deepseek-ai/DeepSeek-R1'), h200, 'fp8', tp8, 70272);
const v32 = stepGeometry(catalogModel('deepseek-ai/DeepSeek-V3.2'), h200, 'fp8', tp8, 70272);

// vLLM runs MLA in two forms (vllm/v1/attention/backends/mla/common.py): decode absorbs the up-projections and
// attends over the 512 + 64 latent; prefill up-projects it and runs MHA with 128 + 64 key and 128 value dims.
describe('multi-head latent attention FLOPs (DeepSeek-R1, 16 heads a rank at TP8)', () => {
  // FlashMLA's Hopper decode kernel tiles 64 query rows (csrc/kernels/traits.h): a rank's 16 heads fill a quarter.
  it('decodes over the latent on a whole 64-head tile: 2 FLOPs × 61 layers × 64 × (576 + 512) per context token', () => {
    expect(r1.attentionFlopsPerContextToken).toBe(2 * 61 * 64 * (576 + 512));
    const tp2 = stepGeometry(
      catalogModel('deepseek-ai/DeepSeek-R1'),
      h200,
      'fp8',
      { ...tp8, tensorParallel: 2 },
      70272,
    );
    expect(tp2.attentionFlopsPerContextToken).toBe(2 * 61 * 64 * (576 + 512));
    const tp1 = stepGeometry(
      catalogModel('deepseek-ai/DeepSeek-R1'),
      h200,
      'fp8',
      { ...tp8, tensorParallel: 1 },
      70272,
    );
    expect(tp1.attentionFlopsPerContextToken).toBe(2 * 61 * 128 * (576 + 512));
  });

  it('prefills in MHA form, unpadded: 2 FLOPs × 61 layers × 16 heads × (192 + 128) per context token', () => {
    expect(r1.prefillAttentionFlopsPerContextToken).toBe(2 * 61 * 16 * (192 + 128));
    expect(r1.sparseTopK).toBe(0);
  });
});

// DeepSeek-V3.2's sparse attention runs every query over a fixed top-2048 index list (FlashMLA's sparse kernels, unused
// entries -1) in the latent form, on 64 padded heads a rank on Hopper (vLLM's FLASHMLA_SPARSE backend).
// deepseek_v2.py runs fused_qkv_a_proj (q_a + kv_a, 2112 × 7168) with disable_tp and the router as an unsplit
// GateLinear: every rank multiplies them whole, so TP8 leaves a rank more than an eighth of TP1's linear FLOPs.
describe('projections every TP rank computes whole (DeepSeek-R1)', () => {
  it('adds 7/8 of the replicated FLOPs to a TP8 rank beyond an eighth of TP1', () => {
    const tp1 = stepGeometry(
      catalogModel('deepseek-ai/DeepSeek-R1'),
      h200,
      'fp8',
      { tensorParallel: 1, pipelineParallel: 1 },
      70272,
    );
    const replicatedFlops = 2 * (61 * 2112 * 7168 + 58 * 256 * 7168);
    expect(r1.linearFlopsPerToken - tp1.linearFlopsPerToken / 8).toBeCloseTo((replicatedFlops * 7) / 8, -3);
  });
});

describe('DeepSeek Sparse Attention (DeepSeek-V3.2)', () => {
  it('reads index_topk from the config into the catalog', () => {
    expect(catalogModel('deepseek-ai/DeepSeek-V3.2').architecture.latentAttention?.sparse?.topK).toBe(2048);
    expect(v32.sparseTopK).toBe(2048);
  });

  it('computes 64 padded heads a rank over the latent, for prefill as for decode', () => {
    expect(v32.attentionFlopsPerContextToken).toBe(2 * 61 * 64 * (576 + 512));
    expect(v32.prefillAttentionFlopsPerContextToken).toBe(v32.attentionFlopsPerContextToken);
  });

  it('caps the latent a decode reads at the top-k tokens: past them only the indexer grows with the context', () => {
    const step = (g: typeof r1, context: number) => stageStepSec(g, DEFAULT_FACTORS, 64, context, 0, 0);
    const kvSec = (tokens: number) =>
      (v32.kvBytesPerToken * 64 * tokens) / (v32.bandwidthBytesPerSec * DEFAULT_FACTORS.bandwidth);
    expect(step(v32, 32_000)).toBeGreaterThanOrEqual(kvSec(2048));
    const sparseGrowth = step(v32, 32_000) - step(v32, 8_000);
    expect(sparseGrowth).toBeGreaterThan(0);
    expect(sparseGrowth).toBeLessThan(0.2 * (step(r1, 32_000) - step(r1, 8_000)));
  });

  // vLLM's Indexer is replicated on every TP rank: 64 heads × 128 dims of FP8 logits per context token and layer.
  it('scores every context token with the whole indexer on every rank', () => {
    expect(v32.indexerFlopsPerContextToken).toBe(2 * 61 * 64 * 128);
    expect(v32.indexerKeyBytesPerToken).toBe(61 * (128 + 4));
    expect(r1.indexerFlopsPerContextToken).toBe(0);
  });

  // gpustack performance lab, 8 × H200, bursts of 1000 random 128-token prompts and 4 output tokens (data/benchmarks/
  // gpustack-performance-lab.json): mean ITL 586.8 ms for DeepSeek-V3.2 (vLLM 0.13) against 263.9 ms for DeepSeek-R1
  // (vLLM 0.11), the same architecture but for DSA. Those steps are mostly 8192-token prefill chunks of short prompts,
  // which dense MLA attends cheaply and DSA over the whole top-2048 width.
  it('makes a short-prompt prefill step well over 1.5× dense MLA’s, as the measured ITLs are 2.2×', () => {
    const step = (g: typeof r1) => stageStepSec(g, DEFAULT_FACTORS, 500, 130, 8192, 64);
    expect(step(v32) / step(r1)).toBeGreaterThan(1.5);
  });
});
