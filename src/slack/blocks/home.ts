import type { ApprovalRequest } from '../../approval/schema.js';
import type { ConversationState } from '../../conversation/schema.js';
import { DM_PANE } from '../../conversation/schema.js';
import type { PlannedOption } from '../../planner/plan.js';
import { slackDate, targetText } from './approval.js';
import { USAGE_LINES } from './dialogue.js';
import { count, ms, usdMonthly } from './format.js';
import type { Block, SlackHomeView } from './kit.js';
import { context, divider, escapeMrkdwn, header, home, lineSections, section } from './kit.js';
import { gpuLabel, modelLabel } from './recommendations.js';

/** One of the user's conversations that has not ended in a deployment or been closed. */
export interface HomePlan {
  channelId: string;
  threadTs: string;
  state: ConversationState;
  /** The use case's name; null while Compass still asks what the model will do. */
  useCase: string | null;
  users: number | null;
  top: PlannedOption | null;
  updatedAt: Date;
}

/** Where a running deployment's SLOs stand, as the monitor last evaluated them (a breach is a sustained miss). */
export type HomeSlo =
  | { status: 'meeting' | 'missing' | 'no-traffic' | 'unevaluated' }
  | { status: 'breach'; since: Date | null };

export interface HomeDeployment {
  name: string;
  namespace: string;
  context: string | null;
  option: PlannedOption;
  slo: HomeSlo;
}

/** What one user's Home tab shows; `approvals` is null for someone who approves nothing. */
export interface HomeData {
  userId: string;
  plans: HomePlan[];
  approvals: ApprovalRequest[] | null;
  deployments: HomeDeployment[];
}

/** Items listed one section each before the rest is counted; deployments are packed as lines. */
const SHOWN_PLANS = 10;
const SHOWN_APPROVALS = 10;
const DEPLOYMENT_SECTIONS = 5;

const STATE_LABEL: Record<ConversationState, string> = {
  collecting: 'waiting for your answer',
  spec_ready: 'spec ready',
  options_shown: 'options shown',
  approval_requested: 'deploy requested',
  approved: 'approved, deploy queued',
  deploying: 'deploying',
  deployed: 'deployed',
  deploy_failed: 'deploy failed',
  closed: 'closed',
};

const where = (channelId: string, threadTs: string) =>
  threadTs === DM_PANE ? 'in our DM' : `in a thread in <#${channelId}>`;

const describe = (option: PlannedOption) =>
  `${escapeMrkdwn(modelLabel(option))} on ${gpuLabel(option)} · ${usdMonthly(option.monthlyCostUsd)}`;

function planText(plan: HomePlan): string {
  const title = [
    plan.useCase ? escapeMrkdwn(plan.useCase) : 'New request',
    plan.users && `${count(plan.users)} users`,
  ]
    .filter(Boolean)
    .join(' · ');
  const top = plan.top
    ? `Top option: ${describe(plan.top)} · p95 TTFT ${ms(plan.top.predicted.ttftP95Ms)}`
    : 'No option yet.';
  return (
    `*${title}* — ${STATE_LABEL[plan.state]}, ${where(plan.channelId, plan.threadTs)}\n` +
    `${top} · updated ${slackDate(plan.updatedAt)}`
  );
}

function approvalText(request: ApprovalRequest): string {
  const channel = request.threadMessage?.channel;
  return (
    `*${describe(request.option)}* to ${targetText(request)}\n` +
    `Requested by <@${request.requestedBy}> ${slackDate(request.createdAt)}` +
    `${channel ? ` in <#${channel}>` : ''}: approve or reject it on the request message.`
  );
}

function sloText(slo: HomeSlo): string {
  switch (slo.status) {
    case 'meeting':
      return '✅ SLOs met';
    case 'missing':
      return '⚠️ missing an SLO target (not sustained yet)';
    case 'breach':
      return `🚨 SLO breach${slo.since ? ` since ${slackDate(slo.since)}` : ''}`;
    case 'no-traffic':
      return 'no traffic';
    case 'unevaluated':
      return '⏳ SLOs not evaluated yet';
  }
}

function deploymentLine(deploy: HomeDeployment): string {
  const target = `${deploy.namespace}/${deploy.name}${deploy.context ? ` on ${deploy.context}` : ''}`;
  return `• *${escapeMrkdwn(target)}* — ${describe(deploy.option)} · ${sloText(deploy.slo)}`;
}

/** Up to `shown` items a section each, then how many more there are. */
function listed<T>(items: T[], shown: number, text: (item: T) => string, more: string): Block[] {
  const blocks: Block[] = items.slice(0, shown).map((item) => section(text(item)));
  if (items.length > shown) blocks.push(context(`…and ${items.length - shown} more ${more}`));
  return blocks;
}

/**
 * The Home tab: the user's open plans, the deploy requests awaiting them (approvers only), the running deployments
 * with their SLO status and cost (breaches first), and how to use Compass. Long lists are cut with a count.
 */
export function homeView(data: HomeData): SlackHomeView {
  const blocks: Block[] = [
    header('Compass'),
    section(
      `Hi <@${data.userId}>. Your open plans, ${data.approvals ? 'the deploy requests awaiting approval ' : ''}` +
        'and the running deployments, as of opening this tab.',
    ),
    header(`Your open plans (${data.plans.length})`),
  ];
  if (data.plans.length === 0)
    blocks.push(context('None open. Mention @Compass in a channel with what you need, or send me a DM.'));
  blocks.push(...listed(data.plans, SHOWN_PLANS, planText, '— each lives in its thread.'));
  if (data.approvals) {
    blocks.push(header(`Deploy requests awaiting approval (${data.approvals.length})`));
    if (data.approvals.length === 0) blocks.push(context('Nothing waits for an approver.'));
    blocks.push(
      ...listed(data.approvals, SHOWN_APPROVALS, approvalText, '— the approvers’ channel has them all.'),
    );
  }
  const breaching = data.deployments.filter((deploy) => deploy.slo.status === 'breach').length;
  blocks.push(
    header(`Running deployments (${data.deployments.length})`),
    ...(breaching > 0
      ? [context(`🚨 ${breaching} breaching ${breaching === 1 ? 'its' : 'their'} SLOs.`)]
      : []),
  );
  if (data.deployments.length === 0) blocks.push(context('None running.'));
  const ordered = [...data.deployments].sort(
    (a, b) => Number(b.slo.status === 'breach') - Number(a.slo.status === 'breach'),
  );
  blocks.push(
    ...lineSections(ordered.map(deploymentLine), DEPLOYMENT_SECTIONS),
    divider(),
    header('How to use Compass'),
    section(USAGE_LINES.join('\n')),
  );
  return home(blocks, 'compass_home');
}
