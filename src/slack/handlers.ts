import { randomUUID } from 'node:crypto';
import type {
  App,
  BlockAction,
  ButtonAction,
  KnownEventFromType,
  RespondFn,
  types,
  webApi,
} from '@slack/bolt';
import type { ApprovalService } from '../approval/service.js';
import type { ChartLinks } from '../chart/link.js';
import { didYouMean } from '../classify/index.js';
import { createKeyedQueue } from '../conversation/queue.js';
import type { ThreadKey } from '../conversation/schema.js';
import { DM_PANE } from '../conversation/schema.js';
import type { ConversationService, Lookup, TurnOutcome } from '../conversation/service.js';
import type { ConversationStore } from '../conversation/store.js';
import { retryOnConnectionLoss } from '../db/connection.js';
import type { Inbox } from '../inbox/index.js';
import { inboxIdOf, LeaseLostError } from '../inbox/index.js';
import type { Logger } from '../log/index.js';
import { registerApprovalHandlers } from './approvals.js';
import { registerBenchmarkHandlers } from './benchmarks.js';
import { ACTION } from './blocks/actions.js';
import {
  failureBlocks,
  helpBlocks,
  noticeBlocks,
  onboardingBlocks,
  threadStarterBlocks,
  turnFailureBlocks,
} from './blocks/dialogue.js';
import type { SlackMessage } from './blocks/kit.js';
import { clip, escapeMrkdwn } from './blocks/kit.js';
import { didYouMeanBlocks } from './blocks/understanding.js';
import { readThread, userText, withThreadContext } from './context.js';
import type { DeployControls } from './deploys.js';
import { registerDeployHandlers, statusSubcommand } from './deploys.js';
import type { HomeSource } from './home.js';
import { registerHomeHandler } from './home.js';
import { registerModalHandlers } from './modals.js';
import type { MonitoringControls } from './monitoring.js';
import { registerMonitoringHandlers } from './monitoring.js';
import { createReplies } from './replies.js';
import { staleOptionGuard } from './stale.js';
import type { ViewSeal } from './trust.js';
import type { WorkingIndicator } from './working.js';
import { showWorking } from './working.js';

export interface HandlerDeps {
  service: ConversationService;
  /** Claims interactions (trigger ids) once, so a replayed press does nothing. */
  store: Pick<ConversationStore, 'claimEvent' | 'claimGreeting'>;
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
  /** Signed chart links the HTTP server answers (COMPASS_PUBLIC_URL set). */
  charts?: ChartLinks;
  /** What the Home tab shows; without it, opening the tab publishes nothing. */
  home?: HomeSource;
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

/** Words that start a command of their own (status even where deploys are off); a near miss of one is a typo. */
const COMMAND_WORDS = ['help', 'plan', 'status'];

/**
 * `/compass plan TEXT`, `/compass TEXT`, `/compass help`, and `/compass NAME ARGS` for each subcommand given; a
 * mistyped command word ("stauts") alone, or one of five letters or more before its arguments, is a typo.
 */
export function parseCommand(
  text: string,
  subcommands: readonly string[] = [],
):
  | { kind: 'help' }
  | { kind: 'plan'; request: string }
  | { kind: 'subcommand'; name: string; args: string }
  | { kind: 'typo'; typed: string; meant: string } {
  const trimmed = text.trim();
  const [first = '', ...rest] = trimmed.split(/\s+/);
  const name = first.toLowerCase();
  if (subcommands.includes(name)) return { kind: 'subcommand', name, args: rest.join(' ') };
  const meant = didYouMean(name, [...new Set([...subcommands, ...COMMAND_WORDS])]);
  if (meant && (rest.length === 0 || (name.length >= 5 && meant !== 'plan')))
    return { kind: 'typo', typed: first, meant };
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
  /** Compass's own user, whose posts and mentions are no part of what people said. */
  botUserId: string | undefined;
}

/**
 * Message subtypes that are a person writing, read like a plain message: a thread reply also sent to the channel,
 * and a message with a file attached (its text is what was said). Edits, deletions, joins and bots' posts are not.
 */
type PersonMessage =
  | types.GenericMessageEvent
  | types.ThreadBroadcastMessageEvent
  | types.FileShareMessageEvent;
const READ_SUBTYPES = new Set<string | undefined>([undefined, 'thread_broadcast', 'file_share']);
const byPerson = (message: KnownEventFromType<'message'>): message is PersonMessage =>
  READ_SUBTYPES.has(message.subtype) && !(message as { bot_id?: string }).bot_id;

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
    botUserId,
  };
}

