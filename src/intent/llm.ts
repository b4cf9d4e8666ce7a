import { z } from 'zod';
import { USE_CASE_IDS, UseCaseId } from '../knowledge/catalog.js';
import { redactSecrets, splitCredentials } from '../log/redact.js';
import type { ExtractionVocabulary } from './schema.js';
import { Priority } from './schema.js';

/**
 * What we ask the LLM for: the intent's facts, each nullable. Lenient on purpose (the model may omit keys);
 * everything it returns is checked again by mergeLlmDraft before it can change the rule-based result.
 */
export const LlmIntentDraft = z.object({
  useCase: UseCaseId.nullable().optional(),
  users: z.number().int().positive().nullable().optional(),
  qps: z.number().positive().nullable().optional(),
  priority: Priority.nullable().optional(),
  budgetMonthlyUsd: z.number().positive().nullable().optional(),
  gpuTypes: z.array(z.string()).nullable().optional(),
  models: z.array(z.string()).nullable().optional(),
  ttftP95Ms: z.number().positive().nullable().optional(),
  itlP95Ms: z.number().positive().nullable().optional(),
  e2eP95Ms: z.number().positive().nullable().optional(),
});
export type LlmIntentDraft = z.infer<typeof LlmIntentDraft>;

/** The one call Compass makes to an LLM; the `ollama` client satisfies it, tests may pass anything that does. */
export interface ChatClient {
  chat(request: {
    model: string;
    messages: { role: 'system' | 'user'; content: string }[];
    format: object;
    stream: false;
    options: { temperature: number };
  }): Promise<{ message: { content: string } }>;
}

export type DraftResult = { ok: true; draft: LlmIntentDraft } | { ok: false; reason: string };

export interface LlmSettings {
  host: string;
  model: string;
  timeoutMs: number;
}

/**
 * An ollama client whose every request is abandoned after timeoutMs (the client itself has no timeout). Credentials
 * in OLLAMA_HOST (user:pass@) travel as an Authorization header: fetch refuses a URL that carries them. The client
 * library loads with the first request, so a command whose text the rules read alone never loads it.
 */
export function createOllamaClient(settings: LlmSettings): ChatClient {
  const { url, authorization } = splitCredentials(settings.host);
  let client: Promise<ChatClient> | undefined;
  const load = async (): Promise<ChatClient> => {
    const { Ollama } = await import('ollama');
    return new Ollama({
      host: url,
      ...(authorization ? { headers: { authorization } } : {}),
      fetch: (input, init) => {
        const timeout = AbortSignal.timeout(settings.timeoutMs);
        const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
        return fetch(input, { ...init, signal });
      },
    }) as unknown as ChatClient;
  };
  return {
    chat: async (request) => {
      client ??= load();
      return (await client).chat(request);
    },
  };
}

export function systemPrompt(vocab: ExtractionVocabulary): string {
  return [
    'You extract an LLM deployment request into JSON. Use null for anything the text does not state; never guess.',
    `useCase is one of: ${USE_CASE_IDS.join(', ')}.`,
    'users: number of people served. qps: peak requests per second (convert per minute/hour/day).',
    'priority: latency | cost | accuracy | balanced, only if the text says what matters most.',
    'budgetMonthlyUsd: monthly budget in US dollars (a yearly budget divided by 12).',
    `gpuTypes: ids from ${vocab.gpus.map((gpu) => gpu.id).join(', ')}.`,
    `models: ids from ${vocab.models.map((model) => model.id).join(', ')}.`,
    'ttftP95Ms, itlP95Ms, e2eP95Ms: latency targets in milliseconds (time to first token, inter-token, end to end).',
  ].join('\n');
}

/** Asks the LLM for a draft intent; any failure (down, slow, garbage) is a value, never an exception. */
export async function requestLlmDraft(
  client: ChatClient,
  model: string,
  text: string,
  vocab: ExtractionVocabulary,
  timeoutMs: number,
): Promise<DraftResult> {
  let content: string;
  try {
    const response = await withTimeout(
      client.chat({
        model,
        messages: [
          { role: 'system', content: systemPrompt(vocab) },
          { role: 'user', content: text },
        ],
        format: z.toJSONSchema(LlmIntentDraft),
        stream: false,
        options: { temperature: 0 },
      }),
      timeoutMs,
    );
    content = response.message.content;
  } catch (error) {
    return {
      ok: false,
      reason: redactSecrets(`LLM unavailable: ${error instanceof Error ? error.message : String(error)}`),
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    return { ok: false, reason: 'LLM answer is not JSON' };
  }
  const parsed = LlmIntentDraft.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(root)'))];
    return { ok: false, reason: `LLM answer does not match the intent schema (${fields.join(', ')})` };
  }
  return { ok: true, draft: parsed.data };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
