import { describe, expect, it } from 'vitest';
import {
  ACTIVATION_BYTES,
  collectiveBusBytesPerSec,
  LINK_EFFICIENCY,
} from '../../src/planner/assumptions.js';
import { stepGeometry } from '../../src/planner/step-time.js';
import { catalogGpu, catalogModel } from './catalog-knowledge.js';

const mi300x = catalogGpu('MI300X');
const h100 = catalogGpu('H100');
const llama405b = catalogModel('meta-llama/Llama-3.1-405B-Instruct');
const tp = (tensorParallel: number) => ({ tensorParallel, pipelineParallel: 1 });
/** Seconds one all-reduce adds per token: the token's activations over the ring share of the bus bandwidth. */
const perTokenSec = (tensorParallel: number) =>
  stepGeometry(llama405b, mi300x, 'fp8', tp(tensorParallel), 0).allReduceSecPerToken;

describe('all-reduce bandwidth on an xGMI mesh (MI300X: one 64 GB/s link to each of 7 peers)', () => {
  it('uses the N − 1 links a TP group of N has, at the usual link efficiency', () => {
    // ROCm/aiter#801: vLLM's custom all-reduce adds 21.9 µs per MiB at TP2 on MI300X, 48 GB/s over its one link.
    expect(collectiveBusBytesPerSec(mi300x, 2)).toBeCloseTo(64e9 * LINK_EFFICIENCY, -6);
    expect(collectiveBusBytesPerSec(mi300x, 4)).toBeCloseTo(3 * 64e9 * LINK_EFFICIENCY, -6);
    const hidden = llama405b.architecture.hiddenSize * ACTIVATION_BYTES;
    expect(perTokenSec(2)).toBeCloseTo(hidden / (64e9 * LINK_EFFICIENCY), 12);
  });

  it('at TP8 reaches the ~160 GB/s bus bandwidth all-reduce kernels measure, not the 7 links at full efficiency', () => {
    // 8 MI300X: RCCL 161 GB/s at 8 MB; vLLM's custom all-reduce 168 GB/s at 0.75–1.5 MiB on 8 MI355X.
    expect(collectiveBusBytesPerSec(mi300x, 8) / 1e9).toBeGreaterThan(150);
    expect(collectiveBusBytesPerSec(mi300x, 8) / 1e9).toBeLessThan(170);
    // 405B at TP8 sends 32 KiB a token through each of its 252 all-reduces: ~0.35 µs a token each, not ~0.17.
    expect(perTokenSec(8)).toBeGreaterThan(0.3e-6);
  });

  it('leaves switched NVLink groups at the link rate whatever their size', () => {
    const nvlink = (h100.interconnect.bandwidthGBps / 2) * 1e9 * LINK_EFFICIENCY;
    for (const n of [2, 4, 8]) expect(collectiveBusBytesPerSec(h100, n)).toBe(nvlink);
  });
});
