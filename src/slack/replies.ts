import { randomUUID } from 'node:crypto';
import type { webApi } from '@slack/bolt';
import type { ApprovalRequest, MessageRef } from '../approval/schema.js';
import type { ThreadKey } from '../conversation/schema.js';
import { replyThreadTs } from '../conversation/schema.js';
import type { ConversationService, TurnOutcome } from '../conversation/service.js';
import type { Logger } from '../log/index.js';
import { noticeView } from './blocks/details.js';
import { turnFailureBlocks } from './blocks/dialogue.js';
import type { SlackMessage, SlackView } from './blocks/kit.js';
import { findOwnReply, type ReplyMarker, replyMarker } from './context.js';
import type { ViewSeal } from './trust.js';

type Client = webApi.WebClient;
/** Compass's views and blocks are the Web API's; the cast only bridges its wide union types. */
type ApiView = Parameters<Client['views']['open']>[0]['view'];

/** Where an ephemeral reply goes: a channel, optionally a thread, and the one user who sees it. */
export interface EphemeralTarget {
  channel: string;
  user: string;
  threadTs?: string | undefined;
}

/** A turn resumed after a crash: where Slack may hold replies the process that died posted but never counted. */
export interface ResumedTurn {
  /** Replies are looked for after this ts (the message that started the turn, or the thread's root). */
  afterTs: string;
  botUserId: string | undefined;
}

