import { describe, expect, it } from 'vitest';
import {
  type Advice,
  capacityAdvice,
  type Observation,
  sloSummary,
  WhatIfPrefill,
} from '../../src/monitor/index.js';
import { whatIf } from '../../src/planner/index.js';
import { AT, deployedOption, observation } from './fixtures.js';

const { knowledge, spec, option, targets } = deployedOption();
const burstiness = spec.traffic.peakQps.value / spec.traffic.avgQps.value;

function adviceFor(overrides: Partial<Observation>, breaching?: boolean): Advice[] {
  const summary = sloSummary(observation(overrides), option, targets, {
    deployment: 'support-bot',
    deployedAt: new Date(Date.parse(AT) - 3.6e6),
  });
  return capacityAdvice({
    summary,
    option,
    spec,
    knowledge,
    ...(breaching === undefined ? {} : { breaching }),
  });
}

/** The what-if the advice's button opens, run through the planner: it must show the advice's own figures. */
function replay(advice: Advice) {
  const prefill = WhatIfPrefill.parse(JSON.parse(JSON.stringify(advice.prefill)));
  expect(prefill.optionId).toBe(option.id);
  const { scenario } = whatIf(spec, option, prefill.overrides, knowledge);
  if (scenario.kind !== 'planned') throw new Error(`the advice's what-if is not planned: ${scenario.kind}`);
  return scenario.option;
}

describe('capacity advice', () => {
  it('suggests fewer replicas when load is low, the queue empty and the KV cache mostly idle, with the saving', () => {
    expect(option.replicas).toBe(3);
    const advice = adviceFor({ requestsPerSec: 0.3, queueDepth: 0, kvCacheUsage: 0.1, replicas: 3 });
    expect(advice).toHaveLength(1);
    const [fewer] = advice;
    expect(fewer!.kind).toBe('fewer-replicas');
    expect(fewer!.prefill.overrides.peakQps).toBeCloseTo(0.3 * burstiness, 2);
    const planned = replay(fewer!);
    expect(fewer!.replicas).toEqual({ from: 3, to: planned.replicas });
    expect(planned.replicas).toBeLessThan(3);
    expect(planned.meetsSlo).toBe(true);
    expect(fewer!.monthlyCostDeltaUsd).toBe(planned.monthlyCostUsd - option.monthlyCostUsd);
    expect(fewer!.monthlyCostDeltaUsd).toBeLessThan(0);
    expect(fewer!.predicted).toEqual({
      ttftP95Ms: planned.predicted.ttftP95Ms,
      itlP95Ms: planned.predicted.itlP95Ms,
      e2eP95Ms: planned.predicted.e2eP95Ms,
      meetsSlo: true,
    });
    expect(fewer!.text).toMatch(/^Under-used: .* 1 replica instead of 3 carries .*−\$[\d,]+\/month\.$/);
  });

  it('prices a change against the replicas that run, not the ones planned', () => {
    const [fewer] = adviceFor({ requestsPerSec: 0.3, kvCacheUsage: 0.1, replicas: 2 });
    const planned = replay(fewer!);
    expect(fewer!.replicas).toEqual({ from: 2, to: planned.replicas });
    expect(fewer!.monthlyCostDeltaUsd).toBeCloseTo(
      planned.monthlyCostUsd - (option.monthlyCostUsd / 3) * 2,
      8,
    );
  });

  it('keeps quiet when the capacity is in use: a busy KV cache, a queue, one replica, or load near the plan', () => {
    expect(adviceFor({ requestsPerSec: 0.3, kvCacheUsage: 0.8 })).toEqual([]);
    expect(adviceFor({ requestsPerSec: 0.3, kvCacheUsage: 0.1, queueDepth: 0.6 })).toEqual([]);
    expect(adviceFor({ requestsPerSec: 0.3, kvCacheUsage: 0.1, replicas: 1 })).toEqual([]);
    expect(adviceFor({ requestsPerSec: option.predicted.maxRps / burstiness })).toEqual([]);
  });

  it('gives no advice without traffic figures or with nothing up', () => {
    expect(adviceFor({ requestsPerSec: null })).toEqual([]);
    expect(adviceFor({ replicas: 0, queueDepth: 9 })).toEqual([]);
  });

  it('suggests more replicas when requests queue, sized by the planner for the observed load', () => {
    const advice = adviceFor({ requestsPerSec: 3, queueDepth: 6, replicas: 3 });
    expect(advice.map((a) => a.kind)).toEqual(['more-replicas']);
    const [more] = advice;
    const planned = replay(more!);
    expect(more!.replicas).toEqual({ from: 3, to: planned.replicas });
    expect(planned.replicas).toBeGreaterThan(3);
    expect(more!.monthlyCostDeltaUsd).toBe(planned.monthlyCostUsd - option.monthlyCostUsd);
    expect(more!.monthlyCostDeltaUsd).toBeGreaterThan(0);
    expect(more!.text).toMatch(
      /^2 requests waiting per replica: \d+ replicas instead of 3 .*\+\$[\d,]+\/month/,
    );
  });

  it('suggests at least one more replica on a breach even when the planner thinks the current count suffices', () => {
    const advice = adviceFor({ requestsPerSec: 1.2, queueDepth: 0.5, ttftP95Ms: targets.ttftP95Ms * 2 });
    const [more] = advice;
    expect(more!.kind).toBe('more-replicas');
    expect(more!.replicas).toEqual({ from: 3, to: 4 });
    expect(more!.text).toMatch(/^TTFT p95 at 1 s, over its 500 ms target: 4 replicas instead of 3/);
    expect(replay(more!).replicas).toBe(4);
  });

  it('suggests a faster option when a latency misses at light load, where more replicas would not help', () => {
    const advice = adviceFor({ requestsPerSec: 0.3, queueDepth: 0, itlP95Ms: targets.itlP95Ms * 1.5 });
    expect(advice.map((a) => a.kind)).toEqual(['faster-option']);
    const [faster] = advice;
    expect(faster!.prefill.overrides.tensorParallel).toBe(option.tensorParallel * 2);
    const planned = replay(faster!);
    expect(planned.tensorParallel).toBe(option.tensorParallel * 2);
    expect(faster!.predicted?.itlP95Ms).toBe(planned.predicted.itlP95Ms);
    expect(planned.predicted.itlP95Ms).toBeLessThan(option.predicted.itlP95Ms);
  });

  it('follows the breach detector over the summary when told', () => {
    expect(adviceFor({ requestsPerSec: 2, ttftP95Ms: targets.ttftP95Ms * 2 }, false)).toEqual([]);
    expect(adviceFor({ requestsPerSec: 2 }, true).map((a) => a.kind)).toEqual(['more-replicas']);
  });
});
