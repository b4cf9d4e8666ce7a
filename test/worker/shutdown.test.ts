/**
 * `compass worker` (the built CLI) with Redis going away under it: one warning per outage, no stack traces, one
 * line when Redis is back, and SIGTERM while Redis is down ends the process with exit 0 within its 25 s grace.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { freePort } from '../support/ports.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { until } from '../support/until.js';

const BIN = join(packageRoot, 'bin', 'compass.js');
const STOP_GRACE_MS = 25_000;

describe('compass worker when Redis goes away', () => {
  let database: TestDatabase;
  let redis: TestRedis;
  let home: string;

  beforeAll(async () => {
    [database, redis] = await Promise.all([createTestDatabase(), startTestRedis()]);
    home = mkdtempSync(join(tmpdir(), 'compass-worker-shutdown-'));
  });
  afterAll(async () => {
    await redis.stop();
    await database.drop();
    rmSync(home, { recursive: true, force: true });
  });

  it('logs each outage once, its end once, and exits 0 within the grace period on SIGTERM', async () => {
    const metricsPort = await freePort();
    const child = spawn(process.execPath, [BIN, 'worker'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        SLACK_BOT_TOKEN: 'xoxb-shutdown-test',
        SLACK_API_URL: 'http://127.0.0.1:9/api/',
        KUBECONFIG: join(home, 'no-kubeconfig'),
        LOG_LEVEL: 'info',
        METRICS_PORT: String(metricsPort),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const events = (name: string) => stderr.split('\n').filter((line) => line.includes(`"event":"${name}"`));

    await until(() => events('worker.started').length === 1, 60_000, 'the worker to start');
    const scrape = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(await scrape()).toMatch(/^compass_deploy_queue_jobs\{state="waiting"\} 0$/m);
    await redis.stop();
    await until(() => events('connection.lost').length === 1, 10_000, 'the outage warning');
    // A scrape while Redis is away still answers, with the queue's last known depth.
    expect(await scrape()).toMatch(/^compass_deploy_queue_jobs\{state="waiting"\} 0$/m);
    // ioredis retries every few hundred ms meanwhile; none of that reaches the log.
    await sleep(3000);
    expect(events('connection.lost')).toHaveLength(1);
    expect(JSON.parse(events('connection.lost')[0]!)).toMatchObject({
      level: 40,
      server: 'Redis',
      target: `redis://127.0.0.1:${redis.port}`,
    });
    expect(stderr).not.toMatch(/ECONNREFUSED[^\n]*"stack"|"event":"(?:worker\.error|monitor\.worker_error)"/);

    await redis.start();
    await until(() => events('connection.recovered').length === 1, 15_000, 'the recovery line');
    await redis.stop();
    await until(() => events('connection.lost').length === 2, 10_000, 'the second outage warning');

    const stoppedAt = Date.now();
    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(STOP_GRACE_MS + 5000).then(() => 'still running')]);
    if (code === 'still running') child.kill('SIGKILL');
    expect(code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(STOP_GRACE_MS);
  }, 120_000);
});
