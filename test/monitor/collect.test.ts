/** collectObservation over an in-memory PrometheusClient: which answers become figures, nulls or errors. */
import { describe, expect, it } from 'vitest';
import {
  collectObservation,
  deploymentQueries,
  latencyBucketRates,
  latencyMeanMs,
  Observation,
  type PrometheusClient,
  type PromResult,
  type Sample,
  selectorOf,
} from '../../src/monitor/index.js';

const selector = selectorOf({ model_name: 'chat' });
const queries = deploymentQueries(selector, 60);
const at = new Date('2026-05-01T12:00:00Z');

/** Answers each deployment query by the figure's name; unknown expressions have no data. */
function fake(answers: Partial<Record<keyof typeof queries, PromResult<Sample[]>>>) {
  const asked: { expr: string; at: Date | undefined }[] = [];
  const byExpr = new Map(
    Object.entries(answers).map(([metric, answer]) => [queries[metric as keyof typeof queries], answer]),
  );
  const client: PrometheusClient = {
    url: 'http://fake',
    async query(expr, when) {
      asked.push({ expr, at: when });
      return (
        byExpr.get(expr) ?? {
          ok: false,
          error: { kind: 'no-data', message: `no data for ${expr}`, query: expr },
        }
      );
    },
    async queryRange() {
      throw new Error('collectObservation makes instant queries only');
    },
  };
  return { client, asked };
}

const value = (v: number): PromResult<Sample[]> => ({ ok: true, value: [{ labels: {}, value: v }] });

describe('collectObservation of the latency histograms', () => {
  it('keeps each histogram’s cumulative bucket rates and its exact mean', async () => {
    const itlBuckets = latencyBucketRates('itl', selector, 60);
    const itlMean = latencyMeanMs('itl', selector, 60);
    const client: PrometheusClient = {
      url: 'http://fake',
      async query(expr) {
        if (expr === itlBuckets) {
          const le = (bound: string, perSec: number) => ({ labels: { le: bound }, value: perSec });
          // Prometheus answers in no particular order.
          return { ok: true, value: [le('+Inf', 4), le('0.05', 4), le('0.01', 0), le('0.025', 0)] };
        }
        if (expr === itlMean) return value(26);
        return { ok: false, error: { kind: 'no-data', message: 'none', query: expr } };
      },
      async queryRange() {
        throw new Error('instant queries only');
      },
    };
    const result = await collectObservation(client, selector, 60, { at });
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.itlHistogram).toEqual({
      buckets: [
        { leMs: 10, perSec: 0 },
        { leMs: 25, perSec: 0 },
        { leMs: 50, perSec: 4 },
      ],
      totalPerSec: 4,
    });
    expect(result.value.itlMeanMs).toBe(26);
    expect(result.value.ttftHistogram).toBeNull();
    expect(result.value.ttftMeanMs).toBeNull();
  });
});

describe('collectObservation', () => {
  it('asks every query at one instant and keeps the figures as Prometheus gave them', async () => {
    const { client, asked } = fake({
      ttftP95Ms: value(412.5),
      requestsPerSec: value(3.25),
      replicas: value(2),
    });
    const result = await collectObservation(client, selector, 60, { at });
    expect(result.ok).toBe(true);
    const observed = result.ok ? result.value : null;
    expect(Observation.parse(JSON.parse(JSON.stringify(observed)))).toEqual(observed);
    expect(observed).toMatchObject({
      selector: '{model_name="chat"}',
      windowSec: 60,
      at: '2026-05-01T12:00:00.000Z',
      ttftP95Ms: 412.5,
      requestsPerSec: 3.25,
      replicas: 2,
      itlP95Ms: null,
    });
    const latencyExtras = (['ttft', 'itl', 'e2e'] as const).flatMap((metric) => [
      latencyBucketRates(metric, selector, 60),
      latencyMeanMs(metric, selector, 60),
    ]);
    expect(asked.map((q) => q.expr).sort()).toEqual([...Object.values(queries), ...latencyExtras].sort());
    expect(new Set(asked.map((q) => q.at?.getTime()))).toEqual(new Set([at.getTime()]));
  });

  it('turns NaN (a quantile of an empty window) and infinities into no data', async () => {
    const { client } = fake({
      ttftP95Ms: value(Number.NaN),
      meanPromptTokens: value(Number.POSITIVE_INFINITY),
    });
    const result = await collectObservation(client, selector, 60, { at });
    expect(result.ok && [result.value.ttftP95Ms, result.value.meanPromptTokens]).toEqual([null, null]);
  });

  it('fails as a whole when Prometheus is unreachable or refuses a query', async () => {
    const down = { kind: 'unreachable', message: 'Prometheus at http://fake cannot be reached' } as const;
    const { client } = fake({ ttftP95Ms: value(1), queueDepth: { ok: false, error: down } });
    expect(await collectObservation(client, selector, 60)).toEqual({ ok: false, error: down });
  });
});
