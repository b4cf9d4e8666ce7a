/**
 * The inter-token latency's quantile: a mixture of decode-only steps (log-normal jitter) and steps that also carry a
 * prefill chunk of varying length, capped at the chunk budget. Checked against the mixture's CDF integrated here by
 * brute force (a fine grid of the chunk's log-normal), not against the solver's own formulas.
 */
import { describe, expect, it } from 'vitest';
import { itlQuantile, lognormalFromMean, normalQuantile } from '../../src/planner/distributions.js';

/** P(ITL ≤ t) by midpoint sums over both components' standard-normal variables. */
function bruteCdf(
  t: number,
  decode: number,
  extra: number,
  mixedShare: number,
  sigma: number,
  chunkCv: number,
  chunkCap: number,
): number {
  const cells = 20_000;
  const chunk = lognormalFromMean(1, chunkCv);
  let decodeBelow = 0;
  let mixedBelow = 0;
  for (let i = 0; i < cells; i++) {
    const z = normalQuantile((i + 0.5) / cells);
    if (decode * Math.exp(sigma * z) <= t) decodeBelow += 1;
    const length = Math.min(Math.exp(chunk.mu + chunk.sigma * z), chunkCap);
    if (decode + extra * length <= t) mixedBelow += 1;
  }
  return ((1 - mixedShare) * decodeBelow + mixedShare * mixedBelow) / cells;
}

describe('itlQuantile with prompts of varying length', () => {
  const cases = [
    // decode s, extra s, mixed share, jitter σ, chunk CV, chunk cap
    [0.012, 0.03, 0.2, 0.05, 0.96, 4],
    [0.02, 0.01, 0.6, 0.08, 1.31, 2.5],
    [0.008, 0.12, 0.05, 0.05, 2.15, 8],
    [0.03, 0.004, 0.9, 0.1, 0.5, 3],
  ] as const;

  it('is the q-quantile of the mixture for p50, p90, p95 and p99', () => {
    for (const [decode, extra, mixedShare, sigma, chunkCv, chunkCap] of cases) {
      for (const q of [0.5, 0.9, 0.95, 0.99]) {
        const t = itlQuantile(decode, extra, mixedShare, sigma, chunkCv, chunkCap, q);
        const label = `${[decode, extra, mixedShare, sigma, chunkCv, chunkCap, q].join(' ')} → ${t}`;
        // Every step lasts at least the fastest decode and at most the capped chunk's step.
        expect(t, label).toBeGreaterThan(decode * Math.exp(-5 * sigma));
        expect(t, label).toBeLessThanOrEqual((decode + extra * chunkCap) * 1.0001);
        const below = bruteCdf(t * 1.002, decode, extra, mixedShare, sigma, chunkCv, chunkCap);
        const above = bruteCdf(t * 0.998, decode, extra, mixedShare, sigma, chunkCv, chunkCap);
        // The CDF crosses q within ±0.2% of the answer (a capped chunk's atom may make the jump there).
        expect(below, label).toBeGreaterThanOrEqual(q - 1e-3);
        expect(above, label).toBeLessThanOrEqual(q + 1e-3);
      }
    }
  });

  it('grows with q and with the spread of prompt lengths', () => {
    for (const [decode, extra, mixedShare, sigma, chunkCv, chunkCap] of cases) {
      const at = (q: number, cv = chunkCv) => itlQuantile(decode, extra, mixedShare, sigma, cv, chunkCap, q);
      expect(at(0.9)).toBeLessThan(at(0.95));
      expect(at(0.95)).toBeLessThan(at(0.99));
    }
    const [decode, extra, mixedShare, sigma, , chunkCap] = cases[0];
    const p99 = (cv: number) => itlQuantile(decode, extra, mixedShare, sigma, cv, chunkCap, 0.99);
    expect(p99(0.5)).toBeLessThan(p99(1));
    expect(p99(1)).toBeLessThan(p99(2));
  });
});
