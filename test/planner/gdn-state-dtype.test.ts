/**
 * Qwen3.5's Gated DeltaNet recurrent state is fp32 in vLLM: its config's `mamba_ssm_dtype` says so, and vLLM copies it
 * into cache_config.mamba_ssm_cache_dtype (vllm-project/vllm#34489); the conv state stays at 16 bits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importedModel, readHfConfig } from '../../src/knowledge/hf-config.js';
import { packageRoot } from '../../src/paths.js';
import { GIB } from '../../src/planner/assumptions.js';
import { kvCapacity, reportedKvCacheTokens } from '../../src/planner/memory.js';
import { catalogModel } from './catalog-knowledge.js';

const modelOf = (file: string) =>
  importedModel(
    readHfConfig(
      JSON.parse(readFileSync(join(packageRoot, 'test', 'fixtures', 'hf-configs', `${file}.json`), 'utf8')),
    ),
    { id: `test/${file}`, tasks: ['chatbot_conversational'], sourceUrl: 'file:///config.json' },
  );

// One Gated DeltaNet layer of Qwen3.5 / Qwen3-Next: conv state (2 × 16 × 128 + 32 × 128) × 3 at 16 bits, recurrent
// state 32 value heads × 128 × 128.
const convBytes = 8192 * 3 * 2;
const recurrentValues = 32 * 128 * 128;

describe('Gated DeltaNet state dtype', () => {
  it("counts Qwen3.5's recurrent state at fp32 and Qwen3-Next's (no mamba_ssm_dtype) at 16 bits", () => {
    expect(modelOf('Qwen3.5-35B-A3B').architecture.layout?.recurrent?.stateBytes).toBe(
      30 * (convBytes + recurrentValues * 4),
    );
    expect(modelOf('Qwen3-Next-80B-A3B-Instruct').architecture.layout?.recurrent?.stateBytes).toBe(
      36 * (convBytes + recurrentValues * 2),
    );
  });

  it('records the fp32 state in the catalog entries of Qwen3.5', () => {
    expect(catalogModel('Qwen/Qwen3.5-35B-A3B').architecture.layout?.recurrent?.stateBytes).toBe(
      30 * (convBytes + recurrentValues * 4),
    );
    expect(catalogModel('Qwen/Qwen3.5-9B').architecture.layout?.recurrent?.stateBytes).toBe(
      24 * (convBytes + recurrentValues * 4),
    );
  });

  it('predicts the logged KV cache size of a Qwen3.5-architecture model within 6% (7.8% off at 16 bits)', () => {
    // Qwen3.6-35B-A3B on vLLM 0.24.0, fp8 KV cache, max_model_len 131072 (noonghunna/club-3090#612).
    const capacity = kvCapacity(
      modelOf('Qwen3.5-35B-A3B'),
      { kvCacheDtype: 'fp8', maxNumBatchedTokens: 8192 },
      { tensorParallel: 1, pipelineParallel: 1 },
      5.98 * GIB,
    );
    expect(Math.abs(reportedKvCacheTokens(capacity, 131072) / 567978 - 1)).toBeLessThan(0.06);
  });
});
