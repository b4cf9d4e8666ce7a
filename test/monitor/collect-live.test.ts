/**
 * collectObservation against a real Prometheus (Debian's) scraping the simulator twice a second while a bounded
 * open-loop load runs: every figure must equal what Prometheus's own query API answers for the same expression at
 * the same instant, and be plausible against what the clients measured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../simulator/server.js';
import {
  collectObservation,
  collectUptime,
  createPrometheusClient,
  deploymentQueries,
  OBSERVED_METRICS,
  type Observation,
  type PrometheusClient,
  selectorOf,
  uptimeQueries,
} from '../../src/monitor/index.js';
import { SERVED, simulator } from '../simulator/fixtures.js';
import { client, openLoop, quantile, type RequestTiming, streamCompletion } from '../simulator/load.js';
import {
  CLIENT_SIDE_SEC,
  E2E_BUCKETS_SEC,
  ITL_BUCKETS_SEC,
  type RunningPrometheus,
  startPrometheus,
  TTFT_BUCKETS_SEC,
  widestBucketAround,
} from '../support/prometheus.js';
import { punctualClock } from '../support/punctual-clock.js';

const SHAPE = { model: SERVED, promptTokens: 256, outputTokens: 8 };
const REQUESTS = 60;
const WINDOW_SEC = 30;

let sim: RunningSimulator;
let prometheus: RunningPrometheus;
let compass: PrometheusClient;
let timings: RequestTiming[];
let at: Date;
let observed: Observation;
let scrapingSince: number;
// The simulator serves and the clients time on one punctual clock: a busy host slows the pace, not the latencies
// either side sees, so the p95s stay comparable within a bucket.
const clock = punctualClock();

beforeAll(async () => {
  sim = await simulator({ timeScale: 0.25, clock });
  // Warm up before the first scrape, so the counters' increase holds only the measured load.
  await streamCompletion(client(sim.url), SHAPE, clock.now);
  scrapingSince = Date.now();
  prometheus = await startPrometheus([{ job: 'simulator', targets: [`127.0.0.1:${sim.port}`] }], 500);
  compass = createPrometheusClient(prometheus.url);
  timings = await openLoop(client(sim.url), SHAPE, 15, REQUESTS, 3, clock.now);
  // Two more scrapes pick up the last observations.
  await new Promise((resolve) => setTimeout(resolve, 1200));
  at = new Date();
  const result = await collectObservation(compass, selectorOf({ job: 'simulator' }), WINDOW_SEC, { at });
  if (!result.ok) throw new Error(result.error.message);
  observed = result.value;
}, 40_000);

afterAll(async () => {
  await prometheus?.stop();
  await sim?.drain();
});

/** Client p95 with the latency the server cannot see, and the histogram's resolution around it. */
function p95Tolerance(values: number[], buckets: number[]) {
  const p95 = quantile(values, 0.95);
  return {
    p95,
    tolerance: widestBucketAround(p95 - CLIENT_SIDE_SEC, p95 + CLIENT_SIDE_SEC, buckets) + CLIENT_SIDE_SEC,
  };
}

