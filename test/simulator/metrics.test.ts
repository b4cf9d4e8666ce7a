/**
 * /metrics speaks vLLM 0.19.1's Prometheus dialect: metric names, types, labels and histogram buckets as
 * vllm/v1/metrics/loggers.py declares them, and values that add up to what the clients did; and the HTTP metrics
 * vLLM's API server exports through prometheus-fastapi-instrumentator (defaults, vLLM's excluded handlers).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NO_FAULTS, type RunningSimulator } from '../../simulator/server.js';
import { watchLateness } from '../support/lateness.js';
import { L4_LLAMA, SERVED, simulator, timingFor } from './fixtures.js';
import { client, type RequestTiming, streamCompletion } from './load.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = line.match(/^# TYPE (\S+) (\S+)$/);
    if (type) types.set(type[1]!, type[2]!);
    const sample = line.match(/^([^#\s{]+)(?:\{(.*)\})? (\S+)$/);
    if (!sample) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (sample[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[key!] = value!;
    samples.push({ name: sample[1]!, labels, value: Number(sample[3]) });
  }
  return { types, samples };
}

async function scrape(sim: RunningSimulator) {
  const response = await fetch(`${sim.url}/metrics`);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);

const bucketBounds = (samples: Sample[], histogram: string) =>
  samples.filter((s) => s.name === `${histogram}_bucket`).map((s) => s.labels.le);

let sim: RunningSimulator | null = null;
afterEach(async () => {
  await sim?.drain();
  sim = null;
});

// vLLM 0.19.1, vllm/v1/metrics/loggers.py (PrometheusStatLogger): the same lists as in 0.11.
const VLLM_TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0,
  80.0, 160.0, 640.0, 2560.0,
];
const VLLM_TOKEN_LATENCY_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
];
const VLLM_REQUEST_LATENCY_BUCKETS = [
  0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0,
  960.0, 1920.0, 7680.0,
];
const labelsOf = (bounds: number[]) => [...bounds.map(String), '+Inf'];

describe('/metrics', () => {
  it('exports vLLM’s metric names, types and histogram buckets, labelled model_name and engine', async () => {
    sim = await simulator();
    const { types, samples } = await scrape(sim);
    const expected: Record<string, string> = {
      'vllm:num_requests_running': 'gauge',
      'vllm:num_requests_waiting': 'gauge',
      'vllm:kv_cache_usage_perc': 'gauge',
      'vllm:prompt_tokens_total': 'counter',
      'vllm:generation_tokens_total': 'counter',
      'vllm:request_success_total': 'counter',
      'vllm:num_preemptions_total': 'counter',
      'vllm:time_to_first_token_seconds': 'histogram',
      'vllm:inter_token_latency_seconds': 'histogram',
      'vllm:e2e_request_latency_seconds': 'histogram',
      'vllm:request_queue_time_seconds': 'histogram',
      'vllm:request_prefill_time_seconds': 'histogram',
      'vllm:request_decode_time_seconds': 'histogram',
      'vllm:request_inference_time_seconds': 'histogram',
      'vllm:request_time_per_output_token_seconds': 'histogram',
      'vllm:request_prompt_tokens': 'histogram',
      'vllm:request_generation_tokens': 'histogram',
      'vllm:iteration_tokens_total': 'histogram',
      'vllm:request_params_max_tokens': 'histogram',
    };
    for (const [name, type] of Object.entries(expected)) expect(types.get(name), name).toBe(type);
    // Deprecated names that 0.19.1 no longer exports (removed in 0.12 and after 0.13).
    expect(types.has('vllm:gpu_cache_usage_perc')).toBe(false);
    expect(types.has('vllm:time_per_output_token_seconds')).toBe(false);

    expect(bucketBounds(samples, 'vllm:time_to_first_token_seconds')).toEqual(labelsOf(VLLM_TTFT_BUCKETS));
    for (const name of ['inter_token_latency_seconds', 'request_time_per_output_token_seconds']) {
      expect(bucketBounds(samples, `vllm:${name}`)).toEqual(labelsOf(VLLM_TOKEN_LATENCY_BUCKETS));
    }
    for (const name of ['e2e_request_latency_seconds', 'request_queue_time_seconds']) {
      expect(bucketBounds(samples, `vllm:${name}`)).toEqual(labelsOf(VLLM_REQUEST_LATENCY_BUCKETS));
    }
    // build_1_2_5_buckets(max_model_len)
    expect(bucketBounds(samples, 'vllm:request_prompt_tokens').slice(0, 7)).toEqual([
      '1',
      '2',
      '5',
      '10',
      '20',
      '50',
      '100',
    ]);

    const vllmSamples = samples.filter(
      (s) => s.name.startsWith('vllm:') && s.name !== 'vllm:cache_config_info',
    );
    expect(vllmSamples.length).toBeGreaterThan(100);
    for (const sample of vllmSamples)
      expect(sample.labels).toMatchObject({ model_name: SERVED, engine: '0' });
    expect(
      samples.filter((s) => s.name === 'vllm:request_success_total').map((s) => s.labels.finished_reason),
    ).toEqual(['stop', 'length', 'abort']);
  });

  it('adds up to what the clients did: tokens, requests, latencies observed once per request or token', async () => {
    sim = await simulator();
    const openai = client(sim.url);
    const shape = { model: SERVED, promptTokens: 100, outputTokens: 6 };
    await streamCompletion(openai, shape); // warm-up: connection and JIT, not part of the comparison
    const before = (await scrape(sim)).samples;
    const lateness = watchLateness();
    const timings: RequestTiming[] = [];
    for (let i = 0; i < 5; i++) timings.push(await streamCompletion(openai, shape));
    const latenessSec = lateness.stop() / 1e3;
    const { samples } = await scrape(sim);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      value(samples, name, labels) - value(before, name, labels);
    expect(delta('vllm:prompt_tokens_total')).toBe(500);
    expect(delta('vllm:generation_tokens_total')).toBe(30);
    expect(delta('vllm:request_success_total', { finished_reason: 'length' })).toBe(5);
    expect(delta('vllm:time_to_first_token_seconds_count')).toBe(5);
    expect(delta('vllm:inter_token_latency_seconds_count')).toBe(25);
    // One mean per request: its decode time over the 5 tokens after the first, so 5 means sum to the ITLs ÷ 5.
    expect(delta('vllm:request_time_per_output_token_seconds_count')).toBe(5);
    expect(delta('vllm:request_time_per_output_token_seconds_sum')).toBeCloseTo(
      delta('vllm:request_decode_time_seconds_sum') / 5,
      9,
    );
    expect(delta('vllm:e2e_request_latency_seconds_count')).toBe(5);
    expect(delta('vllm:request_prompt_tokens_sum')).toBe(500);
    expect(delta('vllm:request_params_max_tokens_sum')).toBe(30);
    // Server-side TTFT is what the clients saw, less the trips over loopback (a few ms each, more on a busy host).
    const clientTtftSec = timings.reduce((sum, t) => sum + t.ttftMs, 0) / 1e3;
    const serverTtftSec = delta('vllm:time_to_first_token_seconds_sum');
    expect(serverTtftSec).toBeLessThanOrEqual(clientTtftSec);
    expect(serverTtftSec).toBeGreaterThan(clientTtftSec - 5 * (0.01 + latenessSec));
    expect(value(samples, 'vllm:num_requests_running')).toBe(0);
    expect(value(samples, 'vllm:kv_cache_usage_perc')).toBe(0);
  });

  it('shows requests running, waiting beyond --max-concurrency, and KV cache in use while under load', async () => {
    // --max-concurrency 4 is vLLM's --max-num-seqs 4; a slow time scale keeps all ten requests in the engine.
    const timing = timingFor({ ...L4_LLAMA, engine: { maxNumSeqs: 4 } });
    sim = await simulator({ timing, timeScale: 0.3 });
    const openai = client(sim.url);
    const shape = { model: SERVED, promptTokens: 400, outputTokens: 24 };
    const load = Promise.all(Array.from({ length: 10 }, () => streamCompletion(openai, shape)));
    let mostRunning = 0;
    let sawFullQueue = false;
    let kvInUse = 0;
    for (let poll = 0; poll < 40 && !sawFullQueue; poll++) {
      const { samples } = await scrape(sim);
      const running = value(samples, 'vllm:num_requests_running');
      mostRunning = Math.max(mostRunning, running);
      sawFullQueue = running === 4 && value(samples, 'vllm:num_requests_waiting') === 6;
      kvInUse = value(samples, 'vllm:kv_cache_usage_perc');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(sawFullQueue).toBe(true);
    expect(mostRunning).toBe(4);
    // Four sequences of at least 400 tokens hold at least 100 blocks of 16.
    // The exported gauge is a float printed in text; compare in blocks, not in its last digit.
    expect(kvInUse * timing.kvBlocks).toBeGreaterThanOrEqual(100 - 1e-6);
    await load;
  });

  it('counts a request whose client went away as aborted', async () => {
    sim = await simulator();
    const controller = new AbortController();
    const response = await fetch(`${sim.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: SERVED, prompt: 'hi', max_tokens: 200, stream: true }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { samples } = await scrape(sim);
    expect(value(samples, 'vllm:request_success_total', { finished_reason: 'abort' })).toBe(1);
    expect(value(samples, 'vllm:num_requests_running')).toBe(0);
  });
});

// prometheus-fastapi-instrumentator, metrics.default().
const INSTRUMENTATOR_LOWR_BUCKETS = [0.1, 0.5, 1];
const INSTRUMENTATOR_HIGHR_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 7.5, 10, 30, 60,
];

/** http_requests_total as `handler method status` → count. */
const requestCounts = (samples: Sample[]) =>
  Object.fromEntries(
    samples
      .filter((s) => s.name === 'http_requests_total')
      .map((s) => [`${s.labels.handler} ${s.labels.method} ${s.labels.status}`, s.value]),
  );

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(`${sim!.url}${path}`, init);
  await response.arrayBuffer();
  return response;
}

