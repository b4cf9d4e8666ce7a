import type { App, BlockAction, ButtonAction, webApi } from '@slack/bolt';
import { checkApprover } from '../approval/policy.js';
import type { ApprovalPolicy, ApprovalRequest } from '../approval/schema.js';
import type { Logger } from '../log/index.js';
import type { DeployAction, DeployJobData } from '../worker/queue.js';
import type { DeployRecord, DeployState } from '../worker/runner.js';
import { ACTION_STATES, DEPLOY_ACTION, deployListBlocks, targetLabel } from '../worker/status-blocks.js';
import type { BenchmarkStore } from '../worker/store.js';
import { groupMembers, pressTarget } from './approvals.js';
import { noticeBlocks } from './blocks/dialogue.js';
import type { Subcommand } from './handlers.js';
import type { Replies } from './replies.js';

/** What the deploy buttons and `/compass status` need: the deploys, the queue, and who may change a deployment. */
export interface DeployControls {
  load(deployId: string): Promise<DeployRecord | undefined>;
  list(teamId: string): Promise<DeployRecord[]>;
  /** A new job (Retry, Roll back, Delete); throws when the queue is unreachable. */
  enqueue(data: DeployJobData): Promise<void>;
  audit(deployId: string, actor: string, action: 'retry' | 'rollback' | 'delete'): Promise<void>;
  /** Called when a deploy is approved: hand it to the queue now. */
  approved(deployId: string): void;
  /** A server-side dry run shown on each new deploy request. */
  preview?: (request: ApprovalRequest) => Promise<string>;
  /** Approvers only (the approval policy's people), or anyone in the thread. */
  changesBy: 'approvers' | 'anyone';
  /** The Benchmark and Cancel buttons' store; absent: the bot takes no benchmark presses. */
  benchmarks?: Omit<BenchmarkStore, 'load'>;
}

/** Whether `actor` is one of the approval policy's people (no policy: nobody is). */
export async function isApprover(
  client: webApi.WebClient,
  actor: string,
  policy: ApprovalPolicy | undefined,
  log: Logger,
): Promise<boolean> {
  if (!policy) return false;
  const members = policy.usergroupId ? await groupMembers(client, log)(policy.usergroupId) : [];
  return checkApprover(actor, '', policy, members).ok;
}

/** Each press is taken only in the states in which the status message shows its button. */
const BUTTONS: {
  actionId: string;
  action: DeployAction;
  audit: 'retry' | 'rollback' | 'delete';
  allowed: readonly DeployState[];
}[] = [
  { actionId: DEPLOY_ACTION.retry, action: 'deploy', audit: 'retry', allowed: ACTION_STATES.retry },
  {
    actionId: DEPLOY_ACTION.rollback,
    action: 'rollback',
    audit: 'rollback',
    allowed: ACTION_STATES.rollback,
  },
  { actionId: DEPLOY_ACTION.delete, action: 'delete', audit: 'delete', allowed: ACTION_STATES.delete },
];

const VERB: Record<'retry' | 'rollback' | 'delete', string> = {
  retry: 'Retry',
  rollback: 'Roll back',
  delete: 'Delete',
};

/** Retry, Roll back and Delete: each checked (who, and the deploy's state), audited, then queued. */
export function registerDeployHandlers(
  app: App,
  controls: DeployControls,
  policy: ApprovalPolicy | undefined,
  replies: Replies,
  log: Logger,
): void {
  for (const button of BUTTONS) {
    app.action<BlockAction<ButtonAction>>(button.actionId, async ({ ack, body, action, client }) => {
      await ack();
      const target = pressTarget(body);
      const tell = async (text: string) => {
        if (target) await replies.ephemeral(client, target, noticeBlocks(text));
      };
      const deployId = action.value ?? '';
      const actor = body.user.id;
      try {
        const deploy = await controls.load(deployId);
        if (!deploy) return tell('That deployment no longer exists; nothing changed.');
        if (controls.changesBy === 'approvers' && !(await isApprover(client, actor, policy, log)))
          return tell(
            `Only approvers may ${VERB[button.audit].toLowerCase()} a deployment; nothing changed. Ask one of them.`,
          );
        if (!button.allowed.includes(deploy.state))
          return tell(
            `\`${targetLabel(deploy)}\` is ${deploy.state.replace(/_/g, ' ')}; ${VERB[button.audit]} does not apply now.`,
          );
        await controls.enqueue({ deployId, action: button.action, requestedBy: actor, from: deploy.state });
        await controls.audit(deployId, actor, button.audit);
        log.info({ event: `deploy.${button.audit}_requested`, deployId, actor }, 'deploy change queued');
        await tell(
          `${VERB[button.audit]} of \`${targetLabel(deploy)}\` is queued; progress follows in the thread.`,
        );
      } catch (error) {
        log.error({ event: `deploy.${button.audit}_failed`, deployId, err: error }, 'could not queue');
        await tell(
          `${VERB[button.audit]} could not be queued (the deploy queue is unreachable); nothing changed. Press again in a minute.`,
        );
      }
    });
  }
}

/** `/compass status`: the workspace's deployments with state, cost and endpoint. */
export function statusSubcommand(controls: DeployControls): Subcommand {
  return async (_args, context) => ({ message: deployListBlocks(await controls.list(context.teamId)) });
}
