/**
 * vLLM's automatic prefix cache: a request whose prompt starts with tokens an earlier request already computed reuses
 * their KV blocks. Hits are whole blocks only, and never the whole prompt: vLLM recomputes at least the last prompt
 * token to get its logits (`get_computed_blocks` caps the hit at prompt length − 1).
 */
import { layoutOf } from '../knowledge/architecture.js';
import type { Model } from '../knowledge/catalog.js';

/**
 * Whether the vLLM release Compass deploys (VLLM_VERSION, 0.19.1) caches prefixes for `model` without being asked.
 * Not for hybrid (Mamba / linear-attention) models: `_set_default_args` in vllm/engine/arg_utils.py turns the default
 * off for them ("Disable prefix caching default for hybrid models since the feature is still experimental"; on by
 * default only from v0.28.0), and Compass's manifests render no --enable-prefix-caching, so a plan for one gets no
 * hits whatever share of its prompts repeats (see async-scheduling.ts).
 */
export function cachesPrefixesByDefault(model: Model): boolean {
  return layoutOf(model.architecture).recurrent === null;
}

/** Prompt tokens a request finds in the prefix cache when `prefixShare` of its prompt is shared with earlier ones. */
export function cachedPromptTokens(promptTokens: number, prefixShare: number, blockTokens: number): number {
  const shared = Math.floor(promptTokens * prefixShare);
  const limit = Math.max(Math.ceil(promptTokens) - 1, 0);
  return Math.floor(Math.min(shared, limit) / blockTokens) * blockTokens;
}
