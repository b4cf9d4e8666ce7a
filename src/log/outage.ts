import type { Logger } from './index.js';

/** Error codes of a server that cannot be reached (as opposed to one that answered with an error). */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** Whether `error` (or an error it wraps) says the server could not be reached at all. */
export function isUnreachable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    if (/\b(?:ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH)\b|Connection is closed/.test(current.message))
      return true;
    current = current.cause;
  }
  return false;
}

/** A URL fit for a log line: scheme, host and port, without credentials, path or query. */
export function redactedTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '[unparseable URL]';
  }
}

export interface ConnectionOutage {
  /** Reports a failure: the first of an outage is logged (without a stack), the rest are counted quietly. */
  failed(error: unknown): void;
  /** The server answers again: logs the end of an outage, if one was under way. */
  recovered(): void;
  /** Whether an outage is under way. */
  down(): boolean;
}

/**
 * One warning when a server becomes unreachable and one line when it is back, however often the client retries in
 * between (ioredis reconnects every few hundred ms; a stack trace each time buries everything else).
 */
export function connectionOutage(
  log: Logger,
  server: string,
  target: string,
  now: () => number = Date.now,
): ConnectionOutage {
  let since: number | null = null;
  let failures = 0;
  return {
    failed(error) {
      failures++;
      if (since !== null) return;
      since = now();
      const reason = error instanceof Error ? error.message : String(error);
      log.warn(
        { event: 'connection.lost', server, target, reason },
        `${server} unreachable at ${target} (${reason}); retrying quietly until it answers`,
      );
    },
    recovered() {
      if (since === null) return;
      log.info(
        { event: 'connection.recovered', server, target, downMs: now() - since, failures },
        `${server} reachable again at ${target}`,
      );
      since = null;
      failures = 0;
    },
    down: () => since !== null,
  };
}
