import { z } from 'zod';
import type { ApprovalsConfig, DeployConfig } from '../config/index.js';
import type { FormResult } from '../conversation/form.js';
import { formReader } from '../conversation/form.js';
import type { ThreadKey } from '../conversation/schema.js';
import { canTransition, findOption } from '../conversation/schema.js';
import type { ViewAnswer } from '../conversation/service.js';
import type { ConversationStore } from '../conversation/store.js';
import type { Logger } from '../log/index.js';
import {
  approvalRequestBlocks,
  approversLine,
  decisionNoticeBlocks,
  deployRequestView,
  rejectView,
  slackDate,
} from '../slack/blocks/approval.js';
import { noticeBlocks } from '../slack/blocks/dialogue.js';
import type { FormField, FormValues } from '../slack/blocks/form.js';
import type { SlackMessage, SlackView } from '../slack/blocks/kit.js';
import { checkApprover, hasApprovers } from './policy.js';
import type {
  ApprovalPolicy,
  ApprovalRequest,
  Decision,
  DeployTarget,
  MessageRef,
  PendingDeploy,
} from './schema.js';
import type { ApprovalStore } from './store.js';
import { DeployRequestRefused } from './store.js';

/** Where deploys may go and who approves them (configuration). */
export interface ApprovalSettings {
  deploy: DeployConfig;
  approvals: ApprovalsConfig;
}

/** Members of a Slack user group; null when the group cannot be read. */
export type GroupMembers = (usergroupId: string) => Promise<string[] | null>;

/** The Request deploy modal's fields by name. */
export const DEPLOY_FIELD = { namespace: 'namespace', context: 'cluster_context' } as const;
/** The Reject modal's field. */
export const REASON_FIELD = 'reason';

/** The Request deploy modal's private_metadata: which option of which conversation. */
const DeployFormKey = z.object({ conversationId: z.string(), optionId: z.string() });
type DeployFormKey = z.infer<typeof DeployFormKey>;

export type RequestOutcome =
  | { ok: false; message: SlackMessage }
  | {
      ok: true;
      request: ApprovalRequest;
      thread: ThreadKey;
      /** The request message, for the thread and (when configured) the approvers' channel. */
      message: SlackMessage;
      approversChannel: string | undefined;
      /** Earlier requests this one replaced, with their messages as they must now read. */
      superseded: { request: ApprovalRequest; message: SlackMessage }[];
    };

export type Authorization = { ok: true; request: ApprovalRequest } | { ok: false; text: string };

export type DecisionAnswer =
  | {
      kind: 'decided';
      request: ApprovalRequest;
      deploy: PendingDeploy | null;
      /** The request message as it must now read (no buttons; who and when). */
      message: SlackMessage;
      /** For the conversation's thread. */
      notice: SlackMessage;
      thread: ThreadKey | undefined;
    }
  /** Nothing changed: why, and the request message as it must read (it may have been superseded just now). */
  | { kind: 'refused'; text: string; request?: ApprovalRequest; message?: SlackMessage };

export interface ApprovalService {
  policy: ApprovalPolicy;
  /** The Request deploy modal for one of the thread's options, or why it cannot be requested. */
  deployForm(key: ThreadKey, optionId: string | undefined): Promise<ViewAnswer | undefined>;
  checkDeployForm(values: FormValues): FormResult<DeployTarget>;
  /**
   * Records the request from a submitted form; answers with what to post. `submission` (the modal's view id) files it
   * once: the same submission handled again answers with the request it filed, its messages as far as they were posted.
   */
  request(
    formKey: string,
    target: DeployTarget,
    requestedBy: string,
    submission: string,
  ): Promise<RequestOutcome>;
  /** Remembers where the request was posted. */
  posted(requestId: string, refs: { thread?: MessageRef; approvers?: MessageRef }): Promise<void>;
  /** Whether `actor` may decide the request; a refusal is audited and comes back in words. */
  authorize(requestId: string, actor: string, members: GroupMembers): Promise<Authorization>;
  rejectForm(request: ApprovalRequest): SlackView;
  checkRejectForm(values: FormValues): FormResult<string>;
  decide(requestId: string, actor: string, decision: Decision, reason?: string): Promise<DecisionAnswer>;
  /** The request message as it reads now. */
  requestMessage(request: ApprovalRequest): SlackMessage;
  find(requestId: string): Promise<ApprovalRequest | undefined>;
}

