/**
 * The feedback loop's pure half: an observed window becomes an outcome (observed vs predicted for that traffic), the
 * outcome becomes a measured point, and the planner's next prediction for the configuration moves to what was
 * observed and says it is calibrated from it.
 */
import { describe, expect, it } from 'vitest';
import type { Knowledge } from '../../src/knowledge/catalog.js';
import { type Outcome, observedPoint, outcomeOf, replicaAtTraffic } from '../../src/monitor/index.js';
import { planDeployment, predictPerformance } from '../../src/planner/index.js';
import { deployedOption, observation } from './fixtures.js';

const { knowledge, spec, option } = deployedOption();
const DEPLOY_ID = '6f1c1d7e-2a4b-4c3d-9e8f-0a1b2c3d4e5f';
const deploy = { id: DEPLOY_ID, label: 'llm/chat', option };
const medians = { ttftMs: 120, itlMs: 20, e2eMs: 5000 };

/** One replica of the deployed configuration at the spec's traffic, at `rate`. */
const input = (rate: number) =>
  replicaAtTraffic({
    ...option,
    promptTokens: spec.traffic.promptTokens.value,
    outputTokens: spec.traffic.outputTokens.value,
    requestsPerSec: rate,
    replicas: 1,
  });

function predicted(rate: number, on: Knowledge = knowledge) {
  const result = predictPerformance(input(rate), on);
  if (!result.ok) throw new Error(result.reason);
  return result.prediction;
}

/** An outcome of three replicas serving `rate` each, observed at `share` of what the planner predicts. */
function outcomeAt(rate: number, share: number, at = '2026-05-01T12:00:00.000Z'): Outcome {
  const p = predicted(rate);
  const outcome = outcomeOf({
    deploy,
    observed: observation({
      at,
      windowSec: 300,
      requestsPerSec: rate * 3,
      replicas: 3,
      meanPromptTokens: spec.traffic.promptTokens.value,
      meanOutputTokens: spec.traffic.outputTokens.value,
      generationTokensPerSec: rate * 3 * spec.traffic.outputTokens.value,
      ttftP95Ms: p.ttftMs.p95 * share,
      itlP95Ms: p.itlMs.p95 * share,
      e2eP95Ms: p.e2eMs.p95 * share,
    }),
    medians: { ttftMs: p.ttftMs.p50 * share, itlMs: p.itlMs.p50 * share, e2eMs: p.e2eMs.p50 * share },
    knowledge,
  });
  if (!outcome) throw new Error('no outcome');
  return outcome;
}

describe('outcomeOf', () => {
  it('stores the traffic seen, the observed p50/p95s and the prediction for exactly that traffic', () => {
    const rate = option.predicted.loadPerReplicaRps;
    const outcome = outcomeAt(rate, 0.6);
    const p = predicted(rate);
    expect(outcome).toMatchObject({
      deployId: DEPLOY_ID,
      deployment: 'llm/chat',
      modelId: option.modelId,
      gpuId: option.gpuId,
      gpusPerReplica: option.gpusPerReplica,
      tensorParallel: option.tensorParallel,
      precision: option.precision,
      replicas: 3,
      requestsPerSec: rate * 3,
      predicted: { basis: 'estimated' },
    });
    // Three replicas at 3 × rate is `rate` each, to the last bit or so.
    expect(outcome.predicted!.ttftP50Ms).toBeCloseTo(p.ttftMs.p50, 6);
    expect(outcome.predicted!.ttftP95Ms).toBeCloseTo(p.ttftMs.p95, 6);
    expect(outcome.predicted!.itlP95Ms).toBeCloseTo(p.itlMs.p95, 6);
    expect(outcome.predicted!.e2eP95Ms).toBeCloseTo(p.e2eMs.p95, 4);
    expect(outcome.observed.ttftP95Ms).toBeCloseTo(p.ttftMs.p95 * 0.6, 9);
    expect(outcome.observed.itlP50Ms).toBeCloseTo(p.itlMs.p50 * 0.6, 9);
  });

  it('keeps nothing from a window with too few requests or a figure missing', () => {
    // 0.1 req/s over 300 s: 30 requests, fewer than 50.
    const quiet = observation({ requestsPerSec: 0.1 });
    expect(outcomeOf({ deploy, observed: quiet, medians, knowledge })).toBeNull();
    expect(outcomeOf({ deploy, observed: quiet, medians, knowledge, minRequests: 20 })).not.toBeNull();
    expect(
      outcomeOf({ deploy, observed: observation(), medians: { ...medians, itlMs: null }, knowledge }),
    ).toBeNull();
    expect(
      outcomeOf({ deploy, observed: observation({ meanPromptTokens: null }), medians, knowledge }),
    ).toBeNull();
  });

  it('becomes a measured point of one replica at its share of the traffic', () => {
    const outcome = outcomeAt(0.5, 0.6);
    expect(observedPoint(outcome)).toEqual({
      ...input(0.5),
      ttftMs: {
        mean: null,
        p50: outcome.observed.ttftP50Ms,
        p90: null,
        p95: outcome.observed.ttftP95Ms,
        p99: null,
      },
      itlMs: {
        mean: null,
        p50: outcome.observed.itlP50Ms,
        p90: null,
        p95: outcome.observed.itlP95Ms,
        p99: null,
      },
      e2eMs: {
        mean: null,
        p50: outcome.observed.e2eP50Ms,
        p90: null,
        p95: outcome.observed.e2eP95Ms,
        p99: null,
      },
      requestsPerSec: 0.5,
      outputTokensPerSec: 0.5 * spec.traffic.outputTokens.value,
      source: 'observed: llm/chat at 2026-05-01 12:00 UTC',
    });
  });
});

