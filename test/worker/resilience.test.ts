import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { headerOf } from '../slack/harness.js';
import type { DeployWorld } from './deploy-flow.js';
import { approveDeploy, runWorker, startDeployWorld, statusMessages, workerEnv } from './deploy-flow.js';

const BIN = new URL('../../bin/compass.js', import.meta.url).pathname;

describe('deploys survive a killed worker and a Redis restart', () => {
  let world: DeployWorld;
  let workers: ReturnType<typeof runWorker>[] = [];

  beforeAll(async () => {
    world = await startDeployWorld();
  });
  afterEach(async () => {
    for (const worker of workers) await worker.stop();
    workers = [];
  });
  afterAll(async () => {
    await world.close();
  });

  const deployedOnce = async (thread: string) => {
    await world.bot.slack.waitFor(
      () => statusMessages(world, thread).find((m) => headerOf(m)?.startsWith('Deployed:')),
      30_000,
    );
    expect(statusMessages(world, thread)).toHaveLength(1);
  };

  it('a worker killed with SIGKILL mid-apply: another takes the job over and ends with one deployment and one message', async () => {
    world.kube.inject({ kind: 'slow', delayMs: 3000 }, { verb: 'patch', times: 1 });
    const child: ChildProcess = spawn(process.execPath, [BIN, 'worker'], {
      env: { ...process.env, ...workerEnv(world) },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const { thread, deployId, name } = await approveDeploy(world, 'chatbot for 700 users');
    // The killed worker got as far as sending the apply.
    await world.bot.slack.waitFor(
      () =>
        statusMessages(world, thread).find((m) => JSON.stringify(m.blocks).includes('⏳ Server-side apply')),
      20_000,
    );
    child.kill('SIGKILL');
    await exited;
    workers.push(runWorker(workerEnv(world)));
    await deployedOnce(thread);
    const service = world.kube.object({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      namespace: 'compass',
      name,
    });
    expect(service).toBeTruthy();
    const { rows } = await world.sql.query('select state from deploys where id = $1', [deployId]);
    expect(rows[0].state).toBe('deployed');
    // The job lets go of its target once it ends (just after the status message says so).
    await world.bot.slack.waitFor(async () => {
      const { rows: locks } = await world.sql.query('select * from deploy_locks');
      return locks.length === 0;
    });
  }, 60_000);

  it('SIGTERM lets the running deploy finish, then the worker exits 0', async () => {
    const child: ChildProcess = spawn(process.execPath, [BIN, 'worker'], {
      env: { ...process.env, ...workerEnv(world) },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const { thread, name } = await approveDeploy(world, 'chatbot for 650 users');
    world.kube.setReadiness({ kind: 'ready', afterMs: 1500, url: world.simulators.at(-1)!.url }, name);
    await world.bot.slack.waitFor(
      () =>
        statusMessages(world, thread).find((m) => JSON.stringify(m.blocks).includes('⏳ Wait until Ready')),
      20_000,
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await deployedOnce(thread);
  }, 60_000);

  it('an approval while Redis is down waits in PostgreSQL and deploys once Redis is back', async () => {
    workers.push(runWorker(workerEnv(world)));
    await world.redis.stop();
    const { thread, deployId } = await approveDeploy(world, 'chatbot for 900 users');
    const { rows: waiting } = await world.sql.query('select enqueued_at from deploys where id = $1', [
      deployId,
    ]);
    expect(waiting[0].enqueued_at).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await world.redis.start();
    await deployedOnce(thread);
    const { rows } = await world.sql.query('select enqueued_at, state from deploys where id = $1', [
      deployId,
    ]);
    expect(rows[0].enqueued_at).not.toBeNull();
    expect(rows[0].state).toBe('deployed');
  }, 60_000);
});
