import type { WorkerConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { dispatchDeploys } from './outbox.js';
import type { DeployJobData } from './queue.js';
import { enqueuer, jobChecker, openDeployQueue, redisConnection } from './queue.js';
import type { DeployStore } from './store.js';

/** How long a producer waits for Redis before telling the user (or the next dispatch round) to try again. */
const ENQUEUE_TIMEOUT_MS = 5000;

/** A process's handle on the deploy queue: add jobs, dispatch the outbox, close. Redis errors are logged, not thrown. */
export function openDeployQueueClient(config: WorkerConfig, store: DeployStore, log: Logger) {
  const connection = redisConnection(config.redisUrl);
  let lastWarning = 0;
  connection.on('error', (error) => {
    // ioredis retries every few hundred ms while Redis is away; one line a minute says enough.
    if (Date.now() - lastWarning < 60_000) return;
    lastWarning = Date.now();
    log.warn(
      { event: 'queue.redis_unreachable', err: error },
      'Redis unreachable; deploys wait in PostgreSQL',
    );
  });
  const queue = openDeployQueue(connection);
  queue.on('error', () => {});
  const retry = { attempts: config.attempts, backoffMs: config.backoffMs };
  const add = enqueuer(queue, retry, ENQUEUE_TIMEOUT_MS);
  return {
    connection,
    /** A job for a deploy approved through the outbox (its id is the deploy id). */
    enqueueApproved: (data: DeployJobData) => add(data),
    /** A later job for the same deploy (Retry, Roll back, Delete): its own id. */
    enqueueAction: (data: DeployJobData) => add(data, Date.now()),
    dispatch: () => dispatchDeploys(store, (data) => add(data), log),
    /** Whether a deploy's job is still in Redis (see requeueLost). */
    jobExists: jobChecker(queue, ENQUEUE_TIMEOUT_MS),
    async close() {
      await queue.close();
      connection.disconnect();
    },
  };
}
export type DeployQueueClient = ReturnType<typeof openDeployQueueClient>;
