import { ConfigError } from '../config/index.js';
import {
  createMonitorStore,
  deploysNamed,
  type MonitoredDeploy,
  monitoringErrorBlocks,
  observeDeployment,
  type PrometheusClient,
  prometheusFor,
  runningDeploys,
  type SloSummary,
  summaryMessage,
  VERDICT_MARK,
  withBucket,
} from '../monitor/index.js';
import { check, ms, rps } from '../slack/blocks/format.js';
import type { Block, SlackMessage } from '../slack/blocks/kit.js';
import { renderAsText } from '../slack/blocks/text.js';
import { targetLabel } from '../worker/status-blocks.js';
import { createDeployStore } from '../worker/store.js';
import type { CliContext } from './context.js';
import { withKnowledgeBase } from './context.js';
import { columns } from './format.js';
import { UsageError, writeLine } from './io.js';

export interface SloCommandOptions {
  json?: boolean;
  /** Seconds of the window; MONITOR_LONG_WINDOW_SECONDS when absent. */
  window?: number;
}

/** One running deployment's line (an element of `compass slo --json`): its summary, or why Prometheus gave none. */
export type SloRow = { id: string; target: string } & ({ summary: SloSummary } | { error: string });

const STATUS_WORDS: Record<SloSummary['status'], string> = {
  meeting: 'meeting',
  missing: 'missing',
  'no-traffic': 'no traffic',
};

const verdict = (ok: boolean | null) => (ok === null ? '' : ` ${check(ok)}`);

/** The running deployments in a line each: SLO status, p95s and error rate against target (✓/✗), and traffic. */
export function formatSloList(rows: SloRow[], windowSec: number, prometheusUrl: string): string {
  if (rows.length === 0)
    return 'No running deployments. `compass status` lists every deployment and its state.';
  const header = ['Deployment', 'SLOs', 'TTFT p95', 'ITL p95', 'E2E p95', 'Errors', 'Traffic'];
  const table = rows.map((row) => {
    if ('error' in row) return [row.target, 'unknown', '–', '–', '–', '–', '–'];
    const { latency, errors, traffic } = row.summary;
    return [
      row.target,
      STATUS_WORDS[row.summary.status],
      ...latency.map((p95) =>
        p95.observedMs === null
          ? '–'
          : `${withBucket(ms(p95.observedMs), p95.p95Bucket)} ${VERDICT_MARK[p95.verdict]}`,
      ),
      errors.rate === null
        ? '–'
        : `${Number((errors.rate * 100).toPrecision(2))}%${verdict(errors.meetsTarget)}`,
      traffic.requestsPerSec === null ? '–' : rps(traffic.requestsPerSec),
    ];
  });
  const failures = rows.flatMap((row) => ('error' in row ? [`${row.target}: ${row.error}`] : []));
  return [
    `SLO status of ${rows.length} running deployment${rows.length === 1 ? '' : 's'} over the last ${windowSec} s, from Prometheus at ${prometheusUrl}:`,
    '',
    columns([header, ...table]),
    ...(failures.length > 0 ? ['', ...failures] : []),
    '',
    '`compass slo NAME` prints the full summary of one, with advice.',
  ].join('\n');
}

/** Slack's summary as terminal text, without the buttons only Slack can press, and the exact instant it shows. */
export function formatSloSummary(message: SlackMessage, summary: SloSummary, prometheusUrl: string): string {
  const blocks: Block[] = message.blocks
    .filter((block) => block.type !== 'actions')
    .map((block) => (block.type === 'section' ? { ...block, accessory: undefined } : block));
  // The divider only set the buttons apart.
  while (blocks.at(-1)?.type === 'divider') blocks.pop();
  return (
    `${renderAsText({ blocks }).text}\n\n` +
    `Prometheus at ${prometheusUrl}, ${summary.windowSec} s window ending ${summary.at}.`
  );
}

/** The running deployment `wanted` names; a usage error listing the running ones when none or several do. */
function namedDeploy<T extends MonitoredDeploy>(running: T[], wanted: string): T {
  const matches = deploysNamed(running, wanted);
  const labels = (deploys: T[]) => deploys.map(targetLabel).join(', ');
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0)
    throw new UsageError(`no running deployment is named "${wanted}"; running: ${labels(running) || 'none'}`);
  throw new UsageError(
    `several running deployments are named "${wanted}": ${labels(matches)}; say which, e.g. compass slo namespace/name`,
  );
}

async function listRows(
  prometheus: PrometheusClient,
  running: MonitoredDeploy[],
  windowSec: number,
  at: Date,
): Promise<SloRow[]> {
  return Promise.all(
    running.map(async (deploy) => {
      const observed = await observeDeployment(prometheus, deploy, windowSec, at);
      const named = { id: deploy.id, target: targetLabel(deploy) };
      return observed.ok
        ? { ...named, summary: observed.value.summary }
        : { ...named, error: observed.error.message };
    }),
  );
}

/**
 * `compass slo [NAME] [--json] [--window SECONDS]`: what `/compass slo` shows, read from Prometheus now. Without
 * NAME every running deployment in a line; with it that deployment's full summary. Needs PROMETHEUS_URL.
 */
export async function sloCommand(
  context: CliContext,
  name: string | undefined,
  options: SloCommandOptions,
): Promise<void> {
  const prometheus = prometheusFor(context.config);
  if (!prometheus.ok)
    throw new ConfigError([
      'PROMETHEUS_URL: not set; compass slo reads SLO status from the Prometheus server that scrapes your vLLM ' +
        'pods, e.g. PROMETHEUS_URL=http://prometheus.monitoring.svc:9090 compass slo.',
    ]);
  const client = prometheus.value;
  const windowSec = options.window ?? context.config.monitor.longWindowSec;
  const at = new Date();
  const output = await withKnowledgeBase(context, async ({ database, knowledge }) => {
    // Reads only: no target lock is ever taken through it.
    const running = runningDeploys(await createDeployStore(database.db, 0).list());
    const wanted = name?.trim();
    if (!wanted) {
      const rows = await listRows(client, running, windowSec, at);
      return options.json ? JSON.stringify(rows) : formatSloList(rows, windowSec, client.url);
    }
    const deploy = namedDeploy(running, wanted);
    const observed = await observeDeployment(client, deploy, windowSec, at);
    if (!observed.ok) throw new Error(monitoringErrorBlocks(observed.error).text);
    const { summary } = observed.value;
    if (options.json) return JSON.stringify(summary);
    // Advice weighs an open breach as the bot's summaries do.
    const state = (await createMonitorStore(database.db).states([deploy.id])).get(deploy.id);
    const message = summaryMessage(knowledge, deploy, summary, state?.breach.status === 'breach');
    return formatSloSummary(message, summary, client.url);
  });
  writeLine(context.io.stdout, output);
}
