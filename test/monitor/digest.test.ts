import { describe, expect, it } from 'vitest';
import {
  DIGEST_USAGE,
  type DigestSchedule,
  digestBlocks,
  duePeriod,
  type FleetDeploy,
  type FleetEntry,
  fleetChanges,
  fleetOf,
  type LastEvaluation,
  lateAfterMs,
  nextPeriod,
  parseDigestCommand,
  periodStart,
  scheduleWords,
} from '../../src/monitor/index.js';
import { renderAsText, validateMessage } from '../../src/slack/blocks/index.js';

const daily: DigestSchedule = { cadence: 'daily', hour: 9, minute: 0 };
const weekly: DigestSchedule = { cadence: 'weekly', weekday: 'mon', hour: 9, minute: 30 };
const utc = (text: string) => new Date(`${text}Z`);

describe('parseDigestCommand', () => {
  it('reads daily and weekly schedules in UTC, off, and nothing as “show”', () => {
    expect(parseDigestCommand('daily 09:00')).toEqual({ kind: 'set', schedule: daily });
    expect(parseDigestCommand('Daily 9:00 UTC')).toEqual({ kind: 'set', schedule: daily });
    expect(parseDigestCommand('weekly mon 09:30')).toEqual({ kind: 'set', schedule: weekly });
    expect(parseDigestCommand('weekly Monday 9:30')).toEqual({ kind: 'set', schedule: weekly });
    expect(parseDigestCommand('weekly sunday 23:59')).toEqual({
      kind: 'set',
      schedule: { cadence: 'weekly', weekday: 'sun', hour: 23, minute: 59 },
    });
    expect(parseDigestCommand('off')).toEqual({ kind: 'off' });
    expect(parseDigestCommand('  ')).toEqual({ kind: 'show' });
  });

  it('says what is wrong and how to say it', () => {
    expect(parseDigestCommand('daily 25:00')).toEqual({
      kind: 'invalid',
      reason: `“25:00” is not a time of day (HH:MM, 00:00–23:59). ${DIGEST_USAGE}`,
    });
    expect(parseDigestCommand('weekly mo 09:00')).toMatchObject({
      reason: expect.stringMatching(/^“mo” is not a day of the week/),
    });
    expect(parseDigestCommand('hourly')).toEqual({ kind: 'invalid', reason: DIGEST_USAGE });
    expect(parseDigestCommand('daily')).toEqual({ kind: 'invalid', reason: DIGEST_USAGE });
  });

  it('puts a schedule in words', () => {
    expect(scheduleWords(daily)).toBe('daily at 09:00 UTC');
    expect(scheduleWords(weekly)).toBe('weekly on Monday at 09:30 UTC');
  });
});

describe('periods', () => {
  it('finds the period an instant falls in, and the next one', () => {
    expect(periodStart(daily, utc('2026-05-01T09:00:00'))).toEqual(utc('2026-05-01T09:00:00'));
    expect(periodStart(daily, utc('2026-05-01T08:59:59'))).toEqual(utc('2026-04-30T09:00:00'));
    expect(periodStart(daily, utc('2026-05-01T23:00:00'))).toEqual(utc('2026-05-01T09:00:00'));
    // 2026-05-04 is a Monday.
    expect(periodStart(weekly, utc('2026-05-04T09:30:00'))).toEqual(utc('2026-05-04T09:30:00'));
    expect(periodStart(weekly, utc('2026-05-04T09:29:00'))).toEqual(utc('2026-04-27T09:30:00'));
    expect(periodStart(weekly, utc('2026-05-10T22:00:00'))).toEqual(utc('2026-05-04T09:30:00'));
    expect(nextPeriod(daily, utc('2026-05-01T09:00:00'))).toEqual(utc('2026-05-02T09:00:00'));
    expect(nextPeriod(weekly, utc('2026-05-01T12:00:00'))).toEqual(utc('2026-05-04T09:30:00'));
  });

  it('owes only the latest period, and none that began before the schedule was set', () => {
    const setAt = utc('2026-05-01T08:00:00');
    expect(duePeriod(daily, setAt, utc('2026-05-01T08:59:00'))).toBeNull();
    expect(duePeriod(daily, setAt, utc('2026-05-01T09:00:01'))).toEqual(utc('2026-05-01T09:00:00'));
    // Down for three days: one digest, for the last period.
    expect(duePeriod(daily, setAt, utc('2026-05-04T15:00:00'))).toEqual(utc('2026-05-04T09:00:00'));
    expect(duePeriod(daily, utc('2026-05-01T09:30:00'), utc('2026-05-01T10:00:00'))).toBeNull();
  });

  it('counts a digest late from five minutes, or three checks when they are further apart', () => {
    expect(lateAfterMs(60)).toBe(5 * 60_000);
    expect(lateAfterMs(1)).toBe(5 * 60_000);
    expect(lateAfterMs(600)).toBe(30 * 60_000);
  });
});

