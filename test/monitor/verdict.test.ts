import { describe, expect, it } from 'vitest';
import {
  histogramOf,
  intervalText,
  type LatencyHistogram,
  quantileBucket,
  sloVerdict,
} from '../../src/monitor/index.js';

/** vLLM v0.11's bucket bounds (vllm/v1/metrics/loggers.py), in ms. */
const ITL = [10, 25, 50, 75, 100, 150, 200, 300, 400, 500, 750, 1000, 2500];
const TTFT = [1, 5, 10, 20, 40, 60, 80, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
const E2E = [300, 500, 800, 1000, 1500, 2000, 2500, 5000, 10000, 15000, 20000, 30000, 40000];

/** The histogram of requests with these latencies (ms), as rate(…_bucket) over a window reports it. */
function histogram(bounds: number[], latencies: number[], windowSec = 60): LatencyHistogram {
  const perSec = (n: number) => n / windowSec;
  return {
    buckets: bounds.map((leMs) => ({ leMs, perSec: perSec(latencies.filter((l) => l <= leMs).length) })),
    totalPerSec: perSec(latencies.length),
  };
}

const steady = (bounds: number[], ms: number, n = 200) => histogram(bounds, Array(n).fill(ms));

describe('sloVerdict', () => {
  it('does not call a steady 26 ms ITL a breach of 40 ms, though the interpolated p95 reads 48.75 ms', () => {
    const h = steady(ITL, 26);
    // What histogram_quantile reports: linear inside (25, 50].
    expect(25 + (50 - 25) * 0.95).toBe(48.75);
    expect(sloVerdict(h, 40)).toEqual({ kind: 'cannot-tell', p95: { fromMs: 25, toMs: 50 } });
  });

  it('passes definitely when 95% are within a bound at or under the target', () => {
    expect(sloVerdict(steady(ITL, 22), 40)).toMatchObject({ kind: 'pass', boundMs: 25, share: 1 });
    expect(sloVerdict(steady(TTFT, 180), 300)).toMatchObject({ kind: 'pass', boundMs: 250 });
    expect(sloVerdict(steady(E2E, 9000), 12000)).toMatchObject({ kind: 'pass', boundMs: 10000 });
  });

  it('breaches definitely when under 95% are within a bound at or over the target', () => {
    expect(sloVerdict(steady(ITL, 60), 40)).toMatchObject({ kind: 'breach', boundMs: 50, share: 0 });
    expect(sloVerdict(steady(TTFT, 600), 300)).toMatchObject({ kind: 'breach', boundMs: 500 });
    expect(sloVerdict(steady(E2E, 16000), 12000)).toMatchObject({ kind: 'breach', boundMs: 15000 });
  });

  it('decides every case when the target is a bucket bound', () => {
    expect(sloVerdict(steady(ITL, 50), 50)).toMatchObject({ kind: 'pass', boundMs: 50 });
    expect(sloVerdict(steady(ITL, 50.5), 50)).toMatchObject({ kind: 'breach', boundMs: 50 });
    expect(sloVerdict(steady(TTFT, 240), 250).kind).toBe('pass');
    expect(sloVerdict(steady(TTFT, 260), 250).kind).toBe('breach');
    expect(sloVerdict(steady(E2E, 20000), 20000).kind).toBe('pass');
  });

  it('reads the tail at 95%: 5% slow requests pass, 6% breach', () => {
    const mixed = (slow: number) => histogram(ITL, [...Array(100 - slow).fill(20), ...Array(slow).fill(300)]);
    expect(sloVerdict(mixed(5), 40)).toMatchObject({ kind: 'pass', boundMs: 25, share: 0.95 });
    expect(sloVerdict(mixed(6), 40)).toMatchObject({ kind: 'breach', boundMs: 50, share: 0.94 });
    expect(quantileBucket(mixed(6))).toEqual({ fromMs: 200, toMs: 300 });
  });

  it('cannot tell beyond the last finite bound, and has no verdict without requests', () => {
    expect(sloVerdict(steady(ITL, 4000), 3000)).toEqual({
      kind: 'cannot-tell',
      p95: { fromMs: 2500, toMs: null },
    });
    expect(sloVerdict(steady(ITL, 4000), 2000)).toMatchObject({ kind: 'breach', boundMs: 2500 });
    expect(sloVerdict(histogram(ITL, []), 40)).toEqual({ kind: 'no-data' });
  });

  it('puts a target below the first bound against that bound', () => {
    expect(sloVerdict(steady(ITL, 8), 5)).toEqual({ kind: 'cannot-tell', p95: { fromMs: 0, toMs: 10 } });
    expect(sloVerdict(steady(ITL, 12), 5)).toMatchObject({ kind: 'breach', boundMs: 10 });
  });

  it('keeps the promise "20% under passes or cannot tell, 20% over breaches or cannot tell" on every bound pair', () => {
    for (const bounds of [ITL, TTFT, E2E]) {
      for (let target = bounds[0]! / 2; target < bounds.at(-1)!; target *= 1.07) {
        expect(sloVerdict(steady(bounds, target * 0.8), target).kind).not.toBe('breach');
        expect(sloVerdict(steady(bounds, target * 1.2), target).kind).not.toBe('pass');
      }
    }
  });
});

describe('histogramOf', () => {
  it('orders Prometheus’s per-le rates into ms bounds and takes +Inf as the total', () => {
    expect(
      histogramOf([
        { le: '+Inf', perSec: 3 },
        { le: '0.05', perSec: 2 },
        { le: '0.025', perSec: 1 },
      ]),
    ).toEqual({
      buckets: [
        { leMs: 25, perSec: 1 },
        { leMs: 50, perSec: 2 },
      ],
      totalPerSec: 3,
    });
  });

  it('has nothing without a +Inf bucket or with NaN rates', () => {
    expect(histogramOf([{ le: '0.05', perSec: 2 }])).toBeNull();
    expect(histogramOf([{ le: '+Inf', perSec: Number.NaN }])).toBeNull();
  });
});

describe('intervalText', () => {
  it('names the bucket in the unit of its upper bound', () => {
    expect(intervalText({ fromMs: 25, toMs: 50 })).toBe('25–50 ms');
    expect(intervalText({ fromMs: 0, toMs: 10 })).toBe('0–10 ms');
    expect(intervalText({ fromMs: 750, toMs: 1000 })).toBe('750 ms–1 s');
    expect(intervalText({ fromMs: 10000, toMs: 15000 })).toBe('10–15 s');
    expect(intervalText({ fromMs: 2560000, toMs: null })).toBe('over 2560 s');
  });
});
