/** Block Kit for monitoring, pure: an SLO summary (with advice) and the message shown when Prometheus cannot answer. */
import { check, count, ms, rps, usd, usdHourly } from '../slack/blocks/format.js';
import {
  actions,
  type Block,
  button,
  context,
  divider,
  escapeMrkdwn,
  fieldSections,
  header,
  message,
  type SlackMessage,
  section,
} from '../slack/blocks/kit.js';
import type { Advice, WhatIfPrefill } from './advice.js';
import type { BreachEvent, SloCheck } from './breach.js';
import type { PrometheusError } from './prometheus.js';
import type { LatencyMetric } from './queries.js';
import type { LatencyCheck, SloSummary } from './summary.js';
import { VERDICT_MARK, withBucket } from './verdict.js';

/** action_id of the monitoring buttons; value: a WhatIfPrefill as JSON (what-if), the deploy id (refresh). */
export const MONITOR_ACTION = { whatIf: 'compass_slo_what_if', refresh: 'compass_slo_refresh' } as const;

/** Advice shown at most, so the message stays short. */
const MAX_ADVICE = 3;

const LATENCY_LABEL: Record<LatencyMetric, string> = { ttft: 'TTFT p95', itl: 'ITL p95', e2e: 'E2E p95' };

const percent = (share: number) => `${Number((share * 100).toPrecision(2))}%`;
const signedPercent = (value: number) => `${value >= 0 ? '+' : '−'}${Math.round(Math.abs(value))}%`;
const oneDecimal = (value: number) => String(Number(value.toFixed(1)));
const verdict = (ok: boolean | null) => (ok === null ? '–' : check(ok));
const orNone = <T>(value: T | null, show: (value: T) => string, none = 'no data') =>
  value === null ? none : show(value);

/** "5 min", "30 s", "2 h". */
function windowWords(sec: number): string {
  if (sec % 3600 === 0) return `${sec / 3600} h`;
  if (sec % 60 === 0) return `${sec / 60} min`;
  return `${sec} s`;
}

/** "3.2 days", "5 h", "12 min": how long the deployment has run. */
function durationWords(hours: number): string {
  if (hours >= 48) return `${Number((hours / 24).toFixed(1))} days`;
  if (hours >= 1) return `${Number(hours.toFixed(1))} h`;
  return `${Math.round(hours * 60)} min`;
}

function latencyField(row: LatencyCheck): string {
  const observed = withBucket(orNone(row.observedMs, ms, 'no requests'), row.p95Bucket);
  const delta = row.vsPredictedPct === null ? '' : ` (${signedPercent(row.vsPredictedPct)})`;
  const undecided = row.verdict === 'cannot-tell' ? '\nthe target lies inside that bucket: cannot tell' : '';
  return (
    `*${LATENCY_LABEL[row.metric]}*\n${observed} ${VERDICT_MARK[row.verdict]} target ${ms(row.targetMs)}${undecided}\n` +
    `predicted ${ms(row.predictedMs)}${delta}`
  );
}

/** What cost so far rests on: replicas Prometheus saw up, the planned count, or both. */
function costBasis(observedShare: number): string {
  if (observedShare >= 0.99) return 'replicas seen up';
  if (observedShare <= 0.01) return 'planned replicas (no uptime in Prometheus)';
  return `replicas seen up for ${percent(observedShare)} of it, planned for the rest`;
}

