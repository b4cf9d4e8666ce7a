/**
 * ShareGPT's reply lengths, as the load generators draw them, follow the published length distribution of the vLLM
 * paper's artifact (data/benchmarks/sharegpt-lengths.json): the series' output-length CV is the log-normal that
 * matches that distribution's body, and a Weibull of that CV (the family the burst simulator draws ShareGPT replies
 * from) matches its whole range, the short replies included.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMeasurementFiles } from '../../src/knowledge/measurements.js';
import { packageRoot } from '../../src/paths.js';
import {
  lengthQuantileOverMean,
  lognormalFromMean,
  normalQuantile,
  outputShapeOfDataset,
  weibullFromCv,
} from '../../src/planner/distributions.js';

interface LengthStats {
  mean: number;
  p05: number;
  p10: number;
  p25: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
}

const published = JSON.parse(
  readFileSync(join(packageRoot, 'data', 'benchmarks', 'sharegpt-lengths.json'), 'utf8'),
) as { samples: Record<'firstTurns' | 'vllmBenchFilter', { replyTokens: LengthStats }> };

const QUANTILES = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 } as const;

/** Quantile over mean of a log-normal with the given CV. */
function lognormalRatio(cv: number, q: number): number {
  const { mu, sigma } = lognormalFromMean(1, cv);
  return Math.exp(mu + sigma * normalQuantile(q));
}

/** The CV whose log-normal best matches the published quantile/mean ratios (least squares in log), by bisection. */
function fittedCv(stats: LengthStats): number {
  const misfit = (cv: number) =>
    Object.entries(QUANTILES).reduce(
      (sum, [key, q]) =>
        sum + Math.log(lognormalRatio(cv, q) / (stats[key as keyof typeof QUANTILES] / stats.mean)) ** 2,
      0,
    );
  let lo = 0.1;
  let hi = 3;
  for (let i = 0; i < 60; i++) {
    const a = lo + (hi - lo) / 3;
    const b = hi - (hi - lo) / 3;
    if (misfit(a) < misfit(b)) hi = b;
    else lo = a;
  }
  return (lo + hi) / 2;
}

describe('ShareGPT reply lengths', () => {
  it('have a body a log-normal of CV ≈ 0.8–0.9 matches within 15%, where CV 1.0 puts p99 ≥ 15% too high', () => {
    for (const { replyTokens } of Object.values(published.samples)) {
      const cv = fittedCv(replyTokens);
      expect(cv).toBeGreaterThan(0.75);
      expect(cv).toBeLessThan(0.9);
      for (const [key, q] of Object.entries(QUANTILES)) {
        const ratio = replyTokens[key as keyof typeof QUANTILES] / replyTokens.mean;
        expect(Math.abs(Math.log(lognormalRatio(cv, q) / ratio)), key).toBeLessThan(Math.log(1.15));
      }
      expect(lognormalRatio(1, 0.99) / (replyTokens.p99 / replyTokens.mean)).toBeGreaterThan(1.15);
    }
  });

  it('are drawn in every ShareGPT series with the CV fitted to the published sample its load generator takes', () => {
    // A run where some requests stream no text (`emptyOutputShare`) gives the others' spread as its raw output
    // measured it: their replies end early, so the published sample's CV does not describe them.
    const sharegpt = readMeasurementFiles().series.filter(
      (s) => s.traffic.dataset.startsWith('ShareGPT') && s.traffic.emptyOutputShare === undefined,
    );
    expect(sharegpt.length).toBeGreaterThan(0);
    for (const series of sharegpt) {
      // gpustack's GuideLLM runner takes the first turns unfiltered; vLLM's samplers apply is_valid_sequence.
      const sample = series.traffic.dataset.includes('GuideLLM') ? 'firstTurns' : 'vllmBenchFilter';
      const cv = fittedCv(published.samples[sample].replyTokens);
      expect(Math.abs(series.traffic.outputTokensCv - cv), series.id).toBeLessThanOrEqual(0.006);
    }
  });
});

describe('ShareGPT reply lengths as a Weibull', () => {
  const WHOLE = { p05: 0.05, p10: 0.1, p25: 0.25, ...QUANTILES } as const;
  const cvOf = { firstTurns: 0.87, vllmBenchFilter: 0.8 } as const;

  it('a Weibull of the CV has that CV (shape k, scale 1/Γ(1 + 1/k)); k = 1 is the exponential', () => {
    const exponential = weibullFromCv(1);
    expect(exponential.k).toBeCloseTo(1, 3);
    expect(exponential.scale).toBeCloseTo(1, 3);
    // k = 2 (Rayleigh): CV √(4/π − 1) = 0.5227, Γ(1.5) = √π / 2.
    const rayleigh = weibullFromCv(Math.sqrt(4 / Math.PI - 1));
    expect(rayleigh.k).toBeCloseTo(2, 3);
    expect(rayleigh.scale).toBeCloseTo(2 / Math.sqrt(Math.PI), 3);
  });

  it('matches the published p10–p99 over the mean within 17% (p05 within 35%), where the log-normal of the same CV puts p10 ≥ 85% too long', () => {
    for (const [sample, cv] of Object.entries(cvOf) as [keyof typeof cvOf, number][]) {
      const replies = published.samples[sample].replyTokens;
      for (const [key, q] of Object.entries(WHOLE)) {
        const ratio = replies[key as keyof typeof WHOLE] / replies.mean;
        const weibull = lengthQuantileOverMean('weibull', cv, q);
        const tolerance = key === 'p05' ? 1.35 : 1.17;
        expect(Math.abs(Math.log(weibull / ratio)), `${sample} ${key}`).toBeLessThan(Math.log(tolerance));
      }
      expect(lengthQuantileOverMean('lognormal', cv, 0.1) / (replies.p10 / replies.mean)).toBeGreaterThan(
        1.85,
      );
    }
  });

  it("is the output family of every ShareGPT dataset, and of no synthetic one (their lengths are the runner's settings)", () => {
    for (const series of readMeasurementFiles().series) {
      const sharegpt = series.traffic.dataset.startsWith('ShareGPT');
      expect(outputShapeOfDataset(series.traffic.dataset), series.id).toBe(sharegpt ? 'weibull' : undefined);
    }
  });
});
