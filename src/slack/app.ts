import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  AnyMiddlewareArgs,
  AppOptions,
  Logger as BoltLogger,
  Middleware,
  ReceiverEvent,
} from '@slack/bolt';
import { App, HTTPReceiver, LogLevel, webApi } from '@slack/bolt';
import type { SlackSettings } from '../config/index.js';
import { retryOnConnectionLoss } from '../db/connection.js';
import type { Inbox } from '../inbox/index.js';
import type { Logger } from '../log/index.js';
import type { HandlerDeps } from './handlers.js';
import { registerHandlers } from './handlers.js';
import type { Installation, ViewSeal } from './trust.js';
import { foreignTo, fromTheFuture, viewSeal } from './trust.js';

/** Where Slack sends events, slash commands and interactivity in HTTP mode (the manifest's request URLs). */
export const EVENTS_PATH = '/slack/events';

const LEVELS: Record<string, LogLevel> = {
  trace: LogLevel.DEBUG,
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
  fatal: LogLevel.ERROR,
  silent: LogLevel.ERROR,
};

/** Bolt's and the Web API client's log lines, as structured lines of Compass's logger. */
export function boltLogger(log: Logger): BoltLogger {
  const child = log.child({ component: 'slack' });
  const text = (parts: unknown[]) =>
    parts.map((part) => (typeof part === 'string' ? part : String(part))).join(' ');
  return {
    debug: (...parts) => child.debug(text(parts)),
    info: (...parts) => child.info(text(parts)),
    warn: (...parts) => child.warn(text(parts)),
    error: (...parts) => child.error(text(parts)),
    // The level is Compass's LOG_LEVEL; Bolt's attempts to change it are ignored.
    setLevel: () => {},
    getLevel: () => LEVELS[child.level] ?? LogLevel.INFO,
    setName: () => {},
  };
}

export interface SlackBot {
  app: App;
  /** Bolt's own identity in the workspace, from auth.test at start-up. */
  botUserId: string;
  /** The HTTP port listened on; absent in Socket Mode. */
  port?: number;
  stop(): Promise<void>;
}

export class SlackAuthError extends Error {
  constructor(reason: string) {
    super(
      `Slack rejected SLACK_BOT_TOKEN (${reason}). Copy the Bot User OAuth Token (xoxb-…) of an installed app from ` +
        'its OAuth & Permissions page.',
    );
    this.name = 'SlackAuthError';
  }
}

/** Bolt's App with the inbox in front: every event is recorded before Slack's acknowledgement. */
class InboxApp extends App {
  readonly #inbox: Inbox;

  constructor(options: AppOptions, inbox: Inbox) {
    super(options);
    this.#inbox = inbox;
  }

  override processEvent(event: ReceiverEvent): Promise<void> {
    return this.#inbox.admit(event, (admitted) => this.dispatch(admitted));
  }

  /** Bolt's own processing: the listeners, awaited. */
  dispatch(event: ReceiverEvent): Promise<void> {
    return super.processEvent(event);
  }
}

/**
 * Bolt's HTTP receiver, refusing signed requests stamped more than 5 minutes ahead as well: Bolt checks only that a
 * timestamp is not too old, so a request signed for later could be replayed for hours.
 */
function httpReceiver(signingSecret: string, logger: BoltLogger, log: Logger): HTTPReceiver {
  const receiver = new HTTPReceiver({
    signingSecret,
    endpoints: EVENTS_PATH,
    processBeforeResponse: false,
    logger,
    customRoutes: [
      {
        path: '/healthz',
        method: ['GET'],
        handler: (_request, response) => {
          response.writeHead(200, { 'content-type': 'text/plain' });
          response.end('ok');
        },
      },
    ],
  });
  const verified = receiver.requestListener;
  receiver.requestListener = (request, response) => {
    const timestamp = request.headers['x-slack-request-timestamp'];
    if (!fromTheFuture(timestamp, Date.now())) return verified(request, response);
    log.warn({ event: 'slack.request_rejected', reason: 'timestamp in the future', timestamp }, 'rejected');
    response.writeHead(401).end();
  };
  return receiver;
}

const INTERACTIONS = new Set(['block_actions', 'view_submission']);

/**
 * Refuses, before any handler, what a signature does not vouch for: a request of another workspace or organization,
 * a modal interaction whose private_metadata is not sealed for its user, and a replayed interaction. A trusted modal's private_metadata is
 * replaced by what Compass put in it.
 */
