/**
 * V0 on ROCm prefills every chunk with the Triton prefix-prefill kernel (vllm/attention/ops/prefix_prefill.py,
 * vllm-project/vllm#11146), whose grid is one program per query head and 128-token query tile with no split over the
 * context: each program re-reads its KV head's context, and a lone chunk fills only some of the GPU's compute units.
 */
import { describe, expect, it } from 'vitest';
import { PREFIX_PREFILL_QUERY_TILE, prefixPrefillGrid } from '../../src/planner/assumptions.js';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { buildDeployment } from '../../src/planner/deployment.js';
import type { EngineSettings } from '../../src/planner/schema.js';
import { stageStepSec } from '../../src/planner/step-time.js';
import { catalogGpu, catalogModel } from './catalog-knowledge.js';

const llama405b = catalogModel('meta-llama/Llama-3.1-405B-Instruct');
const mi300x = catalogGpu('MI300X');

function geometryOn(gpuId: string, engine: EngineSettings) {
  const result = buildDeployment(llama405b, catalogGpu(gpuId), 8, 8, 'bf16', engine);
  if (!result.ok) throw new Error(result.reason);
  return result.deployment.geometry;
}

describe("ROCm V0's prefix-prefill kernel", () => {
  it('re-reads the context once per query head and 128-token tile, and fills 16 of 304 CUs a tile at TP8', () => {
    // 128 query heads and 8 KV heads over 8 ranks: 16 query heads on one KV head a rank.
    expect(prefixPrefillGrid(llama405b.architecture, mi300x, 8)).toEqual({
      kvPassesPerToken: 16 / PREFIX_PREFILL_QUERY_TILE,
      queryTileShare: 16 / 304,
    });
    const chunked = geometryOn('MI300X', { v0Engine: true });
    expect(chunked.prefillKvPassesPerToken).toBe(16 / 128);
    expect(chunked.prefillQueryTileShare).toBe(16 / 304);
    // Unchunked V0, V1, and CUDA's V0 (FlashAttention takes the paged context) run other kernels.
    for (const g of [
      geometryOn('MI300X', { v0Engine: true, chunkedPrefill: false }),
      geometryOn('MI300X', {}),
      geometryOn('H100', { v0Engine: true }),
    ]) {
      expect(g.prefillKvPassesPerToken).toBe(0);
      expect(g.prefillQueryTileShare).toBe(0);
    }
  });

  it("prices a lone 512-token chunk's attention on the 64 CUs its programs fill", () => {
    // Without the re-reads, whose bytes would bound the step instead.
    const g = { ...geometryOn('MI300X', { v0Engine: true }), prefillKvPassesPerToken: 0 };
    const filled = { ...g, prefillQueryTileShare: 0 };
    const attentionSec =
      (512 * 32000 * g.prefillAttentionFlopsPerContextToken) / g.peakAttentionFlops / DEFAULT_FACTORS.compute;
    const grew =
      stageStepSec(g, DEFAULT_FACTORS, 0, 0, 512, 32000) -
      stageStepSec(filled, DEFAULT_FACTORS, 0, 0, 512, 32000);
    // 4 tiles × 16 heads = 64 programs of 304 CUs: the attention takes 304/64 times as long.
    expect(grew).toBeCloseTo(attentionSec * (304 / 64 - 1), 6);
    // Enough tiles to fill the GPU run at the full rate.
    const full = 19 * PREFIX_PREFILL_QUERY_TILE;
    expect(stageStepSec(g, DEFAULT_FACTORS, 0, 0, full, 100)).toBeCloseTo(
      stageStepSec({ ...g, prefillQueryTileShare: 0 }, DEFAULT_FACTORS, 0, 0, full, 100),
      9,
    );
  });
});
