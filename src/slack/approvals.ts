import type { App, webApi } from '@slack/bolt';
import type { ApprovalRequest } from '../approval/schema.js';
import type { ApprovalService, DecisionAnswer, GroupMembers, RequestOutcome } from '../approval/service.js';
import { DEPLOY_FIELD, REASON_FIELD } from '../approval/service.js';
import type { Logger } from '../log/index.js';
import { ACTION, VIEW } from './blocks/actions.js';
import { noticeBlocks } from './blocks/dialogue.js';
import type { SlackMessage } from './blocks/kit.js';
import { section } from './blocks/kit.js';
import { mrkdwnToPlain } from './blocks/text.js';
import type { Press } from './modals.js';
import { openFromThread, stateOf } from './modals.js';
import type { EphemeralTarget, Replies } from './replies.js';

type Client = webApi.WebClient;

/** The request message with the dry run's section just above its buttons. */
export function withPreview(message: SlackMessage, text: string): SlackMessage {
  const at = message.blocks.findIndex((block) => block.type === 'actions');
  const blocks = [...message.blocks];
  blocks.splice(at === -1 ? blocks.length : at, 0, section(text));
  return { ...message, blocks };
}

export const APPROVALS_OFF = 'Deploy requests are not enabled in this Compass process.';

/** Where a press on a request message (thread or approvers' channel) gets its ephemeral answers. */
export const pressTarget = (body: Press): EphemeralTarget | undefined =>
  body.channel?.id
    ? {
        channel: body.channel.id,
        user: body.user.id,
        threadTs: (body.message?.thread_ts as string | undefined) ?? undefined,
      }
    : undefined;

/** Members of a user group through usergroups.users.list; null (logged) when Slack will not say. */
export function groupMembers(client: Client, log: Logger): GroupMembers {
  return async (usergroup) => {
    try {
      return (await client.usergroups.users.list({ usergroup })).users ?? [];
    } catch (error) {
      log.warn(
        { event: 'slack.usergroup_unreadable', usergroup, err: error },
        'cannot read the approvers group',
      );
      return null;
    }
  };
}

/**
 * Request deploy, Approve and Reject. Who may decide is checked on every press; the decision itself is taken once
 * in PostgreSQL, and both copies of the request message are edited with chat.update (response_url expires).
 */
