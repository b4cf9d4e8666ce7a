import type { Logger } from '../log/index.js';
import type { DeployJobData } from './queue.js';

/** Approved deploys not yet handed to the queue: written by the approval's transaction, read by the dispatcher. */
export interface DeployOutbox {
  undispatched(limit: number): Promise<string[]>;
  markDispatched(deployId: string): Promise<void>;
}

export type Enqueue = (data: DeployJobData) => Promise<void>;

/**
 * Hands every approved, undispatched deploy to the queue, oldest first, then marks it. Enqueueing is idempotent (the
 * job id is the deploy id), so a crash between the two steps, or two dispatchers at once, yields one job; a Redis
 * outage leaves the rows for the next round. Returns how many were handed over.
 */
export async function dispatchDeploys(outbox: DeployOutbox, enqueue: Enqueue, log: Logger): Promise<number> {
  let dispatched = 0;
  for (const deployId of await outbox.undispatched(50)) {
    try {
      await enqueue({ deployId, action: 'deploy' });
    } catch (error) {
      log.warn({ event: 'deploy.enqueue_failed', deployId, err: error }, 'queue unavailable; will retry');
      break;
    }
    await outbox.markDispatched(deployId);
    log.info({ event: 'deploy.enqueued', deployId }, 'deploy handed to the queue');
    dispatched += 1;
  }
  return dispatched;
}

export interface Dispatcher {
  /** Runs a round now (after an approval) instead of at the next tick. */
  kick(): void;
  stop(): Promise<void>;
}

/** Dispatches every `intervalMs`, one round at a time; `kick` asks for a round at once. */
export function startDispatcher(
  outbox: DeployOutbox,
  enqueue: Enqueue,
  log: Logger,
  intervalMs: number,
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
