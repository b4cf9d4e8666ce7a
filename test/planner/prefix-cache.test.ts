import { describe, expect, it } from 'vitest';
import { predictPerformance } from '../../src/planner/predict.js';
import { cachedPromptTokens, cachesPrefixesByDefault } from '../../src/planner/prefix-cache.js';
import type { PerformanceInput } from '../../src/planner/schema.js';
import { catalog, catalogKnowledge } from './catalog-knowledge.js';

const model = (id: string) => catalog.models.find((m) => m.id === id)!;

function ttftMean(input: PerformanceInput): number {
  const result = predictPerformance(input, catalogKnowledge);
  if (!result.ok) throw new Error(result.reason);
  return result.prediction.ttftMs.mean;
}

const onH100 = (modelId: string, prefixShare: number): PerformanceInput => ({
  modelId,
  gpuId: 'H100',
  gpuCount: 1,
  tensorParallel: 1,
  precision: 'bf16',
  promptTokens: 8192,
  outputTokens: 256,
  prefixShare,
  load: { kind: 'rate', value: 1 },
});

describe('prefix caching by default (vLLM 0.19.1)', () => {
  it('hits whole blocks only, and never the last prompt token', () => {
    expect(cachedPromptTokens(1000, 0.5, 16)).toBe(496);
    expect(cachedPromptTokens(1000, 0.9999, 16)).toBe(992);
  });

  it('is off for hybrid models (vllm/engine/arg_utils.py _set_default_args), on for attention-only ones', () => {
    expect(cachesPrefixesByDefault(model('Qwen/Qwen3.5-9B'))).toBe(false);
    expect(cachesPrefixesByDefault(model('nvidia/NVIDIA-Nemotron-Nano-9B-v2'))).toBe(false);
    expect(cachesPrefixesByDefault(model('Qwen/Qwen3-14B'))).toBe(true);
  });

  it('so a shared prompt prefix shortens TTFT for a dense model and not for a hybrid one', () => {
    expect(ttftMean(onH100('Qwen/Qwen3-14B', 0.5))).toBeLessThan(0.8 * ttftMean(onH100('Qwen/Qwen3-14B', 0)));
    expect(ttftMean(onH100('Qwen/Qwen3.5-9B', 0.5))).toBe(ttftMean(onH100('Qwen/Qwen3.5-9B', 0)));
  });
});
