import { randomUUID } from 'node:crypto';
import type { App, BlockAction, ButtonAction, webApi } from '@slack/bolt';
import type { ApprovalService } from '../approval/service.js';
import type { ThreadKey } from '../conversation/schema.js';
import type { ConversationService, TurnOutcome } from '../conversation/service.js';
import type { ConversationStore } from '../conversation/store.js';
import { retryOnConnectionLoss } from '../db/connection.js';
import type { Inbox } from '../inbox/index.js';
import { LeaseLostError } from '../inbox/index.js';
import type { Logger } from '../log/index.js';
import { registerApprovalHandlers } from './approvals.js';
import { registerBenchmarkHandlers } from './benchmarks.js';
import { ACTION } from './blocks/actions.js';
import {
  failureBlocks,
  helpBlocks,
  noticeBlocks,
  threadStarterBlocks,
  turnFailureBlocks,
} from './blocks/dialogue.js';
import { clip, escapeMrkdwn } from './blocks/kit.js';
import { mrkdwnToPlain } from './blocks/text.js';
import type { DeployControls } from './deploys.js';
import { registerDeployHandlers, statusSubcommand } from './deploys.js';
import { registerModalHandlers } from './modals.js';
import type { MonitoringControls } from './monitoring.js';
import { registerMonitoringHandlers } from './monitoring.js';
import { createReplies } from './replies.js';
import type { ViewSeal } from './trust.js';

export interface HandlerDeps {
  service: ConversationService;
  /** Claims interactions (trigger ids) once, so a replayed press does nothing. */
  store: Pick<ConversationStore, 'claimEvent'>;
  /** Durable turns: each event recorded before its acknowledgement, resumed after a crash, answered once. */
  inbox: Inbox;
  log: Logger;
  /** Deploy requests and approvals; without it, Request deploy answers that they are off. */
  approvals?: ApprovalService;
  /** Retry, Roll back and Delete on deploy status messages, and what an approval hands to the deploy queue. */
  deploys?: DeployControls;
  /** More `/compass NAME ARGS` subcommands (deploy status, SLOs, digests), each owned by its capability. */
  subcommands?: Record<string, Subcommand>;
  /** The Refresh button of SLO summaries. */
  monitoring?: MonitoringControls;
}

/** Where a subcommand was typed and by whom; its answer goes back to that user. */
export interface SubcommandContext {
  userId: string;
  channelId: string;
  teamId: string;
  client: webApi.WebClient;
}

/** A `/compass NAME ARGS` handler: its answer, shown to the user who typed it (or to the channel when `inChannel`). */
export type Subcommand = (
  args: string,
  context: SubcommandContext,
) => Promise<{ message: { text: string; blocks: unknown[] }; inChannel?: boolean }>;

/** What a user typed, as plain text: Compass's own mention removed, Slack's markup resolved. */
export function userText(text: string | undefined, botUserId: string | undefined): string {
  const withoutBot = botUserId
    ? (text ?? '').replace(new RegExp(`<@${botUserId}(?:\\|[^>]*)?>`, 'g'), ' ')
    : (text ?? '');
  return mrkdwnToPlain(withoutBot).replace(/\s+/g, ' ').trim();
}

/** `/compass plan TEXT`, `/compass TEXT`, `/compass help`, and `/compass NAME ARGS` for each subcommand given. */
export function parseCommand(
  text: string,
  subcommands: readonly string[] = [],
): { kind: 'help' } | { kind: 'plan'; request: string } | { kind: 'subcommand'; name: string; args: string } {
  const trimmed = text.trim();
  const [first = '', ...rest] = trimmed.split(/\s+/);
  const name = first.toLowerCase();
  if (subcommands.includes(name)) return { kind: 'subcommand', name, args: rest.join(' ') };
  const request = trimmed.replace(/^plan\b[:\s]*/i, '').trim();
  if (trimmed === '' || /^(help|\?)$/i.test(trimmed) || request === '') return { kind: 'help' };
  return { kind: 'plan', request };
}

