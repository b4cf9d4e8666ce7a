import { extractIntent } from './extract.js';
import { prepareUserText } from './input.js';
import type { ChatClient } from './llm.js';
import { requestLlmDraft } from './llm.js';
import type { MergeOutcome } from './merge.js';
import { mergeLlmDraft } from './merge.js';
import type { ExtractionVocabulary, Intent } from './schema.js';

export { extractIntent } from './extract.js';
export type { PreparedText } from './input.js';
export { MAX_MESSAGE_CHARS, prepareUserText } from './input.js';
export type { ChatClient, LlmSettings } from './llm.js';
export { createOllamaClient, LlmIntentDraft } from './llm.js';
export { mergeLlmDraft } from './merge.js';
export type { ExtractionVocabulary, MissingFact } from './schema.js';
export { BatchJob, Intent, missingFacts, Priority } from './schema.js';

export interface LlmAssist {
  client: ChatClient;
  model: string;
  timeoutMs: number;
}

export type LlmReport =
  | { status: 'off' }
  | { status: 'failed'; reason: string }
  | ({ status: 'used' } & Pick<MergeOutcome, 'adopted' | 'ignored'>);

/** Rule-based extraction, improved by an LLM pass when one is configured; always answers. */
export async function extractIntentWithLlm(
  text: string,
  vocab: ExtractionVocabulary,
  llm: LlmAssist | undefined,
): Promise<{ intent: Intent; llm: LlmReport }> {
  const rules = extractIntent(text, vocab);
  if (!llm) return { intent: rules, llm: { status: 'off' } };
  // The LLM reads what the rules read: the same bounded, cleaned text.
  const read = prepareUserText(text).text;
  const result = await requestLlmDraft(llm.client, llm.model, read, vocab, llm.timeoutMs);
  if (!result.ok) return { intent: rules, llm: { status: 'failed', reason: result.reason } };
  const { intent, adopted, ignored } = mergeLlmDraft(rules, result.draft, vocab, read);
  return { intent, llm: { status: 'used', adopted, ignored } };
}
