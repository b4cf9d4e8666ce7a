import { describe, expect, it } from 'vitest';
import { KV_BLOCK_TOKENS } from '../../src/planner/assumptions.js';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { buildDeployment, systemFor } from '../../src/planner/deployment.js';
import { attendedContext, decodeStepSec } from '../../src/planner/step-time.js';
import { GPT_OSS_120B, H100 } from './fixtures.js';

// gpt-oss config.json: 36 layers, layer_types alternating sliding_attention (sliding_window 128) and full_attention.
// vLLM passes the window to the attention kernel per layer and its SlidingWindowManager frees the KV blocks behind it.
function gptOssOnTwoH100s() {
  const built = buildDeployment(GPT_OSS_120B, H100, 2, 2, 'mxfp4');
  if (!built.ok) throw new Error(built.reason);
  return built.deployment;
}

describe('sliding-window attention layers (gpt-oss)', () => {
  it('attend to the full context in half the layers and to the last 128 tokens in the other half', () => {
    const g = gptOssOnTwoH100s().geometry;
    expect(g.windowedLayerShare).toBe(0.5);
    expect(attendedContext(g, 100)).toBe(100);
    expect(attendedContext(g, 8192)).toBe((8192 + 128) / 2);
  });

  it('read the KV of a longer context only in the full-attention layers', () => {
    const g = gptOssOnTwoH100s().geometry;
    // One decoding sequence: weights and overheads are the same at both lengths, attention is memory-bound.
    const extraSec = decodeStepSec(g, DEFAULT_FACTORS, 1, 8192) - decodeStepSec(g, DEFAULT_FACTORS, 1, 1024);
    const fullLayersOnly = ((8192 - 1024) * g.kvBytesPerToken) / 2;
    expect(extraSec).toBeCloseTo(fullLayersOnly / (g.bandwidthBytesPerSec * DEFAULT_FACTORS.bandwidth), 9);
  });

  it('hold a window plus one block of KV per sequence, so a long sequence takes about half the KV pool', () => {
    const deployment = gptOssOnTwoH100s();
    const workload = { promptTokens: 8192, outputTokens: 1024, promptCv: 0, outputCv: 0 };
    const sys = systemFor(deployment, DEFAULT_FACTORS, workload);
    const held = 8192 + 1024 / 2 + KV_BLOCK_TOKENS / 2;
    const perSequence = held / 2 + (128 + KV_BLOCK_TOKENS) / 2;
    expect(sys.maxRunningLimitedBy).toBe('kv-cache');
    expect(sys.maxRunning).toBeCloseTo(deployment.memory.kvTokens / perSequence, 6);
    // Were every layer full attention, a sequence would take all `held` tokens: ~1.97× fewer sequences fit.
    expect(sys.maxRunning * held).toBeGreaterThan(1.9 * deployment.memory.kvTokens);
  });
});
