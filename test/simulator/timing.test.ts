/**
 * Timing as clients see it, time-scaled: light-load latencies are the planner's, TTFT and ITL rise with load, and a
 * replica sized by the planner meets its SLO while an undersized one visibly misses it. Latencies measured by the
 * clients are divided by the time scale to compare them with the planner's milliseconds. The sizing claim runs the
 * same engine on a virtual clock: under sustained load a busy host's timer lateness would queue requests the
 * modelled server would not, and that is the host's behaviour, not the simulator's.
 */
import { describe, expect, it } from 'vitest';
import { predictPerformance, SLO_CAPACITY_SHARE, sizeReplicas } from '../../src/planner/index.js';
import { watchLateness } from '../support/lateness.js';
import { knowledge, L4_LLAMA, SERVED, simulator, timingFor } from './fixtures.js';
import {
  client,
  closedLoop,
  mean,
  quantile,
  type RequestTiming,
  streamCompletion,
  virtualOpenLoop,
} from './load.js';

const ttfts = (timings: RequestTiming[], scale: number) => timings.map((t) => t.ttftMs / scale);
const itls = (timings: RequestTiming[], scale: number) =>
  timings.flatMap((t) => t.itlMs).map((x) => x / scale);

describe('simulated timing', () => {
  it('matches the planner’s latencies for the same configuration at light load', async () => {
    // Real time (no scaling): a busy CI machine's few ms of timer lateness are not magnified. About two seconds.
    const scale = 1;
    const sim = await simulator({ timeScale: scale });
    const openai = client(sim.url);
    const shape = { model: SERVED, promptTokens: 256, outputTokens: 8 };
    await streamCompletion(openai, shape); // warm-up
    // How late this process's timers ran while measuring: on a busy machine each client-observed time may carry that
    // much on top of the engine's schedule.
    const lateness = watchLateness();
    const timings: RequestTiming[] = [];
    for (let i = 0; i < 8; i++) timings.push(await streamCompletion(openai, shape));
    const latenessMs = lateness.stop();
    await sim.drain();
    const predicted = predictPerformance(
      { ...L4_LLAMA, promptTokens: 256, outputTokens: 8, load: { kind: 'rate', value: 0.01 } },
      knowledge,
    );
    if (!predicted.ok) throw new Error(predicted.reason);
    const { ttftMs, itlMs } = predicted.prediction;
    // The clients' TTFT also holds the loopback round trip and timer granularity, a few ms; inter-token gaps are
    // paced by the engine alone.
    expect(quantile(ttfts(timings, scale), 0.5)).toBeGreaterThan(ttftMs.p50 * 0.9);
    expect(quantile(ttfts(timings, scale), 0.5)).toBeLessThan(ttftMs.p50 * 1.35 + latenessMs);
    expect(quantile(itls(timings, scale), 0.5)).toBeGreaterThan(itlMs.p50 * 0.9);
    expect(quantile(itls(timings, scale), 0.5)).toBeLessThan(itlMs.p50 * 1.15 + latenessMs);
  });

  it('raises TTFT and ITL under load, as continuous batching does', async () => {
    const scale = 0.15;
    const shape = { model: SERVED, promptTokens: 512, outputTokens: 16 };
    const sim = await simulator({ timeScale: scale });
    const openai = client(sim.url);
    await streamCompletion(openai, shape);
    const light: RequestTiming[] = [];
    for (let i = 0; i < 6; i++) light.push(await streamCompletion(openai, shape));
    const heavy = await closedLoop(openai, shape, 32, 2);
    await sim.drain();
    expect(quantile(ttfts(heavy, scale), 0.5)).toBeGreaterThan(2 * quantile(ttfts(light, scale), 0.5));
    expect(mean(itls(heavy, scale))).toBeGreaterThan(1.2 * mean(itls(light, scale)));
  });

  it('meets the SLO at the load per replica the planner sizes for, and visibly misses it undersized', () => {
    const traffic = { promptTokens: 512, outputTokens: 32 };
    const slo = { ttftP95Ms: 1000, itlP95Ms: 500, e2eP95Ms: 60_000 };
    const config = { ...L4_LLAMA, ...traffic };
    const peakRps = 16;
    const sized = sizeReplicas(config, slo, peakRps, SLO_CAPACITY_SHARE, knowledge);
    if (!sized.ok) throw new Error(sized.reason);
    const { replicas, loadPerReplicaRps } = sized.sizing;
    expect(replicas).toBeGreaterThan(1);

    const run = (rps: number) => {
      const timings = virtualOpenLoop(timingFor(), traffic, rps, 400, 5);
      return { ttftP95: quantile(ttfts(timings, 1), 0.95), itlP95: quantile(itls(timings, 1), 0.95) };
    };
    // Every replica carries the same share of the peak; one stands for all.
    const good = run(loadPerReplicaRps);
    expect(good.ttftP95).toBeLessThan(slo.ttftP95Ms);
    expect(good.itlP95).toBeLessThan(slo.itlP95Ms);
    // A third of the replicas the planner asks for.
    const undersized = run(peakRps / Math.max(1, Math.floor(replicas / 3)));
    expect(undersized.ttftP95).toBeGreaterThan(2 * slo.ttftP95Ms);
  });
});
