/**
 * startMonitoring without Prometheus, on the real PostgreSQL and Redis: a deployment's first summary says what to
 * configure; a channel's digest is posted once per period by however many workers run, across restarts, and a period
 * missed while no worker ran is posted late, once. The digest checks run every second (the interval); the clock they
 * read is the test's, so days pass in seconds.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/index.js';
import {
  createMonitorStore,
  MONITOR_QUEUE,
  type Monitoring,
  type MonitorStore,
  startMonitoring,
} from '../../src/monitor/index.js';
import { renderAsText } from '../../src/slack/blocks/index.js';
import type { PostedMessage } from '../standins/slack.js';
import { deployedOption } from './fixtures.js';
import { type Deployed, deployed, type MonitorWorld, openWorld } from './world.js';

const CHANNEL = 'C0DIGEST';
const settings = { intervalSec: 1, firstSummarySec: 0, shortWindowSec: 2, longWindowSec: 5 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const textOf = (message: PostedMessage) => renderAsText({ blocks: message.blocks as never }).text;

let world: MonitorWorld;
let store: MonitorStore;
let queue: Queue;
let deployment: Deployed;
const clock = { now: new Date('2026-05-01T08:59:50Z') };
/** Compass's own metrics, shared by every worker this file starts (as one process's registry would be). */
const metrics = createMetrics();
const sample = async (series: string) =>
  Number(new RegExp(`^${series} (\\d+)$`, 'm').exec(await metrics.registry.metrics())?.[1] ?? 0);
const running: Monitoring[] = [];

function start(): Monitoring {
  const monitoring = startMonitoring({
    db: world.database.db,
    knowledge: () => deployedOption().knowledge,
    prometheus: null,
    slack: world.client,
    connection: world.connection,
    log: world.log,
    settings,
    now: () => clock.now,
    prefix: world.prefix,
    metrics,
  });
  running.push(monitoring);
  return monitoring;
}

async function stop(monitoring: Monitoring) {
  await monitoring.stop();
  running.splice(running.indexOf(monitoring), 1);
}

const digests = () => world.slack.thread(CHANNEL);

beforeAll(async () => {
  world = await openWorld();
  store = createMonitorStore(world.database.db);
  queue = new Queue(MONITOR_QUEUE, { connection: world.connection, prefix: world.prefix });
  const { spec, option } = deployedOption();
  deployment = await deployed(world, { spec, option });
}, 30_000);

afterAll(async () => {
  for (const monitoring of [...running]) await monitoring.stop();
  await queue?.close();
  await world?.close();
});

describe('monitoring without Prometheus', () => {
  it('posts the first summary as what to configure, and schedules no evaluation', async () => {
    const monitoring = start();
    await monitoring.afterDeployed(deployment.id);
    const [notice] = await world.slack.waitFor(() => {
      const posted = world.slack.thread(deployment.channel, deployment.threadTs);
      return posted.length > 0 && posted;
    });
    expect(notice!.text).toMatch(/^Monitoring is off: SLO monitoring needs Prometheus: set PROMETHEUS_URL/);
    // The job's outcome is counted for Compass's own /metrics (compass_monitor_jobs_total).
    const firstSummary = 'compass_monitor_jobs_total\\{job="first-summary",outcome="completed"\\}';
    await world.slack.waitFor(async () => (await sample(firstSummary)) === 1);
    // Posted once, though the job could be added again.
    await monitoring.afterDeployed(deployment.id);
    await sleep(1500);
    expect(world.slack.thread(deployment.channel, deployment.threadTs)).toHaveLength(1);
    const schedulers = (await queue.getJobSchedulers()).map((scheduler) => scheduler.key);
    expect(schedulers).toEqual(['reconcile']);
  });
});

describe('channel digests across workers and restarts', () => {
  it('posts each period once with two workers and a restart, and a missed period late, once', async () => {
    const team = world.slack.teamId;
    await store.setSchedule(team, CHANNEL, { cadence: 'daily', hour: 9, minute: 0 }, 'U0ADA', clock.now);
    const [first] = running;
    // Before 09:00: nothing is owed (the period before began before the schedule was set).
    await world.slack.waitFor(async () =>
      (await queue.getJobSchedulers()).some((scheduler) => scheduler.key === `digest-${team}-${CHANNEL}`),
    );
    await sleep(2000);
    expect(digests()).toEqual([]);

    clock.now = new Date('2026-05-01T09:00:05Z');
    await world.slack.waitFor(() => digests().length === 1, 10_000);
    const second = start();
    await stop(first!);
    await sleep(2500);
    expect(digests()).toHaveLength(1);
    const opening = textOf(digests()[0]!);
    expect(opening).toContain('Daily digest · 2026-05-01 09:00 UTC');
    expect(opening).not.toContain('(late)');
    expect(opening).toContain('compass/');
    expect(opening).toContain('❔ SLO status unknown');
    expect(opening).toContain('First digest in this channel');

    // No worker at 2026-05-02 09:00; the deployment failed meanwhile.
    await stop(second);
    clock.now = new Date('2026-05-02T09:40:00Z');
    await world.deploys.save(deployment.id, { state: 'failed' });
    const third = start();
    await world.slack.waitFor(() => digests().length === 2, 10_000);
    await sleep(2500);
    expect(digests()).toHaveLength(2);
    const late = textOf(digests()[1]!);
    expect(late).toContain('Daily digest · 2026-05-02 09:00 UTC (late)');
    expect(late).toContain('Changes since the last digest (2026-05-01 09:00 UTC)');
    expect(late).toMatch(/• compass\/[a-z0-9-]+: deployed → failed/);

    clock.now = new Date('2026-05-03T09:00:02Z');
    await world.slack.waitFor(() => digests().length === 3, 10_000);
    expect(textOf(digests()[2]!)).toContain('No changes since the last digest (2026-05-02 09:00 UTC)');
    // Each post is recorded with its period once Slack has answered.
    const posted = await world.slack.waitFor(async () => {
      const rows = await store.postedDigests(team, CHANNEL);
      return rows.length === 3 && rows;
    });
    expect(posted.map(({ periodStart, late }) => [periodStart.toISOString(), late])).toEqual([
      ['2026-05-01T09:00:00.000Z', false],
      ['2026-05-02T09:00:00.000Z', true],
      ['2026-05-03T09:00:00.000Z', false],
    ]);

    // Turned off: the channel's scheduler goes at the next reconcile.
    await store.removeSchedule(team, CHANNEL);
    await world.slack.waitFor(
      async () => !(await queue.getJobSchedulers()).some((scheduler) => scheduler.key.startsWith('digest-')),
      10_000,
    );
    await stop(third);
  }, 60_000);
});
