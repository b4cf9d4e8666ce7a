import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importedModel, readHfConfig } from '../../src/knowledge/hf-config.js';
import { packageRoot } from '../../src/paths.js';
import { GIB, type KvCacheDtype } from '../../src/planner/assumptions.js';
import { buildDeployment } from '../../src/planner/deployment.js';
import {
  checkMemory,
  kvBytesPerToken,
  kvBytesPerTokenPerGpu,
  kvCapacity,
  longestRequestTokens,
  recurrentStateBytesPerGpu,
  reportedKvCacheTokens,
  sequencePoolTokens,
} from '../../src/planner/memory.js';
import { catalogGpu, catalogModel } from './catalog-knowledge.js';
import { QWEN25_05B } from './fixtures.js';

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
// None of the logged models has windowed layers, the only ones whose share of a sequence reads the chunk size.
const loggedEngine = (kvCacheDtype: KvCacheDtype) => ({ kvCacheDtype, maxNumBatchedTokens: 8192 });

const { logs } = JSON.parse(
  readFileSync(join(packageRoot, 'data', 'benchmarks', 'kv-cache-logs.json'), 'utf8'),
) as { logs: KvCacheLog[] };

describe('KV-cache capacity against published vLLM start-up logs', () => {
  it('predicts "GPU KV cache size" from the logged pool within 10%, hybrid models included', () => {
    expect(logs.length).toBeGreaterThanOrEqual(3);
    for (const log of logs) {
      const model = modelOf(log.architectureOf.split('/')[1]!);
      const parallel = { tensorParallel: log.tensorParallel, pipelineParallel: 1 };
      const capacity = kvCapacity(model, loggedEngine(log.kvCacheDtype), parallel, log.availableKvGiB * GIB);
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
    const capacity = kvCapacity(
      nemotron,
      loggedEngine('auto'),
      { tensorParallel: 1, pipelineParallel: 1 },
      40 * GIB,
    );
    // 4 attention layers × 8 heads × 128 × 2 × 2 bytes = 16 KiB per token; the state is ~4,400 tokens' worth.
    expect(capacity.stateTokensPerSequence).toBeCloseTo(state / 16_384, 6);
    const sequences = reportedKvCacheTokens(capacity, 8192) / 8192;
    expect(sequences).toBeCloseTo(capacity.kvTokens / (8192 + state / 16_384), 6);
    expect(modelOf('Mistral-Small-3.2-24B-Instruct-2506').architecture.layout).toBeUndefined();
  });
});

describe('windowed layers in the longest request and the logged KV cache size', () => {
  const gptOss120b = catalogModel('openai/gpt-oss-120b');
  const h100 = catalogGpu('H100');
  const tp1 = { tensorParallel: 1, pipelineParallel: 1 };

  it('holds only the window plus a prefill chunk of a long sequence in gpt-oss sliding layers, as vLLM sizes them', () => {
    for (const model of [catalogModel('openai/gpt-oss-20b'), gptOss120b]) {
      const capacity = kvCapacity(model, { kvCacheDtype: 'auto', maxNumBatchedTokens: 8192 }, tp1, 20 * GIB);
      // layer_types alternates sliding_attention (window 128) and full_attention.
      expect(capacity.windowedLayerShare, model.id).toBe(0.5);
      // SlidingWindowSpec.max_memory_usage_bytes: the window's last 127 tokens + a chunk of 8192 + one block.
      expect(capacity.windowPeakTokens, model.id).toBe(127 + 8192 + 16);
      expect(sequencePoolTokens(capacity, 131_072), model.id).toBe(0.5 * 131_072 + 0.5 * (127 + 8192 + 16));
      expect(sequencePoolTokens(capacity, 100), model.id).toBe(100);
    }
  });

  it('reports "GPU KV cache size" for gpt-oss-120b as vLLM counts blocks across its two layer groups', () => {
    const pool = 20 * GIB;
    const maxModelLen = 131_072;
    const maxNumBatchedTokens = 2048;
    const capacity = kvCapacity(gptOss120b, { kvCacheDtype: 'auto', maxNumBatchedTokens }, tp1, pool);
    // vLLM: 18 full + 18 sliding layers make two groups of 18 sharing one pool of blocks of 16 tokens × 8 KV heads ×
    // 64 × (K, V) × 2 bytes per layer; a max_model_len request takes cdiv(L, 16) blocks of the full group and
    // cdiv(min(127 + max_num_batched_tokens, L), 16) + 1 of the sliding one (get_max_concurrency_for_kv_cache_config).
    const page = 16 * 8 * 64 * 2 * 2;
    const blocks = Math.floor(pool / (page * 18));
    const perRequest = Math.ceil(maxModelLen / 16) + Math.ceil((127 + maxNumBatchedTokens) / 16) + 1;
    const logged = (blocks / perRequest) * maxModelLen;
    expect(Math.abs(reportedKvCacheTokens(capacity, maxModelLen) / logged - 1)).toBeLessThan(0.002);
    // Counting the sliding layers' full length would log about half.
    expect(capacity.kvTokens / logged).toBeLessThan(0.52);
  });

  it('admits a gpt-oss-120b request whose full-length KV would overflow one H100 but whose windowed KV fits', () => {
    const deployment = buildDeployment(gptOss120b, h100, 1, 1, 'mxfp4');
    expect(deployment.ok).toBe(true);
    if (!deployment.ok) return;
    const { memory } = deployment.deployment;
    const fits = (tokens: number) => checkMemory(gptOss120b, h100, 'mxfp4', tp1, memory, tokens);
    const long = 100_000;
    expect(memory.kvTokens).toBeLessThan(long);
    expect(fits(long)).toEqual({ ok: true });
    // The full-attention half still grows with the request: twice the pool is beyond it.
    const refused = fits(2 * memory.kvTokens);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.reason).toMatch(/KV room for \d+ tokens; one request needs \d+/);
  });
});

