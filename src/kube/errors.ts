import { ApiException } from '@kubernetes/client-node';
import { z } from 'zod';

/** One reason a request failed, as the API server itemises it (a 422's invalid fields, a 409's conflicts). */
export const KubeStatusCause = z.object({
  reason: z.string().optional(),
  message: z.string().optional(),
  field: z.string().optional(),
});
export type KubeStatusCause = z.infer<typeof KubeStatusCause>;

/** The Status object the API server answers a failed request (and a delete) with; only the parts Compass reads. */
export const KubeStatus = z.object({
  kind: z.literal('Status'),
  apiVersion: z.string().default('v1'),
  status: z.enum(['Success', 'Failure']).optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  code: z.number().int().optional(),
  details: z
    .object({
      name: z.string().optional(),
      group: z.string().optional(),
      kind: z.string().optional(),
      causes: z.array(KubeStatusCause).optional(),
      retryAfterSeconds: z.number().optional(),
    })
    .optional(),
});
export type KubeStatus = z.infer<typeof KubeStatus>;

/**
 * What the caller should do about a failure: `transient` — retry with backoff (network, timeouts, 409, 429, 5xx);
 * `invalid` — fix the request (400, 422, unknown kinds, bad kubeconfig); `forbidden` — fix credentials or RBAC
 * (401, 403); `not_found` — the object or its namespace does not exist.
 */
export const KubeErrorKind = z.enum(['transient', 'invalid', 'forbidden', 'not_found']);
export type KubeErrorKind = z.infer<typeof KubeErrorKind>;

export class KubeError extends Error {
  override readonly name = 'KubeError';
  constructor(
    readonly kind: KubeErrorKind,
    message: string,
    readonly details: {
      /** HTTP status of the answer, when there was one. */
      code?: number;
      /** The Status object's machine-readable reason (Invalid, Conflict, Forbidden, …). */
      reason?: string;
      causes?: KubeStatusCause[];
      /** From a 429's Retry-After (or the Status), when the server said when to come back. */
      retryAfterSeconds?: number;
    } = {},
  ) {
    super(message);
  }
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

function kindOfStatus(code: number): KubeErrorKind {
  if (code === 401 || code === 403) return 'forbidden';
  if (code === 404) return 'not_found';
  if (code === 408 || code === 409 || code === 410 || code === 429 || code >= 500) return 'transient';
  return 'invalid';
}

/** The Status in an error answer's body, if it is one (bodies of proxies and load balancers often are not). */
function parseStatus(body: unknown): KubeStatus | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const parsed = KubeStatus.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** A Status's own message plus the causes it does not already spell out. */
function statusText(status: KubeStatus | undefined, code: number): string {
  const message = status?.message ?? `HTTP ${code}${status?.reason ? ` ${status.reason}` : ''}`;
  const extra = (status?.details?.causes ?? [])
    .map((cause) => [cause.field, cause.message].filter(Boolean).join(': '))
    .filter((text) => text && !message.includes(text));
  return extra.length ? `${message} (${extra.join('; ')})` : message;
}

const HINTS: Record<KubeErrorKind, string> = {
  transient: 'will be retried',
  invalid: 'the request must change',
  forbidden: "the kubeconfig user lacks permission; check the context's credentials and RBAC",
  not_found: 'check the namespace and name',
};

/** A network-level failure: the cause chain's errno/undici code, or a timeout. */
function networkProblem(error: Error): string | undefined {
  // The client's own request timeout aborts; depending on the fetch underneath that surfaces as either name.
  if (error.name === 'TimeoutError' || error.name === 'AbortError')
    return 'the request timed out or was aborted';
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return `connection failed (${code})`;
  }
  if (error instanceof TypeError && error.message === 'fetch failed') return 'connection failed';
  if (error.message === 'terminated') return 'connection dropped';
  return undefined;
}

/**
 * A KubeError from an API answer: its HTTP code and body (a Status, usually). `doing` says what failed, e.g.
 * "apply InferenceService compass/chat".
 */
export function errorFromAnswer(
  code: number,
  body: unknown,
  doing: string,
  retryAfterHeader?: string,
): KubeError {
  const status = parseStatus(body);
  const kind = kindOfStatus(code);
  const retryAfter = retryAfterHeader === undefined ? Number.NaN : Number(retryAfterHeader);
  const retryAfterSeconds = Number.isFinite(retryAfter) ? retryAfter : status?.details?.retryAfterSeconds;
  return new KubeError(kind, `${doing}: ${statusText(status, code)} [${code}; ${HINTS[kind]}]`, {
    code,
    ...(status?.reason ? { reason: status.reason } : {}),
    ...(status?.details?.causes ? { causes: status.details.causes } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  });
}

/**
 * Turns whatever the client library threw into a KubeError that says what failed (`doing`), why, and what kind of
 * failure it is. Never includes request headers (tokens).
 */
export function toKubeError(error: unknown, doing: string): KubeError {
  if (error instanceof KubeError) return error;
  if (error instanceof ApiException) {
    // A 404 while looking up the kind means the cluster does not serve that API group at all.
    if (error.code === 404 && String(error.message).startsWith('Failed to fetch resource metadata'))
      return new KubeError(
        'invalid',
        `${doing}: the cluster does not serve this API (is its CRD installed?)`,
        {
          code: 404,
          reason: 'NotFound',
        },
      );
    const headers = error.headers as Record<string, string> | undefined;
    return errorFromAnswer(error.code, error.body, doing, headers?.['retry-after']);
  }
  if (error instanceof Error) {
    const problem = networkProblem(error);
    if (problem) return new KubeError('transient', `${doing}: ${problem} [${HINTS.transient}]`);
    // The watch helper reports a refused watch as an Error carrying the HTTP code.
    const watchCode = (error as { statusCode?: unknown }).statusCode;
    if (typeof watchCode === 'number') return errorFromAnswer(watchCode, undefined, doing);
    if (error.message.startsWith('Unrecognized API version and kind'))
      return new KubeError(
        'invalid',
        `${doing}: the cluster does not serve this kind (is its CRD installed?)`,
      );
    return new KubeError('invalid', `${doing}: ${error.message}`);
  }
  return new KubeError('invalid', `${doing}: ${String(error)}`);
}
