import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Model, USE_CASE_IDS } from '../../src/knowledge/catalog.js';
import { readCatalogFiles } from '../../src/knowledge/data-files.js';
import type { HfModelFacts } from '../../src/knowledge/hf-config.js';
import {
  HfConfigError,
  importedModel,
  readHfConfig,
  supportedTasks,
  UNDERSTOOD_MODEL_TYPES,
} from '../../src/knowledge/hf-config.js';
import { packageRoot } from '../../src/paths.js';
import { kvBytesPerToken } from '../../src/planner/memory.js';

const FIXTURES = join(packageRoot, 'test', 'fixtures', 'hf-configs');
type Json = Record<string, unknown>;
const config = (name: string): Json => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));
const catalog = readCatalogFiles();

const asModel = (facts: HfModelFacts, id = 'test/model') =>
  importedModel(facts, { id, tasks: ['chatbot_conversational'], sourceUrl: 'file:///tmp/config.json' });

/** The problems readHfConfig reports for a config it refuses. */
function problemsOf(json: unknown): string {
  try {
    readHfConfig(json);
  } catch (error) {
    expect(error).toBeInstanceOf(HfConfigError);
    return (error as HfConfigError).problems.join('\n');
  }
  throw new Error('the config was accepted');
}

/**
 * Published sizes (test/fixtures/hf-configs/SOURCES.md), in billions. Publishers count active parameters of MoE
 * models differently: `both` vocabulary matrices, the `unembedding` (LM head) only, or `none` of them.
 */
const PUBLISHED: Record<
  string,
  {
    total: number;
    active?: number;
    activeCounts?: 'both' | 'unembedding' | 'none';
    /** The publisher rounds the active count to whole billions ("80B in total and 3B activated"). */
    activeRounded?: boolean;
  }
> = {
  'Llama-3.1-8B-Instruct': { total: 8.03 },
  'Llama-3.1-70B-Instruct': { total: 70.6 },
  'Mistral-7B-Instruct-v0.3': { total: 7.25 },
  'Mixtral-8x7B-Instruct-v0.1': { total: 46.7, active: 12.9, activeCounts: 'both' },
  'Qwen2.5-7B-Instruct': { total: 7.61 },
  'Qwen1.5-MoE-A2.7B-Chat': { total: 14.3, active: 2.7, activeCounts: 'both' },
  'Qwen3-14B': { total: 14.8 },
  'Qwen3-30B-A3B': { total: 30.5, active: 3.3, activeCounts: 'both' },
  'gemma-2-9b-it': { total: 9.24 },
  // 27.4B includes the ~0.4B vision encoder, which is not counted (the language model is what is served per token).
  'gemma-3-27b-it': { total: 27.4 },
  'granite-3.1-8b-instruct': { total: 8.17 },
  'granite-3.1-3b-a800m-instruct': { total: 3.3, active: 0.8, activeCounts: 'none' },
  'phi-4': { total: 14.7 },
  'Phi-3-mini-4k-instruct': { total: 3.8 },
  'gpt-oss-20b': { total: 20.9, active: 3.6, activeCounts: 'unembedding' },
  'gpt-oss-120b': { total: 116.8, active: 5.1, activeCounts: 'unembedding' },
  // Multi-token-prediction layers are not counted: DeepSeek's 671B leaves its 14B MTP module out (685B with it).
  'Qwen3-235B-A22B': { total: 235, active: 22, activeCounts: 'both' },
  'DeepSeek-V3': { total: 671, active: 37, activeCounts: 'both' },
  'DeepSeek-V3.2': { total: 671, active: 37, activeCounts: 'both' },
  'Kimi-K2-Instruct': { total: 1040, active: 32.6, activeCounts: 'both' },
  // Zhipu's active counts leave both vocabulary matrices out (12.2B of 13.4B).
  'GLM-4.5-Air': { total: 106, active: 12, activeCounts: 'none' },
  'GLM-4.6': { total: 355, active: 32, activeCounts: 'none' },
  // Meta's 109B / 17B include the vision encoder, which is not counted.
  'Llama-4-Scout-17B-16E-Instruct': { total: 109, active: 17, activeCounts: 'both' },
  'Qwen3-Next-80B-A3B-Instruct': { total: 80, active: 3, activeCounts: 'none', activeRounded: true },
  'Qwen3.5-35B-A3B': { total: 35, active: 3, activeCounts: 'both', activeRounded: true },
  'Mistral-Small-3.2-24B-Instruct-2506': { total: 24 },
  // Mistral states the language model (8.4B) and the vision encoder (0.4B) separately.
  'Ministral-3-8B-Instruct-2512': { total: 8.4 },
  'NVIDIA-Nemotron-Nano-9B-v2': { total: 8.89 },
  // NVIDIA's report: 31.6B total, 3.6B active with the embeddings.
  'NVIDIA-Nemotron-3-Nano-30B-A3B-BF16': { total: 31.6, active: 3.6, activeCounts: 'both' },
};

