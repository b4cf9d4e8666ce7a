/**
 * Decoder-only transformers whose layers are all alike: grouped-query attention and a SwiGLU FFN, dense or with
 * routed experts (Llama, Mistral, Mixtral, Qwen 2/3, Gemma 2/3, Granite, Phi-3, gpt-oss). Field names and defaults
 * follow transformers' `configuration_<model_type>.py`.
 */
import type { ModelArchitecture } from '../catalog.js';
import type { ArchitectureFamily, AttentionDefaults } from './family.js';
import { layerTypes, readAttention, readExperts } from './family.js';
import type { ConfigFields } from './fields.js';
import { present } from './fields.js';

/** Field names of a mixture-of-experts family; where transformers accepts two names, both are listed. */
interface MoeFields {
  experts: readonly string[];
  expertsPerToken: readonly string[];
  expertIntermediateSize: string;
  /** Width of an always-active shared expert, counted as the dense path. */
  sharedIntermediateSize?: string;
  /** Qwen MoE configs can make some layers dense; this family models layers that are all alike. */
  mixedLayers?: boolean;
}

interface UniformSpec extends AttentionDefaults {
  family: string;
  tiedEmbeddings: boolean;
  moe?: MoeFields;
  /**
   * transformers' `layer_types` for a config that lists none: every n-th layer full attention, the others sliding
   * (configuration_gemma2.py: every 2nd; configuration_gemma3.py: every `sliding_window_pattern`-th, default 6).
   */
  slidingPattern?: { every: number; field?: string };
  /**
   * The family's attention has learned sinks whatever its config says: they are in the modelling code, not in
   * config.json (gpt-oss: `self.sinks` in transformers' modeling_gpt_oss.py and vLLM's gpt_oss.py).
   */
  attentionSinks?: true;
}

/** Layer kinds whose KV cache is layers × KV heads × head dim. */
const ATTENTION_LAYER_TYPES = ['full_attention', 'sliding_attention'];

function uniform(spec: UniformSpec): ArchitectureFamily {
  return {
    family: spec.family,
    tiedEmbeddings: spec.tiedEmbeddings,
    read(f) {
      const attention = readAttention(f, spec);
      const kinds =
        layerTypes(f, attention.layers, ATTENTION_LAYER_TYPES) ??
        defaultLayerTypes(f, attention.layers, spec.slidingPattern);
      let intermediateSize: number;
      let moe: ModelArchitecture['moe'] = null;
      if (spec.moe) {
        const m = spec.moe;
        if (m.mixedLayers) checkAllLayersSparse(f);
        intermediateSize = m.sharedIntermediateSize ? f.int(m.sharedIntermediateSize, 0) : 0;
        moe = { ...readExperts(f, m), sharedExperts: 0 };
      } else {
        intermediateSize = f.int('intermediate_size');
      }
      const window = slidingWindowOf(f);
      const { contextWindow, ...attentionShape } = attention;
      const shape = spec.attentionSinks ? { ...attentionShape, attentionSinks: true } : attentionShape;
      // layer_types names the sliding-window layers (gpt-oss alternates them with full ones); without it the window
      // cannot be placed, so every layer counts as full.
      const windowedLayers = kinds?.filter((kind) => kind === 'sliding_attention').length ?? 0;
      if (window !== null && window < contextWindow && windowedLayers > 0) {
        const layout: ModelArchitecture['layout'] = {
          attentionLayers: shape.layers,
          windowed: { layers: windowedLayers, window },
          recurrent: null,
          ffnLayers: shape.layers,
          ffnMatrices: 3,
        };
        return { architecture: { ...shape, intermediateSize, moe, layout }, contextWindow };
      }
      if (window !== null && window < contextWindow) {
        f.notes.push(
          `sliding-window attention (${window} tokens) is counted as full attention in every layer: KV-cache estimates are conservative`,
        );
      }
      return { architecture: { ...shape, intermediateSize, moe }, contextWindow };
    },
  };
}

