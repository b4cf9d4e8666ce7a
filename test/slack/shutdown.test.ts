/**
 * `compass bot` (the built CLI) stops within BOT_STOP_GRACE_MS on SIGTERM whatever its stores are doing: here with
 * its Redis killed and its PostgreSQL connections cut (a proxy in front of the server is closed), exit 0.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import type { SlackStandIn } from '../standins/slack.js';
import { startSlackStandIn } from '../standins/slack.js';
import { freePort } from '../support/ports.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { until } from '../support/until.js';
import { SIGNING_SECRET } from './harness.js';

const BIN = join(packageRoot, 'bin', 'compass.js');
const STOP_GRACE_MS = 5000;
/** What the process may take beyond the grace: closing the HTTP server and the pools. */
const EXIT_SLACK_MS = 5000;

/** A TCP proxy to `target` whose close() also cuts every connection through it, as a server going down does. */
async function tcpProxy(target: URL) {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

describe('compass bot on SIGTERM with its stores gone', () => {
  let slack: SlackStandIn;
  let database: TestDatabase;
  let redis: TestRedis;
  let home: string;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'compass-bot-shutdown-'));
    [slack, database, redis] = await Promise.all([
      startSlackStandIn(),
      createTestDatabase(),
      startTestRedis(),
    ]);
  });
  afterAll(async () => {
    await redis.stop();
    await database.drop();
    await slack.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('exits 0 within its grace period with Redis killed and PostgreSQL cut off', async () => {
    const proxy = await tcpProxy(new URL(database.url));
    const viaProxy = new URL(database.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'bot'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        DATABASE_URL: viaProxy.toString(),
        REDIS_URL: redis.url,
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        PORT: String(port),
        LOG_LEVEL: 'info',
        BOT_STOP_GRACE_MS: String(STOP_GRACE_MS),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await until(
        async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok,
        90_000,
        'the bot to serve /healthz',
      );
      await redis.stop();
      proxy.close();
      await until(() => /"event":"connection\.lost"/.test(stderr), 15_000, 'the outage warning');
      await sleep(1000);

      const stoppedAt = Date.now();
      child.kill('SIGTERM');
      const code = await Promise.race([
        exited,
        sleep(STOP_GRACE_MS + EXIT_SLACK_MS + 10_000).then(() => 'still running'),
      ]);
      expect({ code, stderr: code === 0 ? '' : stderr.slice(-2000) }).toEqual({ code: 0, stderr: '' });
      expect(Date.now() - stoppedAt).toBeLessThan(STOP_GRACE_MS + EXIT_SLACK_MS);
    } finally {
      child.kill('SIGKILL');
      proxy.close();
    }
  }, 150_000);
});
