import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger as BoltLogger } from '@slack/bolt';
import { App, LogLevel, webApi } from '@slack/bolt';
import type { SlackSettings } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { CompassMetrics } from '../metrics/index.js';
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
  const clientOptions: webApi.WebClientOptions = {
    logger,
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
  // Probes (Kubernetes, docker compose) read /healthz, and Prometheus /metrics, on PORT in either mode: Bolt's
  // Socket Mode receiver serves custom routes on an HTTP server of its own at installerOptions.port.
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
  ];
  const app =
    settings.mode === 'socket'
      ? new App({
          ...common,
          socketMode: true,
          appToken: settings.appToken,
          customRoutes,
          installerOptions: { port: settings.port },
        })
      : new App({
          ...common,
          signingSecret: settings.signingSecret,
          endpoints: EVENTS_PATH,
          processBeforeResponse: false,
          customRoutes,
        });
  if (metrics) countRequests(app, metrics);
  registerHandlers(app, deps);
  if (settings.mode === 'socket') {
    await app.start();
    deps.log.info({ event: 'slack.started', mode: 'socket' }, 'Compass bot connected to Slack (Socket Mode)');
    return {
      app,
      botUserId: identity.user_id ?? '',
      async stop() {
        await app.stop();
      },
    };
  }
  const server = (await app.start(settings.port)) as Server;
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
    },
  };
}
