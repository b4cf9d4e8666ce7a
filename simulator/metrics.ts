/**
 * vLLM's core Prometheus metrics as vLLM 0.19.1 (the version deploys pin) exports them (vllm/v1/metrics/loggers.py,
 * PrometheusStatLogger): the same names, types, help texts, labels (model_name = served model name, engine = "0") and
 * histogram buckets, so dashboards, alerts and autoscalers built for vLLM read the simulator unchanged; metrics of
 * features it does not model (speculative decoding, KV connectors, LoRA, multi-modal caches, sleep mode) are left out. Semantics follow vLLM's
 * IterationStats: prompt tokens count when a prompt's first token is out; TTFT and E2E run from the request's
 * arrival, queue time from entering the engine to first being scheduled, prefill time from then to the first token,
 * decode time from the first to the last token. HttpMetrics adds the API server's HTTP metrics as vLLM exports them
 * through prometheus-fastapi-instrumentator. Python's `*_created` series and process metrics are not reproduced.
 */
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import type { SequenceSummary } from './engine.js';

// The latency buckets have not changed since 0.11 (vLLM's later vllm/v1/metrics/buckets.py names the same lists);
// what changed by 0.19.1 are names: vllm:time_per_output_token_seconds (deprecated in 0.11 for
// vllm:inter_token_latency_seconds, same observations) and vllm:gpu_cache_usage_perc (for vllm:kv_cache_usage_perc)
// are gone.
const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0,
  80.0, 160.0, 640.0, 2560.0,
];
const TOKEN_LATENCY_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
];
const REQUEST_LATENCY_BUCKETS = [
  0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0,
  960.0, 1920.0, 7680.0,
];
const ITERATION_TOKEN_BUCKETS = [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];
const N_BUCKETS = [1, 2, 5, 10, 20];
/** vLLM's FinishReason strings (vllm/v1/engine/__init__.py). */
export const FINISH_REASONS = ['stop', 'length', 'abort'] as const;
export type FinishReason = (typeof FINISH_REASONS)[number];

/** vLLM's build_1_2_5_buckets: 1, 2, 5, 10, 20, 50, … up to `max`. */
export function buckets125(max: number): number[] {
  const out: number[] = [];
  for (let scale = 1; ; scale *= 10) {
    for (const m of [1, 2, 5]) {
      if (m * scale > max) return out;
      out.push(m * scale);
    }
  }
}

export interface EngineGauges {
  running(): number;
  waiting(): number;
  kvCacheUsage(): number;
}

export interface MetricsConfig {
  modelName: string;
  maxModelLen: number;
  /** Labels of vllm:cache_config_info (CacheConfig.metrics_info()). */
  cacheConfig: Record<string, string>;
}

/** What the API layer reports about one finished request. */
export interface FinishedRequest {
  reason: FinishReason;
  summary: SequenceSummary;
  /** Seconds from the HTTP request's arrival to its last token (or to the abort). */
  e2eSec: number;
  maxTokensParam: number | null;
  maxGenerationTokens: number;
}

export class VllmMetrics {
  readonly registry = new Registry();
  private readonly labels: { model_name: string; engine: string };
  private pendingIterationTokens = 0;
  private readonly counters;
  private readonly histograms;