const option = (name: string) => ({
  modelName: name,
  gpuCount: 2,
  gpuId: 'L4',
  monthlyCostUsd: 1000,
  replicas: 2,
});
const deploy = (id: string, name: string, state: string, namespace = 'llm'): FleetDeploy => ({
  id,
  name,
  namespace,
  context: null,
  state,
  option: option(name),
});
const evaluation = (status: LastEvaluation['status'], requestsPerSec = 2): LastEvaluation => ({
  at: '2026-05-01T08:59:00.000Z',
  status,
  requestsPerSec,
  loadShare: 0.25,
});

describe('fleet and what changed', () => {
  it('lists the newest deploy of each target, without superseded requests and deleted targets', () => {
    const fleet = fleetOf(
      [
        deploy('d5', 'chat', 'superseded'),
        deploy('d4', 'chat', 'deployed'),
        deploy('d3', 'chat', 'failed'),
        deploy('d2', 'gone', 'deleted'),
        deploy('d1', 'gone', 'deployed'),
        deploy('d0', 'batch', 'running', 'jobs'),
      ],
      new Map([['d4', evaluation('meeting')]]),
    );
    expect(fleet).toEqual([
      {
        deployId: 'd4',
        target: 'llm/chat',
        state: 'deployed',
        what: 'chat on 2× L4',
        monthlyCostUsd: 1000,
        slo: 'meeting',
        requestsPerSec: 2,
        loadShare: 0.25,
      },
      {
        deployId: 'd0',
        target: 'jobs/batch',
        state: 'running',
        what: 'batch on 2× L4',
        monthlyCostUsd: 1000,
        slo: null,
        requestsPerSec: null,
        loadShare: null,
      },
    ]);
    expect(fleetOf([deploy('d9', 'new', 'deployed')], new Map())[0]!.slo).toBe('unknown');
  });

  it('prices a month of the replicas last seen up, and the planned ones until they are seen', () => {
    const scaled = { ...evaluation('meeting'), replicas: 3 };
    const [seen] = fleetOf([deploy('d1', 'chat', 'deployed')], new Map([['d1', scaled]]));
    // $1000 a month for the 2 planned replicas: $500 each, 3 up.
    expect(seen!.monthlyCostUsd).toBe(1500);
    const [unseen] = fleetOf([deploy('d1', 'chat', 'deployed')], new Map([['d1', evaluation('meeting')]]));
    expect(unseen!.monthlyCostUsd).toBe(1000);
    const [none] = fleetOf(
      [deploy('d1', 'chat', 'deployed')],
      new Map([['d1', { ...scaled, replicas: null }]]),
    );
    expect(none!.monthlyCostUsd).toBe(1000);
  });

  it('finds new and removed deployments, new revisions, state changes and SLO flips', () => {
    const entry = (target: string, overrides: Partial<FleetEntry> = {}): FleetEntry => ({
      deployId: target,
      target,
      state: 'deployed',
      what: 'x',
      monthlyCostUsd: 1,
      slo: 'meeting',
      requestsPerSec: 1,
      loadShare: 0.1,
      ...overrides,
    });
    const previous = [
      entry('llm/a'),
      entry('llm/b', { state: 'running', slo: null }),
      entry('llm/c'),
      entry('llm/d', { slo: 'unknown' }),
    ];
    const current = [
      entry('llm/a', { slo: 'breach' }),
      entry('llm/b'),
      entry('llm/d', { deployId: 'd-2' }),
      entry('llm/e', { state: 'running', slo: null }),
    ];
    expect(fleetChanges(previous, current)).toEqual([
      { kind: 'slo', target: 'llm/a', from: 'meeting', to: 'breach' },
      { kind: 'state', target: 'llm/b', from: 'running', to: 'deployed' },
      { kind: 'redeployed', target: 'llm/d' },
      { kind: 'new', target: 'llm/e', state: 'running' },
      { kind: 'removed', target: 'llm/c' },
    ]);
    expect(fleetChanges(current, current)).toEqual([]);
  });
});

