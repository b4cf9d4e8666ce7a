/**
 * Prometheus's HTTP API (/api/v1/query, /api/v1/query_range) behind a small interface. Every failure comes back as
 * a value whose message says what went wrong and what to check; nothing here throws.
 */
import { z } from 'zod';
import { redactSecrets, splitCredentials } from '../log/redact.js';

export type PrometheusError =
  /** PROMETHEUS_URL is not set: monitoring is off, and says how to turn it on. */
  | { kind: 'not-configured'; message: string }
  /** No answer: connection refused, DNS, timeout, or a non-Prometheus server. */
  | { kind: 'unreachable'; message: string }
  /** Prometheus refused the expression (bad_data, execution errors). */
  | { kind: 'bad-query'; message: string; query: string }
  /** The expression is fine but selects nothing. */
  | { kind: 'no-data'; message: string; query: string };

export type PromResult<T> = { ok: true; value: T } | { ok: false; error: PrometheusError };

/** One element of an instant vector (or a scalar, with no labels). NaN and ±Inf are kept as such. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface Series {
  labels: Record<string, string>;
  points: { at: Date; value: number }[];
}

export interface QueryRange {
  start: Date;
  end: Date;
  stepSec: number;
}

export interface PrometheusClient {
  readonly url: string;
  /** An instant query, at `at` (Prometheus's now when omitted). An empty result is a `no-data` error. */
  query(expr: string, at?: Date): Promise<PromResult<Sample[]>>;
  /** A range query: one series per label set, points every `stepSec`. An empty result is a `no-data` error. */
  queryRange(expr: string, range: QueryRange): Promise<PromResult<Series[]>>;
}

export const monitoringUnavailable: PrometheusError = {
  kind: 'not-configured',
  message:
    'SLO monitoring needs Prometheus: set PROMETHEUS_URL to the Prometheus server that scrapes your vLLM pods ' +
    '(for example http://prometheus.monitoring.svc:9090) and restart Compass.',
};

/** The configured Prometheus, or `monitoringUnavailable` when no URL is set. */
export function prometheusFor(
  config: { prometheusUrl?: string | undefined },
  options: ClientOptions = {},
): PromResult<PrometheusClient> {
  return config.prometheusUrl
    ? { ok: true, value: createPrometheusClient(config.prometheusUrl, options) }
    : { ok: false, error: monitoringUnavailable };
}

/** Prometheus writes non-finite values as these strings. */
function sampleValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

const Point = z.tuple([z.number(), z.string()]);
const ApiResponse = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({
        resultType: z.literal('vector'),
        result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: Point })),
      }),
      z.object({
        resultType: z.literal('matrix'),
        result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(Point) })),
      }),
      z.object({ resultType: z.literal('scalar'), result: Point }),
      z.object({ resultType: z.literal('string'), result: Point }),
    ]),
  }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);
type ApiData = Extract<z.infer<typeof ApiResponse>, { status: 'success' }>['data'];

export interface ClientOptions {
  /** How long one request may take before it counts as unreachable. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export function createPrometheusClient(url: string, options: ClientOptions = {}): PrometheusClient {
  // Credentials (user:pass@) go in a header, never in what is shown: `base` appears in messages, Slack and logs.
  const { url: shown, authorization } = splitCredentials(url);
  const base = shown.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function call(
    path: string,
    expr: string,
    params: Record<string, string>,
  ): Promise<PromResult<ApiData>> {
    const unreachable = (why: string): PromResult<ApiData> => ({
      ok: false,
      error: { kind: 'unreachable', message: `Prometheus at ${base} ${why}; check PROMETHEUS_URL.` },
    });
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(authorization ? { authorization } : {}),
        },
        body: new URLSearchParams({ query: expr, ...params }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      return unreachable(
        timedOut
          ? `did not answer within ${timeoutMs} ms`
          : `cannot be reached (${redactSecrets(cause instanceof Error ? cause.message : String(cause))})`,
      );
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      return unreachable(`answered HTTP ${response.status} without Prometheus's JSON (is it Prometheus?)`);
    }
    const parsed = ApiResponse.safeParse(body);
    if (!parsed.success) {
      return unreachable(`answered HTTP ${response.status} with JSON that is not Prometheus's API`);
    }
    if (parsed.data.status === 'error') {
      // bad_data (400) and execution (422) errors are the query's; anything else is the server's.
      if (response.status === 400 || response.status === 422) {
        return {
          ok: false,
          error: {
            kind: 'bad-query',
            message: `Prometheus rejected the query (${parsed.data.errorType}): ${parsed.data.error}`,
            query: expr,
          },
        };
      }
      return unreachable(`failed (${parsed.data.errorType}: ${parsed.data.error})`);
    }
    return { ok: true, value: parsed.data.data };
  }

  const noData = (expr: string): PromResult<never> => ({
    ok: false,
    error: { kind: 'no-data', message: `Prometheus has no data for ${expr}`, query: expr },
  });

  return {
    url: base,
    async query(expr, at) {
      const answer = await call('/api/v1/query', expr, at ? { time: String(at.getTime() / 1e3) } : {});
      if (!answer.ok) return answer;
      const data = answer.value;
      let samples: Sample[];
      if (data.resultType === 'vector') {
        samples = data.result.map((s) => ({ labels: s.metric, value: sampleValue(s.value[1]) }));
      } else if (data.resultType === 'scalar') {
        samples = [{ labels: {}, value: sampleValue(data.result[1]) }];
      } else {
        return {
          ok: false,
          error: {
            kind: 'bad-query',
            message: `the query yields a ${data.resultType}, not numbers`,
            query: expr,
          },
        };
      }
      return samples.length > 0 ? { ok: true, value: samples } : noData(expr);
    },
    async queryRange(expr, { start, end, stepSec }) {
      const answer = await call('/api/v1/query_range', expr, {
        start: String(start.getTime() / 1e3),
        end: String(end.getTime() / 1e3),
        step: String(stepSec),
      });
      if (!answer.ok) return answer;
      const data = answer.value;
      // Prometheus answers range queries with a matrix, always.
      if (data.resultType !== 'matrix') {
        return {
          ok: false,
          error: { kind: 'bad-query', message: `the query yields a ${data.resultType}`, query: expr },
        };
      }
      const series = data.result.map((s) => ({
        labels: s.metric,
        points: s.values.map(([at, value]) => ({ at: new Date(at * 1e3), value: sampleValue(value) })),
      }));
      return series.length > 0 ? { ok: true, value: series } : noData(expr);
    },
  };
}
