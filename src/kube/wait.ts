import type { Logger } from '../log/index.js';
import { errorFromAnswer, type KubeError, toKubeError } from './errors.js';
import { describeRef, KubeObject, type ObjectRef } from './objects.js';
import { type Readiness, readinessOf } from './readiness.js';

/** One open watch: `ended` resolves when the connection closes, with the error that closed it, if any. */
export interface WatchHandle {
  ended: Promise<unknown>;
  stop(): void;
}

/** What waiting needs from the cluster: read the object, and watch it from a resourceVersion on. */
export interface ReadinessSource {
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  watch(
    ref: ObjectRef,
    resourceVersion: string | undefined,
    onEvent: (type: string, object: unknown) => void,
  ): WatchHandle;
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Least time between two reads of the object — the polling rate while watches keep failing. Default 2 s. */
  pollIntervalMs?: number;
  /** Called each time what is awaited changes (e.g. a new Ready=False reason), for a status message. */
  onProgress?: (readiness: Readiness) => void;
  /** How to judge the object; default its Ready condition (readinessOf). */
  judge?: (object: KubeObject) => Readiness;
  /** The object is made by a controller and may not exist yet: absence means waiting, not the end. */
  mayNotExistYet?: boolean;
}

export type ReadyOutcome =
  | { ready: true; url: string | undefined; object: KubeObject; waitedMs: number }
  | {
      ready: false;
      /** timeout: not ready in time; failed: the controller gave up; error: reading it is not allowed or invalid. */
      reason: 'timeout' | 'failed' | 'deleted' | 'aborted' | 'error';
      message: string;
      waitedMs: number;
      /** The last state seen (what it was waiting for). */
      last?: Readiness;
      error?: KubeError;
    };

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `ref` reports Ready=True, at most `timeoutMs`: reads the object, then watches it from that
 * resourceVersion; a watch that ends or drops is resumed by reading again, so while watches fail this polls every
 * `pollIntervalMs`. Transient read errors are retried until the deadline; other read errors end the wait.
 */
export async function waitForReady(
  source: ReadinessSource,
  ref: ObjectRef,
  options: WaitOptions,
  log?: Logger,
): Promise<ReadyOutcome> {
  const started = Date.now();
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  const what = describeRef(ref);
  let last: Readiness | undefined;
  let lastReported = '';
  let lastError: KubeError | undefined;

  let stopped: 'timeout' | 'aborted' | undefined;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<void>((resolve) => {
    const end = (why: 'timeout' | 'aborted') => {
      stopped ??= why;
      resolve();
    };
    timer = setTimeout(() => end('timeout'), Math.max(0, options.timeoutMs));
    onAbort = () => end('aborted');
    if (options.signal?.aborted) end('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  /** `{ value }` when `promise` settles first, undefined when the deadline or the caller's abort comes first. */
  const race = <T>(promise: Promise<T>) =>
    Promise.race([promise.then((value) => ({ value })), stop.then(() => undefined)]);

  const waitedMs = () => Date.now() - started;
  const outcome = (
    reason: Exclude<ReadyOutcome, { ready: true }>['reason'],
    message: string,
  ): ReadyOutcome => ({
    ready: false,
    reason,
    message,
    waitedMs: waitedMs(),
    ...(last ? { last } : {}),
    ...(lastError ? { error: lastError } : {}),
  });
  const deleted = () =>
    outcome('deleted', `${what} does not exist (deleted while waiting, or never created)`);

  /** The final outcome if `object` settles the wait, else undefined (after noting its progress). */
  const note = (readiness: Readiness) => {
    last = readiness;
    const reported = JSON.stringify(readiness);
    if (reported !== lastReported) {
      lastReported = reported;
      options.onProgress?.(readiness);
    }
  };
  const absent: Readiness = { state: 'pending', detail: `${what} does not exist yet` };
  const judge = (object: KubeObject): ReadyOutcome | undefined => {
    const readiness = (options.judge ?? readinessOf)(object);
    note(readiness);
    if (readiness.state === 'ready') return { ready: true, url: readiness.url, object, waitedMs: waitedMs() };
    if (readiness.state === 'failed')
      return outcome('failed', `${what} failed: ${readiness.reason}: ${readiness.message}`);
    return undefined;
  };

  /** Follows one watch connection until it settles the wait (an outcome) or ends (undefined). */
  const watchOnce = async (resourceVersion: string | undefined): Promise<ReadyOutcome | undefined> => {
    let handle: WatchHandle | undefined;
    let leaving = false;
    const settled = new Promise<ReadyOutcome | 'ended'>((resolve) => {
      handle = source.watch(ref, resourceVersion, (type, raw) => {
        if (type === 'DELETED') resolve(options.mayNotExistYet ? 'ended' : deleted());
        else if (type === 'ERROR') {
          // e.g. 410 Expired: the resourceVersion is too old; reading again starts from a fresh one.
          const code = (raw as { code?: unknown } | undefined)?.code;
          lastError = errorFromAnswer(typeof code === 'number' ? code : 500, raw, `watch ${what}`);
          resolve('ended');
        } else if (type === 'ADDED' || type === 'MODIFIED') {
          const object = KubeObject.safeParse(raw);
          const verdict = object.success ? judge(object.data) : undefined;
          if (verdict) resolve(verdict);
        }
      });
      handle.ended.then((error) => {
        // Stopping the watch ourselves aborts it; that is no error worth reporting.
        if (error && !leaving) lastError = toKubeError(error, `watch ${what}`);
        resolve('ended');
      });
    });
    const result = await race(settled);
    leaving = true;
    handle?.stop();
    if (result?.value === 'ended') {
      log?.debug({ object: what, error: lastError?.message }, 'kube watch ended; resuming');
      return undefined;
    }
    return result?.value;
  };

  try {
    let nextReadAt = 0;
    for (;;) {
      const pause = nextReadAt - Date.now();
      if (pause > 0 && !stopped) await race(sleep(pause));
      if (stopped === 'aborted') return outcome('aborted', `waiting for ${what} was cancelled`);
      if (stopped === 'timeout') {
        const awaited = last?.state === 'pending' ? `: ${last.detail}` : '';
        const error = lastError ? ` (last error: ${lastError.message})` : '';
        return outcome(
          'timeout',
          `${what} was not Ready within ${seconds(options.timeoutMs)}${awaited}${error}`,
        );
      }
      nextReadAt = Date.now() + pollIntervalMs;
      let read: { value: KubeObject | undefined } | undefined;
      try {
        read = await race(source.get(ref));
      } catch (error) {
        const failure = toKubeError(error, `read ${what}`);
        lastError = failure;
        if (failure.kind === 'transient') continue;
        return outcome('error', failure.message);
      }
      if (!read) continue;
      if (!read.value) {
        if (!options.mayNotExistYet) return deleted();
        note(absent);
        continue;
      }
      const settled = judge(read.value) ?? (await watchOnce(read.value.metadata.resourceVersion));
      if (settled) return settled;
    }
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  }
}
