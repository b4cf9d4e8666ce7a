/**
 * PromQL for one deployment, as pure strings. A deployment is picked by a label selector the caller chooses: the
 * deploy worker's pod labels (`namespace`, `compass_dev_deploy_id`, relabelled onto every scraped series) or vLLM's
 * own `model_name`. Metric names are vLLM's (simulator/metrics.ts reproduces those of 0.19.1, the pinned version);
 * where vLLM renamed a metric, the query prefers the new name and falls back to the old one with `or`, so older servers
 * answer too.
 */
import { z } from 'zod';

export const LabelMatcher = z.object({
  label: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name'),
  /** PromQL's matchers: equal, not equal, regex match, regex mismatch. */
  op: z.enum(['=', '!=', '=~', '!~']),
  value: z.string(),
});
export type LabelMatcher = z.infer<typeof LabelMatcher>;

/** The series of one deployment. */
export const Selector = z.array(LabelMatcher).min(1, 'select the deployment with at least one label');
export type Selector = z.infer<typeof Selector>;

/** Equality matchers from a label map: `selectorOf({ namespace: 'llm', compass_dev_deploy_id: 'd-1' })`. */
export function selectorOf(labels: Record<string, string>): Selector {
  return Selector.parse(Object.entries(labels).map(([label, value]) => ({ label, op: '=', value })));
}

/** The label the PodMonitor copies each deployment's deploy id onto every scraped series under. */
export const DEPLOY_ID_LABEL = 'compass_dev_deploy_id';

/** The series of one deploy, whatever namespace or cluster it runs in (deploy ids are unique). */
export const deploySelector = (deployId: string): Selector => selectorOf({ [DEPLOY_ID_LABEL]: deployId });

/** A PromQL string literal: backslashes, quotes and newlines escaped. */
function quoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** `{a="x",b=~"y.*"}`: the selector, plus matchers a query adds (finished_reason, status…). */
export function renderSelector(selector: Selector, extra: Selector = []): string {
  return `{${[...selector, ...extra].map((m) => `${m.label}${m.op}${quoted(m.value)}`).join(',')}}`;
}

const is = (label: string, value: string): LabelMatcher => ({ label, op: '=', value });

/** vLLM's histograms of request latency, in seconds. */
export const LATENCY_HISTOGRAMS = {
  ttft: ['vllm:time_to_first_token_seconds'],
  // inter_token_latency replaced time_per_output_token (deprecated in 0.11, same observations and buckets, gone by
  // 0.19); servers before 0.11 export only the latter.
  itl: ['vllm:inter_token_latency_seconds', 'vllm:time_per_output_token_seconds'],
  e2e: ['vllm:e2e_request_latency_seconds'],
} as const;

export type LatencyMetric = keyof typeof LATENCY_HISTOGRAMS;

/** Prometheus's range syntax for a window in seconds. */
export function range(windowSec: number): string {
  if (!Number.isInteger(windowSec) || windowSec <= 0) {
    throw new RangeError(`a query window must be a positive whole number of seconds, not ${windowSec}`);
  }
  return `${windowSec}s`;
}

/** Per-series function of the first metric present, falling back to the next (see LATENCY_HISTOGRAMS). */
function firstPresent(names: readonly string[], inner: (name: string) => string): string {
  return names.map(inner).join(' or ');
}

/**
 * The p-quantile of a vLLM latency histogram over the window, across every replica, in milliseconds:
 * `1000 * histogram_quantile(0.95, sum by (le) (rate(…_bucket{sel}[w])))`.
 */
export function latencyQuantileMs(
  metric: LatencyMetric,
  selector: Selector,
  windowSec: number,
  quantile = 0.95,
): string {
  const rates = firstPresent(
    LATENCY_HISTOGRAMS[metric],
    (name) => `rate(${name}_bucket${renderSelector(selector)}[${range(windowSec)}])`,
  );
  return `1000 * histogram_quantile(${quantile}, sum by (le) (${rates}))`;
}

/**
 * The cumulative rate of a vLLM latency histogram's buckets over the window, across every replica, one sample per
 * `le` (seconds, "+Inf" for all requests): what SLO verdicts are judged from (verdict.ts).
 */
export function latencyBucketRates(metric: LatencyMetric, selector: Selector, windowSec: number): string {
  const rates = firstPresent(
    LATENCY_HISTOGRAMS[metric],
    (name) => `rate(${name}_bucket${renderSelector(selector)}[${range(windowSec)}])`,
  );
  return `sum by (le) (${rates})`;
}

/** The exact mean of a vLLM latency histogram over the window, in milliseconds: its `_sum` rate over its `_count` rate. */
export function latencyMeanMs(metric: LatencyMetric, selector: Selector, windowSec: number): string {
  const w = range(windowSec);
  const sel = renderSelector(selector);
  return firstPresent(
    LATENCY_HISTOGRAMS[metric],
    (name) => `1000 * sum(rate(${name}_sum${sel}[${w}])) / sum(rate(${name}_count${sel}[${w}]))`,
  );
}

const sumRate = (name: string, selector: Selector, windowSec: number, extra: Selector = []) =>
  `sum(rate(${name}${renderSelector(selector, extra)}[${range(windowSec)}]))`;

