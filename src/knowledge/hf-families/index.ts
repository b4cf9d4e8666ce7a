/** Every architecture family the config importer reads, by the model_type of the (text) config. */
import type { ArchitectureFamily } from './family.js';
import { GLM_FAMILIES } from './glm.js';
import { HYBRID_FAMILIES } from './hybrid.js';
import { LATENT_FAMILIES } from './latent.js';
import { LLAMA4_FAMILIES } from './llama4.js';
import { UNIFORM_FAMILIES } from './standard.js';

export type { ArchitectureFamily } from './family.js';
export type { Json } from './fields.js';
export { configFields, fieldsOf, isObject, present } from './fields.js';

export const FAMILIES: Record<string, ArchitectureFamily> = {
  ...UNIFORM_FAMILIES,
  ...LATENT_FAMILIES,
  ...GLM_FAMILIES,
  ...LLAMA4_FAMILIES,
  ...HYBRID_FAMILIES,
};

/**
 * Multimodal wrappers whose language model sits under `text_config`, with the model_types it may have there (the
 * first is assumed when text_config names none).
 */
export const TEXT_WRAPPERS: Record<string, readonly string[]> = {
  gemma3: ['gemma3_text'],
  mistral3: ['mistral', 'ministral3'],
  llama4: ['llama4_text'],
  qwen3_5: ['qwen3_5_text'],
  qwen3_5_moe: ['qwen3_5_moe_text'],
};