  constructor(config: MetricsConfig, gauges: EngineGauges) {
    const labels = { model_name: config.modelName, engine: '0' };
    this.labels = labels;
    const registers = [this.registry];
    const labelNames = ['model_name', 'engine'] as const;
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.set(labels, read());
        },
      });
    gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', gauges.running);
    gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', gauges.waiting);
    gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', gauges.kvCacheUsage);
    const cacheInfo = new Gauge({
      name: 'vllm:cache_config_info',
      help: 'Information of the LLMEngine CacheConfig',
      labelNames: [...Object.keys(config.cacheConfig), 'engine'],
      registers,
    });
    cacheInfo.set({ ...config.cacheConfig, engine: '0' }, 1);

    const counter = (name: string, help: string, extra: string[] = []) =>
      new Counter({ name, help, labelNames: [...labelNames, ...extra], registers });
    this.counters = {
      prefixQueries: counter(
        'vllm:prefix_cache_queries_total',
        'Prefix cache queries, in terms of number of queried tokens.',
      ),
      prefixHits: counter(
        'vllm:prefix_cache_hits_total',
        'Prefix cache hits, in terms of number of cached tokens.',
      ),
      preemptions: counter('vllm:num_preemptions_total', 'Cumulative number of preemption from the engine.'),
      promptTokens: counter('vllm:prompt_tokens_total', 'Number of prefill tokens processed.'),
      generationTokens: counter('vllm:generation_tokens_total', 'Number of generation tokens processed.'),
      success: counter('vllm:request_success_total', 'Count of successfully processed requests.', [
        'finished_reason',
      ]),
    };
    for (const counterMetric of Object.values(this.counters)) {
      if (counterMetric !== this.counters.success) counterMetric.inc(labels, 0);
    }
    for (const reason of FINISH_REASONS) this.counters.success.inc({ ...labels, finished_reason: reason }, 0);

    const histogram = (name: string, help: string, buckets: number[]) =>
      new Histogram({ name, help, labelNames, buckets, registers });
    const tokenBuckets = buckets125(config.maxModelLen);
    this.histograms = {
      promptTokens: histogram(
        'vllm:request_prompt_tokens',
        'Number of prefill tokens processed.',
        tokenBuckets,
      ),
      generationTokens: histogram(
        'vllm:request_generation_tokens',
        'Number of generation tokens processed.',
        tokenBuckets,
      ),
      iterationTokens: histogram(
        'vllm:iteration_tokens_total',
        'Histogram of number of tokens per engine_step.',
        ITERATION_TOKEN_BUCKETS,
      ),
      maxGenerationTokens: histogram(
        'vllm:request_max_num_generation_tokens',
        'Histogram of maximum number of requested generation tokens.',
        tokenBuckets,
      ),
      n: histogram('vllm:request_params_n', 'Histogram of the n request parameter.', N_BUCKETS),
      maxTokens: histogram(
        'vllm:request_params_max_tokens',
        'Histogram of the max_tokens request parameter.',
        tokenBuckets,
      ),
      ttft: histogram(
        'vllm:time_to_first_token_seconds',
        'Histogram of time to first token in seconds.',
        TTFT_BUCKETS,
      ),
      itl: histogram(
        'vllm:inter_token_latency_seconds',
        'Histogram of inter-token latency in seconds.',
        TOKEN_LATENCY_BUCKETS,
      ),
      e2e: histogram(
        'vllm:e2e_request_latency_seconds',
        'Histogram of e2e request latency in seconds.',
        REQUEST_LATENCY_BUCKETS,
      ),
      queue: histogram(
        'vllm:request_queue_time_seconds',
        'Histogram of time spent in WAITING phase for request.',
        REQUEST_LATENCY_BUCKETS,
      ),
      inference: histogram(
        'vllm:request_inference_time_seconds',
        'Histogram of time spent in RUNNING phase for request.',
        REQUEST_LATENCY_BUCKETS,
      ),
      prefill: histogram(
        'vllm:request_prefill_time_seconds',
        'Histogram of time spent in PREFILL phase for request.',
        REQUEST_LATENCY_BUCKETS,
      ),
      decode: histogram(
        'vllm:request_decode_time_seconds',
        'Histogram of time spent in DECODE phase for request.',
        REQUEST_LATENCY_BUCKETS,
      ),
      timePerOutputToken: histogram(
        'vllm:request_time_per_output_token_seconds',
        'Histogram of time_per_output_token_seconds per request.',
        TOKEN_LATENCY_BUCKETS,
      ),
    };
    // Every series exists from the start, at zero, as vLLM creates its labelled children at start-up.
    for (const h of Object.values(this.histograms)) h.zero(labels);
  }

  /** The first token of a request is out `ttftSec` after it arrived. */
  firstToken(ttftSec: number, promptTokens: number): void {
    this.histograms.ttft.observe(this.labels, ttftSec);
    this.counters.promptTokens.inc(this.labels, promptTokens);
    this.counters.prefixQueries.inc(this.labels, promptTokens);
    this.counters.generationTokens.inc(this.labels, 1);
    this.pendingIterationTokens += promptTokens + 1;
  }

  /** A later token, `itlSec` after the previous one of the same request. */
  nextToken(itlSec: number): void {
    this.histograms.itl.observe(this.labels, itlSec);
    this.counters.generationTokens.inc(this.labels, 1);
    this.pendingIterationTokens += 1;
  }

  /** An engine step ended (after its tokens were reported). */
  step(preemptions: number): void {
    if (preemptions > 0) this.counters.preemptions.inc(this.labels, preemptions);
    if (this.pendingIterationTokens > 0)
      this.histograms.iterationTokens.observe(this.labels, this.pendingIterationTokens);
    this.pendingIterationTokens = 0;
  }

  finished(request: FinishedRequest): void {
    const { summary: s } = request;
    this.counters.success.inc({ ...this.labels, finished_reason: request.reason });
    if (request.reason === 'abort') return;
    const sec = (fromMs: number | null, toMs: number | null) =>
      fromMs === null || toMs === null ? 0 : Math.max(toMs - fromMs, 0) / 1e3;
    const h = this.histograms;
    h.e2e.observe(this.labels, request.e2eSec);
    h.queue.observe(this.labels, sec(s.enqueuedAt, s.scheduledAt));
    h.prefill.observe(this.labels, sec(s.scheduledAt, s.firstTokenAt));
    h.decode.observe(this.labels, sec(s.firstTokenAt, s.lastTokenAt));
    // IterationStats.update_from_finished_request: decode time over the tokens after the first, 0 for one token.
    const laterTokens = s.generatedTokens - 1;
    h.timePerOutputToken.observe(
      this.labels,
      laterTokens > 0 ? sec(s.firstTokenAt, s.lastTokenAt) / laterTokens : 0,
    );
    h.inference.observe(this.labels, sec(s.scheduledAt, s.lastTokenAt));
    h.promptTokens.observe(this.labels, s.promptTokens);
    h.generationTokens.observe(this.labels, s.generatedTokens);
    h.maxGenerationTokens.observe(this.labels, request.maxGenerationTokens);
    h.n.observe(this.labels, 1);
    if (request.maxTokensParam !== null) h.maxTokens.observe(this.labels, request.maxTokensParam);
  }
}

