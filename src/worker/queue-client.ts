import type { WorkerConfig } from '../config/index.js';
import { type ConnectionOutage, connectionOutage, type Logger, redactedTarget } from '../log/index.js';
import { dispatchDeploys } from './outbox.js';
import type { DeployJobData } from './queue.js';
import { enqueuer, jobChecker, openDeployQueue, redisConnection } from './queue.js';
import type { DeployStore } from './store.js';

/** How long a producer waits for Redis before telling the user (or the next dispatch round) to try again. */
const ENQUEUE_TIMEOUT_MS = 5000;

/**
 * A process's handle on the deploy queue: add jobs, dispatch the outbox, close. Redis errors are logged once per
 * outage (on `outage` when the process shares one across its connections), not thrown; deploys wait in PostgreSQL.
 */
export function openDeployQueueClient(
  config: WorkerConfig,
  store: DeployStore,
  log: Logger,
  outage: ConnectionOutage = connectionOutage(log, 'Redis', redactedTarget(config.redisUrl)),
) {
  const connection = redisConnection(config.redisUrl, outage);
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
    /** Jobs by state, for the queue-depth metric. */
    counts: () => queue.getJobCounts('waiting', 'delayed', 'active', 'failed'),
    /** Closes the queue; with Redis away it gives up after `timeoutMs` and drops the connection. */
    async close(timeoutMs = ENQUEUE_TIMEOUT_MS) {
      await Promise.race([queue.close(), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
      connection.disconnect();
    },
  };
}
export type DeployQueueClient = ReturnType<typeof openDeployQueueClient>;
