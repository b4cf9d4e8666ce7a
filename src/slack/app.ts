import { setMaxListeners } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  AnyMiddlewareArgs,
  AppOptions,
  Logger as BoltLogger,
  CustomRoute,
  Middleware,
  ReceiverEvent,
} from '@slack/bolt';
import { App, HTTPReceiver, LogLevel, webApi } from '@slack/bolt';
import type { SlackSettings } from '../config/index.js';
import { retryOnConnectionLoss } from '../db/connection.js';
import type { Inbox } from '../inbox/index.js';
import type { Logger } from '../log/index.js';
import type { CompassMetrics } from '../metrics/index.js';
import { chartRoute } from './charts.js';
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

/** What handlers call to acknowledge a request already acknowledged. */
const acknowledged = async () => {};

/**
 * Bolt's App with the inbox in front: every event, slash command and view submission is recorded before Slack's
 * acknowledgement; a button press is acknowledged before anything else runs.
 */
class InboxApp extends App {
  readonly #inbox: Inbox;

  constructor(options: AppOptions, inbox: Inbox) {
    super(options);
    this.#inbox = inbox;
  }

  override async processEvent(event: ReceiverEvent): Promise<void> {
    // A press's acknowledgement carries nothing, so it goes first: before the replay claim (a database write) and the
    // handlers, which then acknowledge nothing. Submissions answer in theirs (errors, the next view) and commands may.
    if (event.body.type === 'block_actions') {
      await event.ack();
      return this.dispatch({ ...event, ack: acknowledged });
    }
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
function httpReceiver(
  signingSecret: string,
  logger: BoltLogger,
  log: Logger,
  customRoutes: CustomRoute[],
): HTTPReceiver {
  const receiver = new HTTPReceiver({
    signingSecret,
    endpoints: EVENTS_PATH,
    processBeforeResponse: false,
    logger,
    customRoutes,
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
    // Every press carries a trigger of its own: a replayed one must not open another thread or file another request.
    // (A submission's trigger is its id in the inbox, which drops a replay and lets a resumed one through.) When the
    // database is away the handlers say so; the guard does not.
    if (body.trigger_id && body.type === 'block_actions') {
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

/** Slack's Web API could not be reached (network, DNS, proxy, outage): the token was never checked. */
export class SlackUnreachableError extends Error {
  constructor(apiUrl: string, reason: string) {
    super(
      `Cannot reach Slack's Web API at ${apiUrl} (${reason}), so SLACK_BOT_TOKEN could not be checked. Check the ` +
        'network, DNS and any HTTPS proxy, or SLACK_API_URL if you set it.',
    );
    this.name = 'SlackUnreachableError';
  }
}

/** What a Slack request is, for the metrics: the event type, slash_command, or the interaction type. */
function requestType(body: Record<string, unknown>): string {
  if (body.type === 'event_callback') return String((body.event as { type?: unknown })?.type ?? 'event');
  if (typeof body.command === 'string') return 'slash_command';
  return String(body.type ?? 'unknown');
}

/** Counts every request Bolt receives and times its acknowledgement (however the receiver delivers it). */
function countRequests(app: App, metrics: CompassMetrics): void {
  const process = app.processEvent.bind(app);
  app.processEvent = (event) => {
    const started = performance.now();
    const type = requestType(event.body);
    metrics.slackRequests.inc({ type });
    return process({
      ...event,
      ack: (response) => {
        metrics.slackAckSeconds.observe({ type }, (performance.now() - started) / 1000);
        return event.ack(response);
      },
    });
  };
}

/** An error's message with the causes under it ("fetch failed: connect ECONNREFUSED …"). */
function withCauses(error: unknown): string {
  const parts: string[] = [];
  for (let current = error, depth = 0; current !== undefined && depth < 5; depth++) {
    parts.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ');
}

/**
 * Checks the bot token (auth.test), then starts Bolt in Socket Mode when an app token is configured, otherwise over
 * HTTP on `settings.port` with `/slack/events` and a `/healthz` probe. Events are acknowledged before the work starts
 * (processBeforeResponse stays off: this is a long-running process, not a function).
 */
export async function startSlackBot(
  settings: SlackSettings,
  deps: HandlerDeps,
  metrics?: CompassMetrics,
): Promise<SlackBot> {
  const logger = boltLogger(deps.log);
  // Stopping cuts Web API calls still hanging after the grace: their turns were handed back, not lost.
  const stopped = new AbortController();
  // Every Web API call in flight listens to it (fetch drops a listener only once its request is collected), so a
  // burst of calls is not a leak: no listener cap.
  setMaxListeners(0, stopped.signal);
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
      // Only an answer from Slack (invalid_auth, token_revoked…) says anything about the token; a request that never
      // got one (fetch failed) or an HTTP error page is the network's or Slack's trouble.
      const { code, data, original } = error as {
        code?: string;
        data?: { error?: string };
        original?: unknown;
      };
      if (code === webApi.ErrorCode.PlatformError && data?.error) throw new SlackAuthError(data.error);
      throw new SlackUnreachableError(
        settings.apiUrl ?? 'https://slack.com/api/',
        withCauses(original ?? error).replace(/^A request error occurred: /, ''),
      );
    });
  const common = {
    token: settings.botToken,
    botId: identity.bot_id,
    botUserId: identity.user_id,
    logger,
    clientOptions,
  };
  // Probes (Kubernetes, docker compose) read /healthz, Prometheus /metrics, and Slack the Details charts
  // (/charts/…), on PORT in either mode: Bolt's Socket Mode receiver serves custom routes on an HTTP server of its
  // own at installerOptions.port.
  const customRoutes = [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_request: IncomingMessage, response: ServerResponse) => {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end('ok');
      },
    },
    ...(metrics
      ? [
          {
            path: '/metrics',
            method: ['GET'],
            handler: async (_request: IncomingMessage, response: ServerResponse) => {
              const text = await metrics.registry.metrics();
              response.writeHead(200, { 'content-type': metrics.registry.contentType });
              response.end(text);
            },
          },
        ]
      : []),
    ...(deps.charts ? [chartRoute(deps.charts, deps.service, deps.log)] : []),
  ];
  const app =
    settings.mode === 'socket'
      ? new InboxApp(
          {
            ...common,
            socketMode: true,
            appToken: settings.appToken,
            customRoutes,
            installerOptions: { port: settings.port },
          },
          deps.inbox,
        )
      : new InboxApp(
          { ...common, receiver: httpReceiver(settings.signingSecret, logger, deps.log, customRoutes) },
          deps.inbox,
        );
  if (metrics) countRequests(app, metrics);
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