/** prometheus-fastapi-instrumentator's default buckets (metrics.default): few for the labelled histogram… */
const HTTP_LATENCY_LOWR_BUCKETS = [0.1, 0.5, 1];
/** …and many for the unlabelled one. */
const HTTP_LATENCY_HIGHR_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 7.5, 10, 30, 60,
];
/**
 * vLLM's `Instrumentator(excluded_handlers=[…])` (0.11 through current main, vllm/entrypoints/serve/instrumentator/
 * metrics.py attach_router; its later `/health/decode` is matched by `/health` already): regular expressions the
 * instrumentator searches for anywhere in the route template, or in the raw path when no route matched.
 */
const EXCLUDED_HANDLERS = ['/metrics', '/health', '/load', '/ping', '/version', '/server_info'].map(
  (pattern) => new RegExp(pattern),
);

/**
 * The `handler` label the instrumentator gives a request, or null when vLLM leaves it uncounted. `template` is the
 * route that serves the path and method; without one (unknown path, or a known path with another method, which
 * Starlette only matches partially) the request counts as "none" (should_group_untemplated).
 */
export function httpHandler(template: string | null, path: string): string | null {
  if (EXCLUDED_HANDLERS.some((pattern) => pattern.test(template ?? path))) return null;
  return template ?? 'none';
}

/** One answered HTTP request, as the instrumentator sees it once the response has ended. */
export interface HttpExchange {
  handler: string;
  method: string;
  status: number;
  /** From the request's arrival to the response's end, streamed bodies included. */
  durationSec: number;
  /** The request's and the response's Content-Length headers; 0 where absent (streams). */
  requestBytes: number;
  responseBytes: number;
}

/**
 * The instrumentator's default metrics (no `.add()` arguments, as vLLM calls it): names, help, labels and buckets of
 * metrics.default(), status grouped ("2xx", "5xx"), each labelled series appearing with its first request.
 */
export class HttpMetrics {
  private readonly total;
  private readonly requestSize;
  private readonly responseSize;
  private readonly latencyHighr;
  private readonly latencyLowr;

  constructor(registry: Registry) {
    const registers = [registry];
    this.total = new Counter({
      name: 'http_requests_total',
      help: 'Total number of requests by method, status and handler.',
      labelNames: ['method', 'status', 'handler'],
      registers,
    });
    const sizeHelp = (what: string) =>
      `Content length of ${what} by handler. Only value of header is respected. Otherwise ignored. No percentile calculated. `;
    // Python's Summary has no quantiles: only _sum and _count.
    this.requestSize = new Summary({
      name: 'http_request_size_bytes',
      help: sizeHelp('incoming requests'),
      labelNames: ['handler'],
      percentiles: [],
      registers,
    });
    this.responseSize = new Summary({
      name: 'http_response_size_bytes',
      help: sizeHelp('outgoing responses'),
      labelNames: ['handler'],
      percentiles: [],
      registers,
    });
    this.latencyHighr = new Histogram({
      name: 'http_request_duration_highr_seconds',
      help: 'Latency with many buckets but no API specific labels. Made for more accurate percentile calculations. ',
      buckets: HTTP_LATENCY_HIGHR_BUCKETS,
      registers,
    });
    this.latencyLowr = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Latency with only few buckets by handler. Made to be only used if aggregation by handler is important. ',
      labelNames: ['method', 'handler'],
      buckets: HTTP_LATENCY_LOWR_BUCKETS,
      registers,
    });
  }

  observe(exchange: HttpExchange): void {
    const { handler, method } = exchange;
    this.total.inc({ method, status: `${String(exchange.status)[0]}xx`, handler });
    this.requestSize.observe({ handler }, exchange.requestBytes);
    this.responseSize.observe({ handler }, exchange.responseBytes);
    this.latencyHighr.observe(exchange.durationSec);
    this.latencyLowr.observe({ method, handler }, exchange.durationSec);
  }
}