function trustGuard(
  installation: Installation,
  seal: ViewSeal,
  claim: (key: string) => Promise<boolean>,
  log: Logger,
): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const body = args.body as Parameters<typeof foreignTo>[1] & {
      type?: string;
      trigger_id?: string;
      user?: { id?: string };
      view?: { private_metadata?: string };
    };
    const ack = 'ack' in args ? (args.ack as () => Promise<void>) : undefined;
    const refuse = async (reason: string) => {
      log.warn({ event: 'slack.request_rejected', reason, type: body.type }, 'request refused');
      await ack?.();
    };
    const foreign = foreignTo(installation, body);
    if (foreign) return refuse(`from ${foreign}`);
    if (body.view) {
      const opened = seal.open(body.view.private_metadata, body.user?.id ?? '');
      if (!opened.ok) return refuse(opened.reason);
      body.view.private_metadata = opened.metadata;
    }
    // Every press and submission carries a trigger of its own: a replayed one must not open another thread or file
    // another request. When the database is away the handlers say so; the guard does not.
    if (body.trigger_id && INTERACTIONS.has(body.type ?? '')) {
      const first = await retryOnConnectionLoss(() => claim(`interaction:${body.trigger_id}`)).catch(
        (error: unknown) => {
          log.warn({ event: 'slack.claim_failed', err: error }, 'cannot record the interaction');
          return true;
        },
      );
      if (!first) return refuse('replayed interaction');
    }
    await args.next();
  };
}

/**
 * Checks the bot token (auth.test), then starts Bolt in Socket Mode when an app token is configured, otherwise over
 * HTTP on `settings.port` with `/slack/events` and a `/healthz` probe. Events are acknowledged before the work starts
 * (processBeforeResponse stays off: this is a long-running process, not a function).
 */
export async function startSlackBot(settings: SlackSettings, deps: HandlerDeps): Promise<SlackBot> {
  const logger = boltLogger(deps.log);
  // Stopping cuts Web API calls still hanging after the grace: their turns were handed back, not lost.
  const stopped = new AbortController();
  const clientOptions: webApi.WebClientOptions = {
    logger,
    fetch: (url, init) =>
      fetch(url, {
        ...init,
        signal: init?.signal ? AbortSignal.any([init.signal, stopped.signal]) : stopped.signal,
      }),
    // Rate limits wait for Retry-After; other failures get a few quick retries, not Slack's default half hour.
    retryConfig: { retries: 4, factor: 2, minTimeout: 250, maxTimeout: 5000 },
    ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}),
  };
  const identity = await new webApi.WebClient(settings.botToken, clientOptions).auth
    .test()
    .catch((error: unknown) => {
      const data = (error as { data?: { error?: string } }).data;
      throw new SlackAuthError(data?.error ?? (error instanceof Error ? error.message : String(error)));
    });
  const common = {
    token: settings.botToken,
    botId: identity.bot_id,
    botUserId: identity.user_id,
    logger,
    clientOptions,
  };
  const app =
    settings.mode === 'socket'
      ? new InboxApp({ ...common, socketMode: true, appToken: settings.appToken }, deps.inbox)
      : new InboxApp(
          { ...common, receiver: httpReceiver(settings.signingSecret, logger, deps.log) },
          deps.inbox,
        );
  const installation: Installation = {
    teamId: identity.team_id ?? '',
    enterpriseId: identity.enterprise_id,
    enterpriseInstall: identity.is_enterprise_install === true,
  };
  // Socket Mode has no signing secret; its app token is as secret and as stable.
  const seal = viewSeal(settings.mode === 'socket' ? settings.appToken : settings.signingSecret);
  app.use(trustGuard(installation, seal, deps.store.claimEvent, deps.log));
  registerHandlers(app, deps, seal);
  // Stopping: Bolt first (no new deliveries), then the turns in flight finish or are handed back.
  const stopInbox = async () => {
    await deps.inbox.stop();
    stopped.abort();
  };
  if (settings.mode === 'socket') {
    await app.start();
    deps.inbox.start((event) => app.dispatch(event));
    deps.log.info({ event: 'slack.started', mode: 'socket' }, 'Compass bot connected to Slack (Socket Mode)');
    return {
      app,
      botUserId: identity.user_id ?? '',
      async stop() {
        await app.stop();
        await stopInbox();
      },
    };
  }
  const server = (await app.start(settings.port)) as Server;
  deps.inbox.start((event) => app.dispatch(event));
  const { port } = server.address() as AddressInfo;
  deps.log.info(
    { event: 'slack.started', mode: 'http', port, path: EVENTS_PATH },
    `Compass bot listening on port ${port} (${EVENTS_PATH})`,
  );
  return {
    app,
    botUserId: identity.user_id ?? '',
    port,
    async stop() {
      // Keep-alive connections would hold close() open.
      server.closeIdleConnections();
      await app.stop();
      await stopInbox();
    },
  };
}
