import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppOptions, Logger as BoltLogger, ReceiverEvent } from '@slack/bolt';
import { App, LogLevel, webApi } from '@slack/bolt';
import type { SlackSettings } from '../config/index.js';
import type { Inbox } from '../inbox/index.js';
import type { Logger } from '../log/index.js';
import type { HandlerDeps } from './handlers.js';
import { registerHandlers } from './handlers.js';

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
          {
            ...common,
            signingSecret: settings.signingSecret,
            endpoints: EVENTS_PATH,
            processBeforeResponse: false,
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
          },
          deps.inbox,
        );
  registerHandlers(app, deps);
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
