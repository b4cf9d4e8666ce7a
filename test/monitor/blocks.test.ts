import { describe, expect, it } from 'vitest';
import {
  capacityAdvice,
  MONITOR_ACTION,
  monitoringErrorBlocks,
  monitoringUnavailable,
  type Observation,
  sloSummary,
  sloSummaryBlocks,
  WhatIfPrefill,
} from '../../src/monitor/index.js';
import type { Block, SlackMessage } from '../../src/slack/blocks/index.js';
import { renderAsText, validateMessage } from '../../src/slack/blocks/index.js';
import { AT, deployedOption, idleObservation, observation } from './fixtures.js';

const { knowledge, spec, option, targets } = deployedOption();
const context = { deployment: 'support-bot', deployedAt: new Date(Date.parse(AT) - 50 * 3.6e6) };
const summaryOf = (observed: Observation) => sloSummary(observed, option, targets, context);

const fieldsOf = (msg: SlackMessage) =>
  msg.blocks
    .flatMap((block: Block) => (block.type === 'section' ? (block.fields ?? []) : []))
    .map((f) => f.text);
const buttonsOf = (msg: SlackMessage) =>
  msg.blocks.flatMap((block: Block) =>
    block.type === 'actions'
      ? block.elements
      : block.type === 'section' && block.accessory
        ? [block.accessory]
        : [],
  );

describe('sloSummaryBlocks', () => {
  it('shows every figure against its target and the prediction, in ten fields within Slack’s limits', () => {
    const msg = sloSummaryBlocks(summaryOf(observation({ ttftP95Ms: 650, generationTokensPerSec: 400 })));
    expect(validateMessage(msg)).toEqual([]);
    const fields = fieldsOf(msg);
    expect(fields).toHaveLength(10);
    // The gap is against the prediction for the traffic observed, which the physics sets; its sign is what is fixed.
    expect(fields[0]).toMatch(
      new RegExp(
        `^\\*TTFT p95\\*\\n650 ms ✗ target 500 ms\\npredicted ${option.predicted.ttftP95Ms.toFixed(0)} ms \\(\\+\\d+%\\)$`,
      ),
    );
    expect(fields[1]).toMatch(/^\*ITL p95\*\n30 ms ✓ target 40 ms\npredicted [\d.]+ ms \(−\d+%\)$/);
    expect(fields.find((f) => f.startsWith('*Error rate*'))).toBe(
      '*Error rate*\n0% ✓ target 1%\naborted share (no HTTP metrics)',
    );
    expect(fields.find((f) => f.startsWith('*Replicas*'))).toBe('*Replicas*\n3 up of 3 planned');
    expect(fields.find((f) => f.startsWith('*Cost so far*'))).toBe(
      `*Cost so far*\n$${Math.round(option.hourlyCostUsd * 50)} over 2.1 days ($${option.hourlyCostUsd}/h now)\nplanned replicas (no uptime in Prometheus)`,
    );
    const cost = (uptime: { replicaHours: number; coveredHours: number }) =>
      fieldsOf(sloSummaryBlocks(sloSummary(observation(), option, targets, { ...context, uptime }))).find(
        (f) => f.startsWith('*Cost so far*'),
      );
    expect(cost({ replicaHours: 60, coveredHours: 30 })).toMatch(
      /\nreplicas seen up for 60% of it, planned for the rest$/,
    );
    expect(cost({ replicaHours: 150, coveredHours: 50 })).toMatch(/\nreplicas seen up$/);
    expect(msg.blocks[1]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '⚠️ Missing TTFT p95 over the last 5 min.' },
    });
    expect(msg.text).toMatch(
      /^support-bot: ⚠️ Missing TTFT p95 over the last 5 min\. TTFT p95 650 ms, ITL p95 30 ms/,
    );
  });

  it('says when everything is met, and when there was nothing to judge', () => {
    expect(sloSummaryBlocks(summaryOf(observation())).text).toContain(
      '✅ Meeting every SLO over the last 5 min.',
    );
    const idle = sloSummaryBlocks(summaryOf(idleObservation()));
    expect(validateMessage(idle)).toEqual([]);
    expect(idle.text).toContain('No requests over the last 5 min');
    expect(fieldsOf(idle)[0]).toMatch(/^\*TTFT p95\*\nno requests – target 500 ms\npredicted [\d.]+ ms$/);
  });

  it('ends with a What if… button carrying the deployed option, and puts each piece of advice beside its own', () => {
    const summary = summaryOf(observation({ requestsPerSec: 0.3, kvCacheUsage: 0.1 }));
    const advice = capacityAdvice({ summary, option, spec, knowledge });
    expect(advice).toHaveLength(1);
    const msg = sloSummaryBlocks(summary, advice);
    expect(validateMessage(msg)).toEqual([]);
    const buttons = buttonsOf(msg);
    expect(buttons.map((b) => [b.text.text, b.action_id])).toEqual([
      ['What if…', MONITOR_ACTION.whatIf],
      ['What if…', MONITOR_ACTION.whatIf],
    ]);
    const values = buttons.map((b) => WhatIfPrefill.parse(JSON.parse(b.value ?? '')));
    expect(values).toEqual([advice[0]!.prefill, { optionId: option.id, overrides: {} }]);
    expect(renderAsText(msg).text).toContain(`💡 ${advice[0]!.text}`);
  });

  it('stays within Slack’s limits with many pieces of advice and long names', () => {
    const summary = { ...summaryOf(observation()), deployment: 'x'.repeat(400) };
    const advice = Array.from({ length: 40 }, () => ({
      kind: 'more-replicas' as const,
      text: 'y'.repeat(5000),
      replicas: null,
      monthlyCostDeltaUsd: null,
      predicted: null,
      prefill: { optionId: option.id, overrides: {} },
    }));
    expect(validateMessage(sloSummaryBlocks(summary, advice))).toEqual([]);
  });
});

describe('monitoringErrorBlocks', () => {
  it('says plainly what to configure when Prometheus is not set up', () => {
    const msg = monitoringErrorBlocks(monitoringUnavailable);
    expect(validateMessage(msg)).toEqual([]);
    expect(msg.text).toMatch(/^Monitoring is off: .*set PROMETHEUS_URL/);
  });

  it('passes Prometheus’s reason on, escaped for mrkdwn', () => {
    const msg = monitoringErrorBlocks({ kind: 'bad-query', message: 'parse error near <x>', query: 'x' });
    expect(msg.blocks[0]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '📡 *Monitoring cannot read Prometheus.* parse error near &lt;x&gt;' },
    });
  });
});