/** Fixtures of models the catalog holds, by catalog id. */
const CATALOGUED: Record<string, string> = {
  'Llama-3.1-8B-Instruct': 'meta-llama/Llama-3.1-8B-Instruct',
  'Llama-3.1-70B-Instruct': 'meta-llama/Llama-3.1-70B-Instruct',
  'Mistral-7B-Instruct-v0.3': 'mistralai/Mistral-7B-Instruct-v0.3',
  'Mixtral-8x7B-Instruct-v0.1': 'mistralai/Mixtral-8x7B-Instruct-v0.1',
  'Qwen2.5-7B-Instruct': 'Qwen/Qwen2.5-7B-Instruct',
  'Qwen3-14B': 'Qwen/Qwen3-14B',
  'Qwen3-30B-A3B': 'Qwen/Qwen3-30B-A3B',
  'gemma-3-27b-it': 'google/gemma-3-27b-it',
  'granite-3.1-8b-instruct': 'ibm-granite/granite-3.1-8b-instruct',
  'phi-4': 'microsoft/phi-4',
  'gpt-oss-20b': 'openai/gpt-oss-20b',
  'gpt-oss-120b': 'openai/gpt-oss-120b',
};

const within = (derived: number, published: number) => Math.abs(derived / published - 1);

describe('readHfConfig on published configs', () => {
  it('derives exactly the architecture the catalog records from the same config.json', () => {
    for (const [file, id] of Object.entries(CATALOGUED)) {
      const entry = catalog.models.find((model) => model.id === id);
      if (!entry) throw new Error(`${id} is not in the catalog`);
      const facts = readHfConfig(config(file));
      expect(facts.architecture, file).toEqual(entry.architecture);
      expect(within(facts.paramsTotal / 1e9, entry.paramsTotalB), file).toBeLessThan(0.02);
    }
  });

  it('counts total and active parameters within 2% of the published sizes', () => {
    for (const [file, published] of Object.entries(PUBLISHED)) {
      const facts = readHfConfig(config(file));
      const { vocabSize, hiddenSize, tiedEmbeddings, moe } = facts.architecture;
      expect(within(facts.paramsTotal / 1e9, published.total), `${file} total`).toBeLessThan(0.02);
      if (moe === null) {
        expect(facts.paramsActive, `${file} is dense`).toBe(facts.paramsTotal);
        continue;
      }
      expect(facts.paramsActive, file).toBeLessThan(facts.paramsTotal / 3);
      const vocabulary = vocabSize * hiddenSize;
      const uncounted = {
        both: 0,
        unembedding: tiedEmbeddings ? 0 : vocabulary,
        none: vocabulary * (tiedEmbeddings ? 1 : 2),
      }[published.activeCounts ?? 'both'];
      expect(published.active, file).toBeDefined();
      const active = (facts.paramsActive - uncounted) / 1e9;
      if (published.activeRounded) expect(Math.abs(active - published.active!), file).toBeLessThan(0.5);
      else expect(within(active, published.active!), `${file} active`).toBeLessThan(0.02);
    }
  });

  it('gives KV-cache bytes per token exactly, as the planner computes them', () => {
    // 2 (K and V) × 2 bytes × layers × KV heads × head dim, e.g. the 128 KiB per token of Llama 3.1 8B.
    const known: Record<string, number> = {
      'Llama-3.1-8B-Instruct': 131_072,
      'Llama-3.1-70B-Instruct': 327_680,
      'Mistral-7B-Instruct-v0.3': 131_072,
      'Qwen3-30B-A3B': 98_304,
      'gemma-3-27b-it': 507_904,
      'Phi-3-mini-4k-instruct': 393_216,
      'gpt-oss-120b': 73_728,
      // Latent attention: 61 layers × (kv_lora_rank 512 + qk_rope_head_dim 64) × 2 bytes, whatever the 128 (or 64) heads.
      'DeepSeek-V3': 61 * (512 + 64) * 2,
      'Kimi-K2-Instruct': 61 * (512 + 64) * 2,
      // GLM: 46 / 92 layers × 8 KV heads × 128 × 2 (K, V) × 2 bytes.
      'GLM-4.5-Air': 46 * 8 * 128 * 2 * 2,
      'GLM-4.6': 92 * 8 * 128 * 2 * 2,
      // Llama 4 Scout: all 48 layers cache K and V (36 of them only within 8,192-token chunks).
      'Llama-4-Scout-17B-16E-Instruct': 48 * 8 * 128 * 2 * 2,
      // Hybrids: only the full-attention layers cache per token (12 of 48, 10 of 40, 4 of 56).
      'Qwen3-Next-80B-A3B-Instruct': 12 * 2 * 256 * 2 * 2,
      'Qwen3.5-35B-A3B': 10 * 2 * 256 * 2 * 2,
      'NVIDIA-Nemotron-Nano-9B-v2': 4 * 8 * 128 * 2 * 2,
      // Mistral Small 3.2: 40 × 8 × 128 × 2 × 2 = 163,840, the figure vLLM's start-up log matched exactly.
      'Mistral-Small-3.2-24B-Instruct-2506': 163_840,
      'Ministral-3-8B-Instruct-2512': 34 * 8 * 128 * 2 * 2,
    };
    for (const [file, bytes] of Object.entries(known)) {
      expect(readHfConfig(config(file)).kvBytesPerToken, file).toBe(bytes);
    }
    for (const file of Object.keys(PUBLISHED)) {
      const facts = readHfConfig(config(file));
      expect(kvBytesPerToken(asModel(facts)), file).toBe(facts.kvBytesPerToken);
      const catalogued = catalog.models.find((model) => model.id === CATALOGUED[file]);
      if (catalogued) expect(kvBytesPerToken(catalogued), file).toBe(facts.kvBytesPerToken);
    }
  });

  it('imports a config of every family it understands as a valid catalog model', () => {
    const files = [...Object.keys(PUBLISHED), 'Qwen2.5-72B-Instruct-AWQ', 'Qwen3-14B-FP8'];
    const seen = new Set<string>();
    for (const file of files) {
      const facts = readHfConfig(config(file));
      seen.add(facts.modelType);
      const model = asModel(facts, `test/${file}`);
      expect(Model.safeParse(model).success, file).toBe(true);
      expect(model.quality, file).toEqual({});
      expect(model.precisions, file).toEqual([{ precision: facts.precision, checkpoint: `test/${file}` }]);
    }
    // Gemma 3 text-only checkpoints (1B) put the language model at the top level as gemma3_text.
    const gemma3 = config('gemma-3-27b-it');
    const textOnly = readHfConfig({ ...(gemma3.text_config as Json), torch_dtype: 'bfloat16' });
    seen.add(textOnly.modelType);
    expect(textOnly.architecture).toEqual(readHfConfig(gemma3).architecture);
    // So do text-only exports of the other wrapped language models.
    for (const file of [
      'Llama-4-Scout-17B-16E-Instruct',
      'Qwen3.5-35B-A3B',
      'Ministral-3-8B-Instruct-2512',
    ]) {
      const wrapped = config(file);
      const alone = readHfConfig({ ...(wrapped.text_config as Json), torch_dtype: 'bfloat16' });
      seen.add(alone.modelType);
      expect(alone.architecture, file).toEqual(readHfConfig(wrapped).architecture);
    }
    // Dense Qwen3.5 models keep the hybrid layout with one FFN per layer instead of experts.
    const moe = config('Qwen3.5-35B-A3B');
    const {
      num_experts: _e,
      num_experts_per_tok: _k,
      moe_intermediate_size: _m,
      ...denseText
    } = moe.text_config as Json;
    const dense = readHfConfig({
      ...moe,
      model_type: 'qwen3_5',
      text_config: { ...denseText, model_type: 'qwen3_5_text', intermediate_size: 17_408 },
    });
    seen.add(dense.modelType).add('qwen3_5_text');
    expect(dense.architecture.moe).toBeNull();
    expect(dense.architecture.layout?.recurrent?.layers).toBe(30);
    expect(dense.paramsActive).toBe(dense.paramsTotal);
    expect([...seen].sort()).toEqual(UNDERSTOOD_MODEL_TYPES);
  });

  it('reads the served precision from the dtype and the quantization config', () => {
    const precision = (json: Json) => readHfConfig(json).precision;
    expect(precision(config('Qwen3-14B'))).toBe('bf16');
    expect(precision(config('Qwen3-14B-FP8'))).toBe('fp8');
    expect(precision(config('Qwen2.5-72B-Instruct-AWQ'))).toBe('int4');
    expect(precision(config('gpt-oss-120b'))).toBe('mxfp4');
    const llama = config('Llama-3.1-8B-Instruct');
    const compressed = (weights: Json, input_activations: Json | null = null) => ({
      ...llama,
      quantization_config: {
        quant_method: 'compressed-tensors',
        config_groups: { group_0: { targets: ['Linear'], weights, input_activations } },
      },
    });
    expect(precision(compressed({ num_bits: 4, type: 'int', group_size: 128 }))).toBe('int4');
    expect(precision(compressed({ num_bits: 8, type: 'float', strategy: 'channel' }))).toBe('fp8');
    // RedHatAI's quantized.w8a8 checkpoints: INT8 weights per channel, INT8 activations per token.
    expect(
      precision(
        compressed(
          { num_bits: 8, type: 'int', strategy: 'channel' },
          { num_bits: 8, type: 'int', dynamic: true },
        ),
      ),
    ).toBe('w8a8');
    // llm-compressor's NVFP4 scheme: 4-bit floats in groups of 16; ModelOpt's NVFP4 export says so by name.
    expect(precision(compressed({ num_bits: 4, type: 'float', group_size: 16 }))).toBe('nvfp4');
    expect(
      precision({ ...llama, quantization_config: { quant_method: 'modelopt', quant_algo: 'NVFP4' } }),
    ).toBe('nvfp4');
    expect(
      precision({ ...llama, quantization_config: { quant_method: 'modelopt', quant_algo: 'FP8' } }),
    ).toBe('fp8');
    expect(precision({ ...llama, quantization_config: { quant_method: 'gptq', bits: 4 } })).toBe('int4');
    expect(precision({ ...llama, torch_dtype: 'float16' })).toBe('bf16');
    const float32 = readHfConfig({ ...llama, torch_dtype: 'float32' });
    expect(float32.precision).toBe('bf16');
    expect(float32.notes.join('\n')).toMatch(/float32: vLLM serves it at 16 bits/);

    expect(problemsOf(compressed({ num_bits: 8, type: 'int' }))).toMatch(
      /config_groups store 8-bit int weights; Compass plans FP8, W8A8 and 4-bit weights only/,
    );
    expect(problemsOf({ ...llama, quantization_config: { quant_method: 'gptq', bits: 8 } })).toMatch(
      /quantization_config.bits is 8/,
    );
    expect(problemsOf({ ...llama, quantization_config: { quant_method: 'bitsandbytes' } })).toMatch(
      /quant_method "bitsandbytes" is not understood; Compass reads fp8, .*awq/,
    );
    expect(problemsOf({ ...llama, torch_dtype: 'bfloat16', dtype: 'float16' })).toMatch(
      /torch_dtype \("bfloat16"\) and dtype \("float16"\) disagree/,
    );
  });
});

