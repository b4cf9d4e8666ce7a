/**
 * A Mamba-2 layer prefills its prompt tokens through the SSD chunked scan (vLLM's mamba_chunk_scan_combined_varlen),
 * Triton kernels that run at a small share of the tensor cores (SSD_SCAN_SHARE) beside the mixer's projections.
 */
import { describe, expect, it } from 'vitest';
import { layoutOf, ssdFlopsPerToken } from '../../src/knowledge/architecture.js';
import { SSD_SCAN_SHARE } from '../../src/planner/assumptions.js';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { buildDeployment } from '../../src/planner/deployment.js';
import { stageStepSec } from '../../src/planner/step-time.js';
import { catalogGpu, catalogModel } from './catalog-knowledge.js';

const nemotronNano = catalogModel('nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16');
const b200 = catalogGpu('B200');

function geometryAt(tensorParallel: number) {
  const result = buildDeployment(nemotronNano, b200, tensorParallel, tensorParallel, 'fp8');
  if (!result.ok) throw new Error(result.reason);
  return result.deployment.geometry;
}

describe('Mamba-2 chunked scan', () => {
  it('counts the state in and out of every chunk and the causal chunk product per token', () => {
    // 23 layers of 64 heads × 64, state 128, 8 groups, chunk 128: Bᵀx and C·state 2 × 64·64·128 each, C·Bᵀ
    // 2 × 128·8·128, (C·Bᵀ ∘ decay)·x 128 × 64·64.
    const perLayer = 4 * 64 * 64 * 128 + 2 * 128 * 8 * 128 + 128 * 64 * 64;
    expect(ssdFlopsPerToken(nemotronNano.architecture)).toBe(23 * perLayer);
    const { recurrent, ...rest } = layoutOf(nemotronNano.architecture);
    const withoutSsd = { ...nemotronNano.architecture, layout: { ...rest, recurrent: null } };
    expect(ssdFlopsPerToken(withoutSsd)).toBe(0);
    expect(recurrent?.kind).toBe('mamba2');
  });

  it('adds its FLOPs at the SSD kernels rate to prompt tokens only, split over TP', () => {
    const g = geometryAt(2);
    expect(g.ssdFlopsPerPromptToken).toBe(ssdFlopsPerToken(nemotronNano.architecture) / 2);
    expect(g.peakSsdFlops).toBe(SSD_SCAN_SHARE * 2250e12);
    const noScan = { ...g, ssdFlopsPerPromptToken: 0 };
    const prefill = (geometry: typeof g) => stageStepSec(geometry, DEFAULT_FACTORS, 32, 2048, 8192, 1024);
    expect(prefill(g) - prefill(noScan)).toBeCloseTo((8192 * g.ssdFlopsPerPromptToken) / g.peakSsdFlops, 12);
    const decode = (geometry: typeof g) => stageStepSec(geometry, DEFAULT_FACTORS, 32, 2048, 0, 0);
    expect(decode(g)).toBe(decode(noScan));
  });
});
