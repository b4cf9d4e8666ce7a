import type { App, webApi } from '@slack/bolt';
import type { ApprovalPolicy } from '../approval/schema.js';
import type { ApprovalStore } from '../approval/store.js';
import { useCaseNameIn } from '../conversation/engine.js';
import type { ConversationStore } from '../conversation/store.js';
import type { KnowledgeSource } from '../knowledge/live.js';
import type { Logger } from '../log/index.js';
import type { MonitorStore } from '../monitor/index.js';
import { runningDeploys } from '../monitor/index.js';
import type { DeployStore } from '../worker/store.js';
import type { HomeData, HomeSlo } from './blocks/home.js';
import { homeView } from './blocks/home.js';
import { isApprover } from './deploys.js';

/** What a user's Home tab shows, read when they open it. */
export type HomeSource = (teamId: string, userId: string, client: webApi.WebClient) => Promise<HomeData>;

/** The Home tab's data from the stores: the user's open plans, pending requests for approvers, running deploys. */
export function createHomeSource(deps: {
  conversations: Pick<ConversationStore, 'openPlans'>;
  approvals: Pick<ApprovalStore, 'pending'>;
  policy: ApprovalPolicy;
  deploys: Pick<DeployStore, 'list'>;
  monitor: Pick<MonitorStore, 'states'>;
  knowledge: KnowledgeSource;
  log: Logger;
}): HomeSource {
  return async (teamId, userId, client) => {
    const useCaseName = useCaseNameIn(deps.knowledge());
    const [conversations, approver, deploys] = await Promise.all([
      deps.conversations.openPlans(teamId, userId),
      isApprover(client, userId, deps.policy, deps.log),
      deps.deploys.list({ teamId }),
    ]);
    const running = runningDeploys(deploys);
    const states = await deps.monitor.states(running.map((deploy) => deploy.id));
    const sloOf = (deployId: string): HomeSlo => {
      const state = states.get(deployId);
      if (!state?.lastEvaluation) return { status: 'unevaluated' };
      if (state.breach.status === 'breach')
        return { status: 'breach', since: state.breach.since ? new Date(state.breach.since) : null };
      return { status: state.lastEvaluation.status === 'breach' ? 'missing' : state.lastEvaluation.status };
    };
    return {
      userId,
      plans: conversations.map((conversation) => ({
        channelId: conversation.channelId,
        threadTs: conversation.threadTs,
        state: conversation.state,
        useCase: conversation.spec
          ? useCaseName(conversation.spec.useCase.value)
          : conversation.intent?.useCase
            ? useCaseName(conversation.intent.useCase)
            : null,
        users: conversation.spec?.users.value ?? conversation.intent?.users ?? null,
        top: conversation.chosen ?? conversation.options[0] ?? null,
        updatedAt: conversation.updatedAt,
      })),
      approvals: approver ? await deps.approvals.pending(teamId) : null,
      deployments: running.map((deploy) => ({
        name: deploy.name,
        namespace: deploy.namespace,
        context: deploy.context,
        option: deploy.option,
        slo: sloOf(deploy.id),
      })),
    };
  };
}

/** Opening the Home tab publishes it afresh; a failure leaves the last one and is logged. */
export function registerHomeHandler(app: App, source: HomeSource, log: Logger): void {
  app.event('app_home_opened', async ({ event, body, context, client }) => {
    if (event.tab !== 'home') return;
    const teamId = context.teamId ?? body.team_id;
    try {
      const view = homeView(await source(teamId, event.user, client));
      await client.views.publish({ user_id: event.user, view });
    } catch (error) {
      log.error({ event: 'slack.home_failed', user: event.user, err: error }, 'cannot publish the Home tab');
    }
  });
}