/** Wires Slack's events, the slash command and the buttons to the conversation service. Handlers stay thin. */
export function registerHandlers(
  app: App,
  { service, store, inbox, log, approvals, deploys, subcommands: extra = {}, monitoring, home }: HandlerDeps,
  seal: ViewSeal,
): void {
  const subcommands: Record<string, Subcommand> = {
    ...(deploys && { status: statusSubcommand(deploys) }),
    ...extra,
  };
  const replies = createReplies(log, service, seal, approvals?.requestMessage);
  const post = (client: webApi.WebClient, key: ThreadKey, userId: string, outcome: TurnOutcome) =>
    replies.postOutcome(client, key, userId, outcome);
  // A follow-up that arrives while its thread's first turn still runs (the intent extraction can take seconds, and
  // the conversation row does not exist before it ends) waits for that turn instead of finding no conversation.
  const threads = createKeyedQueue();
  const onThreadMessage = (incoming: IncomingMessage, client: webApi.WebClient) =>
    threads.run(`${incoming.key.teamId}/${incoming.key.channelId}/${incoming.key.threadTs}`, () =>
      onMessage(incoming, client),
    );

  /**
   * A direct message belongs to the DM's own conversation (DM_PANE), typed in the pane or in a thread there; only a
   * thread that is a conversation of its own (one started before DMs had theirs) keeps it.
   */
  async function directIncoming(
    message: PersonMessage,
    teamId: string,
    eventId: string,
    botUserId: string | undefined,
  ): Promise<IncomingMessage> {
    const incoming = incomingOf(message, teamId, eventId, botUserId, false);
    // A store that cannot answer here fails the turn itself, which tells the user: the pane is the fallback.
    const threaded =
      message.thread_ts !== undefined &&
      (await retryOnConnectionLoss(() => service.isConversation(incoming.key)).catch(() => false));
    return threaded ? incoming : { ...incoming, key: { ...incoming.key, threadTs: DM_PANE }, start: true };
  }

  /** A mention inside a thread that is no conversation yet: the thread's earlier messages are its request too. */
  const startsInThread = async (incoming: IncomingMessage) =>
    incoming.start &&
    incoming.key.threadTs !== incoming.ts &&
    incoming.key.threadTs !== DM_PANE &&
    !(await retryOnConnectionLoss(() => service.isConversation(incoming.key)));

  /** The thread's earlier messages; none when Slack will not say (a missing scope, an outage): the mention alone. */
  async function earlierInThread(incoming: IncomingMessage, client: webApi.WebClient): Promise<string[]> {
    try {
      return await readThread(client, incoming.key, incoming.ts, incoming.botUserId);
    } catch (error) {
      log.warn(
        { event: 'slack.thread_unread', thread: incoming.key, err: error },
        'cannot read the thread a mention was posted in; planning from the mention alone',
      );
      return [];
    }
  }

  /** A status question asked in a thread: what `/compass status` (or `/compass slo`) answers. */
  async function lookup(wanted: Lookup, incoming: IncomingMessage, client: webApi.WebClient) {
    const answer = subcommands[wanted === 'slo' && subcommands.slo ? 'slo' : 'status'];
    if (!answer)
      return noticeBlocks(
        'Deployment status is not available here: this bot runs without the deploy queue. `/compass help` lists what is.',
      );
    const context = {
      userId: incoming.userId,
      channelId: incoming.key.channelId,
      teamId: incoming.key.teamId,
      client,
    };
    try {
      return (await answer('', context)).message as SlackMessage;
    } catch (error) {
      const reference = randomUUID().slice(0, 8);
      log.error(
        { event: 'slack.lookup_failed', lookup: wanted, reference, err: error },
        'status lookup failed',
      );
      return failureBlocks(reference);
    }
  }

  /**
   * One message's turn. The inbox dispatches an event again after a crash: a turn that was answered then posts only
   * the replies not yet posted; one that was not plays now.
   */
  async function onMessage(incoming: IncomingMessage, client: webApi.WebClient) {
    const { key, eventId } = incoming;
    let outcome: TurnOutcome | undefined;
    let posted = 0;
    let resumed = false;
    let working: WorkingIndicator | undefined;
    try {
      const progress = await retryOnConnectionLoss(() => inbox.progress(eventId));
      if (progress) {
        outcome = progress.answer;
        posted = progress.posted;
        resumed = true;
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
        working = showWorking(client, { channel: key.channelId, ts: incoming.ts }, log);
        const text = (await startsInThread(incoming))
          ? withThreadContext(await earlierInThread(incoming, client), incoming.text)
          : incoming.text;
        outcome = await service.handleMessage(
          key,
          { text, userId: incoming.userId, ts: incoming.ts },
          incoming.start,
          (tx, answer) => inbox.saveAnswer(tx, eventId, answer),
        );
      }
    } catch (error) {
      if (error instanceof LeaseLostError) {
        log.warn({ event: 'slack.turn_taken_over', eventId, thread: key }, error.message);
        await working?.stop();
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
    if (outcome?.lookup)
      outcome = {
        ...outcome,
        replies: [...outcome.replies, { message: await lookup(outcome.lookup, incoming, client) }],
      };
    if (outcome)
      await replies.postOutcome(client, key, incoming.userId, outcome, {
        turn: eventId,
        from: posted,
        posted: (count) => inbox.markPosted(eventId, count),
        ...(resumed && { resumed: { afterTs: incoming.ts, botUserId: incoming.botUserId } }),
      });
    await working?.stop();
  }

  app.event('app_mention', async ({ event, body, context, client }) => {
    if (event.bot_id || !event.user) return;
    const teamId = context.teamId ?? body.team_id;
    await onThreadMessage(
      incomingOf({ ...event, user: event.user }, teamId, body.event_id, context.botUserId, true),
      client,
    );
  });

  app.message(async ({ message, body, context, client }) => {
    if (!byPerson(message)) return;
    const teamId = context.teamId ?? body.team_id;
    if (message.channel_type === 'im') {
      await greetOnce(client, teamId, message.user, message.channel);
      await onThreadMessage(await directIncoming(message, teamId, body.event_id, context.botUserId), client);
      return;
    }
    // In channels a mention arrives as app_mention too; that handler owns it.
    if (context.botUserId && message.text?.includes(`<@${context.botUserId}`)) return;
    if (!message.thread_ts) return;
    await onThreadMessage(incomingOf(message, teamId, body.event_id, context.botUserId, false), client);
  });

  /** A person's first DM: Compass introduces itself once, before answering. A failure only costs the greeting. */
  async function greetOnce(client: webApi.WebClient, teamId: string, userId: string, channel: string) {
    try {
      if (!(await retryOnConnectionLoss(() => store.claimGreeting(teamId, userId)))) return;
      await client.chat.postMessage({ channel, ...onboardingBlocks(userId) });
    } catch (error) {
      log.warn({ event: 'slack.onboarding_failed', user: userId, err: error }, 'cannot greet the user');
    }
  }

  // Added to a channel: say once what Compass does and how to ask, where everyone there sees it.
  app.event('member_joined_channel', async ({ event, context, client }) => {
    if (!context.botUserId || event.user !== context.botUserId) return;
    try {
      await client.chat.postMessage({ channel: event.channel, ...helpBlocks() });
    } catch (error) {
      log.warn(
        { event: 'slack.onboarding_failed', channel: event.channel, err: error },
        'cannot greet the channel',
      );
    }
  });

  /**
   * A command's answer, posted to its response_url once: saved in the inbox first, so a command resumed after a crash
   * posts the saved answer (without planning again) when it was not posted yet, and nothing when it was.
   */
  async function respondOnce(
    commandId: string,
    respond: RespondFn,
    produce: () => Promise<{ message: SlackMessage; inChannel?: boolean | undefined }>,
  ) {
    const progress = await retryOnConnectionLoss(() => inbox.progress(commandId));
    if (progress && progress.posted > 0) return;
    let reply = progress?.answer.replies[0];
    if (!reply) {
      const { message, inChannel } = await produce();
      reply = { message, ephemeral: !inChannel };
      await inbox.saveAnswer(undefined, commandId, { conversationId: null, replies: [reply] });
    }
    await respond({
      response_type: reply.ephemeral === false ? 'in_channel' : 'ephemeral',
      ...reply.message,
    });
    await inbox.markPosted(commandId, 1);
  }

  app.command('/compass', async ({ command, body, ack, respond, client }) => {
    const parsed = parseCommand(command.text, Object.keys(subcommands));
    if (parsed.kind === 'help') {
      await ack({ response_type: 'ephemeral', ...helpBlocks() });
      return;
    }
    if (parsed.kind === 'typo') {
      await ack({ response_type: 'ephemeral', ...didYouMeanBlocks(parsed.typed, parsed.meant) });
      return;
    }
    await ack();
    const commandId = inboxIdOf(body) ?? `command:${command.trigger_id}`;
    if (parsed.kind === 'subcommand') {
      const context = {
        userId: command.user_id,
        channelId: command.channel_id,
        teamId: command.team_id,
        client,
      };
      try {
        await respondOnce(commandId, respond, async () => {
          const answer = await subcommands[parsed.name]!(parsed.args, context);
          return { message: answer.message as SlackMessage, inChannel: answer.inChannel };
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
      await respondOnce(commandId, respond, async () => ({
        message: await service.quickPlan(parsed.request),
      }));
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

  // Before the option buttons' handlers: a press on an older plan points to the current one instead.
  app.use(staleOptionGuard(service, replies, log));
  registerModalHandlers(app, service, replies, log, inbox);
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
  if (home) registerHomeHandler(app, home, log);

  app.error(async (error) => {
    log.error({ event: 'slack.error', err: error }, 'unhandled Slack listener error');
  });
}
