/**
 * Monitoring in the bot: `/compass slo [deployment]`, `/compass digest …` and the Refresh button of SLO summaries.
 * The worker evaluates, alerts and posts digests; the bot reads Prometheus on demand and stores digest schedules,
 * which the worker's schedulers pick up.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { Database } from '../db/client.js';
import type { KnowledgeSource } from '../knowledge/live.js';
import {
  createMonitorStore,
  createPrometheusClient,
  DEFAULT_MONITOR_SETTINGS,
  DIGEST_USAGE,
  deploysNamed,
  MONITOR_ACTION,
  type MonitoredDeploy,
  type MonitorSettings,
  type MonitorStore,
  monitoringErrorBlocks,
  monitoringUnavailable,
  nextPeriod,
  observeDeployment,
  type PrometheusClient,
  parseDigestCommand,
  postInThread,
  runningDeploys,
  type SummaryPost,
  scheduleWords,
  sloListBlocks,
  summaryPost,
  utcMinute,
} from '../monitor/index.js';
import { targetLabel } from '../worker/status-blocks.js';
import type { DeployStore } from '../worker/store.js';
import { createDeployStore } from '../worker/store.js';
import { pressTarget } from './approvals.js';
import { noticeBlocks } from './blocks/dialogue.js';
import type { Subcommand, SubcommandContext } from './handlers.js';
import type { Replies } from './replies.js';

export interface MonitoringControls {
  /** Null: PROMETHEUS_URL is not set. */
  prometheus: PrometheusClient | null;
  knowledge: KnowledgeSource;
  settings: MonitorSettings;
  deploys: Pick<DeployStore, 'load' | 'list'>;
  store: MonitorStore;
  now: () => Date;
}

export function createMonitoringControls(options: {
  db: Database;
  knowledge: KnowledgeSource;
  prometheusUrl?: string | undefined;
  settings?: MonitorSettings | undefined;
}): MonitoringControls {
  return {
    prometheus: options.prometheusUrl ? createPrometheusClient(options.prometheusUrl) : null,
    knowledge: options.knowledge,
    settings: options.settings ?? DEFAULT_MONITOR_SETTINGS,
    // Reads only (load, list): no target lock is ever taken through it.
    deploys: createDeployStore(options.db, 0),
    store: createMonitorStore(options.db),
    now: () => new Date(),
  };
}

type Answer = Awaited<ReturnType<Subcommand>>;
const notice = (text: string, inChannel = false): Answer => ({
  message: noticeBlocks(text),
  ...(inChannel && { inChannel }),
});

/** The summary of one deploy over the long window, told whether a breach is open. */
async function summaryOf(controls: MonitoringControls, deploy: MonitoredDeploy): Promise<SummaryPost> {
  const breaching = (await controls.store.states([deploy.id])).get(deploy.id)?.breach.status === 'breach';
  return summaryPost(controls, deploy, controls.settings.longWindowSec, controls.now(), breaching);
}

/**
 * `/compass slo NAME` posts the deployment's summary in its thread; `/compass slo` lists the running deployments of
 * this channel (or, when it has none, of the workspace) in a line each. Without Prometheus: what to configure.
 */
export function sloSubcommand(controls: MonitoringControls): Subcommand {
  return async (args, context) => {
    const { prometheus } = controls;
    if (!prometheus) return { message: monitoringErrorBlocks(monitoringUnavailable) };
    const running = runningDeploys(await controls.deploys.list({ teamId: context.teamId }));
    const wanted = args.trim();
    if (wanted) return postSummary(controls, context, running, wanted);
    const here = running.filter((deploy) => deploy.thread.channel === context.channelId);
    const shown = here.length > 0 ? here : running;
    const at = controls.now();
    const rows = await Promise.all(
      shown.map(async (deploy) => {
        const observed = await observeDeployment(prometheus, deploy, controls.settings.longWindowSec, at, {
          uptime: false,
        });
        const target = targetLabel(deploy);
        return observed.ok
          ? { target, summary: observed.value.summary }
          : { target, error: observed.error.message };
      }),
    );
    return { message: sloListBlocks(rows, here.length > 0 ? 'in this channel' : 'in this workspace') };
  };
}

