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
      verdict: 'breach',
      p95Bucket: null,
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

  it('prices the replicas Prometheus saw up, and the planned count for the time it holds no record of', () => {
    const perReplica = option.hourlyCostUsd / option.replicas;
    // 36 h running: Prometheus holds the last 30, in which 75 replica-hours ran (the autoscaler at work).
    const partly = sloSummary(observation({ replicas: 2, generationTokensPerSec: 400 }), option, targets, {
      ...context,
      uptime: { replicaHours: 75, coveredHours: 30 },
    });
    expect(partly.cost.soFarUsd).toBeCloseTo(perReplica * 75 + option.hourlyCostUsd * 6, 8);
    expect(partly.cost.observedShare).toBeCloseTo(30 / 36, 12);
    // The hourly rate and the cost per token are those of the two replicas up now.
    expect(partly.cost.hourlyUsd).toBeCloseTo(perReplica * 2, 10);
    expect(partly.cost.perMillionOutputTokensUsd).toBeCloseTo(((perReplica * 2) / (400 * 3600)) * 1e6, 10);

    const whole = sloSummary(observation(), option, targets, {
      ...context,
      uptime: { replicaHours: 40, coveredHours: 36.0001 },
    });
    expect(whole.cost.soFarUsd).toBeCloseTo(perReplica * 40, 8);
    expect(whole.cost.observedShare).toBe(1);

    // Nothing in Prometheus (retention, or scaled to zero): as planned.
    const none = sloSummary(observation(), option, targets, {
      ...context,
      uptime: { replicaHours: null, coveredHours: null },
    });
    expect(none.cost.soFarUsd).toBeCloseTo(option.hourlyCostUsd * 36, 8);
    expect(none.cost.observedShare).toBe(0);
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

describe('sloSummary from histograms', () => {
  /** All of a window's requests at `ms`, in ITL's buckets (vLLM's 10/25/50/75 ms). */
  const itlAt = (ms: number) => ({
    buckets: [10, 25, 50, 75].map((leMs) => ({ leMs, perSec: ms <= leMs ? 2 : 0 })),
    totalPerSec: 2,
  });
  const withItl = (ms: number, interpolatedP95: number) =>
    sloSummary(
      observation({ itlP95Ms: interpolatedP95, itlHistogram: itlAt(ms) }),
      option,
      { ...targets, itlP95Ms: 40 },
      context,
    );

  it('judges the buckets, not the interpolated p95, and shows the bucket', () => {
    const undecided = withItl(26, 48.75);
    expect(undecided.latency[1]).toMatchObject({
      verdict: 'cannot-tell',
      meetsTarget: null,
      p95Bucket: { fromMs: 25, toMs: 50 },
    });
    expect(undecided.status).toBe('meeting');
    expect(withItl(60, 73.75).latency[1]).toMatchObject({ verdict: 'breach', meetsTarget: false });
    expect(withItl(60, 73.75).status).toBe('missing');
    expect(withItl(20, 24.25).latency[1]).toMatchObject({ verdict: 'pass', meetsTarget: true });
  });
});
