import type { ConnectionOptions } from 'bullmq';
import { DelayedError, Worker } from 'bullmq';
import { isUnreachable, type Logger } from '../log/index.js';
import type { CompassMetrics } from '../metrics/index.js';
import { DEPLOY_QUEUE, DeployJobData } from './queue.js';
import type { DeployRunnerDeps } from './runner.js';
import { runDeployJob } from './runner.js';

export interface DeployWorkerOptions {
  connection: ConnectionOptions;
  /** Counts each attempt's outcome (compass_deploy_jobs_total). */
  metrics?: CompassMetrics;
  deps: DeployRunnerDeps;
  log: Logger;
  concurrency: number;
  /** How long a job's lock lives without renewal: a killed worker's job is handed to another after about this. */
  lockDurationMs: number;
  /** How long a job waits before trying a target another job holds. */
  busyDelayMs: number;
}

export interface DeployWorker {
  /**
   * Stops taking jobs and lets running ones finish for up to `graceMs`; then aborts them, which hands each back to
   * the queue (its next attempt starts over, as every step is idempotent).
   */
  stop(graceMs: number): Promise<void>;
}

/** Why a job is run again: a message for BullMQ's failed-attempt record, not for users. */
class TransientDeployFailure extends Error {
  constructor() {
    super('transient failure; the job runs again after its backoff');
    this.name = 'TransientDeployFailure';
  }
}

export function startDeployWorker(options: DeployWorkerOptions): DeployWorker {
  const { deps, log } = options;
  const running = new Set<AbortController>();
  const worker = new Worker(
    DEPLOY_QUEUE,
    async (job, token) => {
      const data = DeployJobData.parse(job.data);
      const attempt = job.attemptsMade + 1;
      const controller = new AbortController();
      running.add(controller);
      try {
        const result = await runDeployJob(deps, {
          id: job.id ?? data.deployId,
          ...data,
          attempt,
          mayRetry: attempt < (job.opts.attempts ?? 1),
          signal: controller.signal,
        });
        if (result === 'busy') {
          await job.moveToDelayed(Date.now() + options.busyDelayMs, token);
          throw new DelayedError();
        }
        if (result === 'retry') throw new TransientDeployFailure();
      } finally {
        running.delete(controller);
      }
    },
    {
      connection: options.connection,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs,
      stalledInterval: Math.max(1000, Math.floor(options.lockDurationMs / 2)),
      maxStalledCount: 3,
    },
  );
  worker.on('error', (error) => {
    // Redis being away is reported once per outage by the connection's watcher.
    if (!isUnreachable(error)) log.error({ event: 'worker.error', err: error }, 'deploy worker error');
  });
  worker.on('completed', () => options.metrics?.deployJobs.inc({ outcome: 'completed' }));
  worker.on('failed', (job, error) => {
    options.metrics?.deployJobs.inc({ outcome: 'failed' });
    if (job)
      log.warn({ event: 'worker.attempt_failed', jobId: job.id, err: error }, 'deploy job attempt failed');
  });
  return {
    async stop(graceMs) {
      const closing = worker.close();
      const graceful = await Promise.race([
        closing.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs).unref()),
      ]);
      if (graceful) return;
      log.warn({ event: 'worker.handing_back', jobs: running.size }, 'grace period over; handing jobs back');
      for (const controller of running)
        controller.abort(new Error('the worker is stopping; another worker continues'));
      await closing;
    },
  };
}