export const policyOf = (approvals: ApprovalsConfig): ApprovalPolicy => ({
  userIds: approvals.userIds,
  usergroupId: approvals.usergroupId,
  requesterMayApprove: approvals.requesterMayApprove,
});

function parseFormKey(text: string): DeployFormKey | undefined {
  try {
    const parsed = DeployFormKey.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function closedText(request: ApprovalRequest): string {
  if (request.status === 'superseded')
    return `This request was superseded (${request.reason ?? 'the spec changed'}); nothing changed. Request the deploy again if it still fits.`;
  const when = request.decidedAt ? ` ${slackDate(request.decidedAt)}` : '';
  return `This request was already ${request.status} by <@${request.decidedBy}>${when}; nothing changed.`;
}

export function createApprovalService(deps: {
  store: ApprovalStore;
  conversations: Pick<ConversationStore, 'find' | 'findById'>;
  settings: ApprovalSettings;
  log: Logger;
}): ApprovalService {
  const { store, conversations, settings, log } = deps;
  const policy = policyOf(settings.approvals);
  const approvers = approversLine(policy);
  const requestMessage = (request: ApprovalRequest) => approvalRequestBlocks(request, approvers);
  const threadOf = async (conversationId: string): Promise<ThreadKey | undefined> => {
    const conversation = await conversations.findById(conversationId);
    return (
      conversation && {
        teamId: conversation.teamId,
        channelId: conversation.channelId,
        threadTs: conversation.threadTs,
      }
    );
  };

  function deployFields(): FormField[] {
    const { namespaces, contexts } = settings.deploy;
    const fields: FormField[] = [
      {
        kind: 'select',
        name: DEPLOY_FIELD.namespace,
        label: 'Namespace',
        value: namespaces[0]!,
        options: namespaces.map((namespace) => ({ value: namespace, label: namespace })),
      },
    ];
    if (contexts.length > 0)
      fields.push({
        kind: 'select',
        name: DEPLOY_FIELD.context,
        label: 'Cluster (kubeconfig context)',
        value: contexts[0]!,
        options: contexts.map((context) => ({ value: context, label: context })),
      });
    return fields;
  }

  const refuse = (text: string): ViewAnswer => ({ ok: false, message: noticeBlocks(text) });

  return {
    policy,
    requestMessage,
    find: (requestId) => store.find(requestId),

    async deployForm(key, optionId) {
      const conversation = await conversations.find(key);
      if (!conversation) return undefined;
      if (!hasApprovers(policy))
        return refuse(
          'Deploy requests need approvers and none are configured: set APPROVER_USER_IDS or APPROVER_USERGROUP_ID ' +
            '(README, Configuration), then press Request deploy again.',
        );
      const option = findOption(conversation, optionId);
      if (!option || !conversation.spec)
        return refuse('That option is not in the current plan any more; request one of the latest options.');
      if (!canTransition(conversation.state, 'approval_requested'))
        return refuse(
          `This conversation is ${conversation.state.replace(/_/g, ' ')}; a new deploy request cannot be made now.`,
        );
      const formKey: DeployFormKey = { conversationId: conversation.id, optionId: option.id };
      const view = deployRequestView(
        JSON.stringify(formKey),
        option,
        conversation.spec,
        deployFields(),
        settings.deploy.contexts.length > 0
          ? approvers
          : `${approvers} Cluster: the kubeconfig's current context.`,
        settings.approvals.channelId,
      );
      return { ok: true, view };
    },

    checkDeployForm(values) {
      const read = formReader(values);
      const namespace = read.choice(DEPLOY_FIELD.namespace, settings.deploy.namespaces);
      const context =
        settings.deploy.contexts.length > 0
          ? read.choice(DEPLOY_FIELD.context, settings.deploy.contexts)
          : null;
      return read.result(() => ({ namespace: namespace!, clusterContext: context ?? null }));
    },

    async request(formKey, target, requestedBy, submission) {
      const parsed = parseFormKey(formKey);
      if (!parsed)
        return { ok: false, message: noticeBlocks('That form is out of date; press Request deploy again.') };
      try {
        const { request, superseded, refiled } = await store.request({
          ...parsed,
          target,
          requestedBy,
          submission,
        });
        const thread = await threadOf(request.conversationId);
        if (!thread) return { ok: false, message: noticeBlocks('This conversation no longer exists.') };
        log.info(
          {
            event: 'approval.requested',
            conversationId: request.conversationId,
            requestId: request.id,
            namespace: request.namespace,
            clusterContext: request.clusterContext,
            superseded: superseded.map((old) => old.id),
            refiled,
          },
          refiled ? 'deploy request submitted again; the one it filed stands' : 'deploy requested',
        );
        return {
          ok: true,
          request,
          thread,
          message: requestMessage(request),
          approversChannel: settings.approvals.channelId,
          superseded: superseded.map((old) => ({ request: old, message: requestMessage(old) })),
        };
      } catch (error) {
        if (error instanceof DeployRequestRefused) return { ok: false, message: noticeBlocks(error.message) };
        throw error;
      }
    },

    async posted(requestId, refs) {
      await store.setMessages(requestId, refs);
    },

    async authorize(requestId, actor, members) {
      const request = await store.find(requestId);
      if (!request) return { ok: false, text: 'That deploy request no longer exists; nothing changed.' };
      if (request.status !== 'pending') {
        await store.refuse(request, actor, `already ${request.status}`);
        return { ok: false, text: closedText(request) };
      }
      const groupMembers = policy.usergroupId ? await members(policy.usergroupId) : [];
      const check = checkApprover(actor, request.requestedBy, policy, groupMembers);
      if (check.ok) return { ok: true, request };
      const text = {
        no_approvers:
          'No approvers are configured (APPROVER_USER_IDS, APPROVER_USERGROUP_ID); nothing changed.',
        not_an_approver: `You are not an approver for Compass deploys; nothing changed. ${approvers}`,
        own_request: 'You requested this deploy; someone else must approve it (four eyes). Nothing changed.',
        group_unreadable:
          'I could not read the approvers’ user group (does the app have the usergroups:read scope?); nothing ' +
          `changed. ${approvers}`,
      }[check.reason];
      await store.refuse(request, actor, check.reason.replace(/_/g, ' '));
      log.info(
        {
          event: 'approval.refused',
          conversationId: request.conversationId,
          requestId,
          actor,
          reason: check.reason,
        },
        'approval press refused',
      );
      return { ok: false, text };
    },

    rejectForm(request) {
      return rejectView(request, {
        kind: 'text',
        name: REASON_FIELD,
        label: 'Why is this rejected?',
        value: '',
        multiline: true,
        minLength: 3,
        maxLength: 500,
        hint: 'The requester sees it in the thread; it is kept in the audit.',
      });
    },

    checkRejectForm(values) {
      const read = formReader(values);
      const reason = read.text(REASON_FIELD, { min: 3, max: 500 });
      return read.result(() => reason!.trim());
    },

    async decide(requestId, actor, decision, reason) {
      const outcome = await store.decide({ requestId, actor, decision, ...(reason ? { reason } : {}) });
      if (outcome.kind === 'missing')
        return { kind: 'refused', text: 'That deploy request no longer exists; nothing changed.' };
      const { request } = outcome;
      if (outcome.kind === 'closed') {
        await store.refuse(request, actor, `already ${request.status}`);
        return { kind: 'refused', text: closedText(request), request, message: requestMessage(request) };
      }
      log.info(
        {
          event: 'approval.decided',
          conversationId: request.conversationId,
          requestId,
          decision,
          actor,
          deployId: outcome.deploy?.id ?? null,
        },
        `deploy request ${decision}`,
      );
      return {
        kind: 'decided',
        request,
        deploy: outcome.deploy,
        message: requestMessage(request),
        notice: decisionNoticeBlocks(request, outcome.deploy?.name ?? null),
        thread: await threadOf(request.conversationId),
      };
    },
  };
}
