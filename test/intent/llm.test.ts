import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExtractionVocabulary } from '../../src/intent/index.js';
import { createOllamaClient, extractIntentWithLlm, mergeLlmDraft } from '../../src/intent/index.js';
import { intentWith } from '../fixtures/intent.js';
import type { OllamaStandIn } from '../standins/ollama.js';
import { startOllamaStandIn } from '../standins/ollama.js';

const vocab: ExtractionVocabulary = {
  gpus: [
    { id: 'H100', aliases: ['h100'] },
    { id: 'L4', aliases: ['l4'] },
  ],
  models: [
    { id: 'meta-llama/Llama-3.1-8B-Instruct', name: 'Llama 3.1 8B Instruct', family: 'llama', aliases: [] },
  ],
};

const intent = intentWith;

describe('mergeLlmDraft', () => {
  it('fills gaps the rules left and recomputes what is missing', () => {
    const { intent: merged, adopted } = mergeLlmDraft(
      intent(),
      { useCase: 'translation', users: 300 },
      vocab,
      'something to turn our docs into Korean for about three hundred staff',
    );
    expect(merged.useCase).toBe('translation');
    expect(merged.users).toBe(300);
    expect(merged.missing).toEqual([]);
    expect(adopted).toEqual(['useCase', 'users']);
  });

  it('keeps what the rules found when the LLM disagrees', () => {
    const rules = intent({ useCase: 'code_completion', users: 150, priority: 'cost', priorityStated: true });
    const { intent: merged, adopted } = mergeLlmDraft(
      rules,
      { useCase: 'chatbot_conversational', users: 15, priority: 'latency' },
      vocab,
      'autocomplete for 150 developers, keep it cheap',
    );
    expect(merged).toEqual(rules);
    expect(adopted).toEqual([]);
  });

  it('refuses figures when the text states none', () => {
    const { intent: merged, ignored } = mergeLlmDraft(
      intent(),
      { users: 1000, qps: 10, budgetMonthlyUsd: 5000 },
      vocab,
      'a bot for our support team',
    );
    expect(merged.users).toBeNull();
    expect(merged.qps).toBeNull();
    expect(merged.budgetMonthlyUsd).toBeNull();
    expect(ignored.map((entry) => entry.field)).toEqual(['users', 'qps', 'budgetMonthlyUsd']);
  });

  it('rounds figures as the rules do', () => {
    const { intent: merged } = mergeLlmDraft(
      intent(),
      { qps: 200 / 60, budgetMonthlyUsd: 100_000 / 12 },
      vocab,
      'x 200 a minute, 100k a year',
    );
    expect(merged.qps).toBe(3.33);
    expect(merged.budgetMonthlyUsd).toBe(8333.33);
  });

  it('refuses implausible figures', () => {
    const { intent: merged, ignored } = mergeLlmDraft(
      intent(),
      { itlP95Ms: 90_000 },
      vocab,
      'ITL of 90 seconds',
    );
    expect(merged.itlP95Ms).toBeNull();
    expect(ignored[0]?.field).toBe('itlP95Ms');
  });

  it('maps GPU and model ids case-insensitively and drops unknown ones', () => {
    const { intent: merged, ignored } = mergeLlmDraft(
      intent(),
      { gpuTypes: ['h100', 'TPU-v5'], models: ['META-LLAMA/llama-3.1-8b-instruct'] },
      vocab,
      'on hopper cards with the small llama',
    );
    expect(merged.gpuTypes).toEqual(['H100']);
    expect(merged.models).toEqual(['meta-llama/Llama-3.1-8B-Instruct']);
    expect(ignored).toEqual([{ field: 'gpuTypes', reason: 'unknown ids: TPU-v5' }]);
  });

  it('does not mark a default "balanced" from the LLM as stated', () => {
    expect(mergeLlmDraft(intent(), { priority: 'balanced' }, vocab, 'a chatbot').intent.priorityStated).toBe(
      false,
    );
    expect(
      mergeLlmDraft(intent(), { priority: 'balanced' }, vocab, 'a balanced chatbot').intent.priorityStated,
    ).toBe(true);
  });
});

describe('extractIntentWithLlm over HTTP against an Ollama stand-in', () => {
  let ollama: OllamaStandIn;
  beforeAll(async () => {
    ollama = await startOllamaStandIn();
  });
  afterAll(() => ollama.close());

  const assist = (timeoutMs = 2000, host = ollama.url) => ({
    client: createOllamaClient({ host, model: 'qwen2.5:7b-instruct', timeoutMs }),
    model: 'qwen2.5:7b-instruct',
    timeoutMs,
  });

  it('sends the intent schema as structured output and merges a valid answer', async () => {
    ollama.behave({ kind: 'answer', content: JSON.stringify({ useCase: 'content_generation', users: 12 }) });
    const text = 'help our dozen writers with their weekly newsletters';
    const { intent: result, llm } = await extractIntentWithLlm(text, vocab, assist());
    expect(llm.status).toBe('used');
    expect(result.useCase).toBe('content_generation');
    const request = ollama.requests.at(-1)!;
    expect(request.model).toBe('qwen2.5:7b-instruct');
    expect(request.stream).toBe(false);
    expect(JSON.stringify(request.format)).toContain('useCase');
    expect(JSON.stringify(request.messages)).toContain(text);
  });

  it('answers with the rule-based intent when the LLM returns garbage', async () => {
    ollama.behave({ kind: 'answer', content: 'Sure! Here is the JSON you asked for: {useCase:' });
    const { intent: result, llm } = await extractIntentWithLlm('chatbot for 1000 users', vocab, assist());
    expect(llm).toEqual({ status: 'failed', reason: 'LLM answer is not JSON' });
    expect(result.users).toBe(1000);
  });

  it('answers with the rule-based intent when the LLM answer breaks the schema', async () => {
    ollama.behave({ kind: 'answer', content: JSON.stringify({ users: 'lots', useCase: 'poetry' }) });
    const { llm } = await extractIntentWithLlm('chatbot for 1000 users', vocab, assist());
    expect(llm.status).toBe('failed');
    expect(llm.status === 'failed' && llm.reason).toMatch(/useCase.*users|users.*useCase/);
  });

  it('gives up on a slow LLM after the timeout', async () => {
    ollama.behave({ kind: 'answer', content: '{}', delayMs: 3000 });
    const started = Date.now();
    const { intent: result, llm } = await extractIntentWithLlm('chatbot for 1000 users', vocab, assist(200));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(llm.status).toBe('failed');
    expect(result.users).toBe(1000);
  });

  it('answers when the LLM server errors or is down', async () => {
    ollama.behave({ kind: 'error', status: 500, message: 'model not loaded' });
    const failed = await extractIntentWithLlm('chatbot for 1000 users', vocab, assist());
    expect(failed.llm.status).toBe('failed');
    expect(failed.intent.users).toBe(1000);
    const down = await extractIntentWithLlm(
      'chatbot for 1000 users',
      vocab,
      assist(500, 'http://127.0.0.1:9'),
    );
    expect(down.llm.status).toBe('failed');
    expect(down.intent.users).toBe(1000);
  });
});
