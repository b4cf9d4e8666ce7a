import type { ApprovalStore } from '../../src/approval/store.js';
import type { ApprovalsConfig, DeployConfig, SlackSettings } from '../../src/config/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { ConversationStore } from '../../src/conversation/store.js';
import type { Database } from '../../src/db/client.js';
import { optionManifestPreview } from '../../src/deploy/index.js';
import { extractIntent } from '../../src/intent/index.js';
import type { KnowledgeBase } from '../../src/knowledge/open.js';
import { openKnowledgeBase } from '../../src/knowledge/open.js';
import type { Logger } from '../../src/log/index.js';
import type { SlackBot } from '../../src/slack/app.js';
import { EVENTS_PATH, startSlackBot } from '../../src/slack/app.js';
import { chartLinksOf } from '../../src/slack/charts.js';
import type { DeployControls } from '../../src/slack/deploys.js';
import { createHandlerDeps } from '../../src/slack/deps.js';
import type { Delivery, SlackStandIn, StoredView, ViewInputs } from '../standins/slack.js';
import {
  buttonPressBody,
  deliver,
  eventEnvelope,
  slashCommandBody,
  startSlackStandIn,
  viewButtonBody,
  viewSubmissionBody,
} from '../standins/slack.js';
import { capturedLogger } from '../support/log.js';
import { freePort } from '../support/ports.js';
import type { TestDatabase } from '../support/postgres.js';
import { createTestDatabase } from '../support/postgres.js';

export const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
export const CHANNEL = 'C0PLANNING';
export const USER = 'U0ADA';
/** Approvers by id, one by user group, the approvers' channel (the harness's default approval settings). */
export const APPROVER = 'U0GRACE';
export const OTHER_APPROVER = 'U0LINUS';
export const GROUP = 'S0PLATFORM';
export const GROUP_MEMBER = 'U0BARBARA';
export const APPROVERS_CHANNEL = 'C0APPROVALS';
export const STRANGER = 'U0MALLORY';

export const DEFAULT_APPROVALS: ApprovalsConfig = {
  userIds: [APPROVER, OTHER_APPROVER],
  usergroupId: GROUP,
  channelId: APPROVERS_CHANNEL,
  requesterMayApprove: false,
};
export const DEFAULT_DEPLOY: DeployConfig = { contexts: ['staging', 'prod'], namespaces: ['compass', 'llm'] };

/** The outcome of a view_submission: the delivery, and the acknowledgement's response_action as Slack applied it. */
export interface Submission {
  delivery: Delivery;
  response: { response_action?: string; errors?: Record<string, string> };
}

let tsCounter = 0;
/** A fresh Slack message ts. */
export const newTs = () => `${1_700_000_000 + ++tsCounter}.000200`;

/**
 * A running bot in HTTP mode on a fresh PostgreSQL database, talking to the Slack stand-in; with helpers that deliver
 * what Slack would (signed), and a restart that keeps only the database.
 */
export interface BotHarness {
  slack: SlackStandIn;
  eventsUrl: string;
  store: ConversationStore;
  approvals: ApprovalStore;
  /** The bot's database, to read what the contract tables hold. */
  databaseUrl: string;
  /** Structured log lines the bot wrote. */
  logs: () => Record<string, unknown>[];
  rawLogs: () => string;
  /** Makes the intent extraction (the injected async edge) fail until reset. */
  failExtraction(failing: boolean): void;
  /** Makes every intent extraction take `ms` longer (a slow LLM pass), until set back to 0. */
  slowExtraction(ms: number): void;
  restart(): Promise<void>;
  event(
    event: Record<string, unknown>,
    options?: { eventId?: string; headers?: Record<string, string> },
  ): Promise<Delivery & { eventId: string }>;
  mention(
    text: string,
    where?: { threadTs?: string; channel?: string; ts?: string },
  ): Promise<{ ts: string; delivery: Delivery }>;
  reply(
    text: string,
    threadTs: string,
    options?: { user?: string; extra?: Record<string, unknown> },
  ): Promise<{ ts: string; delivery: Delivery }>;
  command(text: string, responseId: string): Promise<Delivery>;
  press(
    actionId: string,
    options: {
      value?: string;
      message?: { ts: string; thread_ts?: string };
      responseId: string;
      user?: string;
      channel?: string;
    },
  ): Promise<Delivery>;
  /** Presses a button on a message and resolves with the modal it opened (the first view opened after the press). */
  pressForView(
    actionId: string,
    options: { value?: string; message: { ts: string; thread_ts?: string }; user?: string },
  ): Promise<StoredView>;
  /** Submits a modal as `user` with `inputs` (the rest as prefilled), applying the acknowledgement as Slack does. */
  submit(view: StoredView, inputs?: ViewInputs, user?: string): Promise<Submission>;
  /** Presses a button inside a modal. */
  pressInView(
    view: StoredView,
    actionId: string,
    options?: { value?: string; user?: string },
  ): Promise<Delivery>;
  /** chat.postEphemeral calls to `user`, newest last. */
  ephemerals(user: string): { text: string; blocks: Record<string, unknown>[] }[];
  /** chat.postMessage calls in a thread. */
  posted(threadTs: string): { text: string; blocks: Record<string, unknown>[] }[];
  /** The thread's plan message (the first options posted there) as it reads now, after any chat.update. */
  plan(threadTs: string, channel?: string): { text: string; blocks: Record<string, unknown>[] } | undefined;
  close(): Promise<void>;
}

