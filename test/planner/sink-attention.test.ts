/**
 * Models with attention sinks run vLLM's Triton unified attention below Hopper, whose prefill re-reads the context's
 * KV for every BLOCK_Q = 16 / (query heads per KV head) prompt tokens (vllm/attention/ops/triton_unified_attention.py).
 */
import { describe, expect, it } from 'vitest';
import { prefillKvPassesPerToken } from '../../src/planner/assumptions.js';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { kvBytesPerTokenPerGpu } from '../../src/planner/memory.js';
import { stageStepSec, stepGeometry } from '../../src/planner/step-time.js';
import { catalogGpu, catalogModel } from './catalog-knowledge.js';

const parallel = { tensorParallel: 1, pipelineParallel: 1 };
const gptOss = catalogModel('openai/gpt-oss-20b');
const geometryOn = (gpuId: string) =>
  stepGeometry(gptOss, catalogGpu(gpuId), 'mxfp4', parallel, kvBytesPerTokenPerGpu(gptOss, 'auto', parallel));

describe('prefill attention of sink models below Hopper', () => {
  it('reads the context once per BLOCK_Q query tokens on Ampere, and is counted once on Hopper', () => {
    // 64 query heads over 8 KV heads: 8 per KV head, 2 tokens in a 16-row block.
    expect(geometryOn('A100-80GB').prefillKvPassesPerToken).toBe(1 / 2);
    expect(geometryOn('H100').prefillKvPassesPerToken).toBe(0);
    // Past 16 query heads per KV head the block grows to hold one token's heads.
    const a100 = catalogGpu('A100-80GB');
    expect(prefillKvPassesPerToken({ attentionSinks: true, attentionHeads: 64, kvHeads: 2 }, a100, 1)).toBe(
      1,
    );
    expect(prefillKvPassesPerToken({ attentionSinks: false, attentionHeads: 64, kvHeads: 8 }, a100, 1)).toBe(
      0,
    );
  });

  it('makes a long-context prefill chunk stream those re-reads', () => {
    const g = geometryOn('A100-80GB');
    const once = stageStepSec({ ...g, prefillKvPassesPerToken: 0 }, DEFAULT_FACTORS, 0, 0, 2048, 16000);
    const reread = stageStepSec(g, DEFAULT_FACTORS, 0, 0, 2048, 16000);
    // Half the layers attend to the whole 16K context, the windowed half to its last 128 tokens.
    const rereadBytes = g.kvBytesPerToken * 2048 * 0.5 * (0.5 * 16000 + 0.5 * 128);
    const bandwidth = g.bandwidthBytesPerSec * DEFAULT_FACTORS.bandwidth;
    // The re-reads replace the attention's FLOP time as its bound: the step grows by most of their streaming time.
    expect(reread - once).toBeGreaterThan(0.5 * (rereadBytes / bandwidth));
    expect(reread - once).toBeLessThanOrEqual(rereadBytes / bandwidth + 1e-9);
  });
});