const completion = (body: Record<string, unknown>) =>
  call('/v1/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: SERVED, prompt: 'hi', max_tokens: 2, ...body }),
  });

describe('/metrics: HTTP metrics', () => {
  it('exports the instrumentator’s default metrics, leaving out /metrics itself', async () => {
    sim = await simulator();
    await scrape(sim);
    const { types, samples } = await scrape(sim);
    expect(Object.fromEntries([...types].filter(([name]) => name.startsWith('http_')))).toEqual({
      http_requests_total: 'counter',
      http_request_size_bytes: 'summary',
      http_response_size_bytes: 'summary',
      http_request_duration_highr_seconds: 'histogram',
      http_request_duration_seconds: 'histogram',
    });
    // Two scrapes, no series by handler: each appears with its first counted request.
    expect(samples.filter((s) => s.name.startsWith('http_') && s.labels.handler !== undefined)).toEqual([]);
    expect(bucketBounds(samples, 'http_request_duration_highr_seconds')).toEqual(
      labelsOf(INSTRUMENTATOR_HIGHR_BUCKETS),
    );
    expect(value(samples, 'http_request_duration_highr_seconds_count')).toBe(0);

    await call('/v1/models');
    const after = (await scrape(sim)).samples;
    expect(bucketBounds(after, 'http_request_duration_seconds')).toEqual(
      labelsOf(INSTRUMENTATOR_LOWR_BUCKETS),
    );
    expect(
      after.filter((s) => s.name === 'http_request_duration_seconds_count').map((s) => s.labels),
    ).toEqual([{ method: 'GET', handler: '/v1/models' }]);
  });

  it('counts API requests by route, method and grouped status, injected failures as 5xx, probes not at all', async () => {
    sim = await simulator({ faults: { ...NO_FAULTS, failFraction: 0.5 }, seed: 3 });
    await call('/v1/models');
    await call('/v1/models');
    // vLLM excludes /metrics, /health, /ping and /version, and any unmatched path containing one of them.
    await call('/health');
    await call('/ping', { method: 'POST' });
    await call('/version');
    await call('/healthz');
    // Unmatched: an unknown path, and a known one with the wrong method.
    expect((await call('/no/such/route')).status).toBe(404);
    expect((await call('/v1/completions')).status).toBe(405);
    const badJson = await call('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(badJson.status).toBe(400);
    expect((await completion({ model: 'not-served' })).status).toBe(404);
    const seen: Record<string, number> = {};
    for (let i = 0; i < 20; i++) {
      const { status } = await completion({ stream: i % 2 === 0 });
      const key = `/v1/completions POST ${String(status)[0]}xx`;
      seen[key] = (seen[key] ?? 0) + 1;
    }
    expect(Object.keys(seen).sort()).toEqual(['/v1/completions POST 2xx', '/v1/completions POST 5xx']);

    const { samples } = await scrape(sim);
    expect(requestCounts(samples)).toEqual({
      '/v1/models GET 2xx': 2,
      'none GET 4xx': 2,
      '/v1/chat/completions POST 4xx': 1,
      '/v1/completions POST 4xx': 1,
      ...seen,
    });
  });

  it('counts refusals while unready as 5xx, and the unready /health not at all', async () => {
    sim = await simulator({ faults: { ...NO_FAULTS, unreadySeconds: 60 } });
    expect((await call('/health')).status).toBe(503);
    expect((await completion({})).status).toBe(503);
    expect(requestCounts((await scrape(sim)).samples)).toEqual({ '/v1/completions POST 5xx': 1 });
  });

  it('times a request to the end of its response, a stream to its last event, and sums Content-Length headers', async () => {
    sim = await simulator();
    const post = (body: string) =>
      call('/v1/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const streamBody = JSON.stringify({ model: SERVED, prompt: 'hi', max_tokens: 20, stream: true });
    const plainBody = JSON.stringify({ model: SERVED, prompt: 'hi', max_tokens: 3 });
    const started = performance.now();
    const streamed = await post(streamBody);
    const plain = await post(plainBody);
    const waitedSec = (performance.now() - started) / 1e3;
    const { samples } = await scrape(sim);
    const handler = { handler: '/v1/completions' };

    expect(value(samples, 'http_request_duration_seconds_count', handler)).toBe(2);
    const durationSec = value(samples, 'http_request_duration_seconds_sum', handler);
    // The stream's headers go out before its first token: only timing to its end covers vLLM's E2E latency.
    expect(durationSec).toBeGreaterThanOrEqual(value(samples, 'vllm:e2e_request_latency_seconds_sum'));
    expect(durationSec).toBeLessThanOrEqual(waitedSec);
    expect(value(samples, 'http_request_duration_highr_seconds_count')).toBe(2);
    expect(value(samples, 'http_request_duration_highr_seconds_sum')).toBeCloseTo(durationSec, 9);

    expect(value(samples, 'http_request_size_bytes_count', handler)).toBe(2);
    expect(value(samples, 'http_request_size_bytes_sum', handler)).toBe(
      Buffer.byteLength(streamBody) + Buffer.byteLength(plainBody),
    );
    // A stream has no Content-Length and counts 0, as in the instrumentator.
    expect(streamed.headers.get('content-length')).toBeNull();
    expect(value(samples, 'http_response_size_bytes_count', handler)).toBe(2);
    expect(value(samples, 'http_response_size_bytes_sum', handler)).toBe(
      Number(plain.headers.get('content-length')),
    );
  });

  it('counts a request whose client left before the answer as 2xx, as vLLM’s cancelled handler answers', async () => {
    sim = await simulator();
    const controller = new AbortController();
    const pending = fetch(`${sim.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: SERVED, prompt: 'hi', max_tokens: 200 }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    expect(await pending).toMatchObject({ name: 'AbortError' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { samples } = await scrape(sim);
    expect(value(samples, 'vllm:request_success_total', { finished_reason: 'abort' })).toBe(1);
    expect(requestCounts(samples)).toEqual({ '/v1/completions POST 2xx': 1 });
  });
});
