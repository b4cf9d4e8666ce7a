import { describe, expect, it } from 'vitest';
import { validateMessage } from '../../src/slack/blocks/kit.js';
import { finished, startProgress, withStep } from '../../src/worker/progress.js';
import type { DeployState } from '../../src/worker/runner.js';
import type { DeploySummary } from '../../src/worker/status-blocks.js';
import { BENCHMARK_ACTION, DEPLOY_ACTION, deployStatusBlocks } from '../../src/worker/status-blocks.js';
import { plannedOption } from '../fixtures/deploy.js';

const deploy = (state: DeployState = 'running'): DeploySummary & { state: DeployState } => ({
  id: '6f1c1b8e-8d7a-4a8e-9f57-3c2b7a1d0e11',
  name: 'llama-chat',
  namespace: 'compass',
  context: 'prod',
  state,
  ...plannedOption(),
});

const buttons = (message: ReturnType<typeof deployStatusBlocks>) =>
  message.blocks.flatMap((b) =>
    b.type === 'actions' ? b.elements.map((e) => `${e.action_id}=${e.value}`) : [],
  );

const texts = (message: ReturnType<typeof deployStatusBlocks>) => JSON.stringify(message.blocks);

describe('deployStatusBlocks', () => {
  it('shows a queued deploy with its target and cost, without buttons', () => {
    const message = deployStatusBlocks(deploy('pending'), null);
    expect(validateMessage(message)).toEqual([]);
    expect(message.text).toMatch(/^Deploying llama-chat \(.+ → compass\/llama-chat on prod\): queued$/);
    expect(texts(message)).toContain('/month');
    expect(buttons(message)).toEqual([]);
  });

  it('marks each step by its state, with details and the attempt', () => {
    let progress = withStep(startProgress(2), 'render', 'done', '4 objects');
    progress = withStep(progress, 'apply', 'retrying', 'API answered 500');
    const message = deployStatusBlocks(deploy(), progress);
    expect(validateMessage(message)).toEqual([]);
    const steps = texts(message);
    expect(steps).toContain('✅ Render manifests — 4 objects');
    expect(steps).toContain('✅ Check policy and schema');
    expect(steps).toContain('🔁 Server-side apply — API answered 500');
    expect(steps).toContain('◻️ Wait until Ready');
    expect(steps).toContain('Attempt 2');
  });

  it('offers Benchmark, Roll back and Delete once deployed, with the endpoint and predicted SLOs', () => {
    const done = finished(withStep(startProgress(1), 'smoke', 'done'), {
      kind: 'deployed',
      endpoint: 'http://llama-chat.compass.svc',
      at: '2026-11-24T12:00:00.000Z',
    });
    const message = deployStatusBlocks(deploy('deployed'), done);
    expect(validateMessage(message)).toEqual([]);
    expect(message.text).toContain(': deployed');
    expect(texts(message)).toContain('http://llama-chat.compass.svc');
    expect(texts(message)).toMatch(/TTFT .+ ✓ ≤/);
    expect(buttons(message)).toEqual([
      `${BENCHMARK_ACTION.start}=${deploy().id}`,
      `${DEPLOY_ACTION.rollback}=${deploy().id}`,
      `${DEPLOY_ACTION.delete}=${deploy().id}`,
    ]);
  });

  it('offers Retry, Roll back and Delete after a failure, with the reason escaped', () => {
    const failed = finished(withStep(startProgress(1), 'apply', 'failed', 'denied'), {
      kind: 'failed',
      reason: 'admission webhook <policy> denied the request',
      at: '2026-11-24T12:00:00.000Z',
    });
    const message = deployStatusBlocks(deploy('failed'), failed);
    expect(validateMessage(message)).toEqual([]);
    expect(texts(message)).toContain('&lt;policy&gt;');
    expect(buttons(message)).toEqual([
      `${DEPLOY_ACTION.retry}=${deploy().id}`,
      `${DEPLOY_ACTION.rollback}=${deploy().id}`,
      `${DEPLOY_ACTION.delete}=${deploy().id}`,
    ]);
  });

  const deployed = finished(withStep(startProgress(1), 'smoke', 'done'), {
    kind: 'deployed',
    endpoint: 'http://llama-chat.compass.svc',
    at: '2026-11-24T12:00:00.000Z',
  });

  it('offers Cancel while a benchmark is queued or running, nothing while it cancels, Benchmark again after', () => {
    const at = '2026-12-06T06:30:00.000Z';
    const withBenchmark = (state: 'queued' | 'running' | 'cancelling' | 'done' | 'failed' | 'cancelled') =>
      deployStatusBlocks(deploy('deployed'), {
        ...deployed,
        benchmark: { state, requestedBy: 'U0ADA', cancelledBy: 'U0GRACE', at, detail: 'its pod <crashed>' },
      });
    const rest = [`${DEPLOY_ACTION.rollback}=${deploy().id}`, `${DEPLOY_ACTION.delete}=${deploy().id}`];
    for (const state of ['queued', 'running'] as const)
      expect(buttons(withBenchmark(state))).toEqual([`${BENCHMARK_ACTION.cancel}=${deploy().id}`, ...rest]);
    expect(buttons(withBenchmark('cancelling'))).toEqual(rest);
    for (const state of ['done', 'failed', 'cancelled'] as const)
      expect(buttons(withBenchmark(state))).toEqual([`${BENCHMARK_ACTION.start}=${deploy().id}`, ...rest]);
    expect(texts(withBenchmark('running'))).toContain(
      'Benchmark running since 06:30 UTC (asked by <@U0ADA>)',
    );
    expect(texts(withBenchmark('failed'))).toContain('Benchmark failed: its pod &lt;crashed&gt;');
    expect(texts(withBenchmark('cancelled'))).toContain('Benchmark cancelled by <@U0GRACE>');
    for (const state of ['queued', 'done'] as const)
      expect(validateMessage(withBenchmark(state))).toEqual([]);
    // Once the deploy is no longer live, its benchmark buttons go with Roll back.
    expect(
      buttons(
        deployStatusBlocks(deploy('rolled_back'), {
          ...deployed,
          benchmark: { state: 'running', requestedBy: 'U0ADA', at },
        }),
      ),
    ).toEqual([`${DEPLOY_ACTION.delete}=${deploy().id}`]);
  });

  it('shows no buttons once deleted (or while a delete or rollback runs), and says so in the title', () => {
    for (const [state, title] of [
      ['deleted', 'Deleted: llama-chat'],
      ['deleting', 'Deleting: llama-chat'],
      ['rolling_back', 'Rolling back: llama-chat'],
    ] as const) {
      const message = deployStatusBlocks(deploy(state), deployed);
      expect(validateMessage(message)).toEqual([]);
      expect(message.blocks[0]).toMatchObject({ type: 'header', text: { text: title } });
      expect(message.text).toMatch(new RegExp(`: ${state.replace('_', ' ')}$`));
      expect(message.blocks.some((b) => b.type === 'actions')).toBe(false);
    }
  });

  it('keeps only Delete after a rollback: the deploy running again offers the way back', () => {
    expect(buttons(deployStatusBlocks(deploy('rolled_back'), deployed))).toEqual([
      `${DEPLOY_ACTION.delete}=${deploy().id}`,
    ]);
    const failed = finished(withStep(startProgress(1), 'apply', 'failed', 'denied'), {
      kind: 'failed',
      reason: 'denied',
      at: '2026-11-24T12:00:00.000Z',
    });
    expect(buttons(deployStatusBlocks(deploy('rolled_back'), failed))).toEqual([
      `${DEPLOY_ACTION.delete}=${deploy().id}`,
    ]);
    expect(buttons(deployStatusBlocks(deploy('deleted'), failed))).toEqual([]);
  });

  it('shows a failure without the credentials or tokens the cluster’s error quoted', () => {
    const reason =
      'GET https://admin:Sup3rSecret@api.cluster:6443/apis failed: 401 (Bearer eyJhbGciOiJSUzI1NiJ9.abc)';
    const failed = finished(withStep(startProgress(1), 'apply', 'failed', reason), {
      kind: 'failed',
      reason,
      at: '2026-11-24T12:00:00.000Z',
    });
    const message = deployStatusBlocks(deploy('failed'), failed);
    expect(JSON.stringify(message)).not.toMatch(/Sup3rSecret|eyJhbGci/);
    expect(texts(message)).toContain(
      'https://[redacted]@api.cluster:6443/apis failed: 401 (Bearer [redacted])',
    );
    expect(validateMessage(message)).toEqual([]);
  });
});
