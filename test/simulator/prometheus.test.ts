/**
 * A real Prometheus (Debian's /usr/bin/prometheus) scrapes the simulator every second while clients put load on it;
 * histogram_quantile over vllm:time_to_first_token_seconds must agree with the p95 the clients measured, to within
 * what a histogram can say: the width of the bucket the quantile falls in, plus the few milliseconds between the
 * server observing a token and the client receiving it. The simulator runs on a punctual clock and the clients time
 * their requests on that same clock, so a busy host (a CPU hog beside CI) slows the run's pace but moves neither side's
 * latencies: on real time, its stalls landed in the clients' p95 alone and pushed it into the coarse 100–250 ms bucket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../simulator/server.js';
import {
  CLIENT_SIDE_SEC,
  type RunningPrometheus,
  startPrometheus,
  widestBucketAround,
} from '../support/prometheus.js';
import { punctualClock } from '../support/punctual-clock.js';
import { SERVED, simulator } from './fixtures.js';
import { client, openLoop, quantile, streamCompletion } from './load.js';

let sim: RunningSimulator;
let prometheus: RunningPrometheus;
const clock = punctualClock();

beforeAll(async () => {
  sim = await simulator({ timeScale: 0.15, clock });
  // Warm the client and server before Prometheus' first scrape, so the rate() window holds only the measured load.
  await streamCompletion(client(sim.url), { model: SERVED, promptTokens: 256, outputTokens: 4 }, clock.now);
  prometheus = await startPrometheus([{ job: 'simulator', targets: [`127.0.0.1:${sim.port}`] }]);
  expect(await prometheus.value('up{job="simulator"}')).toBe(1);
}, 30_000);

afterAll(async () => {
  await prometheus?.stop();
  await sim?.drain();
});

describe('the simulator under a real Prometheus', () => {
  it('yields a TTFT p95 from histogram_quantile that agrees with the clients’ p95', async () => {
    const shape = { model: SERVED, promptTokens: 256, outputTokens: 4 };
    const timings = await openLoop(client(sim.url), shape, 30, 120, 9, clock.now);
    const clientP95 = quantile(
      timings.map((t) => t.ttftMs / 1e3),
      0.95,
    );
    // Let two more scrapes pick up the last observations.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const requests = await prometheus.value('sum(vllm:request_success_total{finished_reason="length"})');
    expect(requests).toBe(121);
    const promP95 = await prometheus.value(
      'histogram_quantile(0.95, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket[1m])))',
    );
    expect(promP95).not.toBeNull();
    const tolerance = widestBucketAround(clientP95 - CLIENT_SIDE_SEC, clientP95) + CLIENT_SIDE_SEC;
    expect(Math.abs(promP95! - clientP95)).toBeLessThanOrEqual(tolerance);
    // The comparison says something only where a bucket is narrower than the value itself (the time scale keeps the
    // p95, async scheduling's extra step included, in the 20 ms buckets below 100 ms at any host speed: the punctual
    // clock keeps the modelled latencies).
    expect(tolerance).toBeLessThan(clientP95);
  }, 30_000);
});