describe('the longest request a pool holds', () => {
  it('inverts the pool tokens a sequence takes, windowed layers, recurrent state and data parallelism included', () => {
    const windowed = {
      kvTokens: 100_000,
      stateTokensPerSequence: 0,
      windowedLayerShare: 0.5,
      windowPeakTokens: 8335,
    };
    const tp1 = { tensorParallel: 1, pipelineParallel: 1 };
    const longest = longestRequestTokens(windowed, tp1);
    expect(longest).toBeCloseTo(2 * 100_000 - 8335, 6);
    expect(sequencePoolTokens(windowed, longest)).toBeCloseTo(100_000, 6);
    const full = { ...windowed, windowedLayerShare: 0, stateTokensPerSequence: 500 };
    expect(longestRequestTokens(full, tp1)).toBe(99_500);
    expect(longestRequestTokens(full, { ...tp1, dataParallel: 4 })).toBe(24_500);
    expect(longestRequestTokens({ ...windowed, kvTokens: 5000 }, tp1)).toBe(5000);
  });
});

describe('Gemma 3 27B: five sliding layers of 1024 tokens to each full one', () => {
  const gemma = catalogModel('google/gemma-3-27b-it');
  const tp1 = { tensorParallel: 1, pipelineParallel: 1 };

  it('holds a long sequence in its full-attention layers and only the window in the rest', () => {
    const capacity = kvCapacity(gemma, { kvCacheDtype: 'auto', maxNumBatchedTokens: 2048 }, tp1, 40 * GIB);
    // 62 layers × 16 KV heads × 128 × (K, V) × 2 bytes per token; 52 of the 62 are windowed.
    expect(capacity.kvBytesPerTokenPerGpu).toBe(507_904);
    expect(capacity.windowedLayerShare).toBeCloseTo(52 / 62, 12);
    expect(capacity.windowPeakTokens).toBe(1023 + 2048 + 16);
    const longest = longestRequestTokens(capacity, tp1);
    // Counting every layer in full would hold ~84.6K tokens; the windows leave room for about five times that.
    expect(capacity.kvTokens).toBeLessThan(90_000);
    expect(longest / capacity.kvTokens).toBeGreaterThan(4);
    expect(reportedKvCacheTokens(capacity, 131_072) / capacity.kvTokens).toBeGreaterThan(4);
  });

  it('serves its full 128K context on one H100, which counting every layer in full refused', () => {
    const h100 = catalogGpu('H100');
    const deployment = buildDeployment(gemma, h100, 1, 1, 'bf16');
    expect(deployment.ok).toBe(true);
    if (!deployment.ok) return;
    const { memory } = deployment.deployment;
    expect(memory.kvTokens).toBeLessThan(131_072);
    expect(checkMemory(gemma, h100, 'bf16', tp1, memory, 131_072)).toEqual({ ok: true });
  });
});

describe('the Qwen2.5-0.5B measurement fixture', () => {
  // Its config.json sets no head_dim; vLLM's Qwen2Attention takes hidden_size // num_attention_heads (qwen2.py): 64.
  it('caches KV heads of the width vLLM derives: 24 layers × 2 KV heads × 64 × (K, V) × 2 bytes', () => {
    const imported = importedModel(
      readHfConfig({
        architectures: ['Qwen2ForCausalLM'],
        model_type: 'qwen2',
        hidden_size: 896,
        intermediate_size: 4864,
        num_attention_heads: 14,
        num_hidden_layers: 24,
        num_key_value_heads: 2,
        vocab_size: 151936,
        tie_word_embeddings: true,
        max_position_embeddings: 32768,
        torch_dtype: 'bfloat16',
      }),
      { id: 'test/qwen2.5-0.5b', tasks: ['chatbot_conversational'], sourceUrl: 'file:///config.json' },
    );
    expect(QWEN25_05B.architecture.headDim).toBe(imported.architecture.headDim);
    expect(kvBytesPerToken(QWEN25_05B)).toBe(24 * 2 * 64 * 2 * 2);
  });
});
