/**
 * Llama 4 (`llama4_text`, the language model of a `llama4` config): every `interleave_moe_layer_step`-th layer is MoE
 * (routed experts of `intermediate_size` plus one always-on shared expert), the others dense FFNs of
 * `intermediate_size_mlp`; layers that use RoPE (`no_rope_layers[i] = 1`, three in four by default) attend only
 * within chunks of `attention_chunk_size` tokens, the rest globally. Fields: transformers'
 * `configuration_llama4.py`; chunked layers as vLLM's Llama4Attention decides (`use_chunked_local_attn = not nope`).
 */
import type { ArchitectureFamily } from './family.js';
import { readAttention, readExperts } from './family.js';

const NO_ROPE_LAYER_INTERVAL = 4;

export const LLAMA4_FAMILIES: Record<string, ArchitectureFamily> = {
  llama4_text: {
    family: 'llama',
    tiedEmbeddings: false,
    read(f) {
      const { contextWindow, ...attention } = readAttention(f, { headDim: 128 });
      const { layers } = attention;
      const experts = readExperts(f, {
        experts: ['num_local_experts'],
        expertsPerToken: ['num_experts_per_tok'],
        expertIntermediateSize: 'intermediate_size',
      });
      const step = f.intOr('interleave_moe_layer_step', 1);
      const sparseLayers = step > 0 ? Math.floor(layers / step) : 0;
      const denseLayers = layers - sparseLayers;
      const ropeFlags = Array.isArray(f.json.no_rope_layers)
        ? f.json.no_rope_layers.map(Number)
        : Array.from({ length: layers }, (_, i) => ((i + 1) % NO_ROPE_LAYER_INTERVAL === 0 ? 0 : 1));
      if (layers > 0 && ropeFlags.length !== layers) {
        f.problems.push(
          `${f.path('no_rope_layers')} lists ${ropeFlags.length} layers but num_hidden_layers is ${layers}`,
        );
      }
      const chunk = f.optionalInt('attention_chunk_size');
      const chunked = chunk === null ? 0 : ropeFlags.filter((flag) => flag === 1).length;
      return {
        architecture: {
          ...attention,
          intermediateSize: 0,
          moe: {
            ...experts,
            sharedExperts: 1,
            denseLayers,
            denseIntermediateSize: denseLayers > 0 ? f.int('intermediate_size_mlp') : 0,
          },
          layout: {
            attentionLayers: layers,
            windowed: chunk !== null && chunked > 0 ? { layers: chunked, window: chunk } : null,
            recurrent: null,
            ffnLayers: layers,
            ffnMatrices: 3,
          },
        },
        contextWindow,
      };
    },
  },
};
