import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/index.js';
import type { DeployOutbox } from '../../src/worker/outbox.js';
import { dispatchDeploys, requeueLost } from '../../src/worker/outbox.js';
import { enqueuer, jobChecker, openDeployQueue, redisConnection } from '../../src/worker/queue.js';
import type { TestRedis } from '../support/redis.js';
import { startTestRedis } from '../support/redis.js';

const log = createLogger('silent');
const retry = { attempts: 3, backoffMs: 10 };

function memoryOutbox(
  ids: string[],
): Pick<DeployOutbox, 'undispatched' | 'markDispatched'> & { dispatched: Set<string> } {
  const dispatched = new Set<string>();
  return {
    dispatched,
    async undispatched(limit) {
      return ids.filter((id) => !dispatched.has(id)).slice(0, limit);
    },
    async markDispatched(id) {
      dispatched.add(id);
    },
  };
}

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis.stop();
});

function openQueue() {
  const connection = redisConnection(redis.url);
  connection.on('error', () => {});
  const queue = openDeployQueue(connection);
  queue.on('error', () => {});
  return { queue, connection, enqueue: enqueuer(queue, retry, 300) };
}

describe('dispatchDeploys', () => {
  it('enqueues each approved deploy once, even when two dispatchers run the same rows', async () => {
    const { queue, connection, enqueue } = openQueue();
    const ids = ['5b0f3a43-1d0c-4b8e-9a6b-7c1f1f0c0001', '5b0f3a43-1d0c-4b8e-9a6b-7c1f1f0c0002'];
    // Two dispatchers that both saw the rows before either marked them.
    const first = memoryOutbox(ids);
    const second = memoryOutbox(ids);
    expect(await dispatchDeploys(first, enqueue, log)).toBe(2);
    expect(await dispatchDeploys(second, enqueue, log)).toBe(2);
    const jobs = await queue.getJobs(['waiting', 'delayed', 'active']);
    expect(jobs.map((job) => job.id).sort()).toEqual(ids);
    expect(jobs.every((job) => job.opts.attempts === 3)).toBe(true);
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  });

  it('leaves the rows for a later round while Redis is down, then hands them over', async () => {
    const { queue, connection, enqueue } = openQueue();
    const outbox = memoryOutbox(['5b0f3a43-1d0c-4b8e-9a6b-7c1f1f0c0003']);
    await redis.stop();
    expect(await dispatchDeploys(outbox, enqueue, log)).toBe(0);
    expect(outbox.dispatched.size).toBe(0);
    await redis.start();
    let handed = 0;
    for (let i = 0; i < 50 && handed === 0; i++) {
      handed = await dispatchDeploys(outbox, enqueue, log);
      if (handed === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(handed).toBe(1);
    expect((await queue.getJob('5b0f3a43-1d0c-4b8e-9a6b-7c1f1f0c0003'))?.data.action).toBe('deploy');
    await queue.close();
    connection.disconnect();
  });
});

describe('requeueLost', () => {
  it('leaves a job that is waiting or in backoff, queues a missing one again by its deploy id, once', async () => {
    const { queue, connection, enqueue } = openQueue();
    const waiting = '5b0f3a43-1d0c-4b8e-9a6b-7c1f1f0c0004';
    const lost = '5b0f3a43-1d0c-4b8e-9a6b-7c1f1f0c0005';
    const backoff = '5b0f3a43-1d0c-4b8e-9a6b-7c1f1f0c0006';
    await enqueue({ deployId: waiting, action: 'deploy' });
    await queue.add('deploy', { deployId: backoff, action: 'deploy' }, { jobId: backoff, delay: 60_000 });
    const redispatched: string[] = [];
    const outbox = {
      ...memoryOutbox([]),
      // The deploys the store reports as queued and quiet for longer than the wait.
      quietSince: async () => [waiting, lost, backoff],
      markRedispatched: async (id: string) => {
        redispatched.push(id);
      },
    };
    const exists = jobChecker(queue, 300);
    expect(await requeueLost(outbox, exists, enqueue, log, 1000)).toBe(1);
    expect(redispatched).toEqual([lost]);
    expect(await queue.getJobState(lost)).toBe('waiting');
    expect(await queue.getJobState(backoff)).toBe('delayed');
    // Queued again, it is no longer missing.
    expect(await requeueLost(outbox, exists, enqueue, log, 1000)).toBe(0);
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  });
});
