/**
 * `compass slo` against the real PostgreSQL and a real Prometheus scraping a simulator with the deploy id as a target
 * label (what the PodMonitor's relabelling does in a cluster), after a short open-loop load. A second deployment of
 * the same name runs in another namespace of another cluster context, with nothing scraped; a third was rolled back.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../simulator/server.js';
import { deploys } from '../../src/approval/tables.js';
import type { SloRow } from '../../src/cli/slo.js';
import { deploySelector, latencyQuantileMs, type SloSummary } from '../../src/monitor/index.js';
import { ms } from '../../src/slack/blocks/format.js';
import type { DeployRecord } from '../../src/worker/runner.js';
import { targetLabel } from '../../src/worker/status-blocks.js';
import { deployedOption } from '../monitor/fixtures.js';
import { deployed, type MonitorWorld, openWorld } from '../monitor/world.js';
import { optionTiming, SERVED, simulator } from '../simulator/fixtures.js';
import { client, openLoop, streamCompletion } from '../simulator/load.js';
import { cli } from '../support/cli.js';
import { freePort } from '../support/ports.js';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.js';

const { spec, option } = deployedOption();
const LOAD = { model: SERVED, promptTokens: 256, outputTokens: 32 };
/** MONITOR_LONG_WINDOW_SECONDS of the test: the default window of `compass slo`. */
const LONG_WINDOW_SEC = 30;
/** Targets with room for a loaded machine's timer jitter: the deployment meets them. */
const roomySpec = structuredClone(spec);
roomySpec.slo.ttftP95Ms.value = 5 * spec.slo.ttftP95Ms.value;
roomySpec.slo.itlP95Ms.value = 5 * spec.slo.itlP95Ms.value;
roomySpec.slo.e2eP95Ms.value = 5 * spec.slo.e2eP95Ms.value;

let world: MonitorWorld;
let sim: RunningSimulator;
let prometheus: RunningPrometheus;
let env: Record<string, string>;
let healthy: DeployRecord;
/** Running under the healthy one's name elsewhere; Prometheus has nothing of it. */
let twin: DeployRecord;
let rolledBack: DeployRecord;

beforeAll(async () => {
  world = await openWorld();
  const made = await deployed(world, { spec: roomySpec, option });
  const twinMade = await deployed(world, { spec: roomySpec, option });
  const rolledBackMade = await deployed(world, { spec: roomySpec, option });
  healthy = (await world.deploys.load(made.id))!;
  await world.database.db
    .update(deploys)
    .set({ name: healthy.name, namespace: 'staging', clusterContext: 'staging-cluster' })
    .where(eq(deploys.id, twinMade.id));
  await world.deploys.save(rolledBackMade.id, { state: 'rolled_back' });
  twin = (await world.deploys.load(twinMade.id))!;
  rolledBack = (await world.deploys.load(rolledBackMade.id))!;
  sim = await simulator({
    timeScale: 0.5,
    timing: optionTiming(option),
  });
  // Before the first scrape, so the counters' increase holds only the measured load.
  await streamCompletion(client(sim.url), LOAD);
  prometheus = await startPrometheus(
    [{ job: 'healthy', targets: [`127.0.0.1:${sim.port}`], labels: { compass_dev_deploy_id: healthy.id } }],
    500,
  );
  await openLoop(client(sim.url), LOAD, 4, 12, 5);
  // Two more scrapes: the last requests are in Prometheus.
  await new Promise((resolve) => setTimeout(resolve, 1200));
  env = {
    DATABASE_URL: world.databaseUrl,
    HOME: mkdtempSync(join(tmpdir(), 'compass-home-')),
    PROMETHEUS_URL: prometheus.url,
    MONITOR_SHORT_WINDOW_SECONDS: '5',
    MONITOR_LONG_WINDOW_SECONDS: String(LONG_WINDOW_SEC),
  };
}, 40_000);

afterAll(async () => {
  await prometheus?.stop();
  await sim?.drain();
  await world?.close();
});

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** What Prometheus itself answers for the deployment's TTFT p95 over the window ending at `at`. */
const ttftP95 = (windowSec: number, at: Date) =>
  prometheus.value(latencyQuantileMs('ttft', deploySelector(healthy.id), windowSec), at);

