import type { Logger } from '../log/index.js';
import type { DeployJobData } from './queue.js';

/** Approved deploys not yet handed to the queue: written by the approval's transaction, read by the dispatcher. */
export interface DeployOutbox {
  undispatched(limit: number): Promise<string[]>;
  markDispatched(deployId: string): Promise<void>;
  /** Deploys handed to the queue that are still pending or running and have not changed since `before`. */
  quietSince(before: Date, limit: number): Promise<string[]>;
  /** Starts a deploy's wait again after it was handed to the queue once more. */
  markRedispatched(deployId: string): Promise<void>;
}

export type Enqueue = (data: DeployJobData) => Promise<void>;

/**
 * Hands each deploy to the queue when `due` says so, then marks it; stops at the first queue failure (Redis away),
 * leaving the rest for the next round. Returns how many were handed over.
 */
async function handOver(
  deployIds: string[],
  due: (deployId: string) => Promise<boolean>,
  enqueue: Enqueue,
  mark: (deployId: string) => Promise<void>,
  told: (deployId: string) => void,
  log: Logger,
): Promise<number> {
  let handed = 0;
  for (const deployId of deployIds) {
    try {
      if (!(await due(deployId))) continue;
      await enqueue({ deployId, action: 'deploy' });
    } catch (error) {
      log.warn({ event: 'deploy.enqueue_failed', deployId, err: error }, 'queue unavailable; will retry');
      break;
    }
    await mark(deployId);
    told(deployId);
    handed += 1;
  }
  return handed;
}

/**
 * Hands every approved, undispatched deploy to the queue, oldest first, then marks it. Enqueueing is idempotent (the
 * job id is the deploy id), so a crash between the two steps, or two dispatchers at once, yields one job; a Redis
 * outage leaves the rows for the next round. Returns how many were handed over.
 */
export async function dispatchDeploys(
  outbox: Pick<DeployOutbox, 'undispatched' | 'markDispatched'>,
  enqueue: Enqueue,
  log: Logger,
): Promise<number> {
  return handOver(
    await outbox.undispatched(50),
    async () => true,
    enqueue,
    outbox.markDispatched,
    (deployId) => log.info({ event: 'deploy.enqueued', deployId }, 'deploy handed to the queue'),
    log,
  );
}

/** What the reconciliation asks the queue: is the deploy's job still there (waiting, running or in backoff)? */
export type JobExists = (deployId: string) => Promise<boolean>;

/**
 * Hands a deploy to the queue again, by its id, when its job is gone from Redis (data lost in a restart without
 * persistence, an evicted key, FLUSHALL) and the deploy has not moved for `afterMs`: otherwise it would stay pending
 * or running forever, and its conversation with it. A job still waiting, running or in retry backoff is left alone;
 * a run that Redis lost mid-job may overlap the new one, which is harmless: every step is idempotent and the status
 * message is one. Returns how many were handed over.
 */
export async function requeueLost(
  outbox: DeployOutbox,
  exists: JobExists,
  enqueue: Enqueue,
  log: Logger,
  afterMs: number,
  now: () => number = Date.now,
): Promise<number> {
  return handOver(
    await outbox.quietSince(new Date(now() - afterMs), 50),
    async (deployId) => !(await exists(deployId)),
    enqueue,
    outbox.markRedispatched,
    (deployId) =>
      log.warn(
        { event: 'deploy.requeued', deployId },
        'the deploy’s job was missing from Redis; queued again',
      ),
    log,
  );
}

export interface Dispatcher {
  /** Runs a round now (after an approval) instead of at the next tick. */
  kick(): void;
  stop(): Promise<void>;
}

/** Deploys whose job went missing are handed over again after `afterMs` without a change. */
export interface Reconciliation {
  exists: JobExists;
  afterMs: number;
}

/**
 * Dispatches every `intervalMs`, one round at a time, and re-queues deploys whose job was lost; `kick` asks for a
 * round at once.
 */
export function startDispatcher(
  outbox: DeployOutbox,
  enqueue: Enqueue,
  log: Logger,
  intervalMs: number,
  reconciliation?: Reconciliation,
): Dispatcher {
  let running: Promise<void> = Promise.resolve();
  let again = false;
  let busy = false;
  let stopped = false;
  const round = () => {
    if (stopped) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    running = dispatchDeploys(outbox, enqueue, log)
      .then(() =>
        reconciliation
          ? requeueLost(outbox, reconciliation.exists, enqueue, log, reconciliation.afterMs)
          : undefined,
      )
      .then(() => undefined)
      .catch((error: unknown) =>
        log.error({ event: 'deploy.dispatch_failed', err: error }, 'dispatch round failed'),
      )
      .finally(() => {
        busy = false;
        if (again) {
          again = false;
          round();
        }
      });
  };
  const timer = setInterval(round, intervalMs);
  round();
  return {
    kick: round,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
