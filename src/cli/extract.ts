import { llmOpinion } from '../classify/index.js';
import type { ConversationServiceDeps } from '../conversation/service.js';
import type { Intent, LlmAssist } from '../intent/index.js';
import { createOllamaClient, extractIntentWithLlm } from '../intent/index.js';
import type { Knowledge } from '../knowledge/catalog.js';
import type { CliContext } from './context.js';
import { withKnowledge } from './context.js';
import { formatIntent } from './format.js';
import { readLines, UsageError, writeLine } from './io.js';

export interface TextCommandOptions {
  json?: boolean;
}

export function llmAssist(context: CliContext): LlmAssist | undefined {
  const { ollama } = context.config;
  return ollama && { client: createOllamaClient(ollama), model: ollama.model, timeoutMs: ollama.timeoutMs };
}

/** The LLM's opinion on messages the classifier's rules are not sure of, where OLLAMA_HOST is set. */
export function secondOpinionOf(context: CliContext): Pick<ConversationServiceDeps, 'secondOpinion'> {
  const llm = llmAssist(context);
  return llm ? { secondOpinion: (text) => llmOpinion(llm.client, llm.model, text) } : {};
}

/** Extracts the intent of a text with the knowledge base's vocabulary, logging what the LLM pass did. */
export async function intentOf(context: CliContext, knowledge: Knowledge, text: string): Promise<Intent> {
  const { intent, llm } = await extractIntentWithLlm(text, knowledge, llmAssist(context));
  if (llm.status === 'failed')
    context.log.warn({ event: 'intent.llm_failed', reason: llm.reason }, 'LLM pass skipped');
  if (llm.status === 'used') context.log.debug({ event: 'intent.llm_used', ...llm }, 'LLM pass merged');
  return intent;
}

/** The texts a command works on: its arguments joined, or one per non-empty stdin line when there are none. */
export async function* texts(context: CliContext, words: string[]): AsyncGenerator<string> {
  if (words.length > 0) {
    const text = words.join(' ').trim();
    if (!text) throw new UsageError('TEXT is empty; describe the deployment, e.g. "chatbot for 1000 users".');
    yield text;
    return;
  }
  if (context.io.stdin.isTTY)
    throw new UsageError('give TEXT as an argument, or pipe one text per line on stdin.');
  for await (const line of readLines(context.io.stdin)) if (line.trim()) yield line.trim();
}

export async function extractCommand(context: CliContext, words: string[], options: TextCommandOptions) {
  await withKnowledge(context, async (knowledge) => {
    let first = true;
    for await (const text of texts(context, words)) {
      const intent = await intentOf(context, knowledge, text);
      if (options.json) writeLine(context.io.stdout, JSON.stringify(intent));
      else {
        if (!first) writeLine(context.io.stdout, '');
        writeLine(context.io.stdout, formatIntent(intent));
      }
      first = false;
    }
  });
}
