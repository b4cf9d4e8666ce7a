/**
 * `compass status` against the real PostgreSQL: deployments made the way Compass makes them (plan, request, approval,
 * the worker's outcome), listed newest first in a table or as JSON; and `compass slo` while none runs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentStatus } from '../../src/cli/status.js';
import { whatIf } from '../../src/planner/index.js';
import { usdMonthly } from '../../src/slack/blocks/format.js';
import { targetLabel } from '../../src/worker/status-blocks.js';
import { deployedOption } from '../monitor/fixtures.js';
import { deployed, type MonitorWorld, openWorld } from '../monitor/world.js';
import { cli } from '../support/cli.js';
import { freePort } from '../support/ports.js';

const { knowledge, spec, option } = deployedOption();
/** A second deployment that runs something else: the option in bf16. */
const scenario = whatIf(
  spec,
  option,
  { precision: 'bf16', slo: { ttftP95Ms: 60_000, itlP95Ms: 1_000, e2eP95Ms: 600_000 } },
  knowledge,
).scenario;
if (scenario.kind !== 'planned') throw new Error('no bf16 option');
const other = scenario.option;

let world: MonitorWorld;
let env: Record<string, string>;

beforeAll(async () => {
  world = await openWorld();
  env = { DATABASE_URL: world.databaseUrl, HOME: mkdtempSync(join(tmpdir(), 'compass-home-')) };
}, 30_000);

afterAll(() => world?.close());

describe('compass status', () => {
  it('says how deployments come about while there are none', async () => {
    const text = await cli(['status'], env);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toMatch(/^No deployments yet\. Deploys are requested and approved in Slack/);
    const json = await cli(['status', '--json'], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });

  it('leaves `compass slo` nothing to list, without asking Prometheus', async () => {
    // Nothing listens there: a query would make the command fail.
    const slo = await cli(['slo'], { ...env, PROMETHEUS_URL: `http://127.0.0.1:${await freePort()}` });
    expect(slo).toMatchObject({ code: 0, stderr: '' });
    expect(slo.stdout).toBe(
      'No running deployments. `compass status` lists every deployment and its state.\n',
    );
  });

  it('lists every deployment newest first with its state, model, GPUs, cost and endpoint', async () => {
    const running = await deployed(world, { spec, option });
    const failed = await deployed(world, { spec, option: other });
    const failedAt = new Date().toISOString();
    await world.deploys.save(failed.id, {
      state: 'failed',
      endpoint: null,
      progress: {
        steps: [],
        attempt: 3,
        outcome: { kind: 'failed', reason: 'not Ready in time', at: failedAt },
      },
    });
    const [runningDeploy, failedDeploy] = await Promise.all([
      world.deploys.load(running.id),
      world.deploys.load(failed.id),
    ]);
    const result = await cli(['status'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`1 running · ${usdMonthly(option.monthlyCostUsd)} · 2 in all, newest first:`);
    expect(lines[2]).toMatch(/^Deployment\s+State\s+Model\s+GPUs\s+Cost\s+Endpoint\s+Deployed \(UTC\)$/);
    const rows = lines.slice(3);
    expect(rows).toHaveLength(2);
    // Newest first: the failed one was approved last.
    expect(rows[0]!.startsWith(targetLabel(failedDeploy!))).toBe(true);
    expect(rows[1]!.startsWith(targetLabel(runningDeploy!))).toBe(true);
    const cells = (row: string) => row.split(/ {2,}/);
    expect(cells(rows[0]!)).toEqual([
      targetLabel(failedDeploy!),
      'failed',
      `${other.modelName}${other.precision === 'bf16' ? '' : ` (${other.precision})`}`,
      `${other.gpuCount}× ${other.gpuId}${other.replicas > 1 ? ` in ${other.replicas} replicas` : ''}`,
      usdMonthly(other.monthlyCostUsd),
      '—',
      '—',
    ]);
    const healthyAt = runningDeploy!.progress!.outcome!.at;
    expect(cells(rows[1]!)).toEqual([
      targetLabel(runningDeploy!),
      'deployed',
      `${option.modelName}${option.precision === 'bf16' ? '' : ` (${option.precision})`}`,
      `${option.gpuCount}× ${option.gpuId}${option.replicas > 1 ? ` in ${option.replicas} replicas` : ''}`,
      usdMonthly(option.monthlyCostUsd),
      runningDeploy!.endpoint,
      healthyAt.slice(0, 16).replace('T', ' '),
    ]);

    const json = await cli(['status', '--json'], env);
    expect(json.code).toBe(0);
    const statuses = JSON.parse(json.stdout) as DeploymentStatus[];
    const expected = (deploy: NonNullable<typeof runningDeploy>, deployedAt: string | null) => ({
      id: deploy.id,
      target: targetLabel(deploy),
      namespace: 'compass',
      name: deploy.name,
      context: null,
      state: deploy.state,
      model: deploy.option.modelId,
      modelName: deploy.option.modelName,
      precision: deploy.option.precision,
      gpu: deploy.option.gpuId,
      gpuCount: deploy.option.gpuCount,
      replicas: deploy.option.replicas,
      tensorParallel: deploy.option.tensorParallel,
      monthlyCostUsd: deploy.option.monthlyCostUsd,
      endpoint: deploy.endpoint,
      deployedAt,
    });
    expect(statuses).toEqual([expected(failedDeploy!, null), expected(runningDeploy!, healthyAt)]);
    expect(statuses.map((status) => [status.id, status.state])).toEqual([
      [failed.id, 'failed'],
      [running.id, 'deployed'],
    ]);
  });
});