/** Posting and editing Slack messages for the handlers, each failure logged once with what it was about. */
export function createReplies(
  log: Logger,
  service: Pick<ConversationService, 'rememberSpecCard' | 'rememberPlanMessage'>,
  seal: ViewSeal,
  renderRequest?: (request: ApprovalRequest) => SlackMessage,
) {
  /** Edits a message; false when Slack refused (logged). */
  async function update(
    client: Client,
    ref: MessageRef,
    message: SlackMessage,
    context: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      await client.chat.update({
        channel: ref.channel,
        ts: ref.ts,
        text: message.text,
        blocks: message.blocks,
      });
      return true;
    } catch (error) {
      log.error({ event: 'slack.update_failed', ...context, ref, err: error }, 'editing a message failed');
      return false;
    }
  }

  /** Where a resumed turn's reply with `marker` already is; undefined when it is not, or Slack will not say. */
  async function ownReply(client: Client, key: ThreadKey, resumed: ResumedTurn, marker: ReplyMarker) {
    try {
      // A DM pane's replies are the DM's top-level messages, not a thread's.
      const thread = { channelId: key.channelId, threadTs: replyThreadTs(key.threadTs) };
      return await findOwnReply(client, thread, resumed.afterTs, marker, resumed.botUserId);
    } catch (error) {
      log.warn(
        { event: 'slack.thread_unread', thread: key, err: error },
        'cannot tell whether a resumed turn’s reply was posted; posting it',
      );
      return undefined;
    }
  }

  /** Saves where a message went, for later edits; without it the next edit posts anew: a log line, not a failure. */
  const remember = (save: Promise<void>, context: Record<string, unknown>) =>
    save.catch((error: unknown) =>
      log.error({ event: 'slack.message_ts_unsaved', ...context, err: error }, 'message ts not saved'),
    );

  async function ephemeral(client: Client, target: EphemeralTarget, message: SlackMessage) {
    try {
      await client.chat.postEphemeral({
        channel: target.channel,
        user: target.user,
        ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
        text: message.text,
        blocks: message.blocks,
      });
    } catch (error) {
      log.error(
        { event: 'slack.ephemeral_failed', channel: target.channel, err: error },
        'ephemeral reply failed',
      );
    }
  }

  /** Edits both copies of a request's message (thread and approvers' channel). */
  async function updateRequest(client: Client, request: ApprovalRequest, message: SlackMessage) {
    const context = { conversationId: request.conversationId, requestId: request.id };
    for (const ref of [request.threadMessage, request.approversMessage])
      if (ref) await update(client, ref, message, context);
  }

  return {
    update,
    ephemeral,
    updateRequest,

    /** A view to send to Slack, sealed to the user it is for: only they may submit it or press its buttons. */
    view: (view: SlackView, userId: string) => seal.seal(view, userId) as unknown as ApiView,

    /** Posts a message in a thread, with `marker` when given; its ts, or undefined when Slack refused (logged). */
    async post(
      client: Client,
      key: ThreadKey,
      message: SlackMessage,
      context: Record<string, unknown>,
      marker?: ReplyMarker,
    ) {
      try {
        const threadTs = replyThreadTs(key.threadTs);
        const posted = await client.chat.postMessage({
          channel: key.channelId,
          ...(threadTs ? { thread_ts: threadTs } : {}),
          text: message.text,
          blocks: message.blocks,
          ...(marker ? { metadata: marker } : {}),
        });
        return posted.ts;
      } catch (error) {
        log.error(
          { event: 'slack.post_failed', ...context, thread: key, err: error },
          'posting to Slack failed',
        );
        return undefined;
      }
    },

    /**
     * A turn's outcome in Slack: the replies (ephemeral ones to `userId`), the plan edited in place when the thread
     * has one (posted when it has none, or when its message is gone), the spec card edited in place when the spec
     * changed, and the deploy requests it superseded edited to say so. With `progress`, replies before `from` were
     * posted already (a resumed turn), each one posted is counted and carries the turn's marker (replyMarker).
     */
    async postOutcome(
      client: Client,
      key: ThreadKey,
      userId: string,
      outcome: TurnOutcome,
      progress?: {
        /** The turn's inbox event id. */
        turn: string;
        from: number;
        posted: (count: number) => Promise<void>;
        /** A resumed turn's: its first reply not counted may be in Slack already (posted, never counted). */
        resumed?: ResumedTurn;
      },
    ) {
      const context = { conversationId: outcome.conversationId };
      for (const [index, reply] of outcome.replies.entries()) {
        if (progress && index < progress.from) continue;
        if (reply.ephemeral) {
          await ephemeral(
            client,
            { channel: key.channelId, user: userId, threadTs: replyThreadTs(key.threadTs) },
            reply.message,
          );
          await progress?.posted(index + 1);
          continue;
        }
        if (
          reply.plan &&
          outcome.planTs &&
          (await update(client, { channel: key.channelId, ts: outcome.planTs }, reply.message, context))
        ) {
          await progress?.posted(index + 1);
          continue;
        }
        // The process that died may have posted this one and died before counting it: only this one (each reply is
        // counted before the next is posted).
        const marker = progress && replyMarker(progress.turn, index);
        const found =
          marker && index === progress.from && progress.resumed
            ? await ownReply(client, key, progress.resumed, marker)
            : undefined;
        const ts = found ?? (await this.post(client, key, reply.message, context, marker));
        if (ts === undefined) return;
        await progress?.posted(index + 1);
        const { conversationId } = outcome;
        if (reply.specCard && conversationId)
          await remember(service.rememberSpecCard(conversationId, ts), { ...context, message: 'spec card' });
        if (reply.plan && conversationId)
          await remember(service.rememberPlanMessage(conversationId, ts), { ...context, message: 'plan' });
      }
      if (outcome.specCard)
        await update(
          client,
          { channel: key.channelId, ts: outcome.specCard.ts },
          outcome.specCard.message,
          context,
        );
      if (renderRequest)
        for (const request of outcome.superseded ?? [])
          await updateRequest(client, request, renderRequest(request));
    },

    /** Logs a failure with a short reference and returns what to tell the user. */
    failure(event: string, context: Record<string, unknown>, error: unknown) {
      const reference = randomUUID().slice(0, 8);
      log.error({ event, reference, ...context, err: error }, 'handling an interaction failed');
      const message = turnFailureBlocks(error, reference);
      return { message, view: noticeView('Sorry', message.text) };
    },
  };
}

export type Replies = ReturnType<typeof createReplies>;