function fields(summary: SloSummary): string[] {
  const { traffic, errors, queue, kvCache, replicas, cost } = summary;
  const tokens = orNone(traffic.generationTokensPerSec, (value) => `${count(value)} tokens/s`);
  const load = orNone(
    traffic.loadShare,
    (share) => `${percent(share)} of the ${rps(traffic.capacityRps)} planned`,
  );
  const errorSource =
    errors.source === 'http-5xx' ? '5xx share of API requests' : 'aborted share (no HTTP metrics)';
  const million = orNone(cost.perMillionOutputTokensUsd, (value) => `$${value.toFixed(2)}`, 'no tokens yet');
  return [
    ...summary.latency.map(latencyField),
    `*Throughput*\n${orNone(traffic.requestsPerSec, rps)} · ${tokens}\n${load}`,
    `*Error rate*\n${orNone(errors.rate, percent)} ${verdict(errors.meetsTarget)} target ${percent(errors.target)}\n${errorSource}`,
    `*Queue*\n${orNone(queue.mean, oneDecimal)} waiting on average (peak ${orNone(queue.max, count)})`,
    `*KV cache*\n${orNone(kvCache.mean, percent)} used on average (peak ${orNone(kvCache.max, percent)})`,
    `*Replicas*\n${orNone(replicas.observed, count)} up of ${count(replicas.planned)} planned`,
    `*Cost so far*\n${usd(cost.soFarUsd)} over ${durationWords(cost.hoursRunning)} (${usdHourly(cost.hourlyUsd)} now)\n${costBasis(cost.observedShare)}`,
    `*Cost per 1M output tokens*\n${million} observed, $${cost.predictedPerMillionOutputTokensUsd.toFixed(2)} planned`,
  ];
}

function headline(summary: SloSummary): string {
  const window = `over the last ${windowWords(summary.windowSec)}`;
  if (summary.status === 'no-traffic') return `No requests ${window}; nothing to judge yet.`;
  if (summary.status === 'meeting') return `✅ Meeting every SLO ${window}.`;
  const missed = summary.latency
    .filter((row) => row.meetsTarget === false)
    .map((row) => LATENCY_LABEL[row.metric]);
  if (summary.errors.meetsTarget === false) missed.push('error rate');
  return `⚠️ Missing ${missed.join(', ')} ${window}.`;
}

const prefillValue = (prefill: WhatIfPrefill) => JSON.stringify(prefill);

/**
 * The deployment's SLO status in its thread: ✓/✗ against targets, deltas against the plan, cost, and advice; with a
 * deploy id, a Refresh button that re-reads Prometheus into the same message.
 */
export function sloSummaryBlocks(
  summary: SloSummary,
  advice: Advice[] = [],
  options: { refreshDeployId?: string } = {},
): SlackMessage {
  const traffic = summary.traffic;
  const mix =
    traffic.meanPromptTokens === null || traffic.meanOutputTokens === null
      ? ''
      : ` · observed mean ${count(traffic.meanPromptTokens)} → ${count(traffic.meanOutputTokens)} tokens`;
  const blocks: Block[] = [
    header(`SLO status · ${summary.deployment}`),
    section(headline(summary)),
    ...fieldSections(fields(summary)),
    context(
      `Prometheus, ${windowWords(summary.windowSec)} window ending ${summary.at.slice(0, 16).replace('T', ' ')} UTC · ` +
        `predictions at ${rps(traffic.predictedLoadPerReplicaRps)} per replica${mix}`,
    ),
  ];
  for (const item of advice.slice(0, MAX_ADVICE)) {
    blocks.push(
      section(`💡 ${item.text}`, button('What if…', MONITOR_ACTION.whatIf, prefillValue(item.prefill))),
    );
  }
  blocks.push(
    divider(),
    actions(
      button('What if…', MONITOR_ACTION.whatIf, prefillValue({ optionId: summary.optionId, overrides: {} })),
      ...(options.refreshDeployId === undefined
        ? []
        : [button('Refresh', MONITOR_ACTION.refresh, options.refreshDeployId)]),
    ),
  );
  const text =
    `${summary.deployment}: ${headline(summary)} ` +
    summary.latency
      .map((row) => `${LATENCY_LABEL[row.metric]} ${withBucket(orNone(row.observedMs, ms), row.p95Bucket)}`)
      .join(', ') +
    `; ${usd(summary.cost.soFarUsd)} so far.`;
  return message(text, blocks);
}

