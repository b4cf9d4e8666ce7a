/**
 * V0 on ROCm runs attention kernels of its own: every chunked prefill goes through the Triton prefix-prefill kernel
 * (vllm/attention/ops/prefix_prefill.py, vllm-project/vllm#11146), whose grid is one program per query head and
 * 128-token query tile with no split over the context, and decode past 32K tokens falls back to the generic paged
 * attention, one block per query head (csrc/attention/paged_attention_v2.cu).
 */
import { describe, expect, it } from 'vitest';
import type { EngineSettings } from '../../src/knowledge/catalog.js';
import {
  PREFIX_PREFILL_QUERY_TILE,
  ROCM_CUSTOM_PAGED_ATTENTION_MAX_CONTEXT,
  rocmV0Attention,
} from '../../src/planner/assumptions.js';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { buildDeployment } from '../../src/planner/deployment.js';
import { stageStepSec } from '../../src/planner/step-time.js';
import { catalogGpu, catalogModel } from './catalog-knowledge.js';

const llama405b = catalogModel('meta-llama/Llama-3.1-405B-Instruct');
const mi300x = catalogGpu('MI300X');

function geometryOn(gpuId: string, engine: EngineSettings) {
  const result = buildDeployment(llama405b, catalogGpu(gpuId), 8, 8, 'bf16', engine);
  if (!result.ok) throw new Error(result.reason);
  return result.deployment.geometry;
}

describe("ROCm V0's attention kernels", () => {
  it('re-read the context once per query head: per 128-token tile in prefill, per token in long decode', () => {
    // 128 query heads and 8 KV heads over 8 ranks: 16 query heads on one KV head a rank.
    expect(rocmV0Attention(llama405b.architecture, mi300x, 8, true)).toEqual({
      prefillKvPassesPerToken: 16 / PREFIX_PREFILL_QUERY_TILE,
      prefillQueryTileShare: 16 / 304,
      decodeFallbackContext: ROCM_CUSTOM_PAGED_ATTENTION_MAX_CONTEXT,
      decodeFallbackKvReads: 16,
    });
    const chunked = geometryOn('MI300X', { v0Engine: true });
    expect(chunked.prefillKvPassesPerToken).toBe(16 / 128);
    expect(chunked.prefillQueryTileShare).toBe(16 / 304);
    expect(chunked.decodeFallbackContext).toBe(32768);
    // Unchunked V0 prefills with flash attention; its decode falls back the same.
    const unchunked = geometryOn('MI300X', { v0Engine: true, chunkedPrefill: false });
    expect([unchunked.prefillKvPassesPerToken, unchunked.prefillQueryTileShare]).toEqual([0, 0]);
    expect(unchunked.decodeFallbackKvReads).toBe(16);
    // V1, and CUDA's V0 (FlashAttention takes the paged context), run other kernels.
    for (const g of [geometryOn('MI300X', {}), geometryOn('H100', { v0Engine: true })]) {
      expect([g.prefillKvPassesPerToken, g.prefillQueryTileShare]).toEqual([0, 0]);
      expect(g.decodeFallbackContext).toBe(Number.POSITIVE_INFINITY);
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
      stageStepSec(filled, DEFAULT_FACTORS, 0, 0, full, 100),
      9,
    );
  });

  it("streams a long decode's KV once per query head past the custom kernel's 32K", () => {
    const g = geometryOn('MI300X', { v0Engine: true });
    const once = { ...g, decodeFallbackKvReads: 1 };
    const bandwidth = g.bandwidthBytesPerSec * DEFAULT_FACTORS.bandwidth;
    // One sequence at 128K: the KV streams 16 times instead of once.
    const extra =
      stageStepSec(g, DEFAULT_FACTORS, 1, 128000, 0, 0) -
      stageStepSec(once, DEFAULT_FACTORS, 1, 128000, 0, 0);
    expect(extra).toBeCloseTo((15 * 128000 * g.kvBytesPerToken) / bandwidth, 6);
    // Within 32K the custom kernel reads it once.
    expect(stageStepSec(g, DEFAULT_FACTORS, 1, 30000, 0, 0)).toBe(
      stageStepSec(once, DEFAULT_FACTORS, 1, 30000, 0, 0),
    );
  });
});
