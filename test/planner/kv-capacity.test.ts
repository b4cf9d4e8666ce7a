import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importedModel, readHfConfig } from '../../src/knowledge/hf-config.js';
import { packageRoot } from '../../src/paths.js';
import { GIB, type KvCacheDtype } from '../../src/planner/assumptions.js';
import {
  kvBytesPerTokenPerGpu,
  kvCapacity,
  recurrentStateBytesPerGpu,
  reportedKvCacheTokens,
} from '../../src/planner/memory.js';

const modelOf = (file: string) =>
  importedModel(
    readHfConfig(
      JSON.parse(readFileSync(join(packageRoot, 'test', 'fixtures', 'hf-configs', `${file}.json`), 'utf8')),
    ),
    { id: `test/${file}`, tasks: ['chatbot_conversational'], sourceUrl: 'file:///config.json' },
  );

interface KvCacheLog {
  architectureOf: string;
  tensorParallel: number;
  kvCacheDtype: KvCacheDtype;
  maxModelLen: number;
  availableKvGiB: number;
  gpuKvCacheTokens: number;
  maxConcurrency: number | null;
  source: string;
}
const { logs } = JSON.parse(
  readFileSync(join(packageRoot, 'data', 'benchmarks', 'kv-cache-logs.json'), 'utf8'),
) as { logs: KvCacheLog[] };

describe('KV-cache capacity against published vLLM start-up logs', () => {
  it('predicts "GPU KV cache size" from the logged pool within 10%, hybrid models included', () => {
    expect(logs.length).toBeGreaterThanOrEqual(3);
    for (const log of logs) {
      const model = modelOf(log.architectureOf.split('/')[1]!);
      const parallel = { tensorParallel: log.tensorParallel, pipelineParallel: 1 };
      const capacity = kvCapacity(model, log.kvCacheDtype, parallel, log.availableKvGiB * GIB);
      const predicted = reportedKvCacheTokens(capacity, log.maxModelLen);
      expect(Math.abs(predicted / log.gpuKvCacheTokens - 1), log.source).toBeLessThan(0.1);
      if (log.maxConcurrency !== null) {
        const concurrency = predicted / log.maxModelLen;
        expect(Math.abs(concurrency / log.maxConcurrency - 1), log.source).toBeLessThan(0.1);
      }
    }
  });

  it('would miss the hybrid logs by far if the recurrent state were ignored or every layer cached KV', () => {
    const hybrid = logs.find((log) => log.architectureOf === 'Qwen/Qwen3.5-35B-A3B')!;
    const model = modelOf('Qwen3.5-35B-A3B');
    const parallel = { tensorParallel: 1, pipelineParallel: 1 };
    const pool = hybrid.availableKvGiB * GIB;
    // 10 full-attention layers × 2 KV heads × 256 × (K, V) × 1 byte (fp8).
    expect(kvBytesPerTokenPerGpu(model, 'fp8', parallel)).toBe(10 * 2 * 256 * 2);
    const withoutState = pool / kvBytesPerTokenPerGpu(model, 'fp8', parallel);
    expect(withoutState / hybrid.gpuKvCacheTokens).toBeGreaterThan(1.1);
    const everyLayer = pool / (40 * 2 * 256 * 2);
    expect(everyLayer / hybrid.gpuKvCacheTokens).toBeLessThan(0.3);
  });
});

describe('KV cache per GPU under tensor and pipeline parallelism', () => {
  it('keeps the whole MLA latent on every TP rank and splits it only across pipeline stages', () => {
    const deepseek = modelOf('DeepSeek-V3');
    const latent = 61 * (512 + 64) * 2;
    for (const tensorParallel of [1, 8, 16]) {
      expect(kvBytesPerTokenPerGpu(deepseek, 'auto', { tensorParallel, pipelineParallel: 1 })).toBe(latent);
    }
    expect(kvBytesPerTokenPerGpu(deepseek, 'auto', { tensorParallel: 8, pipelineParallel: 2 })).toBe(
      31 * (512 + 64) * 2,
    );
    expect(kvBytesPerTokenPerGpu(deepseek, 'fp8', { tensorParallel: 8, pipelineParallel: 1 })).toBe(
      latent / 2,
    );
    // A grouped-query model of the same size shards its heads: GLM-4.6's 8 KV heads over TP 8 leave one per GPU.
    const glm = modelOf('GLM-4.6');
    expect(kvBytesPerTokenPerGpu(glm, 'auto', { tensorParallel: 8, pipelineParallel: 1 })).toBe(
      92 * 128 * 2 * 2,
    );
  });

  it('shards recurrent state with the heads and counts it once per sequence', () => {
    const nemotron = modelOf('NVIDIA-Nemotron-Nano-9B-v2');
    const state = 27 * ((10_240 + 2048) * 3 + 128 * 80 * 128) * 2;
    expect(recurrentStateBytesPerGpu(nemotron, { tensorParallel: 1, pipelineParallel: 1 })).toBe(state);
    expect(recurrentStateBytesPerGpu(nemotron, { tensorParallel: 2, pipelineParallel: 1 })).toBe(state / 2);
    const capacity = kvCapacity(nemotron, 'auto', { tensorParallel: 1, pipelineParallel: 1 }, 40 * GIB);
    // 4 attention layers × 8 heads × 128 × 2 × 2 bytes = 16 KiB per token; the state is ~4,400 tokens' worth.
    expect(capacity.stateTokensPerSequence).toBeCloseTo(state / 16_384, 6);
    const sequences = reportedKvCacheTokens(capacity, 8192) / 8192;
    expect(sequences).toBeCloseTo(capacity.kvTokens / (8192 + state / 16_384), 6);
    expect(modelOf('Mistral-Small-3.2-24B-Instruct-2506').architecture.layout).toBeUndefined();
  });
});
