import type { ConnectionOptions, JobsOptions } from 'bullmq';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { ConnectionOutage } from '../log/index.js';
import { DeployState } from './progress.js';

export const DEPLOY_QUEUE = 'compass-deploys';

/** What a deploy job does to its deploy's target; benchmark load-tests it (a Job next to it) and changes nothing. */
export const DeployAction = z.enum(['deploy', 'rollback', 'delete', 'benchmark']);
export type DeployAction = z.infer<typeof DeployAction>;

export const DeployJobData = z.object({
  deployId: z.uuid(),
  action: DeployAction,
  /** Slack user who asked (rollback, delete, retry); the approver's decision covers a deploy. */
  requestedBy: z.string().optional(),
  /** The deploy's state when a rollback or delete was asked for: where a failed one leaves it. */
  from: DeployState.optional(),
});
export type DeployJobData = z.infer<typeof DeployJobData>;

/**
 * The job id: the deploy id for the deploy itself, so an outbox row enqueued twice (two dispatchers, a crash between
 * enqueue and marking) is one job. Later actions on the same deploy carry their own sequence number.
 */
export function deployJobId(data: DeployJobData, sequence = 0): string {
  return data.action === 'deploy' && sequence === 0
    ? data.deployId
    : `${data.deployId}.${data.action}.${sequence}`;
}

export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}

export function jobOptions(data: DeployJobData, retry: RetryPolicy, sequence = 0): JobsOptions {
  return {
    jobId: deployJobId(data, sequence),
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs },
    // Kept for a day: a re-enqueue of a finished deploy within that time is recognised as a duplicate.
    removeOnComplete: { age: 24 * 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

/**
 * A Redis connection for BullMQ; workers need commands to wait through a Redis restart, not fail. With `outage`,
 * its connection errors are reported there (once per outage) instead of reaching the process as unhandled.
 */
export function redisConnection(url: string, outage?: ConnectionOutage): Redis {
  const connection = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
  if (outage) {
    connection.on('error', (error) => outage.failed(error));
    connection.on('ready', () => outage.recovered());
  }
  return connection;
}

export type DeployQueue = Queue<DeployJobData>;

export function openDeployQueue(connection: ConnectionOptions): DeployQueue {
  return new Queue<DeployJobData>(DEPLOY_QUEUE, { connection });
}

export class QueueUnavailableError extends Error {
  constructor(timeoutMs: number) {
    super(`the deploy queue (Redis) did not answer within ${timeoutMs} ms`);
    this.name = 'QueueUnavailableError';
  }
}

/** `work`, or a QueueUnavailableError after `timeoutMs` (BullMQ waits for a lost Redis indefinitely). */
async function within<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueueUnavailableError(timeoutMs)), timeoutMs);
  });
  work.catch(() => {});
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Adds jobs, giving up after `timeoutMs`. An add that completes after giving up is harmless: the job id makes the
 * next round's add of the same job a no-op.
 */
export function enqueuer(queue: DeployQueue, retry: RetryPolicy, timeoutMs: number) {
  return async (data: DeployJobData, sequence = 0): Promise<void> => {
    await within(queue.add('deploy', data, jobOptions(data, retry, sequence)), timeoutMs);
  };
}

/** Whether a deploy's own job (its id is the deploy id) is in the queue in any state, finished ones included. */
export function jobChecker(queue: DeployQueue, timeoutMs: number) {
  return async (deployId: string): Promise<boolean> =>
    (await within(queue.getJobState(deployId), timeoutMs)) !== 'unknown';
}