/** Qwen MoE layers are all sparse unless `decoder_sparse_step` > 1 or `mlp_only_layers` names dense ones. */
function checkAllLayersSparse(f: ConfigFields) {
  const step = f.json.decoder_sparse_step;
  const dense = f.json.mlp_only_layers;
  if (present(step) && step !== 1) {
    f.problems.push(
      `${f.prefix}decoder_sparse_step is ${JSON.stringify(step)}: layers that mix dense and expert FFNs are not understood (only 1 is)`,
    );
  }
  if (Array.isArray(dense) && dense.length > 0) {
    f.problems.push(
      `${f.prefix}mlp_only_layers makes ${dense.length} layer(s) dense: layers that mix dense and expert FFNs are not understood`,
    );
  }
}

/** The layer kinds transformers assigns a windowed config without `layer_types`; null for families without a default. */
function defaultLayerTypes(
  f: ConfigFields,
  layers: number,
  pattern: UniformSpec['slidingPattern'],
): string[] | null {
  if (!pattern || slidingWindowOf(f) === null) return null;
  const every = pattern.field ? f.intOr(pattern.field, pattern.every) : pattern.every;
  return Array.from({ length: layers }, (_, i) => ((i + 1) % every ? 'sliding_attention' : 'full_attention'));
}

function slidingWindowOf(f: ConfigFields): number | null {
  const window = f.json.sliding_window;
  if (typeof window !== 'number' || window <= 0 || f.json.use_sliding_window === false) return null;
  return window;
}

const QWEN_MOE = {
  experts: ['num_experts'],
  expertsPerToken: ['num_experts_per_tok'],
  expertIntermediateSize: 'moe_intermediate_size',
  mixedLayers: true,
} as const;

const LOCAL_EXPERTS = {
  experts: ['num_local_experts'],
  expertsPerToken: ['num_experts_per_tok'],
  expertIntermediateSize: 'intermediate_size',
} as const;

export const UNIFORM_FAMILIES: Record<string, ArchitectureFamily> = {
  llama: uniform({ family: 'llama', tiedEmbeddings: false }),
  mistral: uniform({ family: 'mistral', tiedEmbeddings: false }),
  // Ministral 3 (mistral3's text_config): the Mistral decoder with YaRN rope parameters.
  ministral3: uniform({ family: 'mistral', tiedEmbeddings: false }),
  mixtral: uniform({ family: 'mistral', tiedEmbeddings: false, moe: LOCAL_EXPERTS }),
  qwen2: uniform({ family: 'qwen', tiedEmbeddings: false }),
  qwen2_moe: uniform({
    family: 'qwen',
    tiedEmbeddings: false,
    moe: { ...QWEN_MOE, sharedIntermediateSize: 'shared_expert_intermediate_size' },
  }),
  qwen3: uniform({ family: 'qwen', tiedEmbeddings: false, headDim: 128 }),
  qwen3_moe: uniform({ family: 'qwen', tiedEmbeddings: false, headDim: 128, moe: QWEN_MOE }),
  gemma2: uniform({
    family: 'gemma',
    tiedEmbeddings: true,
    headDim: 256,
    kvHeads: 4,
    slidingPattern: { every: 2 },
  }),
  gemma3_text: uniform({
    family: 'gemma',
    tiedEmbeddings: true,
    headDim: 256,
    kvHeads: 4,
    vocabSize: 262_208,
    maxPositionEmbeddings: 131_072,
    slidingPattern: { every: 6, field: 'sliding_window_pattern' },
  }),
  granite: uniform({ family: 'granite', tiedEmbeddings: false }),
  granitemoe: uniform({ family: 'granite', tiedEmbeddings: false, moe: LOCAL_EXPERTS }),
  phi3: uniform({ family: 'phi', tiedEmbeddings: false }),
  gpt_oss: uniform({
    family: 'gpt-oss',
    tiedEmbeddings: false,
    attentionSinks: true,
    moe: {
      experts: ['num_local_experts', 'num_experts'],
      expertsPerToken: ['experts_per_token', 'num_experts_per_tok'],
      expertIntermediateSize: 'intermediate_size',
    },
  }),
};