describe('compass slo', () => {
  it('without PROMETHEUS_URL says what to configure and exits 2', async () => {
    const { PROMETHEUS_URL: _, ...unset } = env;
    for (const argv of [['slo'], ['slo', healthy.name, '--json']]) {
      const result = await cli(argv, unset);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      // One line naming the setting; nothing to restart for a command that reads it on each run.
      expect(result.stderr).toMatch(
        /^Compass needs these settings fixed: PROMETHEUS_URL: not set; compass slo reads SLO status from .*\n$/,
      );
      expect(result.stderr).not.toMatch(/restart/i);
    }
  });

  it('NAME prints the full summary over MONITOR_LONG_WINDOW_SECONDS with Prometheus’s own figures', async () => {
    const result = await cli(['slo', `${healthy.namespace}/${healthy.name}`], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const text = result.stdout;
    expect(text).toContain(`── SLO status · ${targetLabel(healthy)} ──`);
    expect(text).toContain(`Meeting every SLO over the last ${LONG_WINDOW_SEC} s.`);
    // Buttons stay in Slack.
    expect(text).not.toMatch(/\[\d+\]/);
    const ending = text.match(
      new RegExp(`Prometheus at ${prometheus.url}, ${LONG_WINDOW_SEC} s window ending (\\S+)\\.\\n$`),
    );
    expect(ending).not.toBeNull();
    const own = await ttftP95(LONG_WINDOW_SEC, new Date(ending![1]!));
    expect(own).not.toBeNull();
    // The interpolated p95 beside the bucket it lies in, then the verdict the buckets give.
    expect(text).toMatch(
      new RegExp(
        `  TTFT p95: ${ms(own!)} \\(in [^)]+\\) ✓ target ${ms(roomySpec.slo.ttftP95Ms.value)} predicted`,
      ),
    );
  });

  it('NAME --json --window prints the SloSummary over that window', async () => {
    const result = await cli(['slo', targetLabel(healthy), '--json', '--window', '20'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const summary = JSON.parse(result.stdout) as SloSummary;
    expect(summary).toMatchObject({ deployment: targetLabel(healthy), windowSec: 20, status: 'meeting' });
    const ttft = summary.latency.find((check) => check.metric === 'ttft')!;
    expect(ttft.observedMs).toBeCloseTo((await ttftP95(20, new Date(summary.at)))!, 6);
    expect(ttft.targetMs).toBe(roomySpec.slo.ttftP95Ms.value);
    expect(summary.traffic.requestsPerSec).toBeGreaterThan(0);
  });

  it('without NAME lists every running deployment in a line', async () => {
    const result = await cli(['slo'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(
      `SLO status of 2 running deployments over the last ${LONG_WINDOW_SEC} s, from Prometheus at ${prometheus.url}:`,
    );
    const row = (deploy: DeployRecord) => lines.find((line) => line.startsWith(`${targetLabel(deploy)} `));
    expect(row(healthy)).toMatch(/^\S+\s+meeting(\s+\S+ m?s \(in [^)]+\) ✓){3}\s+\S+% ✓\s+[\d.]+ req\/s$/);
    expect(row(twin)).toMatch(/^staging\/\S+ on staging-cluster\s+no traffic(\s+–){5}$/);
    expect(result.stdout).not.toContain(`${rolledBack.name} `);

    const json = await cli(['slo', '--json'], env);
    const rows = JSON.parse(json.stdout) as SloRow[];
    const statuses = rows.map((entry) =>
      'summary' in entry ? [entry.id, entry.target, entry.summary.status] : entry,
    );
    expect(statuses).toEqual(
      expect.arrayContaining([
        [healthy.id, targetLabel(healthy), 'meeting'],
        [twin.id, targetLabel(twin), 'no-traffic'],
      ]),
    );
    expect(rows).toHaveLength(2);
  });

  it('says why when Prometheus does not answer: in the list, and as a failure for NAME', async () => {
    const down = { ...env, PROMETHEUS_URL: `http://127.0.0.1:${await freePort()}` };
    const list = await cli(['slo'], down);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    for (const deploy of [healthy, twin]) {
      expect(list.stdout).toMatch(new RegExp(`\\n${literal(targetLabel(deploy))}\\s+unknown(\\s+–){5}\\n`));
      expect(list.stdout).toContain(`\n${targetLabel(deploy)}: Prometheus at ${down.PROMETHEUS_URL} `);
    }
    const one = await cli(['slo', targetLabel(healthy)], down);
    expect(one.code).toBe(1);
    expect(one.stdout).toBe('');
    expect(one.stderr).toMatch(
      new RegExp(
        `^compass: Monitoring cannot read Prometheus: Prometheus at ${literal(down.PROMETHEUS_URL)} .*check PROMETHEUS_URL\\.\\n$`,
      ),
    );
  });

  it('an unknown or ambiguous NAME is a usage error listing the running ones', async () => {
    const running = [targetLabel(twin), targetLabel(healthy)].sort();
    const unknown = await cli(['slo', rolledBack.name], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    const listed = unknown.stderr.match(/^compass: no running deployment is named "(\S+)"; running: (.+)\n$/);
    expect(listed?.[1]).toBe(rolledBack.name);
    expect(listed?.[2]?.split(', ').sort()).toEqual(running);

    const ambiguous = await cli(['slo', healthy.name], env);
    expect(ambiguous.code).toBe(2);
    const several = ambiguous.stderr.match(
      /^compass: several running deployments are named "(\S+)": (.+); say which, e\.g\. compass slo namespace\/name\n$/,
    );
    expect(several?.[1]).toBe(healthy.name);
    expect(several?.[2]?.split(', ').sort()).toEqual(running);
  });
});
