/**
 * What the worker and the bot both do with one deployment: read its window from Prometheus, judge it against the plan,
 * and render the summary with advice — or say why monitoring cannot (not configured, unreachable).
 */
import type { webApi } from '@slack/bolt';
import { replyThreadTs } from '../conversation/schema.js';
import type { Knowledge } from '../knowledge/catalog.js';
import type { KnowledgeSource } from '../knowledge/live.js';
import { sloOf } from '../planner/plan.js';
import type { SlackMessage } from '../slack/blocks/kit.js';
import type { DeployRecord } from '../worker/runner.js';
import { targetLabel } from '../worker/status-blocks.js';
import { capacityAdvice } from './advice.js';
import { monitoringErrorBlocks, sloSummaryBlocks } from './blocks.js';
import { collectObservation, collectUptime } from './collect.js';
import { currentDeploys, type FleetDeploy } from './digest.js';
import type { Observation } from './observation.js';
import { monitoringUnavailable, type PrometheusClient, type PromResult } from './prometheus.js';
import { deploySelector } from './queries.js';
import { type SloSummary, sloSummary } from './summary.js';

/** A deploy as monitoring reads it. */
export type MonitoredDeploy = Pick<
  DeployRecord,
  'id' | 'name' | 'namespace' | 'context' | 'option' | 'spec' | 'progress' | 'thread' | 'state'
>;

/** The deployments there are to monitor: the current deploy of each target, where it is running. */
export function runningDeploys<T extends FleetDeploy>(deploysNewestFirst: T[]): T[] {
  return currentDeploys(deploysNewestFirst).filter((deploy) => deploy.state === 'deployed');
}

/** The deploys `wanted` names, as `name`, `namespace/name` or the full target label (with its context). */
export function deploysNamed<T extends Pick<DeployRecord, 'name' | 'namespace' | 'context'>>(
  deploys: T[],
  wanted: string,
): T[] {
  return deploys.filter(
    (deploy) =>
      deploy.name === wanted ||
      `${deploy.namespace}/${deploy.name}` === wanted ||
      targetLabel(deploy) === wanted,
  );
}

/** When the deploy turned healthy (the worker's recorded outcome), else `fallback`. */
export function deployedAtOf(deploy: Pick<DeployRecord, 'progress'>, fallback: Date): Date {
  const outcome = deploy.progress?.outcome;
  return outcome?.kind === 'deployed' ? new Date(outcome.at) : fallback;
}

export interface Observed {
  observation: Observation;
  summary: SloSummary;
}

/** Replica-hours up since the deploy and the hours Prometheus holds; undefined when it cannot say. */
async function uptimeOf(prometheus: PrometheusClient, deploy: MonitoredDeploy, at: Date) {
  const uptime = await collectUptime(prometheus, deploySelector(deploy.id), deployedAtOf(deploy, at), at);
  return uptime.ok ? uptime.value : undefined;
}

function summaryOf(
  deploy: MonitoredDeploy,
  observation: Observation,
  at: Date,
  uptime: Awaited<ReturnType<typeof uptimeOf>>,
): SloSummary {
  return sloSummary(observation, deploy.option, sloOf(deploy.spec), {
    deployment: targetLabel(deploy),
    deployedAt: deployedAtOf(deploy, at),
    // Without the uptime figures the cost is priced as planned; the rest of the summary stands.
    ...(uptime && { uptime }),
  });
}

/**
 * The deployment over `windowSec` ending at `at`: what Prometheus saw, and its summary against the plan. `uptime:
 * false` skips the cost's replica-hours (two subqueries over the deployment's life) where no cost is shown — the
 * worker's evaluations every interval; `pricedSummary` adds them when one is.
 */
export async function observeDeployment(
  prometheus: PrometheusClient,
  deploy: MonitoredDeploy,
  windowSec: number,
  at: Date,
  options: { uptime?: boolean } = {},
): Promise<PromResult<Observed>> {
  const [observed, uptime] = await Promise.all([
    collectObservation(prometheus, deploySelector(deploy.id), windowSec, { at }),
    options.uptime === false ? undefined : uptimeOf(prometheus, deploy, at),
  ]);
  if (!observed.ok) return observed;
  return {
    ok: true,
    value: { observation: observed.value, summary: summaryOf(deploy, observed.value, at, uptime) },
  };
}

/** The summary of an observation made without uptime, its cost priced from the replicas Prometheus saw up. */
export async function pricedSummary(
  prometheus: PrometheusClient,
  deploy: MonitoredDeploy,
  observation: Observation,
  at: Date,
): Promise<SloSummary> {
  return summaryOf(deploy, observation, at, await uptimeOf(prometheus, deploy, at));
}

/** Slack message metadata of a posted summary: which deploy, window and instant its figures are. */
export const SUMMARY_EVENT = 'compass_slo_summary';

export type SummaryPost = SlackMessage & {
  metadata?: { event_type: string; event_payload: { deploy_id: string; at: string; window_sec: number } };
};

export interface SummaryDeps {
  /** Null: PROMETHEUS_URL is not set. */
  prometheus: PrometheusClient | null;
  knowledge: KnowledgeSource;
}

/**
 * The SLO summary of a deployment over `windowSec`, with capacity advice and a Refresh button; what to configure
 * or check instead when Prometheus cannot answer.
 */
export async function summaryPost(
  deps: SummaryDeps,
  deploy: MonitoredDeploy,
  windowSec: number,
  at: Date,
  breaching?: boolean,
): Promise<SummaryPost> {
  if (!deps.prometheus) return monitoringErrorBlocks(monitoringUnavailable);
  const observed = await observeDeployment(deps.prometheus, deploy, windowSec, at);
  if (!observed.ok) return monitoringErrorBlocks(observed.error);
  return summaryMessage(deps.knowledge(), deploy, observed.value.summary, breaching);
}

/** The summary's message: its blocks with advice and the metadata naming what it shows. */
export function summaryMessage(
  knowledge: Knowledge,
  deploy: MonitoredDeploy,
  summary: SloSummary,
  breaching?: boolean,
): SummaryPost {
  const advice = capacityAdvice({
    summary,
    option: deploy.option,
    spec: deploy.spec,
    knowledge,
    ...(breaching !== undefined && { breaching }),
  });
  return {
    ...sloSummaryBlocks(summary, advice, { refreshDeployId: deploy.id }),
    metadata: {
      event_type: SUMMARY_EVENT,
      event_payload: { deploy_id: deploy.id, at: summary.at, window_sec: summary.windowSec },
    },
  };
}

/** Posts a message in the deploy's thread; its ts. */
export async function postInThread(
  slack: webApi.WebClient,
  deploy: Pick<DeployRecord, 'thread'>,
  post: SummaryPost,
): Promise<string> {
  const posted = await slack.chat.postMessage({
    channel: deploy.thread.channel,
    ...(replyThreadTs(deploy.thread.threadTs) && { thread_ts: deploy.thread.threadTs }),
    text: post.text,
    blocks: post.blocks,
    ...(post.metadata && { metadata: post.metadata }),
  });
  if (!posted.ts) throw new Error('chat.postMessage answered without a ts');
  return posted.ts;
}
