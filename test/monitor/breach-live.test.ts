/**
 * Breach detection end to end: a real Prometheus scrapes simulators twice a second, and the detector evaluates a 2 s
 * and a 5 s window every second (minutes in production, seconds here).
 * - An undersized simulator (one sequence at a time): light load must not alert; six clients queueing for the one
 *   slot must open exactly one breach while they run; once they stop, exactly one recovery.
 * - A fault-injected one (30 % of requests fail with 500): steady traffic opens exactly one error-rate breach,
 *   through vLLM's HTTP metrics; once the traffic stops, exactly one recovery.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS, type RunningSimulator } from '../../simulator/server.js';
import {
  type BreachEvent,
  type BreachState,
  collectObservation,
  createPrometheusClient,
  INITIAL_BREACH_STATE,
  nextBreachState,
  type PrometheusClient,
  type Selector,
  selectorOf,
  sloEvaluation,
} from '../../src/monitor/index.js';
import { L4_LLAMA, SERVED, simulator, timingFor } from '../simulator/fixtures.js';
import { client, closedLoop, streamCompletion } from '../simulator/load.js';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.js';
import { punctualClock } from '../support/punctual-clock.js';

const SHAPE = { model: SERVED, promptTokens: 128, outputTokens: 16 };
const SCRAPE_MS = 500;
const SHORT_SEC = 2;
const LONG_SEC = 5;
/**
 * Time-scaled milliseconds (× 0.1): alone, a request's first token takes ~10 ms; behind five others waiting for the
 * one slot, ~550 ms. Only TTFT is at stake here.
 */
const TARGETS = { ttftP95Ms: 100, itlP95Ms: 1_000, e2eP95Ms: 60_000 };

let sim: RunningSimulator;
let faulty: RunningSimulator;
let prometheus: RunningPrometheus;
let compass: PrometheusClient;

beforeAll(async () => {
  // Punctual clocks: the simulators serve their modelled latencies at any host speed, so light load stays within
  // target and only queueing (or the injected failures) can breach.
  sim = await simulator({
    timeScale: 0.1,
    timing: timingFor({ ...L4_LLAMA, engine: { maxNumSeqs: 1 } }),
    clock: punctualClock(),
  });
  faulty = await simulator({
    timeScale: 0.1,
    faults: { ...NO_FAULTS, failFraction: 0.3 },
    seed: 5,
    clock: punctualClock(),
  });
  await streamCompletion(client(sim.url), SHAPE);
  prometheus = await startPrometheus(
    [
      { job: 'vllm', targets: [`127.0.0.1:${sim.port}`] },
      { job: 'faulty', targets: [`127.0.0.1:${faulty.port}`] },
    ],
    SCRAPE_MS,
  );
  compass = createPrometheusClient(prometheus.url);
}, 30_000);

