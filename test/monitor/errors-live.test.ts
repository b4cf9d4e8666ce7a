/**
 * The error rate Compass monitors, end to end: a real Prometheus (Debian's) scrapes a simulator that fails a share of
 * its requests (--fail-fraction) and a healthy one, both exporting vLLM's HTTP metrics. collectObservation's
 * httpErrorRate must be what Prometheus answers for the same expression at the same instant: positive and close to
 * the share of failures the clients saw for the faulty simulator, 0 (not null, the "no HTTP metrics" fallback) for
 * the healthy one once it has served API requests.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS, type RunningSimulator } from '../../simulator/server.js';
import {
  collectObservation,
  createPrometheusClient,
  deploymentQueries,
  errorRateOf,
  type Observation,
  type PrometheusClient,
  type Selector,
  selectorOf,
} from '../../src/monitor/index.js';
import { SERVED, simulator } from '../simulator/fixtures.js';
import { client, streamCompletion } from '../simulator/load.js';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.js';

const SHAPE = { model: SERVED, promptTokens: 64, outputTokens: 4 };
const REQUESTS = 40;
const WINDOW_SEC = 30;
const FAULTY = selectorOf({ job: 'faulty' });
const HEALTHY = selectorOf({ job: 'healthy' });

let faulty: RunningSimulator;
let healthy: RunningSimulator;
let prometheus: RunningPrometheus;
let compass: PrometheusClient;
let beforeLoad: Date;
let at: Date;
let faultyFailed: boolean[];
let healthyFailed: boolean[];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `requests` streamed completions `gapMs` apart; for each, whether it failed with HTTP 500. */
async function failures(url: string, requests: number, gapMs: number): Promise<boolean[]> {
  const openai = client(url);
  const pending: Promise<boolean>[] = [];
  for (let i = 0; i < requests; i++) {
    pending.push(
      streamCompletion(openai, SHAPE).then(
        () => false,
        (error: unknown) => {
          if (error instanceof OpenAI.InternalServerError) return true;
          throw error;
        },
      ),
    );
    await sleep(gapMs);
  }
  return Promise.all(pending);
}

async function observe(selector: Selector, when: Date): Promise<Observation> {
  const result = await collectObservation(compass, selector, WINDOW_SEC, { at: when });
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

beforeAll(async () => {
  faulty = await simulator({ faults: { ...NO_FAULTS, failFraction: 0.3 }, seed: 5 });
  healthy = await simulator();
  // Before the first scrape, one success and one failure: both of the faulty simulator's series then exist from the
  // first scrape on, so rate() counts every measured request in each.
  const warmUp: boolean[] = [];
  while (!(warmUp.includes(true) && warmUp.includes(false))) {
    if (warmUp.length >= 20) throw new Error(`no mix of outcomes in ${warmUp.length} warm-up requests`);
    warmUp.push(...(await failures(faulty.url, 1, 0)));
  }
  prometheus = await startPrometheus(
    [
      { job: 'faulty', targets: [`127.0.0.1:${faulty.port}`] },
      { job: 'healthy', targets: [`127.0.0.1:${healthy.port}`] },
    ],
    500,
  );
  compass = createPrometheusClient(prometheus.url);
  beforeLoad = new Date();
  [faultyFailed, healthyFailed] = await Promise.all([
    failures(faulty.url, REQUESTS, 50),
    failures(healthy.url, REQUESTS, 50),
  ]);
  // Two more scrapes pick up the last requests.
  await sleep(1200);
  at = new Date();
}, 40_000);

afterAll(async () => {
  await prometheus?.stop();
  await faulty?.drain();
  await healthy?.drain();
});

describe('httpErrorRate from the simulator’s HTTP metrics on a real Prometheus', () => {
  it('shows injected failures as the 5xx share of API requests, exactly as Prometheus answers it', async () => {
    const observed = await observe(FAULTY, at);
    const own = await prometheus.value(deploymentQueries(FAULTY, WINDOW_SEC).httpErrorRate, at);
    expect(observed.httpErrorRate).toBe(own);
    expect(observed.httpErrorRate).toBeGreaterThan(0);
    const failedShare = faultyFailed.filter(Boolean).length / REQUESTS;
    expect(failedShare).toBeGreaterThan(0);
    expect(Math.abs(observed.httpErrorRate! - failedShare)).toBeLessThanOrEqual(0.02);
    expect(errorRateOf(observed)).toEqual({ rate: observed.httpErrorRate, source: 'http-5xx' });
    // Failed requests never reached the engine: its aborted share, the fallback signal, cannot see them.
    expect(observed.abortedShare).toBe(0);
  });

  it('gives a healthy simulator 0 once it has served API requests, null before', async () => {
    expect(healthyFailed.some(Boolean)).toBe(false);
    const query = deploymentQueries(HEALTHY, WINDOW_SEC).httpErrorRate;
    // Prometheus has scraped it, but only /metrics was asked, which vLLM does not count.
    const idle = await observe(HEALTHY, beforeLoad);
    expect(await prometheus.value(query, beforeLoad)).toBeNull();
    expect(idle.httpErrorRate).toBeNull();
    expect(errorRateOf(idle).source).toBe('aborted');

    const served = await observe(HEALTHY, at);
    expect(await prometheus.value(query, at)).toBe(0);
    expect(served.httpErrorRate).toBe(0);
    expect(served.requestsPerSec).toBeGreaterThan(0);
  });
});
