/**
 * Breach detection end to end: a real Prometheus scrapes an undersized simulator (one sequence at a time) twice a
 * second, and the detector evaluates a 2 s and a 5 s window every second (minutes in production, seconds here). Light load must not alert; six clients
 * queueing for the one slot must open exactly one breach while they run; once they stop, exactly one recovery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../simulator/server.js';
import {
  type BreachEvent,
  type BreachState,
  collectObservation,
  createPrometheusClient,
  INITIAL_BREACH_STATE,
  nextBreachState,
  type PrometheusClient,
  selectorOf,
  sloEvaluation,
} from '../../src/monitor/index.js';
import { L4_LLAMA, SERVED, simulator, timingFor } from '../simulator/fixtures.js';
import { client, closedLoop, streamCompletion } from '../simulator/load.js';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.js';

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
let prometheus: RunningPrometheus;
let compass: PrometheusClient;

beforeAll(async () => {
  sim = await simulator({ timeScale: 0.1, timing: timingFor({ ...L4_LLAMA, engine: { maxNumSeqs: 1 } }) });
  await streamCompletion(client(sim.url), SHAPE);
  prometheus = await startPrometheus([{ job: 'vllm', targets: [`127.0.0.1:${sim.port}`] }], SCRAPE_MS);
  compass = createPrometheusClient(prometheus.url);
}, 30_000);

afterAll(async () => {
  await prometheus?.stop();
  await sim?.drain();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('breach detection on a real Prometheus', () => {
  it('alerts once on sustained queueing and announces recovery once after the load stops', async () => {
    const selector = selectorOf({ job: 'vllm', model_name: SERVED });
    let state: BreachState = INITIAL_BREACH_STATE;
    const events: BreachEvent[] = [];
    const evaluate = async () => {
      const at = new Date();
      const [short, long] = await Promise.all([
        collectObservation(compass, selector, SHORT_SEC, { at }),
        collectObservation(compass, selector, LONG_SEC, { at }),
      ]);
      if (!short.ok || !long.ok) throw new Error('Prometheus did not answer');
      const next = nextBreachState(state, sloEvaluation(short.value, long.value, TARGETS));
      state = next.state;
      if (next.event) events.push(next.event);
    };

    // Light load: one request at a time is within target.
    for (let i = 0; i < 2; i++) {
      await Promise.all([streamCompletion(client(sim.url), SHAPE), sleep(500)]);
      await evaluate();
    }
    expect(events).toEqual([]);

    const loadStarted = new Date();
    let loadEnded: Date | null = null;
    const load = closedLoop(client(sim.url), SHAPE, 6, 6).then(() => {
      loadEnded = new Date();
    });
    const deadline = performance.now() + 20_000;
    while (!events.some((event) => event.kind === 'recovered') && performance.now() < deadline) {
      await Promise.all([evaluate(), sleep(1000)]);
    }
    await load;

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
    expect(state).toEqual(INITIAL_BREACH_STATE);
  }, 45_000);
});