describe('outcomes with exact means', () => {
  it('keeps the histograms’ exact means, and the measured point fits its centre to them, not to the median', () => {
    const outcome = outcomeOf({
      deploy,
      observed: observation({ requestsPerSec: 1, ttftMeanMs: 180, itlMeanMs: 26, e2eMeanMs: 5200 }),
      medians,
      knowledge,
    });
    if (!outcome) throw new Error('no outcome');
    expect(outcome.observed).toMatchObject({ ttftMeanMs: 180, itlMeanMs: 26, e2eMeanMs: 5200 });
    const point = observedPoint(outcome);
    expect(point.itlMs).toEqual({
      mean: 26,
      p50: null,
      p90: null,
      p95: outcome.observed.itlP95Ms,
      p99: null,
    });
    expect(point.ttftMs.mean).toBe(180);
    expect(point.e2eMs.mean).toBe(5200);
  });
});

describe('the planner calibrated by outcomes', () => {
  const rate = option.predicted.loadPerReplicaRps;
  const first = outcomeAt(rate, 0.6);
  const learned: Knowledge = { ...knowledge, benchmarks: [observedPoint(first)] };

  it('predicts what was observed for the observed traffic, and says it is calibrated from it', () => {
    const before = predicted(rate);
    const after = predicted(rate, learned);
    expect(before.evidence.observations).toBe(0);
    expect(before.notes.join(' ')).not.toMatch(/observation/);
    for (const family of ['ttftMs', 'itlMs', 'e2eMs'] as const) {
      const observed = before[family].p95 * 0.6;
      expect(Math.abs(after[family].p95 - observed)).toBeLessThan(
        Math.abs(before[family].p95 - observed) / 10,
      );
    }
    expect(after.basis).toBe('measured');
    expect(after.evidence.observations).toBe(1);
    expect(after.notes).toContain(
      'Calibrated from 1 observation of deployed replicas of this configuration: what Prometheus saw them serve.',
    );
  });

  it('carries the correction to other loads of the same configuration', () => {
    const before = predicted(rate * 1.5);
    const after = predicted(rate * 1.5, learned);
    expect(after.basis).toBe('interpolated');
    expect(after.ttftMs.p95).toBeLessThan(before.ttftMs.p95);
    expect(after.itlMs.p95).toBeLessThan(before.itlMs.p95);
  });

  it('counts every observation of the configuration, and the next plan says so', () => {
    const twice: Knowledge = {
      ...knowledge,
      benchmarks: [observedPoint(first), observedPoint(outcomeAt(rate / 2, 0.6, '2026-05-01T12:10:00.000Z'))],
    };
    expect(predicted(rate, twice).evidence.observations).toBe(2);
    const plan = planDeployment(spec, twice);
    const same = plan.recommendations.find((candidate) => candidate.id === option.id);
    expect(same?.observations).toBe(2);
    expect(same?.rationale).toMatch(
      /Calibrated from 2 observations of deployed replicas of this configuration\.$/,
    );
    expect(
      planDeployment(spec, knowledge).recommendations.find((c) => c.id === option.id)?.observations,
    ).toBe(undefined);
  });
});