async function postSummary(
  controls: MonitoringControls,
  context: SubcommandContext,
  running: MonitoredDeploy[],
  wanted: string,
): Promise<Answer> {
  const matches = deploysNamed(running, wanted);
  const names = running.map((deploy) => `\`${targetLabel(deploy)}\``).join(', ') || 'none';
  if (matches.length === 0) return notice(`No running deployment is named \`${wanted}\`. Running: ${names}.`);
  if (matches.length > 1)
    return notice(
      `Several deployments are named \`${wanted}\`: ${matches.map((d) => `\`${targetLabel(d)}\``).join(', ')}. ` +
        'Say which, e.g. `/compass slo namespace/name`.',
    );
  const deploy = matches[0]!;
  const post = await summaryOf(controls, deploy);
  try {
    await postInThread(context.client, deploy, post);
  } catch {
    // Not in the deployment's channel: the summary to the asker alone, without buttons that need the thread.
    return { message: { text: post.text, blocks: post.blocks.filter((block) => block.type !== 'actions') } };
  }
  return notice(`Posted the SLO summary of \`${targetLabel(deploy)}\` in its thread. ${post.text}`);
}

/** `/compass digest daily HH:MM | weekly DAY HH:MM | off`: the channel's digest schedule, in UTC. */
export function digestSubcommand(controls: MonitoringControls): Subcommand {
  return async (args, { teamId, channelId, userId }) => {
    const command = parseDigestCommand(args);
    const { store } = controls;
    switch (command.kind) {
      case 'invalid':
        return notice(command.reason);
      case 'show': {
        const current = await store.schedule(teamId, channelId);
        return notice(
          current
            ? `This channel gets a digest ${scheduleWords(current.schedule)}; the next is ${utcMinute(nextPeriod(current.schedule, controls.now()))}. ${DIGEST_USAGE}`
            : `This channel gets no digest. ${DIGEST_USAGE}`,
        );
      }
      case 'off':
        return (await store.removeSchedule(teamId, channelId))
          ? notice(`<@${userId}> turned this channel's digest off.`, true)
          : notice('This channel had no digest; nothing changed.');
      case 'set': {
        const at = controls.now();
        await store.setSchedule(teamId, channelId, command.schedule, userId, at);
        const slo = controls.prometheus
          ? ''
          : ' SLO status needs PROMETHEUS_URL; until then digests show the rest.';
        return notice(
          `<@${userId}> set a digest for this channel ${scheduleWords(command.schedule)} (times are UTC); the first is ` +
            `${utcMinute(nextPeriod(command.schedule, at))}. It lists every deployment with its SLO status, load, cost ` +
            `per month and what changed since the last digest. Invite me (\`/invite @Compass\`) if I am not in this ` +
            `channel yet; \`/compass digest off\` stops it.${slo}`,
          true,
        );
      }
    }
  };
}

export function monitoringSubcommands(controls: MonitoringControls): Record<string, Subcommand> {
  return { slo: sloSubcommand(controls), digest: digestSubcommand(controls) };
}

/** Refresh on an SLO summary: the same message, re-read from Prometheus. */
export function registerMonitoringHandlers(app: App, controls: MonitoringControls, replies: Replies): void {
  app.action<BlockAction<ButtonAction>>(MONITOR_ACTION.refresh, async ({ ack, body, action, client }) => {
    await ack();
    const target = pressTarget(body);
    const channel = body.channel?.id;
    const ts = body.message?.ts;
    const tell = async (text: string) => {
      if (target) await replies.ephemeral(client, target, noticeBlocks(text));
    };
    const deployId = action.value ?? '';
    try {
      const deploy = await controls.deploys.load(deployId);
      if (!deploy) return tell('That deployment no longer exists; nothing to refresh.');
      if (deploy.state !== 'deployed')
        return tell(
          `\`${targetLabel(deploy)}\` is ${deploy.state.replace(/_/g, ' ')}; there is nothing to monitor now.`,
        );
      if (!channel || !ts) return;
      const post = await summaryOf(controls, deploy);
      await client.chat.update({
        channel,
        ts,
        text: post.text,
        blocks: post.blocks,
        ...(post.metadata && { metadata: post.metadata }),
      });
    } catch (error) {
      await tell(replies.failure('slack.slo_refresh_failed', { deployId }, error).message.text);
    }
  });
}
