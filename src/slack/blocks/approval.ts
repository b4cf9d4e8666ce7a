import type { ApprovalPolicy, ApprovalRequest } from '../../approval/schema.js';
import type { PlannedOption } from '../../planner/plan.js';
import type { DeploymentSpec } from '../../spec/schema.js';
import { ACTION, VIEW } from './actions.js';
import type { FormField } from './form.js';
import { inputBlocks } from './form.js';
import { check, ms, rps, usdMonthly } from './format.js';
import type { Block, SlackMessage, SlackView, ViewBlock } from './kit.js';
import {
  actions,
  button,
  context,
  escapeMrkdwn,
  fieldSections,
  header,
  message,
  modal,
  section,
} from './kit.js';
import { gpuLabel, modelLabel, optionSummary } from './recommendations.js';

/** "<@U1>, <@U2> or anyone in <!subteam^S1>; not the requester": who may decide, as Slack shows it. */
export function approversLine(policy: ApprovalPolicy): string {
  const who = [
    ...policy.userIds.map((id) => `<@${id}>`),
    ...(policy.usergroupId ? [`anyone in <!subteam^${policy.usergroupId}>`] : []),
  ];
  const names = who.length <= 1 ? (who[0] ?? 'nobody') : `${who.slice(0, -1).join(', ')} or ${who.at(-1)}`;
  return `Approvers: ${names}${policy.requesterMayApprove ? '' : '; not the requester (four eyes)'}.`;
}

/** Where a deploy goes, in words. */
export const targetText = (target: Pick<ApprovalRequest, 'namespace' | 'clusterContext'>) =>
  `\`${target.namespace}\` on ${target.clusterContext ? `context \`${target.clusterContext}\`` : 'the current cluster context'}`;

/** Slack's localized date, with a UTC fallback for clients that cannot render it. */
export const slackDate = (at: Date) =>
  `<!date^${Math.floor(at.getTime() / 1000)}^{date_short_pretty} at {time}|${at.toISOString().replace(/\.\d+Z$/, 'Z')}>`;

const describe = (option: PlannedOption) => `${modelLabel(option)} on ${gpuLabel(option)}`;

/**
 * Request deploy: the option's summary and the target as inputs (namespace; cluster context when several are
 * configured). private_metadata is the key of the option: `{"conversationId","optionId"}`.
 */
export function deployRequestView(
  key: string,
  option: PlannedOption,
  spec: DeploymentSpec,
  fields: FormField[],
  approvers: string,
  approversChannel: string | undefined,
): SlackView {
  const where = approversChannel ? `this thread and <#${approversChannel}>` : 'this thread';
  const blocks: ViewBlock[] = [
    section(optionSummary(option, spec, describe(option))),
    ...inputBlocks(fields),
    context(`${approvers} The request is posted in ${where}.`),
  ];
  return modal({
    callbackId: VIEW.requestDeploy,
    title: 'Request deploy',
    submit: 'Request approval',
    close: 'Cancel',
    privateMetadata: key,
    blocks,
  });
}

const STATUS_HEADER: Record<ApprovalRequest['status'], string> = {
  pending: 'Deploy request',
  approved: 'Deploy approved',
  rejected: 'Deploy rejected',
  superseded: 'Deploy request superseded',
};

function statusLine(request: ApprovalRequest): string | undefined {
  const when = request.decidedAt ? ` ${slackDate(request.decidedAt)}` : '';
  switch (request.status) {
    case 'pending':
      return undefined;
    case 'approved':
      return `✅ *Approved* by <@${request.decidedBy}>${when}.`;
    case 'rejected':
      return `❌ *Rejected* by <@${request.decidedBy}>${when}: “${escapeMrkdwn(request.reason ?? '')}”`;
    case 'superseded':
      return `⏹ *Superseded*${when}: ${request.reason ?? 'the spec changed'}. Request again if it still fits.`;
  }
}

/**
 * The approval request, in the thread and the approvers' channel: what would be deployed where, by whose request,
 * and Approve / Reject while it is pending; afterwards, who decided when (the buttons are gone).
 */
export function approvalRequestBlocks(request: ApprovalRequest, approvers: string): SlackMessage {
  const { option, spec } = request;
  const { predicted, sloChecks } = option;
  const fields = [
    `*Cost*\n${usdMonthly(option.monthlyCostUsd)}`,
    `*GPUs*\n${gpuLabel(option)}`,
    `*p95 TTFT / ITL / E2E*\n${ms(predicted.ttftP95Ms)} ${check(sloChecks.ttft)} / ${ms(predicted.itlP95Ms)} ${check(sloChecks.itl)} / ${ms(predicted.e2eP95Ms)} ${check(sloChecks.e2e)}`,
    `*Load*\npeak ${rps(spec.traffic.peakQps.value)}, carries up to ${rps(predicted.maxRps)}`,
  ];
  const blocks: Block[] = [
    header(STATUS_HEADER[request.status]),
    section(`<@${request.requestedBy}> asks to deploy *${describe(option)}* to ${targetText(request)}.`),
    ...fieldSections(fields),
    context(`Spec hash \`${request.specHash.slice(0, 12)}\` · request \`${request.id}\` · ${approvers}`),
  ];
  const status = statusLine(request);
  if (status) blocks.push(section(status));
  else
    blocks.push(
      actions(
        button('Approve', ACTION.approve, request.id, 'primary'),
        button('Reject', ACTION.reject, request.id, 'danger'),
      ),
    );
  const state = request.status === 'pending' ? 'awaits approval' : request.status;
  return message(
    `Deploy request by <@${request.requestedBy}>: ${describe(option)} to ${request.namespace} — ${state}.`,
    blocks,
  );
}

/** Reject asks why; the reason goes into the request message and the audit. private_metadata is the request id. */
export function rejectView(request: ApprovalRequest, reasonField: FormField): SlackView {
  return modal({
    callbackId: VIEW.reject,
    title: 'Reject deploy',
    submit: 'Reject',
    close: 'Cancel',
    privateMetadata: request.id,
    blocks: [
      section(
        `<@${request.requestedBy}> asked to deploy *${describe(request.option)}* to ${targetText(request)}.`,
      ),
      ...inputBlocks([reasonField]),
    ],
  });
}

/** The thread's news of a decision, so the requester hears of it wherever it was made. */
export function decisionNoticeBlocks(request: ApprovalRequest, deployName: string | null): SlackMessage {
  const what = describe(request.option);
  const text =
    request.status === 'approved'
      ? `✅ <@${request.requestedBy}>, <@${request.decidedBy}> approved deploying ${what} to ${targetText(request)}` +
        `${deployName ? ` as \`${deployName}\`` : ''}; it is queued for the deploy workers.`
      : `❌ <@${request.requestedBy}>, <@${request.decidedBy}> rejected deploying ${what}: “${escapeMrkdwn(request.reason ?? '')}”`;
  return message(text, [section(text)]);
}