export function registerApprovalHandlers(
  app: App,
  approvals: ApprovalService | undefined,
  replies: Replies,
  log: Logger,
  /** Told of every approved deploy, so it reaches the queue now rather than at the dispatcher's next round. */
  onApproved: (deployId: string) => void = () => {},
  /** A server-side dry run of a new request, added to its messages while it awaits a decision. */
  preview?: (request: ApprovalRequest) => Promise<string>,
): void {
  /** After a decision or a refusal: the request's messages as they must read, the thread's news, the presser's. */
  async function settle(client: Client, answer: DecisionAnswer, target: EphemeralTarget | undefined) {
    if (answer.kind === 'refused') {
      if (answer.request && answer.message)
        await replies.updateRequest(client, answer.request, answer.message);
      if (target) await replies.ephemeral(client, target, noticeBlocks(answer.text));
      return;
    }
    await replies.updateRequest(client, answer.request, answer.message);
    if (answer.deploy) onApproved(answer.deploy.id);
    if (answer.thread)
      await replies.post(client, answer.thread, answer.notice, {
        conversationId: answer.request.conversationId,
      });
  }

  app.action<Press>(ACTION.requestDeploy, async ({ ack, body, action, client }) => {
    await ack();
    await openFromThread(replies, client, body, 'slack.deploy_form_failed', async (key) =>
      approvals
        ? approvals.deployForm(key, action.value)
        : { ok: false, message: noticeBlocks(APPROVALS_OFF) },
    );
  });

  // The request is recorded before the acknowledgement, so a refusal stays in the modal where it was made.
  app.view(VIEW.requestDeploy, async ({ ack, body, view, client }) => {
    if (!approvals)
      return ack({ response_action: 'errors', errors: { [DEPLOY_FIELD.namespace]: APPROVALS_OFF } });
    const checked = approvals.checkDeployForm(stateOf(view));
    if (!checked.ok) return ack({ response_action: 'errors', errors: checked.errors });
    let outcome: RequestOutcome;
    try {
      outcome = await approvals.request(view.private_metadata, checked.value, body.user.id, view.id);
    } catch (error) {
      const { message } = replies.failure(
        'slack.deploy_request_failed',
        { key: view.private_metadata },
        error,
      );
      return ack({ response_action: 'errors', errors: { [DEPLOY_FIELD.namespace]: message.text } });
    }
    if (!outcome.ok)
      return ack({ response_action: 'errors', errors: { [DEPLOY_FIELD.namespace]: outcome.message.text } });
    await ack();
    const { request, thread, message, approversChannel } = outcome;
    for (const old of outcome.superseded) await replies.updateRequest(client, old.request, old.message);
    const context = { conversationId: request.conversationId, requestId: request.id };
    // Each copy is remembered as soon as it is posted: a submission handled again (the bot died on the way) posts
    // only the copies its first run did not.
    if (!request.threadMessage) {
      const threadTs = await replies.post(client, thread, message, context);
      if (threadTs)
        await approvals.posted(request.id, { thread: { channel: thread.channelId, ts: threadTs } });
    }
    if (approversChannel && !request.approversMessage) {
      let approversTs: string | undefined;
      try {
        approversTs = (
          await client.chat.postMessage({
            channel: approversChannel,
            text: message.text,
            blocks: message.blocks,
          })
        ).ts;
      } catch (error) {
        log.error(
          { event: 'slack.post_failed', ...context, channel: approversChannel, err: error },
          'cannot post in the approvers’ channel',
        );
      }
      if (approversTs)
        await approvals.posted(request.id, { approvers: { channel: approversChannel, ts: approversTs } });
    }
    if (preview) await addPreview(client, request.id, preview);
  });

  /** Edits the request's messages to show the dry run, unless a decision or a newer request came first. */
  async function addPreview(
    client: Client,
    requestId: string,
    preview: (request: ApprovalRequest) => Promise<string>,
  ) {
    const request = await approvals!.find(requestId);
    if (!request) return;
    const text = await preview(request);
    const current = await approvals!.find(requestId);
    if (current?.status !== 'pending') return;
    await replies.updateRequest(client, current, withPreview(approvals!.requestMessage(current), text));
  }

  /**
   * Approve and Reject: acknowledged, then checked (is this someone who may decide?) before `act` runs; refusals and
   * failures reach the presser ephemerally where they pressed.
   */
  function onDecisionButton(
    actionId: string,
    event: string,
    act: (
      client: Client,
      body: Press,
      request: ApprovalRequest,
      target: EphemeralTarget | undefined,
    ) => Promise<unknown>,
  ) {
    app.action<Press>(actionId, async ({ ack, body, action, client }) => {
      await ack();
      const target = pressTarget(body);
      const tell = async (text: string) => {
        if (target) await replies.ephemeral(client, target, noticeBlocks(text));
      };
      if (!approvals) return tell(APPROVALS_OFF);
      const requestId = action.value ?? '';
      try {
        const allowed = await approvals.authorize(requestId, body.user.id, groupMembers(client, log));
        if (!allowed.ok) return tell(allowed.text);
        await act(client, body, allowed.request, target);
      } catch (error) {
        await tell(replies.failure(event, { requestId }, error).message.text);
      }
    });
  }

  onDecisionButton(ACTION.approve, 'slack.approve_failed', async (client, body, request, target) =>
    settle(client, await approvals!.decide(request.id, body.user.id, 'approved'), target),
  );

  onDecisionButton(ACTION.reject, 'slack.reject_failed', (client, body, request) =>
    client.views.open({
      trigger_id: body.trigger_id,
      view: replies.view(approvals!.rejectForm(request), body.user.id),
    }),
  );

  app.view(VIEW.reject, async ({ ack, body, view, client }) => {
    if (!approvals) return ack({ response_action: 'errors', errors: { [REASON_FIELD]: APPROVALS_OFF } });
    const requestId = view.private_metadata;
    const checked = approvals.checkRejectForm(stateOf(view));
    if (!checked.ok) return ack({ response_action: 'errors', errors: checked.errors });
    let answer: DecisionAnswer;
    try {
      // Whoever opened the form was an approver then; membership may have changed since.
      const allowed = await approvals.authorize(requestId, body.user.id, groupMembers(client, log));
      if (!allowed.ok)
        return ack({ response_action: 'errors', errors: { [REASON_FIELD]: mrkdwnToPlain(allowed.text) } });
      answer = await approvals.decide(requestId, body.user.id, 'rejected', checked.value);
    } catch (error) {
      const { message } = replies.failure('slack.reject_failed', { requestId }, error);
      return ack({ response_action: 'errors', errors: { [REASON_FIELD]: message.text } });
    }
    if (answer.kind === 'refused') {
      await ack({ response_action: 'errors', errors: { [REASON_FIELD]: mrkdwnToPlain(answer.text) } });
      if (answer.request && answer.message)
        await replies.updateRequest(client, answer.request, answer.message);
      return;
    }
    await ack();
    await settle(client, answer, undefined);
  });
}