/** What monitoring says when Prometheus is not configured or does not answer. */
export function monitoringErrorBlocks(error: PrometheusError): SlackMessage {
  const lead = error.kind === 'not-configured' ? 'Monitoring is off' : 'Monitoring cannot read Prometheus';
  return message(`${lead}: ${error.message}`, [section(`📡 *${lead}.* ${escapeMrkdwn(error.message)}`)]);
}

const CHECK_LABEL: Record<SloCheck, string> = {
  ttft: 'TTFT p95',
  itl: 'ITL p95',
  e2e: 'E2E p95',
  errors: 'error rate',
};

const checkList = (checks: SloCheck[]) => checks.map((c) => CHECK_LABEL[c]).join(', ');

export interface BreachWindows {
  shortSec: number;
  longSec: number;
}

/** The one message a breach opens with: what failed over both windows, then the summary of the short window. */
export function breachBlocks(
  event: Extract<BreachEvent, { kind: 'breach' }>,
  windows: BreachWindows,
  summary: SlackMessage,
): SlackMessage {
  const lead =
    `🚨 *SLO breach:* ${checkList(event.checks)} over target for the last ${windowWords(windows.shortSec)} ` +
    `and the last ${windowWords(windows.longSec)}. I will say once when it has recovered.`;
  return {
    text: `SLO breach: ${checkList(event.checks)} over target. ${summary.text}`,
    blocks: [section(lead), ...summary.blocks],
  };
}

/** The one message a breach closes with. */
export function recoveryBlocks(
  event: Extract<BreachEvent, { kind: 'recovered' }>,
  deployment: string,
  windows: BreachWindows,
): SlackMessage {
  const lasted = durationWords((Date.parse(event.at) - Date.parse(event.since)) / 3.6e6);
  const text =
    `✅ *Recovered:* ${escapeMrkdwn(deployment)} is back within every SLO over the last ` +
    `${windowWords(windows.shortSec)} and ${windowWords(windows.longSec)}. The breach of ${checkList(event.checks)} ` +
    `lasted ${lasted} (since ${event.since.slice(11, 16)} UTC).`;
  return message(text.replace(/\*/g, ''), [section(text)]);
}

const STATUS_ICON: Record<SloSummary['status'], string> = { meeting: '✅', missing: '⚠️', 'no-traffic': '💤' };

/** One line per deployment of `/compass slo` without a name: its status, p95s and load, or why it has none. */
/** Deployments listed a section each, so the list stays within Slack's 50 blocks; the rest are counted. */
const SLO_LIST_MAX = 45;

export function sloListBlocks(
  rows: ({ target: string; summary: SloSummary } | { target: string; error: string })[],
  scope: string,
): SlackMessage {
  if (rows.length === 0) {
    const text = `No running deployments ${scope}.`;
    return message(text, [section(text)]);
  }
  const lines = rows.map((row) => {
    const name = `*${escapeMrkdwn(row.target)}*`;
    if ('error' in row) return `❔ ${name} — ${escapeMrkdwn(row.error)}`;
    const { summary } = row;
    const p95s = summary.latency
      .map(
        (check) =>
          `${LATENCY_LABEL[check.metric]} ${withBucket(orNone(check.observedMs, ms, '–'), check.p95Bucket)} ${VERDICT_MARK[check.verdict]}`,
      )
      .join(' · ');
    const load = orNone(summary.traffic.requestsPerSec, rps, 'no requests');
    return `${STATUS_ICON[summary.status]} ${name} — ${headline(summary)}\n${p95s} · ${load}`;
  });
  return message(`SLO status of ${rows.length} deployment${rows.length === 1 ? '' : 's'} ${scope}`, [
    header(`SLO status ${scope}`),
    ...lines.slice(0, SLO_LIST_MAX).map((line) => section(line)),
    ...(lines.length > SLO_LIST_MAX ? [context(`…and ${lines.length - SLO_LIST_MAX} more.`)] : []),
    context('`/compass slo NAME` posts the full summary, with advice, in the deployment’s thread.'),
  ]);
}
