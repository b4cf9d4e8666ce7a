import type { RequestShape } from './schedule.js';
import type { RequestSample } from './schema.js';

/** Sends one request and times it; `startedMs` is filled by the caller, which owns the clock of the point. */
export type SendRequest = (
  shape: RequestShape,
  signal: AbortSignal,
) => Promise<Omit<RequestSample, 'startedMs'>>;

export class EndpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EndpointError';
  }
}

/**
 * Streamed completions against `endpoint` only: redirects are refused (a load test must never land on another
 * host), the prompt is sent as token ids so its length is exact, and `ignore_eos` with `min_tokens` make the server
 * produce exactly `outputTokens` (vLLM's sampling extensions; the simulator accepts both).
 */
export function completionsClient(
  endpoint: string,
  model: string,
  now = () => performance.now(),
): SendRequest {
  const url = new URL('v1/completions', endpoint.endsWith('/') ? endpoint : `${endpoint}/`);
  return async (shape, signal) => {
    // Built before the clock starts: a request's latency begins when it is sent.
    const body = JSON.stringify({
      model,
      prompt: Array.from({ length: shape.promptTokens }, (_, i) => 100 + (i % 1000)),
      max_tokens: shape.outputTokens,
      min_tokens: shape.outputTokens,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true },
    });
    const started = now();
    const failed = (error: string) => ({
      promptTokens: shape.promptTokens,
      outputTokens: 0,
      ttftMs: 0,
      itlMs: 0,
      e2eMs: now() - started,
      error,
    });
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        redirect: 'error',
        signal,
        headers: { 'content-type': 'application/json' },
        body,
      });
    } catch (error) {
      return failed(errorText(error));
    }
    if (!response.ok || !response.body) {
      return failed(`HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`);
    }
    const arrivals: number[] = [];
    let usage: { prompt_tokens: number; completion_tokens: number } | null = null;
    let streamError: string | null = null;
    try {
      for await (const event of serverSentEvents(response.body)) {
        if (event === '[DONE]') break;
        const chunk = JSON.parse(event) as {
          choices?: { text?: string }[];
          usage?: { prompt_tokens: number; completion_tokens: number } | null;
          error?: { message?: string };
        };
        if (chunk.error) streamError = chunk.error.message ?? 'error event';
        if (chunk.choices?.[0]?.text) arrivals.push(now());
        if (chunk.usage) usage = chunk.usage;
      }
    } catch (error) {
      return failed(errorText(error));
    }
    const ended = now();
    if (streamError !== null) return failed(streamError);
    const first = arrivals[0];
    if (first === undefined) return failed('the stream ended without a token');
    const last = arrivals.at(-1)!;
    return {
      promptTokens: usage?.prompt_tokens ?? shape.promptTokens,
      outputTokens: usage?.completion_tokens ?? arrivals.length,
      ttftMs: first - started,
      itlMs: arrivals.length > 1 ? (last - first) / (arrivals.length - 1) : 0,
      e2eMs: ended - started,
      error: null,
    };
  };
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error.cause as { code?: string; message?: string } | undefined) ?? undefined;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}

/** The `data:` payloads of a server-sent event stream. */
async function* serverSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const bytes of body) {
    buffered += decoder.decode(bytes, { stream: true });
    let end = buffered.indexOf('\n\n');
    while (end >= 0) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = event
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (data !== '') yield data;
      end = buffered.indexOf('\n\n');
    }
  }
}

/** The first model the endpoint serves (GET /v1/models), for runs that do not name one. */
export async function servedModel(endpoint: string): Promise<string> {
  const url = new URL('v1/models', endpoint.endsWith('/') ? endpoint : `${endpoint}/`);
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new EndpointError(`Cannot reach ${url}: ${errorText(error)}. Is the endpoint up?`);
  }
  if (!response.ok) throw new EndpointError(`${url} answered HTTP ${response.status}; give --model.`);
  const body = (await response.json()) as { data?: { id?: string }[] };
  const id = body.data?.[0]?.id;
  if (!id) throw new EndpointError(`${url} lists no model; give --model.`);
  return id;
}