describe('readHfConfig on architectures whose layers are not all alike', () => {
  it('reads latent attention as one compressed latent per layer and DeepSeek MoE as dense, shared and routed FFNs', () => {
    const facts = readHfConfig(config('DeepSeek-V3'));
    const a = facts.architecture;
    expect(a.latentAttention).toEqual({
      qLoraRank: 1536,
      kvLoraRank: 512,
      qkNopeHeadDim: 128,
      qkRopeHeadDim: 64,
      vHeadDim: 128,
    });
    expect(a.moe).toMatchObject({
      experts: 256,
      sharedExperts: 1,
      denseLayers: 3,
      denseIntermediateSize: 18_432,
    });
    // Per layer: q 7168×1536 + 1536×128×192, kv down 7168×576, kv up 512×128×256, o 128×128×7168.
    const attention = 7168 * 1536 + 1536 * 128 * 192 + 7168 * 576 + 512 * 128 * 256 + 128 * 128 * 7168;
    const expert = 3 * 7168 * 2048;
    const total =
      61 * attention + 3 * 3 * 7168 * 18_432 + 58 * (257 * expert + 7168 * 256) + 2 * 129_280 * 7168;
    expect(facts.paramsTotal).toBe(total);
    // 128 heads would cache 128 × 2 × 128 values per layer without MLA; the latent is 576.
    expect(facts.kvBytesPerToken).toBe(70_272);
    expect(facts.precision).toBe('fp8');
  });

  it('reads DeepSeek-V3.2 (deepseek_v32) as the V3 layout plus its top-k: the indexer adds no latent', () => {
    const v3 = config('DeepSeek-V3');
    const v32 = readHfConfig({
      ...v3,
      model_type: 'deepseek_v32',
      architectures: ['DeepseekV32ForCausalLM'],
      index_n_heads: 64,
      index_head_dim: 128,
      index_topk: 2048,
    });
    expect(v32.family).toBe('deepseek');
    const dense = readHfConfig(v3).architecture;
    expect(v32.architecture).toEqual({
      ...dense,
      latentAttention: {
        ...dense.latentAttention,
        sparse: { topK: 2048, indexerHeads: 64, indexerHeadDim: 128 },
      },
    });
    expect(dense.latentAttention?.sparse).toBeUndefined();
    expect(v32.kvBytesPerToken).toBe(70_272);
  });

  it('counts GLM-4.6 dense layers at their own width and its multi-token-prediction layer not at all', () => {
    const facts = readHfConfig(config('GLM-4.6'));
    expect(facts.architecture.moe).toMatchObject({
      denseLayers: 3,
      denseIntermediateSize: 12_288,
      sharedExperts: 1,
    });
    expect(facts.notes.join('\n')).toMatch(/1 multi-token-prediction layer\(s\) .* not counted/);
    const withoutMtpNote = readHfConfig({ ...config('GLM-4.6'), num_nextn_predict_layers: 0 });
    expect(withoutMtpNote.paramsTotal).toBe(facts.paramsTotal);
  });

  it("reads gpt-oss's alternating 128-token sliding-window layers from layer_types", () => {
    // config.json: sliding_window 128, layer_types alternating sliding_attention and full_attention.
    for (const [file, layers] of [
      ['gpt-oss-20b', 24],
      ['gpt-oss-120b', 36],
    ] as const) {
      const facts = readHfConfig(config(file));
      expect(facts.architecture.layout).toEqual({
        attentionLayers: layers,
        windowed: { layers: layers / 2, window: 128 },
        recurrent: null,
        ffnLayers: layers,
        ffnMatrices: 3,
      });
      expect(facts.notes.join('\n')).not.toMatch(/sliding-window attention/);
    }
    // Without layer_types the window cannot be placed: every layer counts as full, and a note says so.
    const { layer_types: _, ...unplaced } = config('gpt-oss-20b');
    const facts = readHfConfig(unplaced);
    expect(facts.architecture.layout ?? null).toBeNull();
    expect(facts.notes.join('\n')).toMatch(/sliding-window attention \(128 tokens\) is counted as full/);
  });

  it('reads Llama 4 chunked-attention layers as windowed and interleaved dense layers at intermediate_size_mlp', () => {
    const scout = readHfConfig(config('Llama-4-Scout-17B-16E-Instruct'));
    // Every fourth layer (NoPE) attends globally; the other 36 only within 8,192-token chunks.
    expect(scout.architecture.layout?.windowed).toEqual({ layers: 36, window: 8192 });
    expect(scout.architecture.moe).toMatchObject({
      experts: 16,
      expertsPerToken: 1,
      sharedExperts: 1,
      denseLayers: 0,
    });
    const maverickLike = config('Llama-4-Scout-17B-16E-Instruct');
    const text = { ...(maverickLike.text_config as Json), interleave_moe_layer_step: 2 };
    const interleaved = readHfConfig({ ...maverickLike, text_config: text }).architecture;
    expect(interleaved.moe).toMatchObject({ denseLayers: 24, denseIntermediateSize: 16_384 });
  });

  it('gives hybrids KV only for full-attention layers and a constant recurrent state per sequence', () => {
    const next = readHfConfig(config('Qwen3-Next-80B-A3B-Instruct')).architecture.layout;
    // Gated DeltaNet: conv (2 × 16×128 + 32×128) × 3 taps + 32 value heads × 128 × 128, 2 bytes, 36 layers.
    expect(next).toMatchObject({ attentionLayers: 12, ffnLayers: 48, ffnMatrices: 3 });
    expect(next?.recurrent).toMatchObject({ kind: 'gated_deltanet', layers: 36 });
    expect(next?.recurrent?.stateBytes).toBe(36 * ((2 * 2048 + 4096) * 3 + 32 * 128 * 128) * 2);
    const nemotron = readHfConfig(config('NVIDIA-Nemotron-Nano-9B-v2')).architecture.layout;
    // Mamba-2: conv (128×80 + 2 × 8 groups × 128) × 3 taps + 128 heads × 80 × 128 state, 2 bytes, 27 layers.
    expect(nemotron).toMatchObject({ attentionLayers: 4, ffnLayers: 25, ffnMatrices: 2 });
    expect(nemotron?.recurrent?.stateBytes).toBe(27 * ((10_240 + 2048) * 3 + 128 * 80 * 128) * 2);
    // The SSD shape its chunked scan runs (`ssdFlopsPerToken`), with NemotronHConfig's default chunk.
    expect(nemotron?.recurrent?.ssd).toEqual({
      heads: 128,
      headDim: 80,
      stateSize: 128,
      groups: 8,
      chunkSize: 128,
    });
  });

  it('refuses layouts of these families it cannot size, naming the field', () => {
    expect(problemsOf({ ...config('DeepSeek-V3'), moe_layer_freq: 2 })).toMatch(/moe_layer_freq is 2/);
    expect(problemsOf({ ...config('NVIDIA-Nemotron-Nano-9B-v2'), hybrid_override_pattern: 'M*X-' })).toMatch(
      /hybrid_override_pattern has block\(s\) "X"/,
    );
    const { hybrid_override_pattern: _p, ...noPattern } = config('NVIDIA-Nemotron-Nano-9B-v2');
    expect(problemsOf(noPattern)).toMatch(/hybrid_override_pattern is missing/);
    const qwen35 = config('Qwen3.5-35B-A3B');
    const text = qwen35.text_config as Json;
    expect(problemsOf({ ...qwen35, text_config: { ...text, layer_types: Array(40).fill('mamba') } })).toMatch(
      /text_config.layer_types has "mamba" layers/,
    );
    expect(problemsOf({ ...qwen35, text_config: { ...text, model_type: 'qwen3_next' } })).toMatch(
      /text_config.model_type is "qwen3_next"; a qwen3_5_moe config holds "qwen3_5_moe_text"/,
    );
  });
});