afterAll(async () => {
  await prometheus?.stop();
  await sim?.drain();
  await faulty?.drain();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The detector on one deployment's series, evaluated on demand; its events so far and its state. */
function detector(selector: Selector) {
  const watched = { state: INITIAL_BREACH_STATE as BreachState, events: [] as BreachEvent[] };
  const evaluate = async () => {
    const at = new Date();
    const [short, long] = await Promise.all([
      collectObservation(compass, selector, SHORT_SEC, { at }),
      collectObservation(compass, selector, LONG_SEC, { at }),
    ]);
    if (!short.ok || !long.ok) throw new Error('Prometheus did not answer');
    const next = nextBreachState(watched.state, sloEvaluation(short.value, long.value, TARGETS));
    watched.state = next.state;
    if (next.event) watched.events.push(next.event);
  };
  /**
   * Evaluates every second while `load` runs and after, until a recovery or 20 s after the load ended: on a punctual
   * clock a busy host stretches the load's wall-clock time, not the latencies it yields.
   */
  const watch = async (load: Promise<unknown>) => {
    let endedAt = Number.POSITIVE_INFINITY;
    const ended = load.finally(() => {
      endedAt = performance.now();
    });
    while (
      !watched.events.some((event) => event.kind === 'recovered') &&
      performance.now() - endedAt < 20_000
    ) {
      await Promise.all([evaluate(), sleep(1000)]);
    }
    await ended;
  };
  return { watched, evaluate, watch };
}

/**
 * Streams a request every `gapMs` for `forMs`, counting those the simulator failed with a 500 (it fails them as they
 * arrive, so none fails after the last is sent).
 */
async function steadyTraffic(
  url: string,
  forMs: number,
  gapMs: number,
): Promise<{ failed: number; lastSentAt: Date }> {
  const openai = client(url);
  const pending: Promise<number>[] = [];
  for (const end = performance.now() + forMs; performance.now() < end; await sleep(gapMs)) {
    pending.push(
      streamCompletion(openai, SHAPE).then(
        () => 0,
        (error: unknown) => {
          if (error instanceof OpenAI.InternalServerError) return 1;
          throw error;
        },
      ),
    );
  }
  const lastSentAt = new Date();
  const failed = (await Promise.all(pending)).reduce((sum, one) => sum + one, 0);
  return { failed, lastSentAt };
}

describe('breach detection on a real Prometheus', () => {
  it('alerts once on sustained queueing and announces recovery once after the load stops', async () => {
    const { watched, evaluate, watch } = detector(selectorOf({ job: 'vllm', model_name: SERVED }));
    const { events } = watched;

    // Light load: one request at a time is within target.
    for (let i = 0; i < 2; i++) {
      await Promise.all([streamCompletion(client(sim.url), SHAPE), sleep(500)]);
      await evaluate();
    }
    expect(events).toEqual([]);

    const loadStarted = new Date();
    let loadEnded: Date | null = null;
    await watch(
      closedLoop(client(sim.url), SHAPE, 6, 6).then(() => {
        loadEnded = new Date();
      }),
    );

    expect(events.map((event) => event.kind)).toEqual(['breach', 'recovered']);
    const [breach, recovered] = events as [
      BreachEvent & { kind: 'breach' },
      BreachEvent & { kind: 'recovered' },
    ];
    expect(breach.checks).toEqual(['ttft']);
    expect(Date.parse(breach.at)).toBeGreaterThan(loadStarted.getTime());
    expect(Date.parse(breach.at)).toBeLessThan(loadEnded!.getTime());
    expect(Date.parse(recovered.at)).toBeGreaterThan(loadEnded!.getTime());
    expect(recovered.since).toBe(breach.at);
    expect(watched.state).toEqual(INITIAL_BREACH_STATE);
  }, 90_000);

  it('alerts once on a sustained error rate from injected failures and announces recovery once', async () => {
    const { watched, watch } = detector(selectorOf({ job: 'faulty' }));
    let traffic: { failed: number; lastSentAt: Date } | null = null;
    let loadEnded: Date | null = null;
    await watch(
      steadyTraffic(faulty.url, 6000, 100).then((ended) => {
        traffic = ended;
        loadEnded = new Date();
      }),
    );
    const { failed, lastSentAt } = traffic!;
    expect(failed).toBeGreaterThan(0);
    expect(watched.events.map((event) => event.kind)).toEqual(['breach', 'recovered']);
    const [breach, recovered] = watched.events as [
      BreachEvent & { kind: 'breach' },
      BreachEvent & { kind: 'recovered' },
    ];
    // Light, fast requests: only the failures are at stake.
    expect(breach.checks).toEqual(['errors']);
    // The failures end with the last request sent; the answers to the others may take longer on a busy host.
    expect(Date.parse(breach.at)).toBeLessThan(loadEnded!.getTime());
    expect(Date.parse(recovered.at)).toBeGreaterThan(lastSentAt.getTime());
    expect(watched.state).toEqual(INITIAL_BREACH_STATE);
  }, 90_000);
});
