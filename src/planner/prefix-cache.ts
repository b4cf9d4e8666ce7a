/**
 * vLLM's automatic prefix cache: a request whose prompt starts with tokens an earlier request already computed reuses
 * their KV blocks. Hits are whole blocks only, and never the whole prompt: vLLM recomputes at least the last prompt
 * token to get its logits (`get_computed_blocks` caps the hit at prompt length − 1).
 */

/** Prompt tokens a request finds in the prefix cache when `prefixShare` of its prompt is shared with earlier ones. */
export function cachedPromptTokens(promptTokens: number, prefixShare: number, blockTokens: number): number {
  const shared = Math.floor(promptTokens * prefixShare);
  const limit = Math.max(Math.ceil(promptTokens) - 1, 0);
  return Math.floor(Math.min(shared, limit) / blockTokens) * blockTokens;
}