export async function startHarness(
  options: {
    approvals?: ApprovalsConfig;
    deploy?: DeployConfig;
    /** The deploy buttons' and `/compass status`'s edge, on the bot's database. */
    deploys?: (db: Database, log: Logger) => DeployControls;
    /** COMPASS_PUBLIC_URL: 'self' for the bot's own address (a fixed port), or any URL; unset by default. */
    publicUrl?: string;
  } = {},
): Promise<BotHarness> {
  const testDb: TestDatabase = await createTestDatabase({ migrated: true });
  // The public URL must be known before the bot listens, so a bot serving its own charts gets a port up front.
  const port = options.publicUrl === 'self' ? await freePort() : 0;
  const publicUrl = options.publicUrl === 'self' ? `http://127.0.0.1:${port}` : options.publicUrl;
  const slack = await startSlackStandIn();
  slack.setUsergroup(GROUP, [GROUP_MEMBER]);
  const { log, lines, text } = capturedLogger();
  let extractionFails = false;
  let extractionDelayMs = 0;

  let kb: KnowledgeBase;
  let bot: SlackBot;
  let store: ConversationStore;
  const settings = {
    approvals: options.approvals ?? DEFAULT_APPROVALS,
    deploy: options.deploy ?? DEFAULT_DEPLOY,
  };
  async function start() {
    kb = await openKnowledgeBase({ databaseUrl: testDb.url, dataDir: '/nonexistent' }, log);
    const knowledge = kb.knowledge;
    const extract = async (text: string) => {
      if (extractionFails) throw new Error('extraction backend exploded');
      if (extractionDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, extractionDelayMs));
      return extractIntent(text, knowledge);
    };
    const slackSettings: SlackSettings = {
      mode: 'http',
      botToken: slack.botToken,
      signingSecret: SIGNING_SECRET,
      apiUrl: slack.apiUrl,
      port,
      ...(publicUrl && { publicUrl }),
    };
    const deps = createHandlerDeps({
      db: kb.database.db,
      knowledge: () => knowledge,
      extract,
      log,
      settings,
      manifestPreview: optionManifestPreview({
        deploy: settings.deploy,
        manifests: loadConfig({}).manifests,
      }),
      charts: chartLinksOf(slackSettings),
    });
    store = deps.store;
    bot = await startSlackBot(slackSettings, {
      ...deps,
      ...(options.deploys && { deploys: options.deploys(kb.database.db, log) }),
    });
    harness.eventsUrl = `http://127.0.0.1:${bot.port}${EVENTS_PATH}`;
    harness.store = store;
    harness.approvals = deps.approvalStore;
  }
  async function stop() {
    await bot.stop();
    await kb.database.close();
  }

  const pressedMessage = (channel: string, pressed: { ts: string; thread_ts?: string }) => {
    const stored = slack.message(channel, pressed.ts);
    return stored ? { text: stored.text, blocks: stored.blocks, ...pressed } : pressed;
  };

  const harness: BotHarness = {
    slack,
    eventsUrl: '',
    store: undefined as unknown as ConversationStore,
    approvals: undefined as unknown as ApprovalStore,
    databaseUrl: testDb.url,
    logs: lines,
    rawLogs: text,
    failExtraction(failing) {
      extractionFails = failing;
    },
    slowExtraction(ms) {
      extractionDelayMs = ms;
    },
    async restart() {
      await stop();
      await start();
    },
    async event(event, options = {}) {
      const { eventId, body } = eventEnvelope(event, {
        teamId: slack.teamId,
        botUserId: slack.botUserId,
        ...(options.eventId ? { eventId: options.eventId } : {}),
      });
      // What a person posts is in the channel's history from then on (a bot's, an edit's or a deletion's is not).
      const { channel, ts, thread_ts, text, user, subtype, bot_id } = event as Record<
        string,
        string | undefined
      >;
      if (
        channel &&
        ts &&
        user &&
        !bot_id &&
        (!subtype || subtype === 'thread_broadcast' || subtype === 'file_share')
      )
        slack.said({ channel, ts, text: text ?? '', blocks: [], user, ...(thread_ts ? { thread_ts } : {}) });
      const delivery = await deliver(harness.eventsUrl, SIGNING_SECRET, body, 'application/json', {
        ...(options.headers ? { headers: options.headers } : {}),
      });
      return { ...delivery, eventId };
    },
    async mention(text, where = {}) {
      const ts = where.ts ?? newTs();
      const delivery = await harness.event({
        type: 'app_mention',
        user: USER,
        text: `<@${slack.botUserId}> ${text}`,
        ts,
        channel: where.channel ?? CHANNEL,
        ...(where.threadTs ? { thread_ts: where.threadTs } : {}),
      });
      return { ts, delivery };
    },
    async reply(text, threadTs, options = {}) {
      const ts = newTs();
      const delivery = await harness.event({
        type: 'message',
        channel: CHANNEL,
        channel_type: 'channel',
        user: options.user ?? USER,
        text,
        ts,
        thread_ts: threadTs,
        ...options.extra,
      });
      return { ts, delivery };
    },
    command(text, responseId) {
      return deliver(
        harness.eventsUrl,
        SIGNING_SECRET,
        slashCommandBody({
          teamId: slack.teamId,
          channelId: CHANNEL,
          userId: USER,
          text,
          responseUrl: slack.responseUrl(responseId),
        }),
        'application/x-www-form-urlencoded',
      );
    },
    press(actionId, options) {
      return deliver(
        harness.eventsUrl,
        SIGNING_SECRET,
        buttonPressBody({
          teamId: slack.teamId,
          channelId: options.channel ?? CHANNEL,
          userId: options.user ?? USER,
          actionId,
          responseUrl: slack.responseUrl(options.responseId),
          triggerId: slack.newTrigger(),
          ...(options.value === undefined ? {} : { value: options.value }),
          // Slack sends the pressed message whole: its text and blocks as they read now.
          ...(options.message
            ? { message: pressedMessage(options.channel ?? CHANNEL, options.message) }
            : {}),
        }),
        'application/x-www-form-urlencoded',
      );
    },
    async pressForView(actionId, options) {
      const before = slack.views.length;
      const delivery = await harness.press(actionId, { ...options, responseId: `view-${actionId}` });
      if (delivery.status !== 200) throw new Error(`the press was refused: HTTP ${delivery.status}`);
      return slack.waitFor(() => slack.views[before]);
    },
    async submit(view, inputs = {}, user = USER) {
      const delivery = await deliver(
        harness.eventsUrl,
        SIGNING_SECRET,
        viewSubmissionBody({
          teamId: slack.teamId,
          userId: user,
          view,
          inputs,
          triggerId: slack.newTrigger(),
        }),
        'application/x-www-form-urlencoded',
      );
      return { delivery, response: slack.applyViewResponse(view.id, delivery.body) };
    },
    pressInView(view, actionId, options = {}) {
      return deliver(
        harness.eventsUrl,
        SIGNING_SECRET,
        viewButtonBody({
          teamId: slack.teamId,
          userId: options.user ?? USER,
          view,
          actionId,
          triggerId: slack.newTrigger(),
          ...(options.value === undefined ? {} : { value: options.value }),
        }),
        'application/x-www-form-urlencoded',
      );
    },
    ephemerals(user) {
      return slack.callsOf('chat.postEphemeral', { user }).map((call) => ({
        text: call.args.text as string,
        blocks: (call.args.blocks ?? []) as Record<string, unknown>[],
      }));
    },
    posted(threadTs) {
      return slack.callsOf('chat.postMessage', { thread_ts: threadTs }).map((call) => ({
        text: call.args.text as string,
        blocks: (call.args.blocks ?? []) as Record<string, unknown>[],
      }));
    },
    plan(threadTs, channel = CHANNEL) {
      const first = slack
        .callsOf('chat.postMessage', { thread_ts: threadTs, channel })
        .find((call) =>
          /^(Top |No option)/.test(
            headerOf({ blocks: (call.args.blocks ?? []) as Record<string, unknown>[] }) ?? '',
          ),
        );
      const ts = (first?.result as { ts?: string } | undefined)?.ts;
      return ts ? slack.message(channel, ts) : undefined;
    },
    async close() {
      await stop();
      await slack.close();
      await testDb.drop();
    },
  };
  await start();
  return harness;
}

/** The header text of a posted message, if it has one. */
export const headerOf = (message: { blocks: Record<string, unknown>[] }) =>
  (message.blocks.find((block) => block.type === 'header')?.text as { text: string } | undefined)?.text;
