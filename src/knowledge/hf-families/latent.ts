/**
 * Multi-head latent attention with DeepSeek MoE (`deepseek_v3`; `kimi_k2`, which Moonshot ships with the same
 * DeepseekV3ForCausalLM layout; and `deepseek_v32`, the same layout plus DeepSeek Sparse Attention's indexer): every layer caches one compressed latent per token (kv_lora_rank + the shared rope
 * key) instead of K and V per head; the first `first_k_dense_replace` layers have a dense FFN, the rest routed experts
 * plus `n_shared_experts` always-on experts. Fields: transformers' `configuration_deepseek_v3.py`.
 */
import type { ArchitectureFamily } from './family.js';
import { readDenseThenSparse } from './family.js';
import type { ConfigFields } from './fields.js';
import { CONFIG_LAYER_LIMIT } from './fields.js';

function readLatent(f: ConfigFields) {
  const layers = f.int('num_hidden_layers', 1, CONFIG_LAYER_LIMIT);
  const hiddenSize = f.int('hidden_size');
  const attentionHeads = f.int('num_attention_heads');
  const topK = f.optionalInt('index_topk');
  const latentAttention = {
    qLoraRank: f.optionalInt('q_lora_rank'),
    kvLoraRank: f.int('kv_lora_rank'),
    qkNopeHeadDim: f.int('qk_nope_head_dim'),
    qkRopeHeadDim: f.int('qk_rope_head_dim'),
    vHeadDim: f.int('v_head_dim'),
    ...(topK === null
      ? {}
      : {
          sparse: {
            topK,
            indexerHeads: f.int('index_n_heads'),
            indexerHeadDim: f.int('index_head_dim'),
          },
        }),
  };
  const moe = readDenseThenSparse(f, layers, { sharedExperts: 1, denseLayers: 3 });
  const frequency = f.json.moe_layer_freq;
  if (frequency !== undefined && frequency !== 1) {
    f.problems.push(
      `${f.path('moe_layer_freq')} is ${JSON.stringify(frequency)}: only MoE in every layer after first_k_dense_replace (1) is understood`,
    );
  }
  return {
    architecture: {
      layers,
      hiddenSize,
      intermediateSize: 0,
      attentionHeads,
      // Every head reads the one shared latent; K/V heads equal query heads once it is expanded.
      kvHeads: attentionHeads,
      headDim: latentAttention.qkNopeHeadDim + latentAttention.qkRopeHeadDim,
      vocabSize: f.int('vocab_size'),
      moe,
      latentAttention,
    },
    contextWindow: f.int('max_position_embeddings'),
  };
}

export const LATENT_FAMILIES: Record<string, ArchitectureFamily> = {
  deepseek_v3: { family: 'deepseek', tiedEmbeddings: false, read: readLatent },
  kimi_k2: { family: 'kimi', tiedEmbeddings: false, read: readLatent },
  // Its indexer (index_topk 2048, index_n_heads 64, index_head_dim 128) becomes latentAttention.sparse, which the
  // step time prices (its FP8 logits and key reads over the whole context). The indexer's key cache memory
  // (index_head_dim FP8 values and a scale per layer and token, ~130 bytes against the latent's 1,152) and its small
  // projections are not counted among the parameters: the latent dominates memory.
  deepseek_v32: { family: 'deepseek', tiedEmbeddings: false, read: readLatent },
};