interface IncomingMessage {
  eventId: string;
  key: ThreadKey;
  ts: string;
  userId: string;
  text: string;
  /** A mention or a new DM starts a conversation; other thread messages only continue one. */
  start: boolean;
}

/** What a mention and a channel or DM message share. */
interface PostedMessage {
  channel: string;
  ts: string;
  thread_ts?: string | undefined;
  user: string;
  text?: string | undefined;
}

function incomingOf(
  posted: PostedMessage,
  teamId: string,
  eventId: string,
  botUserId: string | undefined,
  start: boolean,
): IncomingMessage {
  return {
    eventId,
    key: { teamId, channelId: posted.channel, threadTs: posted.thread_ts ?? posted.ts },
    ts: posted.ts,
    userId: posted.user,
    text: userText(posted.text, botUserId),
    start,
  };
}

/** Wires Slack's events, the slash command and the buttons to the conversation service. Handlers stay thin. */
export function registerHandlers(
  app: App,
  { service, inbox, log, approvals, deploys, subcommands: extra = {}, monitoring }: HandlerDeps,
  seal: ViewSeal,
): void {
  const subcommands: Record<string, Subcommand> = {
    ...(deploys && { status: statusSubcommand(deploys) }),
    ...extra,
  };
  const replies = createReplies(log, service, seal, approvals?.requestMessage);
  const post = (client: webApi.WebClient, key: ThreadKey, userId: string, outcome: TurnOutcome) =>
    replies.postOutcome(client, key, userId, outcome);

  /**
   * One message's turn. The inbox dispatches an event again after a crash: a turn that was answered then posts only
   * the replies not yet posted; one that was not plays now.
   */
  async function onMessage(incoming: IncomingMessage, client: webApi.WebClient) {
    const { key, eventId } = incoming;
    let outcome: TurnOutcome | undefined;
    let posted = 0;
    try {
      const progress = await retryOnConnectionLoss(() => inbox.progress(eventId));
      if (progress) {
        outcome = progress.answer;
        posted = progress.posted;
      } else {
        // A file or an emoji-only message in a thread says nothing to plan with.
        if (
          !incoming.start &&
          (!incoming.text || !(await retryOnConnectionLoss(() => service.isConversation(key))))
        )
          return;
        // A mention in a thread also arrives as a message event: one turn per message.
        const messageKey = `message:${key.teamId}:${key.channelId}:${incoming.ts}`;
        if (!(await retryOnConnectionLoss(() => inbox.claimMessage(eventId, messageKey)))) return;
        outcome = await service.handleMessage(
          key,
          { text: incoming.text, userId: incoming.userId, ts: incoming.ts },
          incoming.start,
          (tx, answer) => inbox.saveAnswer(tx, eventId, answer),
        );
      }
    } catch (error) {
      if (error instanceof LeaseLostError) {
        log.warn({ event: 'slack.turn_taken_over', eventId, thread: key }, error.message);
        return;
      }
      // The store failed before the conversation could: say so where Compass was asked in, stay quiet elsewhere.
      const reference = randomUUID().slice(0, 8);
      log.error(
        { event: 'slack.message_failed', reference, thread: key, err: error },
        'handling a message failed',
      );
      if (incoming.start)
        outcome = { conversationId: null, replies: [{ message: turnFailureBlocks(error, reference) }] };
    }
    if (outcome)
      await replies.postOutcome(client, key, incoming.userId, outcome, {
        from: posted,
        posted: (count) => inbox.markPosted(eventId, count),
      });
  }

  app.event('app_mention', async ({ event, body, context, client }) => {
    if (event.bot_id || !event.user) return;
    const teamId = context.teamId ?? body.team_id;
    await onMessage(
      incomingOf({ ...event, user: event.user }, teamId, body.event_id, context.botUserId, true),
      client,
    );
  });

  app.message(async ({ message, body, context, client }) => {
    if (message.subtype !== undefined || message.bot_id) return;
    const direct = message.channel_type === 'im';
    // In channels a mention arrives as app_mention too; that handler owns it.
    if (!direct && context.botUserId && message.text?.includes(`<@${context.botUserId}`)) return;
    if (!direct && !message.thread_ts) return;
    const teamId = context.teamId ?? body.team_id;
    const start = direct && !message.thread_ts;
    await onMessage(incomingOf(message, teamId, body.event_id, context.botUserId, start), client);
  });

  app.command('/compass', async ({ command, ack, respond, client }) => {
    const parsed = parseCommand(command.text, Object.keys(subcommands));
    if (parsed.kind === 'help') {
      await ack({ response_type: 'ephemeral', ...helpBlocks() });
      return;
    }
    await ack();
    if (parsed.kind === 'subcommand') {
      const context = {
        userId: command.user_id,
        channelId: command.channel_id,
        teamId: command.team_id,
        client,
      };
      try {
        const answer = await subcommands[parsed.name]!(parsed.args, context);
        await respond({
          response_type: answer.inChannel ? 'in_channel' : 'ephemeral',
          ...(answer.message as { text: string }),
        });
      } catch (error) {
        const reference = randomUUID().slice(0, 8);
        log.error(
          { event: 'slack.subcommand_failed', subcommand: parsed.name, reference, err: error },
          'failed',
        );
        await respond({ response_type: 'ephemeral', ...failureBlocks(reference) });
      }
      return;
    }
    try {
      const answer = await service.quickPlan(parsed.request);
      await respond({ response_type: 'ephemeral', ...answer });
    } catch (error) {
      const reference = randomUUID().slice(0, 8);
      log.error({ event: 'slack.quick_plan_failed', reference, err: error }, 'quick plan failed');
      await respond({ response_type: 'ephemeral', ...failureBlocks(reference) });
    }
  });

  app.action<BlockAction<ButtonAction>>(
    ACTION.startThread,
    async ({ ack, body, action, client, respond }) => {
      await ack();
      const request = action.value ?? '';
      const channelId = body.channel?.id;
      if (!channelId || !request) return;
      let threadTs: string | undefined;
      try {
        threadTs = (
          await client.chat.postMessage({ channel: channelId, ...threadStarterBlocks(body.user.id, request) })
        ).ts;
      } catch (error) {
        log.warn({ event: 'slack.start_thread_failed', channelId, err: error }, 'cannot post in the channel');
        await respond({
          response_type: 'ephemeral',
          replace_original: false,
          ...noticeBlocks(
            'I cannot post in this channel. Invite me with `/invite @Compass`, then press the button again.',
          ),
        });
        return;
      }
      if (!threadTs) return;
      await respond({
        replace_original: true,
        ...noticeBlocks(`Moved to a thread in this channel: “${escapeMrkdwn(clip(request, 200))}”.`),
      });
      const key = { teamId: body.team?.id ?? body.user.team_id ?? '', channelId, threadTs };
      const outcome = await service.handleMessage(key, { text: request, userId: body.user.id }, true);
      if (outcome) await post(client, key, body.user.id, outcome);
    },
  );

  registerModalHandlers(app, service, replies);
  registerApprovalHandlers(app, approvals, replies, log, deploys?.approved, deploys?.preview);
  if (deploys) registerDeployHandlers(app, deploys, approvals?.policy, replies, log);
  if (deploys?.benchmarks)
    registerBenchmarkHandlers(
      app,
      { ...deploys, benchmarks: deploys.benchmarks },
      approvals?.policy,
      replies,
      log,
    );
  if (monitoring) registerMonitoringHandlers(app, monitoring, replies);

  app.error(async (error) => {
    log.error({ event: 'slack.error', err: error }, 'unhandled Slack listener error');
  });
}