describe('readHfConfig defaults for absent fields', () => {
  it('takes Gemma 3 sizes a nested text_config leaves out from transformers and says so', () => {
    const facts = readHfConfig(config('gemma-3-27b-it'));
    expect(facts.family).toBe('gemma');
    expect(facts.contextWindow).toBe(131_072);
    expect(facts.architecture).toMatchObject({ vocabSize: 262_208, tiedEmbeddings: true, headDim: 128 });
    // Gemma's head_dim (128) is not hidden / heads (5376 / 32 = 168).
    expect(facts.architecture.headDim).not.toBe(5376 / 32);
    const notes = facts.notes.join('\n');
    expect(notes).toMatch(/text_config.vocab_size is absent: 262208/);
    expect(notes).toMatch(/text_config.max_position_embeddings is absent: 131072/);
    expect(notes).toMatch(/tie_word_embeddings is absent: true/);
    expect(notes).toMatch(/vision encoder .* not counted/);
    expect(notes).toMatch(/text_config.sliding_window_pattern is absent: 6/);
  });

  it('places Gemma sliding windows where transformers does when a config lists no layer_types', () => {
    // configuration_gemma3.py: layer i is full attention when (i + 1) % sliding_window_pattern (default 6) is 0, so
    // 10 of Gemma 3 27B's 62 layers attend in full and 52 to the last 1024 tokens.
    const gemma3 = config('gemma-3-27b-it');
    expect(readHfConfig(gemma3).architecture.layout).toEqual({
      attentionLayers: 62,
      windowed: { layers: 52, window: 1024 },
      recurrent: null,
      ffnLayers: 62,
      ffnMatrices: 3,
    });
    const text = gemma3.text_config as Json;
    const pattern = (sliding_window_pattern: number) =>
      readHfConfig({ ...gemma3, text_config: { ...text, sliding_window_pattern } }).architecture.layout
        ?.windowed;
    expect(pattern(2)).toEqual({ layers: 31, window: 1024 });
    // A config's own layer_types wins over the pattern.
    const listed = Array.from({ length: 62 }, (_, i) => (i < 60 ? 'sliding_attention' : 'full_attention'));
    const own = readHfConfig({ ...gemma3, text_config: { ...text, layer_types: listed } });
    expect(own.architecture.layout?.windowed).toEqual({ layers: 60, window: 1024 });
    // configuration_gemma2.py alternates: 21 of Gemma 2 9B's 42 layers slide over 4096 tokens of its 8192.
    expect(readHfConfig(config('gemma-2-9b-it')).architecture.layout?.windowed).toEqual({
      layers: 21,
      window: 4096,
    });
  });

  it('derives head dim from hidden / heads and KV heads from heads when a config leaves them out', () => {
    const mistral = config('Mistral-7B-Instruct-v0.3');
    expect(mistral.head_dim).toBeUndefined();
    expect(readHfConfig(mistral).architecture.headDim).toBe(4096 / 32);
    const { num_key_value_heads: _kv, ...mha } = config('Llama-3.1-8B-Instruct');
    const facts = readHfConfig(mha);
    expect(facts.architecture.kvHeads).toBe(32);
    expect(facts.kvBytesPerToken).toBe(4 * 131_072);
    expect(facts.notes.join('\n')).toMatch(/num_key_value_heads is absent: 32/);
    // Qwen3's configuration class has its own head_dim default.
    const { head_dim: _hd, ...qwen3 } = config('Qwen3-14B');
    expect(readHfConfig(qwen3).architecture.headDim).toBe(128);
    const gemma2 = readHfConfig(config('gemma-2-9b-it'));
    expect(gemma2.precision).toBe('bf16');
    expect(gemma2.architecture.tiedEmbeddings).toBe(true);
    expect(gemma2.notes.join('\n')).toMatch(/torch_dtype is absent: 16-bit weights assumed/);
  });

  it('reads the shared expert of Qwen2-MoE as the dense path and the rest as routed experts', () => {
    const facts = readHfConfig(config('Qwen1.5-MoE-A2.7B-Chat'));
    expect(facts.architecture.intermediateSize).toBe(5632);
    expect(facts.architecture.moe).toEqual({
      experts: 60,
      expertsPerToken: 4,
      expertIntermediateSize: 1408,
      sharedExperts: 0,
    });
  });
});

