import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { headerOf } from '../slack/harness.js';
import { ADMIN_URL } from '../support/postgres.js';
import type { DeployWorld } from '../worker/deploy-flow.js';
import {
  approveDeploy,
  runWorker,
  startDeployWorld,
  statusMessages,
  workerEnv,
} from '../worker/deploy-flow.js';

/**
 * The deploy worker against faults of its stores. Redis losing the deploy queue's data (FLUSHALL, a restart without persistence) while deploys are queued, running or
 * waiting out a retry's backoff. PostgreSQL is the truth: the worker's dispatcher finds each deploy whose job is gone
 * and queues it again by its id, so every approved deploy still ends with one status message saying how it ended.
 */
describe('approved deploys survive losing the queue in Redis', () => {
  let world: DeployWorld;
  let redis: Redis;
  let workers: ReturnType<typeof runWorker>[] = [];
  /** The worker's settings here: a quick re-queue, and a backoff long enough to flush Redis during it. */
  const env = (extra: Record<string, string> = {}) => ({
    ...workerEnv(world),
    DEPLOY_REQUEUE_AFTER_MS: '1000',
    ...extra,
  });

  beforeAll(async () => {
    world = await startDeployWorld();
    redis = new Redis(world.redis.url, { maxRetriesPerRequest: null });
    redis.on('error', () => {});
  });
  afterEach(async () => {
    for (const worker of workers) await worker.stop();
    workers = [];
  });
  afterAll(async () => {
    redis?.disconnect();
    await world?.close();
  });

  /** Ends deployed, in one status message, and the conversation moved on with it. */
  async function deployedOnce(thread: string, deployId: string) {
    await world.bot.slack.waitFor(
      () => statusMessages(world, thread).find((m) => headerOf(m)?.startsWith('Deployed:')),
      30_000,
    );
    expect(statusMessages(world, thread)).toHaveLength(1);
    const { rows } = await world.sql.query(
      'select d.state, c.state as conversation from deploys d join conversations c on c.id = d.conversation_id where d.id = $1',
      [deployId],
    );
    expect(rows[0]).toEqual({ state: 'deployed', conversation: 'deployed' });
  }

  const requeued = (worker: ReturnType<typeof runWorker>, deployId: string) =>
    worker
      .log()
      .split('\n')
      .filter((line) => line.includes('"deploy.requeued"') && line.includes(deployId));

  it('a queued job lost in a Redis restart without persistence is queued again and deploys once', async () => {
    // No worker yet: the approval's job waits in Redis.
    const { thread, deployId } = await approveDeploy(world, 'chatbot for 610 users');
    await world.bot.slack.waitFor(
      async () => (await redis.exists(`bull:compass-deploys:${deployId}`)) === 1 || undefined,
    );
    await world.redis.stop();
    await world.redis.start();
    expect(await redis.exists(`bull:compass-deploys:${deployId}`)).toBe(0);
    const worker = runWorker(env());
    workers.push(worker);
    await deployedOnce(thread, deployId);
    expect(requeued(worker, deployId)).toHaveLength(1);
  }, 60_000);

  it('FLUSHALL while a job runs: the run finishes, the worker stays up, one status message, no more runs', async () => {
    const { thread, deployId } = await approveDeploy(world, 'chatbot for 620 users');
    world.kube.inject({ kind: 'slow', delayMs: 2500 }, { verb: 'patch', times: 1 });
    const worker = runWorker(env());
    workers.push(worker);
    await world.bot.slack.waitFor(
      () =>
        statusMessages(world, thread).find((m) => JSON.stringify(m.blocks).includes('⏳ Server-side apply')),
      20_000,
    );
    await redis.flushall();
    await deployedOnce(thread, deployId);
    // The apply outlasted the re-queue wait, so the deploy may have been queued again meanwhile: that second run found
    // it deployed and did nothing. Once it ended, it is never queued again.
    const before = requeued(worker, deployId).length;
    expect(before).toBeLessThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(requeued(worker, deployId)).toHaveLength(before);
    expect(statusMessages(world, thread)).toHaveLength(1);
  }, 60_000);

  it('Redis restarted without persistence while a job runs: the worker stays up, one status message, deployed once', async () => {
    const { thread, deployId } = await approveDeploy(world, 'chatbot for 625 users');
    world.kube.inject({ kind: 'slow', delayMs: 2500 }, { verb: 'patch', times: 1 });
    const worker = runWorker(env());
    workers.push(worker);
    await world.bot.slack.waitFor(
      () =>
        statusMessages(world, thread).find((m) => JSON.stringify(m.blocks).includes('⏳ Server-side apply')),
      20_000,
    );
    // Every connection cut and the queue's data gone while the apply runs.
    await world.redis.stop();
    await world.redis.start();
    await deployedOnce(thread, deployId);
    const before = requeued(worker, deployId).length;
    expect(before).toBeLessThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(requeued(worker, deployId)).toHaveLength(before);
    expect(statusMessages(world, thread)).toHaveLength(1);
  }, 60_000);

  it('FLUSHALL while a job waits out its retry backoff: queued again after the wait, deploys once', async () => {
    const { thread, deployId } = await approveDeploy(world, 'chatbot for 630 users');
    world.kube.inject({ kind: 'status', code: 500, message: 'etcd hiccup' }, { verb: 'patch', times: 1 });
    const worker = runWorker(env({ DEPLOY_BACKOFF_MS: '60000' }));
    workers.push(worker);
    // The first attempt failed; the job sits in BullMQ's delayed set for a minute.
    await world.bot.slack.waitFor(
      async () => (await redis.zscore('bull:compass-deploys:delayed', deployId)) !== null || undefined,
      20_000,
    );
    await redis.flushall();
    await deployedOnce(thread, deployId);
    expect(requeued(worker, deployId)).toHaveLength(1);
  }, 60_000);

  it('the worker stays up through PostgreSQL connection kills mid-deploy and still deploys once', async () => {
    const { thread, deployId } = await approveDeploy(world, 'chatbot for 640 users');
    world.kube.inject({ kind: 'slow', delayMs: 1500 }, { verb: 'patch', times: 1 });
    const worker = runWorker(env({ DEPLOY_BACKOFF_MS: '200' }));
    workers.push(worker);
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    const database = new URL(world.bot.databaseUrl).pathname.slice(1);
    // The test's own connection (it reads the outcome) is spared.
    const { rows } = await world.sql.query('select pg_backend_pid() as pid');
    try {
      await world.bot.slack.waitFor(
        () =>
          statusMessages(world, thread).find((m) =>
            JSON.stringify(m.blocks).includes('⏳ Server-side apply'),
          ),
        20_000,
      );
      // Every connection to the database, the worker's and the bot's, cut three times during the deploy.
      for (let cut = 0; cut < 3; cut++) {
        await admin.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid not in (pg_backend_pid(), $2)',
          [database, rows[0].pid],
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    } finally {
      await admin.end();
    }
    await deployedOnce(thread, deployId);
    expect(worker.log()).toContain('"db.connection_lost"');
  }, 60_000);
});