describe('digestBlocks', () => {
  const fleet = fleetOf(
    [deploy('d1', 'chat', 'deployed'), deploy('d2', 'rag', 'failed')],
    new Map([['d1', evaluation('breach', 3.5)]]),
  );

  it('lists every deployment with SLO status, load and cost, then what changed', () => {
    const message = digestBlocks({
      schedule: daily,
      periodStart: utc('2026-05-02T09:00:00'),
      late: false,
      fleet,
      previous: {
        periodStart: utc('2026-05-01T09:00:00'),
        changes: [{ kind: 'slo', target: 'llm/chat', from: 'meeting', to: 'breach' }],
      },
      monitoring: true,
    });
    expect(validateMessage(message)).toEqual([]);
    const text = renderAsText(message).text;
    expect(text).toContain('Daily digest · 2026-05-02 09:00 UTC');
    expect(text).toContain('1 running · $1,000/month · 2 deployments in all');
    expect(text).toContain('llm/chat — 🚨 SLO breach open · 3.5 req/s (25% of capacity)');
    expect(text).toContain('llm/rag — failed');
    expect(text).toContain('Changes since the last digest (2026-05-01 09:00 UTC)');
    expect(text).toContain('• llm/chat: meeting every SLO → SLO breach open');
    expect(message.text).toBe(
      'Daily digest · 2026-05-02 09:00 UTC: 1 running · $1,000/month · 2 deployments in all; 1 change.',
    );
  });

  it('marks a late digest, a first one, and says SLO status needs Prometheus', () => {
    const message = digestBlocks({
      schedule: weekly,
      periodStart: utc('2026-05-04T09:30:00'),
      late: true,
      fleet,
      previous: null,
      monitoring: false,
    });
    expect(validateMessage(message)).toEqual([]);
    const text = renderAsText(message).text;
    expect(text).toContain('Weekly digest · 2026-05-04 09:30 UTC (late)');
    expect(text).toContain('Posted late');
    expect(text).toContain('First digest in this channel');
    expect(text).toContain('set PROMETHEUS_URL');
  });

  it('stays within Slack’s limits with a large fleet', () => {
    const many = fleetOf(
      Array.from({ length: 120 }, (_, i) => deploy(`d${i}`, `model-${i}`, 'deployed')),
      new Map(),
    );
    const message = digestBlocks({
      schedule: daily,
      periodStart: utc('2026-05-02T09:00:00'),
      late: false,
      fleet: many,
      previous: { periodStart: utc('2026-05-01T09:00:00'), changes: [] },
      monitoring: true,
    });
    expect(validateMessage(message)).toEqual([]);
    expect(renderAsText(message).text).toContain('…and 80 more.');
    expect(renderAsText(message).text).toContain('No changes since the last digest');
  });
});