describe('readHfConfig refuses what it cannot use', () => {
  it('names every missing field at once', () => {
    const { hidden_size: _hidden, num_hidden_layers: _layers, ...broken } = config('Llama-3.1-8B-Instruct');
    const problems = problemsOf(broken);
    expect(problems).toMatch(/num_hidden_layers is missing/);
    expect(problems).toMatch(/hidden_size is missing/);
    const { num_local_experts: _experts, ...noExperts } = config('Mixtral-8x7B-Instruct-v0.1');
    expect(problemsOf(noExperts)).toMatch(/num_local_experts is missing/);
    const gemma3 = config('gemma-3-27b-it');
    const { intermediate_size: _ffn, ...text } = gemma3.text_config as Json;
    expect(problemsOf({ ...gemma3, text_config: text })).toMatch(/text_config.intermediate_size is missing/);
  });

  it('names contradictory and malformed fields', () => {
    const llama = config('Llama-3.1-8B-Instruct');
    expect(problemsOf({ ...llama, num_key_value_heads: 7 })).toMatch(
      /num_key_value_heads 7 does not divide num_attention_heads 32/,
    );
    expect(problemsOf({ ...llama, hidden_size: '4096' })).toMatch(
      /hidden_size must be a whole number ≥ 1, got "4096"/,
    );
    expect(problemsOf({ ...config('gpt-oss-20b'), num_experts_per_tok: 2 })).toMatch(
      /experts_per_token \(4\) and num_experts_per_tok \(2\) disagree/,
    );
    expect(problemsOf({ ...config('Mixtral-8x7B-Instruct-v0.1'), num_experts_per_tok: 9 })).toMatch(
      /num_experts_per_tok 9 exceeds num_local_experts 8/,
    );
    expect(problemsOf({ ...config('gpt-oss-20b'), num_hidden_layers: 20 })).toMatch(
      /layer_types lists 24 layers but num_hidden_layers is 20/,
    );
    expect(problemsOf({ ...llama, tie_word_embeddings: 'no' })).toMatch(
      /tie_word_embeddings must be true or false/,
    );
  });

  it('says clearly which architectures it does not understand', () => {
    const deepseekV2 = problemsOf({ ...config('DeepSeek-V3'), model_type: 'deepseek_v2' });
    expect(deepseekV2).toMatch(/model_type "deepseek_v2" .* is not an architecture Compass understands/);
    expect(deepseekV2).toMatch(
      /multi-head latent attention \(kv_lora_rank\); Compass reads that for deepseek_v3, deepseek_v32 and kimi_k2/,
    );
    const hybrid = problemsOf({ ...config('NVIDIA-Nemotron-Nano-9B-v2'), model_type: 'falcon_h1' });
    expect(hybrid).toMatch(
      /layers are not all alike .* a new architecture module must say how each kind is sized/,
    );
    const unknown = problemsOf({ ...config('Llama-3.1-8B-Instruct'), model_type: 'mamba' });
    expect(unknown).toMatch(
      /model_type "mamba" \(LlamaForCausalLM\) is not an architecture Compass understands/,
    );
    for (const type of ['llama', 'mixtral', 'qwen3_moe', 'gemma3', 'phi3', 'gpt_oss']) {
      expect(unknown).toContain(type);
    }
    expect(problemsOf({ ...config('gpt-oss-20b'), layer_types: Array(24).fill('linear_attention') })).toMatch(
      /"linear_attention" layers; a gpt_oss config is understood with full_attention, sliding_attention layers/,
    );
    expect(problemsOf({ ...config('Qwen3-30B-A3B'), mlp_only_layers: [0, 1] })).toMatch(
      /mlp_only_layers makes 2 layer\(s\) dense/,
    );
    expect(problemsOf({ hidden_size: 4096 })).toMatch(/model_type is missing/);
    expect(problemsOf([1, 2])).toMatch(/not a JSON object/);
  });
});

