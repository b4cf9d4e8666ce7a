import { describe, expect, it } from 'vitest';
import { DEFAULT_ERROR_RATE_TARGET, sloSummary } from '../../src/monitor/index.js';
import { costPerMillionOutputTokens } from '../../src/planner/index.js';
import { AT, deployedOption, idleObservation, observation } from './fixtures.js';

const { option, targets } = deployedOption();
const context = { deployment: 'support-bot', deployedAt: new Date(Date.parse(AT) - 36 * 3.6e6) };

describe('sloSummary', () => {
  it('checks each p95 against its target and against the planner’s prediction', () => {
    const observed = observation({
      ttftP95Ms: targets.ttftP95Ms * 1.2,
      itlP95Ms: option.predicted.itlP95Ms,
      e2eP95Ms: option.predicted.e2eP95Ms / 2,
    });
    const summary = sloSummary(observed, option, targets, context);
    const [ttft, itl, e2e] = summary.latency;
    expect(ttft).toEqual({
      metric: 'ttft',
      observedMs: targets.ttftP95Ms * 1.2,
      targetMs: targets.ttftP95Ms,
      predictedMs: option.predicted.ttftP95Ms,
      meetsTarget: false,
      vsPredictedPct: expect.closeTo(((targets.ttftP95Ms * 1.2) / option.predicted.ttftP95Ms - 1) * 100, 10),
    });
    expect(itl).toMatchObject({ metric: 'itl', meetsTarget: true, vsPredictedPct: 0 });
    expect(e2e).toMatchObject({ metric: 'e2e', meetsTarget: true });
    expect(e2e!.vsPredictedPct).toBeCloseTo(-50, 10);
    expect(summary.status).toBe('missing');
  });

  it('counts a p95 exactly at its target as met', () => {
    const summary = sloSummary(observation({ ttftP95Ms: targets.ttftP95Ms }), option, targets, context);
    expect(summary.latency[0]!.meetsTarget).toBe(true);
    expect(summary.status).toBe('meeting');
  });

  it('judges the HTTP 5xx share where vLLM’s HTTP metrics exist, else the aborted share, against the error target', () => {
    const http = sloSummary(observation({ httpErrorRate: 0.02, abortedShare: 0 }), option, targets, context);
    expect(http.errors).toEqual({
      rate: 0.02,
      source: 'http-5xx',
      target: DEFAULT_ERROR_RATE_TARGET,
      meetsTarget: false,
    });
    expect(http.status).toBe('missing');
    const aborted = sloSummary(observation({ abortedShare: 0.004 }), option, targets, {
      ...context,
      errorRateTarget: 0.005,
    });
    expect(aborted.errors).toEqual({ rate: 0.004, source: 'aborted', target: 0.005, meetsTarget: true });
    expect(aborted.status).toBe('meeting');
  });

  it('has nothing to judge in a window without requests', () => {
    const summary = sloSummary(idleObservation(), option, targets, context);
    expect(summary.status).toBe('no-traffic');
    expect(summary.latency.map((check) => check.meetsTarget)).toEqual([null, null, null]);
    expect(summary.latency.map((check) => check.vsPredictedPct)).toEqual([null, null, null]);
    expect(summary.errors.meetsTarget).toBeNull();
    expect(summary.cost.perMillionOutputTokensUsd).toBeNull();
    expect(summary.traffic.loadShare).toBe(0);
  });

  it('puts load against the planned capacity and carries queue, KV cache and replicas through', () => {
    const summary = sloSummary(
      observation({ requestsPerSec: 1.5, queueDepth: 0.2, queueDepthMax: 3, replicas: 2 }),
      option,
      targets,
      context,
    );
    expect(summary.traffic.capacityRps).toBe(option.predicted.maxRps);
    expect(summary.traffic.loadShare).toBeCloseTo(1.5 / option.predicted.maxRps, 12);
    expect(summary.traffic.predictedLoadPerReplicaRps).toBe(option.predicted.loadPerReplicaRps);
    expect(summary.queue).toEqual({ mean: 0.2, max: 3 });
    expect(summary.kvCache).toEqual({ mean: 0.3, max: 0.5 });
    expect(summary.replicas).toEqual({ observed: 2, planned: option.replicas });
  });

  it('prices the time since deploy and the observed tokens with the option’s hourly cost', () => {
    const summary = sloSummary(observation({ generationTokensPerSec: 400 }), option, targets, context);
    expect(summary.cost.hoursRunning).toBeCloseTo(36, 10);
    expect(summary.cost.soFarUsd).toBeCloseTo(option.hourlyCostUsd * 36, 8);
    // $/h over (tokens/s × 3600 s/h) per million tokens.
    expect(summary.cost.perMillionOutputTokensUsd).toBeCloseTo(
      (option.hourlyCostUsd / (400 * 3600)) * 1e6,
      10,
    );
    expect(summary.cost.perMillionOutputTokensUsd).toBeCloseTo(
      costPerMillionOutputTokens(option.hourlyCostUsd, 400 / 250, 250),
      10,
    );
    expect(summary.cost.predictedPerMillionOutputTokensUsd).toBe(option.costPerMillionOutputTokensUsd);
  });

  it('never counts cost before the deploy', () => {
    const early = sloSummary(observation(), option, targets, {
      ...context,
      deployedAt: new Date(Date.parse(AT) + 1e3),
    });
    expect(early.cost.hoursRunning).toBe(0);
    expect(early.cost.soFarUsd).toBe(0);
  });
});
