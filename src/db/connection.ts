import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Telling a lost database connection from other failures: a server restart, an admin's pg_terminate_backend or a
 * network cut fail the statement in flight, and the same work on a fresh pooled connection usually succeeds.
 */

/** SQLSTATEs of a connection that went away: class 08 (connection exception) and the server shutting it down. */
const LOST_STATES = /^(08...|57P01|57P02|57P03)$/;
/** Node's socket errors, and what pg says of a client whose connection ended. */
const LOST_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);
const LOST_MESSAGES =
  /Connection terminated|is not queryable|Client was closed|timeout exceeded when trying to connect/i;

/**
 * How long a retry waits: the cut that broke one connection usually broke the idle ones beside it too, and the pool
 * must hear of that before it hands one out again.
 */
const RETRY_AFTER_MS = 250;

/** True when `error` (or one of its causes: drizzle wraps pg's errors) says the connection was lost. */
export function isConnectionLost(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (LOST_STATES.test(code) || LOST_CODES.has(code))) return true;
    if (LOST_MESSAGES.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}

/**
 * Runs `work`, and again after each of `delaysMs` (by default once, a moment later) while it fails because the
 * connection was lost; `onRetry` hears each loss that is retried. Only for work that is whole or nothing (one
 * statement, one transaction): a half-done attempt would be done twice.
 */
export async function retryOnConnectionLoss<T>(
  work: () => Promise<T>,
  {
    onRetry,
    delaysMs = [RETRY_AFTER_MS],
  }: { onRetry?: (error: unknown) => void; delaysMs?: readonly number[] } = {},
): Promise<T> {
  for (const delayMs of delaysMs) {
    try {
      return await work();
    } catch (error) {
      if (!isConnectionLost(error)) throw error;
      onRetry?.(error);
      await sleep(delayMs);
    }
  }
  return work();
}