describe('supportedTasks', () => {
  const useCases = readCatalogFiles().useCases;
  const needs = (id: string) => {
    const useCase = useCases.find((candidate) => candidate.id === id)!;
    return useCase.traffic.promptTokens + useCase.traffic.outputTokens;
  };

  it('offers every use case whose default request fits the context window when none are asked for', () => {
    expect(supportedTasks(131_072, useCases).sort()).toEqual([...USE_CASE_IDS].sort());
    const small = supportedTasks(4096, useCases);
    expect(small.length).toBeGreaterThan(0);
    expect(small.length).toBeLessThan(USE_CASE_IDS.length);
    for (const id of USE_CASE_IDS) expect(small.includes(id), id).toBe(needs(id) <= 4096);
  });

  it('keeps the use cases asked for and refuses unknown or unfitting ones', () => {
    expect(supportedTasks(32_768, useCases, ['translation', 'chatbot_conversational'])).toEqual([
      'translation',
      'chatbot_conversational',
    ]);
    expect(() => supportedTasks(32_768, useCases, ['poetry'])).toThrow(/task "poetry" is not a use case/);
    expect(() => supportedTasks(4096, useCases, ['long_document_summarization'])).toThrow(
      new RegExp(`long_document_summarization needs ${needs('long_document_summarization')} tokens`),
    );
    expect(() => supportedTasks(512, useCases)).toThrow(/holds no use case's default request/);
  });
});

describe('catalog entries whose config.json is a fixture', () => {
  const cases: [fixture: string, id: string][] = [
    ['Kimi-K2-Instruct', 'moonshotai/Kimi-K2-Instruct'],
    ['GLM-4.6', 'zai-org/GLM-4.6'],
    ['GLM-4.5-Air', 'zai-org/GLM-4.5-Air'],
    ['DeepSeek-V3', 'deepseek-ai/DeepSeek-V3'],
    ['Qwen3-235B-A22B', 'Qwen/Qwen3-235B-A22B'],
    ['Llama-3.1-8B-Instruct', 'meta-llama/Llama-3.1-8B-Instruct'],
    ['Mistral-Small-3.2-24B-Instruct-2506', 'mistralai/Mistral-Small-3.2-24B-Instruct-2506'],
  ];

  it.each(cases)(
    '%s: the catalog plans the architecture the importer reads, so KV and weights agree',
    (fixture, id) => {
      const entry = catalog.models.find((model) => model.id === id)!;
      const facts = readHfConfig(config(fixture));
      // The catalog may leave out what the importer derives (layouts); every figure both state must agree.
      const { layout: _layout, ...read } = facts.architecture;
      expect(entry.architecture).toMatchObject(read);
      expect(kvBytesPerToken(entry)).toBe(kvBytesPerToken(asModel(facts, id)));
      expect(Math.abs(entry.paramsTotalB * 1e9 - facts.paramsTotal) / facts.paramsTotal, id).toBeLessThan(
        0.02,
      );
    },
  );
});