describe('collectObservation on a real Prometheus', () => {
  it('returns exactly what Prometheus answers for each expression at the same instant', async () => {
    const queries = deploymentQueries(selectorOf({ job: 'simulator' }), WINDOW_SEC);
    for (const metric of OBSERVED_METRICS) {
      const own = await prometheus.value(queries[metric], at);
      expect({ metric, value: observed[metric] }).toEqual({
        metric,
        value: own === null || !Number.isFinite(own) ? null : own,
      });
    }
    expect(observed.at).toBe(at.toISOString());
  });

  it('agrees with what the clients measured', () => {
    // Every request had the same shape, so the means are exact.
    expect(observed.meanPromptTokens).toBeCloseTo(SHAPE.promptTokens, 6);
    expect(observed.meanOutputTokens).toBeCloseTo(SHAPE.outputTokens, 6);
    // rate() extrapolates a little past the first and last scrape; within a quarter of the count is plausible.
    expect(observed.requestsPerSec! * WINDOW_SEC).toBeGreaterThanOrEqual(REQUESTS * 0.95);
    expect(observed.requestsPerSec! * WINDOW_SEC).toBeLessThanOrEqual(REQUESTS * 1.25);
    const tokens = timings.reduce((sum, t) => sum + t.completionTokens, 0);
    expect(tokens).toBe(REQUESTS * SHAPE.outputTokens);
    expect(observed.generationTokensPerSec! * WINDOW_SEC).toBeGreaterThanOrEqual(tokens * 0.95);
    expect(observed.generationTokensPerSec! * WINDOW_SEC).toBeLessThanOrEqual(tokens * 1.25);

    const ttft = p95Tolerance(
      timings.map((t) => t.ttftMs / 1e3),
      TTFT_BUCKETS_SEC,
    );
    expect(Math.abs(observed.ttftP95Ms! / 1e3 - ttft.p95)).toBeLessThanOrEqual(ttft.tolerance);
    const itl = p95Tolerance(
      timings.flatMap((t) => t.itlMs).map((ms) => ms / 1e3),
      ITL_BUCKETS_SEC,
    );
    expect(Math.abs(observed.itlP95Ms! / 1e3 - itl.p95)).toBeLessThanOrEqual(itl.tolerance);
    const e2e = p95Tolerance(
      timings.map((t) => t.e2eMs / 1e3),
      E2E_BUCKETS_SEC,
    );
    expect(Math.abs(observed.e2eP95Ms! / 1e3 - e2e.p95)).toBeLessThanOrEqual(e2e.tolerance);

    expect(observed.replicas).toBe(1);
    expect(observed.abortedShare).toBe(0);
    // vLLM's HTTP metrics, as the simulator exports them: no 5xx among the API requests.
    expect(observed.httpErrorRate).toBe(0);
    expect(observed.runningRequests).toBeGreaterThan(0);
    expect(observed.kvCacheUsageMax).toBeGreaterThan(0);
    expect(observed.kvCacheUsageMax).toBeLessThanOrEqual(1);
    expect(observed.kvCacheUsage).toBeLessThanOrEqual(observed.kvCacheUsageMax!);
    expect(observed.queueDepth).toBeGreaterThanOrEqual(0);
  });

  it('selects by model_name too, counting replicas from vLLM’s gauges where `up` lacks the label', async () => {
    const result = await collectObservation(compass, selectorOf({ model_name: SERVED }), WINDOW_SEC, { at });
    expect(result.ok && result.value).toMatchObject({
      requestsPerSec: observed.requestsPerSec,
      ttftP95Ms: observed.ttftP95Ms,
      replicas: 1,
    });
    const other = await collectObservation(compass, selectorOf({ model_name: 'not-deployed' }), WINDOW_SEC, {
      at,
    });
    expect(other.ok && [other.value.requestsPerSec, other.value.ttftP95Ms, other.value.replicas]).toEqual([
      null,
      null,
      null,
    ]);
  });

  it('counts replica-hours up since deploy, and the hours of it Prometheus holds', async () => {
    // Deployed an hour ago, scraped only since the test started Prometheus: that part is all it can account for.
    const since = new Date(at.getTime() - 3_600_000);
    const result = await collectUptime(compass, selectorOf({ job: 'simulator' }), since, at);
    if (!result.ok) throw new Error(result.error.message);
    const queries = uptimeQueries(selectorOf({ job: 'simulator' }), 3600);
    expect(result.value).toEqual({
      replicaHours: await prometheus.value(queries.replicaHours, at),
      coveredHours: await prometheus.value(queries.coveredHours, at),
    });
    const { replicaHours, coveredHours } = result.value;
    // Independently: the raw scrapes (one every 0.5 s) span the covered time, give or take a step and a scrape.
    const scrapes = await prometheus.value('count_over_time(up{job="simulator"}[1h])', at);
    expect(Math.abs(coveredHours! * 3600 - scrapes! * 0.5)).toBeLessThanOrEqual(1.5);
    expect(coveredHours! * 3.6e6).toBeLessThanOrEqual(at.getTime() - scrapingSince + 1000);
    // One simulator, up all along.
    expect(replicaHours).toBeCloseTo(coveredHours!, 9);

    const never = await collectUptime(compass, selectorOf({ job: 'not-deployed' }), since, at);
    expect(never.ok && never.value).toEqual({ replicaHours: null, coveredHours: null });
  });

  it('reads ranges, and reports a refused query and an empty one as such', async () => {
    const range = await compass.queryRange('sum(rate(vllm:generation_tokens_total[3s]))', {
      start: new Date(at.getTime() - 10_000),
      end: at,
      stepSec: 1,
    });
    expect(range.ok).toBe(true);
    const points = range.ok ? range.value[0]!.points : [];
    // One point a second for as long as the 3 s window held two scrapes (Prometheus started under 10 s ago).
    expect(points.length).toBeGreaterThan(3);
    expect(points.length).toBeLessThanOrEqual(11);
    expect(points.at(-1)!.at.getTime()).toBe(at.getTime());
    expect(points.slice(1).map((p, i) => p.at.getTime() - points[i]!.at.getTime())).toEqual(
      Array(points.length - 1).fill(1000),
    );
    expect(points.some((p) => p.value > 0)).toBe(true);

    expect(await compass.query('sum(rate(vllm:generation_tokens_total[', at)).toMatchObject({
      ok: false,
      error: {
        kind: 'bad-query',
        message: expect.stringMatching(/^Prometheus rejected the query \(bad_data\): /),
      },
    });
    expect(await compass.query('vllm:no_such_metric', at)).toEqual({
      ok: false,
      error: {
        kind: 'no-data',
        message: 'Prometheus has no data for vllm:no_such_metric',
        query: 'vllm:no_such_metric',
      },
    });
  });
});