/** Mean of a vLLM per-request histogram (tokens per request) over the window: rate of its sum / rate of its count. */
const histogramMean = (name: string, selector: Selector, windowSec: number) =>
  `${sumRate(`${name}_sum`, selector, windowSec)} / ${sumRate(`${name}_count`, selector, windowSec)}`;

/** The KV-cache gauge, under vLLM's current name or its pre-0.10 one. */
const KV_CACHE_GAUGES = ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc'] as const;

/** Everything an observation holds, each as one PromQL expression evaluating to a single unlabelled value. */
export const OBSERVED_METRICS = [
  'ttftP95Ms',
  'itlP95Ms',
  'e2eP95Ms',
  'requestsPerSec',
  'generationTokensPerSec',
  'promptTokensPerSec',
  'meanPromptTokens',
  'meanOutputTokens',
  'httpErrorRate',
  'abortedShare',
  'queueDepth',
  'queueDepthMax',
  'runningRequests',
  'kvCacheUsage',
  'kvCacheUsageMax',
  'replicas',
] as const;
export type ObservedMetric = (typeof OBSERVED_METRICS)[number];

/**
 * The queries of one deployment over a window. Rates and latency quantiles cover the window; gauges (queue, running,
 * KV cache) are averaged over it (and their peak taken), so one scrape's blip does not decide anything.
 *
 * Errors: vLLM's engine counts only requests that reached it (`vllm:request_success_total` by finished_reason:
 * stop, length, abort), so requests refused with a 5xx never show there. `httpErrorRate` is the 5xx share of the
 * OpenAI routes from vLLM's HTTP metrics (`http_requests_total{handler, status="5xx"}`, prometheus-fastapi-
 * instrumentator); `abortedShare` is the share of engine requests that ended aborted (client gone, timeouts), the
 * only failure signal when the HTTP metrics are not scraped.
 */
export function deploymentQueries(selector: Selector, windowSec: number): Record<ObservedMetric, string> {
  const w = range(windowSec);
  const sel = renderSelector(selector);
  const overTime = (fn: string, names: readonly string[]) =>
    firstPresent(names, (name) => `${fn}(${name}${sel}[${w}])`);
  const api = [{ label: 'handler', op: '=~', value: '/v1/.*' } as const];
  return {
    ttftP95Ms: latencyQuantileMs('ttft', selector, windowSec),
    itlP95Ms: latencyQuantileMs('itl', selector, windowSec),
    e2eP95Ms: latencyQuantileMs('e2e', selector, windowSec),
    // Finished requests, whatever their finish reason.
    requestsPerSec: sumRate('vllm:request_success_total', selector, windowSec),
    generationTokensPerSec: sumRate('vllm:generation_tokens_total', selector, windowSec),
    promptTokensPerSec: sumRate('vllm:prompt_tokens_total', selector, windowSec),
    meanPromptTokens: histogramMean('vllm:request_prompt_tokens', selector, windowSec),
    meanOutputTokens: histogramMean('vllm:request_generation_tokens', selector, windowSec),
    // The 5xx series appears with the first 5xx, so its absence means none.
    httpErrorRate: `(${sumRate('http_requests_total', selector, windowSec, [...api, is('status', '5xx')])} or vector(0)) / ${sumRate('http_requests_total', selector, windowSec, api)}`,
    abortedShare: `${sumRate('vllm:request_success_total', selector, windowSec, [is('finished_reason', 'abort')])} / ${sumRate('vllm:request_success_total', selector, windowSec)}`,
    queueDepth: `sum(avg_over_time(vllm:num_requests_waiting${sel}[${w}]))`,
    queueDepthMax: `max(max_over_time(vllm:num_requests_waiting${sel}[${w}]))`,
    runningRequests: `sum(avg_over_time(vllm:num_requests_running${sel}[${w}]))`,
    kvCacheUsage: `avg(${overTime('avg_over_time', KV_CACHE_GAUGES)})`,
    kvCacheUsageMax: `max(${overTime('max_over_time', KV_CACHE_GAUGES)})`,
    // Scrape targets up; a selector on metric labels only (model_name) matches no `up` series, so count the
    // instances exporting vLLM's gauges instead.
    replicas: `sum(up${sel}) or count(count by (instance) (vllm:num_requests_running${sel}))`,
  };
}

/** Replica-hours a deployment's scrape targets were up over a period, and the hours Prometheus holds of it. */
export interface UptimeQueries {
  replicaHours: string;
  coveredHours: string;
}

/**
 * The deployment's replica-hours over the last `sinceSec` (what it cost, whatever the autoscaler did), sampling the
 * number of targets up every step (at most ~5000 samples), and the hours in which Prometheus saw any target at all:
 * its retention may be shorter than the deployment's life, and a deployment scaled to zero has no targets.
 */
export function uptimeQueries(selector: Selector, sinceSec: number): UptimeQueries {
  const step = Math.max(1, Math.ceil(sinceSec / 5000));
  const over = `(sum(up${renderSelector(selector)}))[${range(Math.max(step, Math.round(sinceSec)))}:${step}s]`;
  return {
    replicaHours: `sum_over_time(${over}) * ${step} / 3600`,
    coveredHours: `count_over_time(${over}) * ${step} / 3600`,
  };
}
