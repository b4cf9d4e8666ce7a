/**
 * Multi-head latent attention with DeepSeek MoE (`deepseek_v3`, and `kimi_k2`, which Moonshot ships with the same
 * DeepseekV3ForCausalLM layout): every layer caches one compressed latent per token (kv_lora_rank + the shared rope
 * key) instead of K and V per head; the first `first_k_dense_replace` layers have a dense FFN, the rest routed experts
 * plus `n_shared_experts` always-on experts. Fields: transformers' `configuration_deepseek_v3.py`.
 */
import type { ArchitectureFamily } from './family.js';
import { readExperts } from './family.js';
import type { ConfigFields } from './fields.js';

function readLatent(f: ConfigFields) {
  const layers = f.int('num_hidden_layers');
  const hiddenSize = f.int('hidden_size');
  const attentionHeads = f.int('num_attention_heads');
  const latentAttention = {
    qLoraRank: f.optionalInt('q_lora_rank'),
    kvLoraRank: f.int('kv_lora_rank'),
    qkNopeHeadDim: f.int('qk_nope_head_dim'),
    qkRopeHeadDim: f.int('qk_rope_head_dim'),
    vHeadDim: f.int('v_head_dim'),
  };
  const experts = readExperts(f, {
    experts: ['n_routed_experts'],
    expertsPerToken: ['num_experts_per_tok'],
    expertIntermediateSize: 'moe_intermediate_size',
  });
  const sharedExperts = f.intOr('n_shared_experts', 0, 'no shared expert');
  const denseLayers = f.intOr('first_k_dense_replace', 0, 'every layer has experts');
  const frequency = f.json.moe_layer_freq;
  if (frequency !== undefined && frequency !== 1) {
    f.problems.push(
      `${f.path('moe_layer_freq')} is ${JSON.stringify(frequency)}: only MoE in every layer after first_k_dense_replace (1) is understood`,
    );
  }
  if (denseLayers > layers) {
    f.problems.push(`${f.path('first_k_dense_replace')} ${denseLayers} exceeds num_hidden_layers ${layers}`);
  }
  mtpNote(f);
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
      moe: {
        ...experts,
        sharedExperts,
        denseLayers,
        denseIntermediateSize: denseLayers > 0 ? f.int('intermediate_size') : 0,
      },
      latentAttention,
    },
    contextWindow: f.int('max_position_embeddings'),
  };
}

/** Multi-token-prediction layers ship in the checkpoint but serve only speculative decoding. */
export function mtpNote(f: ConfigFields) {
  const mtp = f.json.num_nextn_predict_layers;
  if (typeof mtp === 'number' && mtp > 0) {
    f.notes.push(
      `${mtp} multi-token-prediction layer(s) (num_nextn_predict_layers) are not counted: vLLM loads them only for speculative decoding`,
    );
  }
}

export const LATENT_FAMILIES: Record<string, ArchitectureFamily> = {
  deepseek_v3: { family: 'deepseek', tiedEmbeddings: false, read: readLatent },
  kimi_k2: { family: 'kimi', tiedEmbeddings: false, read: readLatent },
};
