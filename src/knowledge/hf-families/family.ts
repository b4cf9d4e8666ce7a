/**
 * The interface every architecture module implements, and the attention fields most of them share. One module per
 * family (grouped-query transformers, latent attention, GLM-4 MoE, Llama 4, hybrid linear attention / Mamba), so a
 * new architecture is one new file, not another branch of a switch.
 */
import type { ModelArchitecture } from '../catalog.js';
import type { ConfigFields } from './fields.js';
import { CONFIG_LAYER_LIMIT } from './fields.js';

/** What a module derives from a (text) config; the importer adds embeddings tying and precision. */
export interface FamilyReading {
  architecture: Omit<ModelArchitecture, 'tiedEmbeddings'>;
  contextWindow: number;
}

export interface ArchitectureFamily {
  /** `Model.family`, as the catalog spells it. */
  family: string;
  /** transformers' default for `tie_word_embeddings` in this family. */
  tiedEmbeddings: boolean;
  read(fields: ConfigFields): FamilyReading;
}

/** transformers' defaults for attention fields a config of the family may leave out. */
export interface AttentionDefaults {
  /** Absent `head_dim` means this, or hidden / heads when the class has no default of its own. */
  headDim?: number;
  /** Absent `num_key_value_heads` means this, or one KV head per attention head. */
  kvHeads?: number;
  vocabSize?: number;
  maxPositionEmbeddings?: number;
}

/** The grouped-query attention core every non-latent family shares, with its consistency checks. */
export function readAttention(f: ConfigFields, defaults: AttentionDefaults = {}) {
  const { json, prefix, problems } = f;
  const layers = f.int('num_hidden_layers', 1, CONFIG_LAYER_LIMIT);
  const hiddenSize = f.int('hidden_size');
  const attentionHeads = f.int('num_attention_heads');
  const vocabSize =
    defaults.vocabSize === undefined ? f.int('vocab_size') : f.intOr('vocab_size', defaults.vocabSize);
  const contextWindow =
    defaults.maxPositionEmbeddings === undefined
      ? f.int('max_position_embeddings')
      : f.intOr('max_position_embeddings', defaults.maxPositionEmbeddings);
  const kvHeads =
    json.num_key_value_heads === undefined || json.num_key_value_heads === null
      ? f.intOr(
          'num_key_value_heads',
          defaults.kvHeads ?? attentionHeads,
          defaults.kvHeads === undefined ? 'one KV head per attention head' : undefined,
        )
      : f.int('num_key_value_heads');
  const stated = json.head_dim !== undefined && json.head_dim !== null;
  const headDim = stated
    ? f.int('head_dim')
    : defaults.headDim !== undefined
      ? f.intOr('head_dim', defaults.headDim)
      : hiddenSize / attentionHeads;
  if (!stated && defaults.headDim === undefined && hiddenSize > 0 && attentionHeads > 0) {
    if (!Number.isInteger(headDim)) {
      problems.push(
        `${prefix}head_dim is missing and hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${attentionHeads}`,
      );
    }
  }
  if (kvHeads > 0 && attentionHeads > 0 && (kvHeads > attentionHeads || attentionHeads % kvHeads !== 0)) {
    problems.push(
      `${prefix}num_key_value_heads ${kvHeads} does not divide ${prefix}num_attention_heads ${attentionHeads}`,
    );
  }
  return { layers, hiddenSize, attentionHeads, kvHeads, headDim, vocabSize, contextWindow };
}

/** Routed-expert fields, checked against each other. */
export function readExperts(
  f: ConfigFields,
  names: { experts: readonly string[]; expertsPerToken: readonly string[]; expertIntermediateSize: string },
) {
  const experts = f.int(names.experts);
  const expertsPerToken = f.int(names.expertsPerToken);
  const expertIntermediateSize = f.int(names.expertIntermediateSize);
  if (expertsPerToken > experts) {
    f.problems.push(
      `${f.path(names.expertsPerToken[0]!)} ${expertsPerToken} exceeds ${f.path(names.experts[0]!)} ${experts}`,
    );
  }
  return { experts, expertsPerToken, expertIntermediateSize };
}

/**
 * MoE whose first layers are dense (DeepSeek's and GLM's `first_k_dense_replace`): routed experts, always-on shared
 * experts of the same width, and the dense layers' FFN width from `intermediate_size`. Multi-token-prediction layers
 * are noted, not counted: vLLM loads them only for speculative decoding.
 */
export function readDenseThenSparse(
  f: ConfigFields,
  layers: number,
  defaults: { sharedExperts: number; denseLayers: number },
): NonNullable<FamilyReading['architecture']['moe']> {
  const experts = readExperts(f, {
    experts: ['n_routed_experts'],
    expertsPerToken: ['num_experts_per_tok'],
    expertIntermediateSize: 'moe_intermediate_size',
  });
  const sharedExperts = f.intOr('n_shared_experts', defaults.sharedExperts);
  const denseLayers = f.intOr('first_k_dense_replace', defaults.denseLayers);
  if (denseLayers > layers) {
    f.problems.push(`${f.path('first_k_dense_replace')} ${denseLayers} exceeds num_hidden_layers ${layers}`);
  }
  const mtp = f.json.num_nextn_predict_layers;
  if (typeof mtp === 'number' && mtp > 0) {
    f.notes.push(
      `${mtp} multi-token-prediction layer(s) (num_nextn_predict_layers) are not counted: vLLM loads them only for speculative decoding`,
    );
  }
  return {
    ...experts,
    sharedExperts,
    denseLayers,
    denseIntermediateSize: denseLayers > 0 ? f.int('intermediate_size') : 0,
  };
}

/** `layer_types` as a list of strings, checked to have one entry per layer; null when the config has none. */
export function layerTypes(f: ConfigFields, layers: number, understood: readonly string[]): string[] | null {
  const listed = f.json.layer_types;
  if (listed === undefined || listed === null) return null;
  if (!Array.isArray(listed)) {
    f.problems.push(`${f.prefix}layer_types must be a list`);
    return null;
  }
  const kinds = listed.map(String);
  const odd = [...new Set(kinds.filter((kind) => !understood.includes(kind)))];
  if (odd.length > 0) {
    f.problems.push(
      `${f.prefix}layer_types has ${odd.map((kind) => JSON.stringify(kind)).join(', ')} layers; a ${f.modelType} config is understood with ${understood.join(', ')} layers`,
    );
  }
  if (layers > 0 && kinds.length !== layers) {
    f.problems.push(`${f.prefix}layer_types lists ${kinds.length} layers but num_hidden_layers is ${layers}`);
  }
  return kinds;
}
