import type { App, BlockAction, ButtonAction, webApi } from '@slack/bolt';
import type { ApprovalPolicy } from '../approval/schema.js';
import type { Logger } from '../log/index.js';
import { slackThreadMessenger } from '../worker/messenger.js';
import type { BenchmarkStatus } from '../worker/progress.js';
import { BENCHMARK_ACTION, targetLabel } from '../worker/status-blocks.js';
import { pressTarget } from './approvals.js';
import { noticeBlocks } from './blocks/dialogue.js';
import { type DeployControls, isApprover } from './deploys.js';
import type { Replies } from './replies.js';

/** Brings the deploy's status message up to date (Benchmark ↔ Cancel); the worker's next update would anyway. */
async function refreshStatus(
  client: webApi.WebClient,
  controls: DeployControls,
  deployId: string,
  log: Logger,
): Promise<void> {
  const deploy = await controls.load(deployId);
  if (!deploy?.statusTs) return;
  await slackThreadMessenger(client)
    .update({ ...deploy, statusTs: deploy.statusTs }, deploy.progress)
    .catch((error: unknown) => {
      log.warn({ event: 'benchmark.status_update_failed', deployId, err: error }, 'could not update');
    });
}

/**
 * Benchmark and Cancel on a deployed deploy's status message. Approvers and the deploy's requester may press them
 * (anyone, with DEPLOY_CHANGES_BY=anyone); others are told so, privately. A press moves the benchmark's state in
 * PostgreSQL first (one statement, so two presses start one benchmark), then queues the worker's job; the worker
 * sees a Cancel through that state and removes the Job.
 */
export function registerBenchmarkHandlers(
  app: App,
  controls: DeployControls & { benchmarks: NonNullable<DeployControls['benchmarks']> },
  policy: ApprovalPolicy | undefined,
  replies: Replies,
  log: Logger,
  now: () => Date = () => new Date(),
): void {
  const { benchmarks } = controls;
  const mayBenchmark = async (client: webApi.WebClient, actor: string, deployId: string) =>
    controls.changesBy === 'anyone' ||
    (await benchmarks.deployer(deployId)) === actor ||
    (await isApprover(client, actor, policy, log));

  const press = (
    actionId: string,
    act: (input: {
      client: webApi.WebClient;
      actor: string;
      deployId: string;
      tell: (text: string) => Promise<void>;
    }) => Promise<void>,
  ) =>
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, client }) => {
      await ack();
      const target = pressTarget(body);
      const tell = async (text: string) => {
        if (target) await replies.ephemeral(client, target, noticeBlocks(text));
      };
      const deployId = action.value ?? '';
      try {
        await act({ client, actor: body.user.id, deployId, tell });
      } catch (error) {
        log.error({ event: 'benchmark.press_failed', deployId, err: error }, 'benchmark press failed');
        await tell(
          'That did not go through (Compass could not reach its database); press again in a minute.',
        );
      }
    });

  press(BENCHMARK_ACTION.start, async ({ client, actor, deployId, tell }) => {
    const deploy = await controls.load(deployId);
    if (!deploy) return tell('That deployment no longer exists; nothing changed.');
    const target = targetLabel(deploy);
    if (!(await mayBenchmark(client, actor, deployId)))
      return tell(
        `Only approvers or whoever asked for \`${target}\` may benchmark it; nothing ran. Ask one of them.`,
      );
    if (deploy.state !== 'deployed')
      return tell(
        `\`${target}\` is ${deploy.state.replace(/_/g, ' ')}; only a deployed endpoint is benchmarked.`,
      );
    const queued: BenchmarkStatus = { state: 'queued', requestedBy: actor, at: now().toISOString() };
    const started = await benchmarks.moveBenchmark(
      deployId,
      ['none', 'done', 'failed', 'cancelled'],
      queued,
      { deployedOnly: true },
    );
    if (!started)
      return tell(`A benchmark of \`${target}\` is already under way; wait for its results or cancel it.`);
    try {
      await controls.enqueue({ deployId, action: 'benchmark', requestedBy: actor });
    } catch (error) {
      log.error({ event: 'benchmark.enqueue_failed', deployId, err: error }, 'could not queue');
      await benchmarks.moveBenchmark(deployId, ['queued'], {
        ...queued,
        state: 'failed',
        detail: 'the deploy queue was unreachable; press Benchmark again in a minute',
      });
      await refreshStatus(client, controls, deployId, log);
      return tell(
        'The benchmark could not be queued (the deploy queue is unreachable); press again in a minute.',
      );
    }
    log.info({ event: 'benchmark.requested', deployId, actor }, 'benchmark queued');
    await refreshStatus(client, controls, deployId, log);
    await tell(
      `Benchmark of \`${target}\` is queued: a load-test Job runs next to it for a few minutes; the table and chart follow in the thread.`,
    );
  });

  press(BENCHMARK_ACTION.cancel, async ({ client, actor, deployId, tell }) => {
    const deploy = await controls.load(deployId);
    const current = deploy?.progress?.benchmark;
    if (!deploy || !current) return tell('There is no benchmark of that deployment to cancel.');
    const target = targetLabel(deploy);
    if (current.requestedBy !== actor && !(await mayBenchmark(client, actor, deployId)))
      return tell(
        `Only approvers, whoever asked for \`${target}\` or for its benchmark may cancel it; it goes on.`,
      );
    const cancelling: BenchmarkStatus = {
      ...current,
      state: 'cancelling',
      cancelledBy: actor,
      at: now().toISOString(),
    };
    if (!(await benchmarks.moveBenchmark(deployId, ['queued', 'running'], cancelling)))
      return tell(`The benchmark of \`${target}\` is no longer running; nothing to cancel.`);
    log.info({ event: 'benchmark.cancel_requested', deployId, actor }, 'benchmark cancel requested');
    await refreshStatus(client, controls, deployId, log);
    await tell(`Cancelling the benchmark of \`${target}\`: its Job is removed and nothing is imported.`);
  });
}
