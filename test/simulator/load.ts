/**
 * Load generation with the official `openai` client, as a user's load test would drive a vLLM server: streamed
 * completions whose first token, inter-token gaps and end are timed on the client side. Shared by the simulator
 * tests and bench/simulator.ts.
 */
import OpenAI from 'openai';
import { SimulatedEngine } from '../../simulator/engine.js';
import { VirtualClock } from '../../simulator/virtual-clock.js';
import type { EngineTiming } from '../../src/planner/engine-timing.js';

export interface RequestTiming {
  startedAt: number;
  endedAt: number;
  ttftMs: number;
  /** Gaps between consecutive content chunks after the first. */
  itlMs: number[];
  e2eMs: number;
  promptTokens: number;
  completionTokens: number;
}

export interface LoadShape {
  model: string;
  /** Exact prompt length: the prompt is sent as token ids. */
  promptTokens: number;
  outputTokens: number;
}

export function client(baseURL: string): OpenAI {
  // No retries: a test must see each failure, and a retried request would distort latencies.
  return new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: 'not-needed', maxRetries: 0, timeout: 120_000 });
}

/**
 * Reads the time a client stamps its timings with, in milliseconds: real time by default; a test whose simulator runs
 * on a punctual clock in the same process passes that clock's `now`, so both sides leave out the host's stalls alike.
 */
export type Stopwatch = () => number;

const realTime: Stopwatch = () => performance.now();

export async function streamCompletion(
  openai: OpenAI,
  shape: LoadShape,
  now: Stopwatch = realTime,
): Promise<RequestTiming> {
  const startedAt = now();
  const stream = await openai.completions.create({
    model: shape.model,
    prompt: Array.from({ length: shape.promptTokens }, (_, i) => i % 1000),
    max_tokens: shape.outputTokens,
    stream: true,
    stream_options: { include_usage: true },
  });
  const arrivals: number[] = [];
  let promptTokens = 0;
  let completionTokens = 0;
  for await (const chunk of stream) {
    if (chunk.choices[0]?.text) arrivals.push(now());
    if (chunk.usage) {
      promptTokens = chunk.usage.prompt_tokens;
      completionTokens = chunk.usage.completion_tokens;
    }
  }
  const endedAt = now();
  const first = arrivals[0] ?? endedAt;
  return {
    startedAt,
    endedAt,
    ttftMs: first - startedAt,
    itlMs: arrivals.slice(1).map((at, i) => at - arrivals[i]!),
    e2eMs: endedAt - startedAt,
    promptTokens,
    completionTokens,
  };
}

/** Mulberry32, so arrival schedules repeat run to run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Open loop: `requests` arrivals at `ratePerSec` (Poisson, seeded), each sent whatever the server's state. */
export async function openLoop(
  openai: OpenAI,
  shape: LoadShape,
  ratePerSec: number,
  requests: number,
  seed = 1,
  now: Stopwatch = realTime,
): Promise<RequestTiming[]> {
  const random = seeded(seed);
  const started = performance.now();
  let at = 0;
  const pending: Promise<RequestTiming>[] = [];
  for (let i = 0; i < requests; i++) {
    at += (-Math.log(1 - random()) / ratePerSec) * 1e3;
    const wait = started + at - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(streamCompletion(openai, shape, now));
  }
  return Promise.all(pending);
}

/**
 * The same open loop on a virtual clock: the simulator's engine alone, behind the server's fixed request overhead, as a
 * discrete-event run. Exact and independent of the host's load, for claims about latencies under load (timer
 * lateness on a busy machine would otherwise queue requests that the modelled server would not).
 */
export function virtualOpenLoop(
  timing: EngineTiming,
  shape: Omit<LoadShape, 'model'>,
  ratePerSec: number,
  requests: number,
  seed = 1,
): RequestTiming[] {
  const clock = new VirtualClock();
  const engine = new SimulatedEngine(timing, { timeScale: 1, seed, clock });
  const overheadMs = timing.factors.requestOverheadMs;
  const random = seeded(seed);
  const results: RequestTiming[] = [];
  let at = 0;
  for (let i = 0; i < requests; i++) {
    at += (-Math.log(1 - random()) / ratePerSec) * 1e3;
    const startedAt = at;
    clock.at(startedAt + overheadMs, () => {
      const arrivals: number[] = [];
      engine.submit({
        ...shape,
        onToken: (_index, atMs) => arrivals.push(atMs),
        onFinish: (summary) => {
          const endedAt = arrivals.at(-1) ?? clock.now();
          results.push({
            startedAt,
            endedAt,
            ttftMs: (arrivals[0] ?? endedAt) - startedAt,
            itlMs: arrivals.slice(1).map((t, k) => t - arrivals[k]!),
            e2eMs: endedAt - startedAt,
            promptTokens: summary.promptTokens,
            completionTokens: summary.generatedTokens,
          });
        },
      });
    });
  }
  clock.run();
  if (results.length !== requests)
    throw new Error(`${requests - results.length} virtual requests never finished`);
  return results;
}

/** Closed loop: `clients` users, each sending its next request as soon as the last one ends. */
export async function closedLoop(
  openai: OpenAI,
  shape: LoadShape,
  clients: number,
  requestsPerClient: number,
  now: Stopwatch = realTime,
): Promise<RequestTiming[]> {
  const results: RequestTiming[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < requestsPerClient; i++) results.push(await streamCompletion(openai, shape, now));
    }),
  );
  return results;
}

/** Nearest-rank quantile. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

export function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}
