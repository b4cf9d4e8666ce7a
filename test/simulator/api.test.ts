/**
 * The simulator's OpenAI-compatible API as the official `openai` client sees it: chat and completions, streamed and
 * not, usage counts, stream_options.include_usage, /v1/models, /health, /version, vLLM-shaped errors, and the
 * fault injections.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../simulator/server.js';
import { NO_FAULTS } from '../../simulator/server.js';
import { CHAT_TOKENS_PER_CONVERSATION, CHAT_TOKENS_PER_MESSAGE, textTokens } from '../../simulator/text.js';
import { VLLM_VERSION } from '../../src/planner/assumptions.js';
import { L4_LLAMA, SERVED, simulator } from './fixtures.js';
import { client } from './load.js';

let sim: RunningSimulator;
let openai: OpenAI;

beforeAll(async () => {
  sim = await simulator();
  openai = client(sim.url);
});

afterAll(async () => {
  await sim.drain();
});

const question = 'How many GPUs does a 70B model need?'; // 36 characters: 9 tokens
const chatPromptTokens = CHAT_TOKENS_PER_CONVERSATION + CHAT_TOKENS_PER_MESSAGE + textTokens(question);

async function post(path: string, body: string, contentType = 'application/json') {
  const response = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('chat completions', () => {
  it('answers with max_tokens tokens of text and honest usage counts', async () => {
    const reply = await openai.chat.completions.create({
      model: SERVED,
      messages: [{ role: 'user', content: question }],
      max_tokens: 7,
    });
    expect(reply.object).toBe('chat.completion');
    expect(reply.model).toBe(SERVED);
    expect(reply.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    const choice = reply.choices[0]!;
    expect(choice.message.role).toBe('assistant');
    expect(choice.finish_reason).toBe('length');
    expect(reply.usage).toMatchObject({
      prompt_tokens: chatPromptTokens,
      completion_tokens: 7,
      total_tokens: chatPromptTokens + 7,
    });
    // The filler text re-counts to the tokens billed.
    expect(textTokens(choice.message.content!)).toBe(7);
  });

  it('streams a role chunk, one chunk per token, the finish reason, then usage when asked', async () => {
    const stream = await openai.chat.completions.create({
      model: SERVED,
      messages: [{ role: 'user', content: question }],
      max_tokens: 5,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    const content = chunks.slice(1, -1);
    expect(content).toHaveLength(5);
    expect(content.map((c) => c.choices[0]!.finish_reason)).toEqual([null, null, null, null, 'length']);
    const text = content.map((c) => c.choices[0]!.delta.content).join('');
    expect(textTokens(text)).toBe(5);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({
      prompt_tokens: chatPromptTokens,
      completion_tokens: 5,
      total_tokens: chatPromptTokens + 5,
    });
  });

  it('sends no usage chunk unless stream_options.include_usage asks for it', async () => {
    const stream = await openai.chat.completions.create({
      model: SERVED,
      messages: [{ role: 'user', content: question }],
      max_tokens: 3,
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks).toHaveLength(4);
    expect(chunks.some((c) => c.usage)).toBe(false);
  });

  it('stops on its own when max_tokens is absent', async () => {
    const reply = await openai.chat.completions.create({
      model: SERVED,
      messages: [{ role: 'user', content: question }],
    });
    expect(reply.choices[0]!.finish_reason).toBe('stop');
    expect(reply.usage!.completion_tokens).toBeGreaterThan(0);
    expect(textTokens(reply.choices[0]!.message.content!)).toBe(reply.usage!.completion_tokens);
  });

  it('serves the default model when the request names none, as vLLM does', async () => {
    const { status, body } = await post(
      '/v1/chat/completions',
      JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
    );
    expect(status).toBe(200);
    expect(body.model).toBe(SERVED);
  });
});

describe('completions', () => {
  it('counts a token-id prompt exactly and returns text_completion objects', async () => {
    const reply = await openai.completions.create({
      model: SERVED,
      prompt: Array.from({ length: 321 }, (_, i) => i),
      max_tokens: 4,
    });
    expect(reply.object).toBe('text_completion');
    expect(reply.id).toMatch(/^cmpl-/);
    expect(reply.choices[0]!.finish_reason).toBe('length');
    expect(reply.usage).toMatchObject({ prompt_tokens: 321, completion_tokens: 4, total_tokens: 325 });
  });

  it('defaults max_tokens to 16, as vLLM’s completions API does', async () => {
    const reply = await openai.completions.create({ model: SERVED, prompt: 'lore'.repeat(10) });
    expect(reply.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 16 });
  });

  it('streams text chunks and a closing usage chunk', async () => {
    const stream = await openai.completions.create({
      model: SERVED,
      prompt: 'Once upon a time',
      max_tokens: 6,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.object === 'text_completion')).toBe(true);
    expect(chunks.slice(0, -1).map((c) => c.choices[0]!.finish_reason)).toEqual([
      null,
      null,
      null,
      null,
      null,
      'length',
    ]);
    expect(chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 6 });
  });
});

describe('other endpoints', () => {
  it('lists the served model with its root and max_model_len', async () => {
    const models = await openai.models.list();
    expect(models.data).toHaveLength(1);
    expect(models.data[0]).toMatchObject({
      id: SERVED,
      object: 'model',
      owned_by: 'vllm',
      root: L4_LLAMA.modelId,
    });
    expect((models.data[0] as unknown as { max_model_len: number }).max_model_len).toBeGreaterThan(8192);
  });

  it('answers /health with an empty 200 and /version with the vLLM version it mimics', async () => {
    const health = await fetch(`${sim.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('');
    const version = await fetch(`${sim.url}/version`);
    // The release deploys pin: its metric names are the ones the simulator exports.
    expect(await version.json()).toEqual({ version: VLLM_VERSION });
  });
});

describe('errors', () => {
  it('answers an unknown model with 404 NotFoundError', async () => {
    const failure = await openai.chat.completions
      .create({ model: 'gpt-9', messages: [{ role: 'user', content: 'hi' }] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.NotFoundError);
    const error = failure as InstanceType<typeof OpenAI.NotFoundError>;
    expect(error.status).toBe(404);
    expect(error.error).toMatchObject({ type: 'NotFoundError', param: 'model', code: 404 });
    expect(error.message).toContain('The model `gpt-9` does not exist.');
  });

  it('answers malformed JSON with 400 and the {"error": {message, type, param, code}} body', async () => {
    const { status, body } = await post('/v1/chat/completions', '{"model": "llama-sim", "messages": [');
    expect(status).toBe(400);
    expect(body).toEqual({
      error: {
        message: expect.stringContaining('JSON decode error'),
        type: 'Bad Request',
        param: null,
        code: 400,
      },
    });
  });

  it('answers a chat request without messages with a 400 naming the field', async () => {
    const failure = await openai.chat.completions
      .create({ model: SERVED } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    const error = failure as InstanceType<typeof OpenAI.BadRequestError>;
    expect(error.error).toMatchObject({ param: 'messages', code: 400 });
    expect(error.message).toMatch(/messages\n\s+Field required/);
  });

  it('refuses a request longer than max_model_len, as vLLM does', async () => {
    const failure = await openai.completions
      .create({ model: SERVED, prompt: [1, 2, 3], max_tokens: 10_000_000 })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failure as Error).message).toMatch(/maximum context length is \d+ tokens/);
  });

  it('refuses a non-JSON content type and unknown routes the way vLLM’s FastAPI does', async () => {
    const form = await post('/v1/completions', 'prompt=hi', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(400);
    const missing = await fetch(`${sim.url}/v1/embeddings/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: 'Not Found' });
    const wrongMethod = await fetch(`${sim.url}/v1/completions`);
    expect(wrongMethod.status).toBe(405);
  });
});

describe('fault injection', () => {
  it('fails the configured share of requests with 500, the same ones for the same seed', async () => {
    const outcomes = async () => {
      const faulty = await simulator({ faults: { ...NO_FAULTS, failFraction: 0.4 }, seed: 11 });
      const faultyClient = client(faulty.url);
      const results: string[] = [];
      for (let i = 0; i < 30; i++) {
        const result = await faultyClient.completions
          .create({ model: SERVED, prompt: 'hi', max_tokens: 1 })
          .then(() => 'ok')
          .catch((error: unknown) =>
            error instanceof OpenAI.InternalServerError ? 'failed' : String(error),
          );
        results.push(result);
      }
      await faulty.drain();
      return results;
    };
    const first = await outcomes();
    const failed = first.filter((r) => r === 'failed').length;
    expect(first.every((r) => r === 'ok' || r === 'failed')).toBe(true);
    expect(failed).toBeGreaterThanOrEqual(5);
    expect(failed).toBeLessThanOrEqual(20);
    expect(await outcomes()).toEqual(first);
  });

  it('reports unready on /health (503) and refuses work until the configured seconds have passed', async () => {
    const started = performance.now();
    const late = await simulator({ faults: { ...NO_FAULTS, unreadySeconds: 1 } });
    const early = await fetch(`${late.url}/health`);
    expect(early.status).toBe(503);
    const refused = await client(late.url)
      .completions.create({ model: SERVED, prompt: 'hi', max_tokens: 1 })
      .catch((error: unknown) => error);
    expect((refused as { status?: number }).status).toBe(503);
    let status = early.status;
    while (status !== 200) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = (await fetch(`${late.url}/health`)).status;
    }
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    const served = await client(late.url).completions.create({ model: SERVED, prompt: 'hi', max_tokens: 1 });
    expect(served.usage!.completion_tokens).toBe(1);
    await late.drain();
  });

  it('crashes on the configured request: connections drop and nothing answers afterwards', async () => {
    const doomed = await simulator({ faults: { ...NO_FAULTS, crashAfterRequests: 2 } });
    const doomedClient = client(doomed.url);
    await doomedClient.completions.create({ model: SERVED, prompt: 'hi', max_tokens: 2 });
    const second = await doomedClient.completions
      .create({ model: SERVED, prompt: 'hi', max_tokens: 2 })
      .catch((error: unknown) => error);
    expect(second).toBeInstanceOf(OpenAI.APIConnectionError);
    const crash = await doomed.crashed;
    expect(crash.message).toContain('--crash-after-requests');
    await expect(fetch(`${doomed.url}/health`)).rejects.toThrow();
  });
});
