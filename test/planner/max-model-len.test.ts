import { describe, expect, it } from 'vitest';
import { memoryBreakdown } from '../../src/conversation/details.js';
import type { Knowledge } from '../../src/knowledge/catalog.js';
import { readCatalogFiles } from '../../src/knowledge/data-files.js';
import { GIB } from '../../src/planner/assumptions.js';
import { planDeployment } from '../../src/planner/index.js';
import {
  kvCapacity,
  MAX_MODEL_LEN_KV_SHARE,
  plannedMaxModelLen,
  sequencePoolTokens,
} from '../../src/planner/memory.js';
import { buildSpec } from '../../src/spec/index.js';
import { intentWith } from '../fixtures/intent.js';
import { catalogModel } from './catalog-knowledge.js';

const tp1 = { tensorParallel: 1, pipelineParallel: 1 };

describe("a manifest's --max-model-len", () => {
  it('is what the margin of the pool holds as vLLM counts it: the whole length in full layers, the window in the rest', () => {
    const gptOss = catalogModel('openai/gpt-oss-120b');
    const capacity = kvCapacity(gptOss, { kvCacheDtype: 'auto', maxNumBatchedTokens: 8192 }, tp1, 5 * GIB);
    const planned = plannedMaxModelLen(capacity, tp1, 1e9);
    expect(planned % 16).toBe(0);
    // Within the margin of the pool, and no block short of it.
    expect(sequencePoolTokens(capacity, planned)).toBeLessThanOrEqual(
      capacity.kvTokens * MAX_MODEL_LEN_KV_SHARE,
    );
    expect(sequencePoolTokens(capacity, planned + 16)).toBeGreaterThan(
      capacity.kvTokens * MAX_MODEL_LEN_KV_SHARE,
    );
    // Half the layers hold only their window, so nearly twice what counting every layer in full allowed.
    expect(planned / (capacity.kvTokens * MAX_MODEL_LEN_KV_SHARE)).toBeGreaterThan(1.8);
    expect(plannedMaxModelLen(capacity, tp1, 131_072)).toBe(Math.min(131_072, planned));
  });

  it('keeps the old cap for a model whose every layer attends in full', () => {
    const capacity = kvCapacity(
      catalogModel('meta-llama/Llama-3.1-8B-Instruct'),
      { kvCacheDtype: 'auto', maxNumBatchedTokens: 8192 },
      tp1,
      5 * GIB,
    );
    expect(plannedMaxModelLen(capacity, tp1, 1e9)).toBe(
      Math.floor((capacity.kvTokens * MAX_MODEL_LEN_KV_SHARE) / 16) * 16,
    );
  });
});

describe('gpt-oss-120b on one H100 with 40K-token prompts', () => {
  const knowledge: Knowledge = { ...readCatalogFiles(), benchmarks: [] };
  const spec = buildSpec(
    intentWith({
      useCase: 'chatbot_conversational',
      users: 20,
      models: ['openai/gpt-oss-120b'],
      gpuTypes: ['H100'],
      promptTokens: 40_000,
      outputTokens: 1000,
      ttftP95Ms: 20_000,
      e2eP95Ms: 120_000,
    }),
    knowledge.useCases,
  );
  const plan = planDeployment(spec, knowledge);
  const option = [...plan.recommendations].find((candidate) => candidate.gpusPerReplica === 1)!;

  it('lets vLLM accept the longer requests its windowed cache holds, not only 90% of the full-length count', () => {
    expect(option).toBeDefined();
    const memory = memoryBreakdown(option, spec, knowledge)!;
    // The full-length count of the pool is below 100K tokens; the windowed layers make room for more than that.
    expect(memory.kvTokens).toBeLessThan(100_000);
    expect(option.engine.maxModelLen).toBeGreaterThan(100_000);
  });

  it('says in the Details how many such requests the cache holds at once, each at its peak', () => {
    const memory = memoryBreakdown(option, spec, knowledge)!;
    // Counting every layer in full, the cache would hold one 41K request; its windowed half holds only ~8K of each.
    expect(Math.floor(memory.kvTokens / 41_000)).toBe(1);
    expect(memory.concurrentRequests).toBeGreaterThanOrEqual(2);
  });
});
