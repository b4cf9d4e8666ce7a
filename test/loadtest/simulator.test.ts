/**
 * `compass loadtest` against the simulator: what the load generator measures on the client agrees with what the
 * server itself recorded in /metrics (vLLM's histograms' sums and counts), at light, moderate and heavy load.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../simulator/server.js';
import { parseGuidellmReport } from '../../src/knowledge/guidellm.js';
import { predictPerformance } from '../../src/planner/index.js';
import { knowledge, L4_LLAMA, SERVED, simulator } from '../simulator/fixtures.js';
import { cli } from '../support/cli.js';

const HISTOGRAMS = {
  ttft: 'time_to_first_token_seconds',
  itl: 'inter_token_latency_seconds',
  e2e: 'e2e_request_latency_seconds',
} as const;
type Totals = Record<keyof typeof HISTOGRAMS, { sum: number; count: number }>;

/** Sums and counts of vLLM's latency histograms as /metrics shows them now. */
async function histogramTotals(sim: RunningSimulator): Promise<Totals> {
  const text = await (await fetch(`${sim.url}/metrics`)).text();
  const read = (name: string) =>
    Number(text.match(new RegExp(`^vllm:${name}\\{[^}]*\\} (\\S+)$`, 'm'))?.[1] ?? Number.NaN);
  const totals = (histogram: string) => ({
    sum: read(`${histogram}_sum`),
    count: read(`${histogram}_count`),
  });
  return {
    ttft: totals(HISTOGRAMS.ttft),
    itl: totals(HISTOGRAMS.itl),
    e2e: totals(HISTOGRAMS.e2e),
  };
}

/** The mean in ms of what a histogram recorded between two scrapes. */
const meanMsBetween = (before: Totals, after: Totals, name: keyof Totals) =>
  (1000 * (after[name].sum - before[name].sum)) / (after[name].count - before[name].count);

let sim: RunningSimulator | null = null;
afterEach(async () => {
  await sim?.drain();
  sim = null;
});

const PROMPT = 2048;
const OUTPUT = 24;
const TIME_SCALE = 0.5;

describe('compass loadtest against the simulator', () => {
  const predicted = predictPerformance(
    { ...L4_LLAMA, promptTokens: PROMPT, outputTokens: OUTPUT, load: { kind: 'rate', value: 0.01 } },
    knowledge,
  );
  if (!predicted.ok) throw new Error(predicted.reason);
  // Time scale 0.5 doubles the capacity in wall-clock terms.
  const capacity = predicted.prediction.capacityRequestsPerSec / TIME_SCALE;

  it.each([0.3, 0.6, 0.9])(
    'reproduces the simulator’s own TTFT, ITL and E2E means within 5 percent at %s × capacity',
    async (share) => {
      sim = await simulator({ timeScale: TIME_SCALE, seed: 3 });
      // Warm-up outside the scrapes (the run itself then has none): the first fetch pays for connecting and compiling.
      await cli(
        [
          'loadtest',
          sim.url,
          '--prompt-tokens',
          '8',
          '--output-tokens',
          '2',
          '--concurrency',
          '1',
          '--max-requests',
          '1',
        ],
        {},
      );
      const before = await histogramTotals(sim);
      const rate = Number((share * capacity).toFixed(2));
      const run = await cli(
        [
          'loadtest',
          sim.url,
          '--prompt-tokens',
          String(PROMPT),
          '--output-tokens',
          String(OUTPUT),
          '--rate',
          String(rate),
          '--arrivals',
          'poisson',
          '--max-requests',
          '16',
          '--max-seconds',
          '60',
          '--warmup',
          '0',
        ],
        {},
      );
      expect(run.stderr).toMatch(/point 1\/1 \([\d.]+ req\/s poisson\): \d+\/\d+ done/);
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
      expect(report.args.model).toBe(SERVED);
      const [point] = parseGuidellmReport(report, {
        modelId: L4_LLAMA.modelId,
        gpuId: 'L4',
        tensorParallel: 1,
        source: 'loadtest',
      });
      const after = await histogramTotals(sim);
      expect(after.e2e.count - before.e2e.count).toBe(16);
      expect(point!.load).toEqual({ kind: 'rate', value: rate });
      expect(point!.promptTokens).toBe(PROMPT);
      expect(point!.outputTokens).toBe(OUTPUT);
      const relative = (client: number, own: number) => Math.abs(client - own) / own;
      const server = {
        ttft: meanMsBetween(before, after, 'ttft'),
        itl: meanMsBetween(before, after, 'itl'),
        e2e: meanMsBetween(before, after, 'e2e'),
      };
      expect(relative(point!.ttftMs.mean!, server.ttft)).toBeLessThan(0.05);
      expect(relative(point!.itlMs.mean!, server.itl)).toBeLessThan(0.05);
      expect(relative(point!.e2eMs.mean!, server.e2e)).toBeLessThan(0.05);
    },
    90_000,
  );
});
