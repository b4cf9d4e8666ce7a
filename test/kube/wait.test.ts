import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Readiness, refOf, rolloutOf } from '../../src/kube/index.js';
import type { ReadinessPlan } from '../standins/kubernetes.js';
import { inferenceService, type KubeFixture, kubeFixture } from './fixtures.js';

let kube: KubeFixture | undefined;
afterEach(async () => {
  await kube?.close();
  kube = undefined;
});

const chat = refOf(inferenceService());
const predictorRef = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  namespace: 'compass',
  name: 'chat-predictor',
};

/** The fixture's service as one deploy's revision: its pods labelled with the deploy id. */
function revision(deployId: string) {
  const service = inferenceService();
  (service.spec as { predictor: Record<string, unknown> }).predictor.labels = {
    'compass.dev/deploy-id': deployId,
  };
  return service;
}

/** Waits until the predictor's Deployment runs `deployId`'s pods, and only those. */
function waitForRollout(client: KubeFixture['client'], deployId: string, progress: Readiness[] = []) {
  return client.waitUntilReady(predictorRef, {
    timeoutMs: 5_000,
    pollIntervalMs: 50,
    judge: (deployment) => rolloutOf(deployment, { 'compass.dev/deploy-id': deployId }),
    mayNotExistYet: true,
    onProgress: (readiness) => progress.push(readiness),
  });
}

async function deployed(readiness: ReadinessPlan) {
  kube = await kubeFixture({ readiness });
  const report = await kube.client.apply([revision('d-1')]);
  expect(report.ok).toBe(true);
  return kube;
}

const failing = (reason: string, message: string, terminal = false): ReadinessPlan => ({
  kind: 'failed',
  afterMs: 50,
  reason,
  message,
  terminal,
});

/** Waits with `options`, collecting every progress report. */
async function waitRecording(
  client: KubeFixture['client'],
  options: { timeoutMs: number; pollIntervalMs: number },
) {
  const progress: Readiness[] = [];
  const outcome = await client.waitUntilReady(chat, {
    ...options,
    onProgress: (readiness) => progress.push(readiness),
  });
  return { outcome, progress };
}

describe('waitUntilReady', () => {
  it('resolves once the InferenceService reports Ready, with its URL, following a watch', async () => {
    const { client, standIn } = await deployed({
      kind: 'ready',
      afterMs: 300,
      url: 'http://127.0.0.1:9/chat',
    });
    const { outcome, progress } = await waitRecording(client, { timeoutMs: 5_000, pollIntervalMs: 2_000 });
    expect(outcome).toMatchObject({ ready: true, url: 'http://127.0.0.1:9/chat' });
    expect(outcome.waitedMs).toBeGreaterThanOrEqual(200);
    expect(outcome.waitedMs).toBeLessThan(2_000);
    expect(progress.at(-1)).toEqual({ state: 'ready', url: 'http://127.0.0.1:9/chat' });
    expect(progress[0]!.state).toBe('pending');
    const watches = standIn.requestsOf('watch', '/inferenceservices');
    expect(watches).toHaveLength(1);
    expect(watches[0]!.query).toMatchObject({ fieldSelector: 'metadata.name=chat' });
    expect(Number(watches[0]!.query.resourceVersion)).toBeGreaterThan(0);
    // Ready arrived over the watch, not by reading again.
    expect(standIn.requestsOf('get', '/inferenceservices/chat')).toHaveLength(2);
  });

  it('resumes after the watch connection is dropped', async () => {
    const { client, standIn } = await deployed({ kind: 'ready', afterMs: 800 });
    const waiting = client.waitUntilReady(chat, { timeoutMs: 5_000, pollIntervalMs: 50 });
    await vi.waitFor(() => expect(standIn.requestsOf('watch')).toHaveLength(1));
    standIn.dropWatches();
    expect(await waiting).toMatchObject({ ready: true, url: 'http://chat.compass.example.com' });
    expect(standIn.requestsOf('watch').length).toBeGreaterThanOrEqual(2);
  });

  it('falls back to polling while watches are refused or dropped', async () => {
    const { client, standIn } = await deployed({ kind: 'ready', afterMs: 400 });
    standIn.inject({ kind: 'status', code: 500 }, { verb: 'watch', times: 5 });
    standIn.inject({ kind: 'drop' }, { verb: 'watch', times: 100 });
    const outcome = await client.waitUntilReady(chat, { timeoutMs: 5_000, pollIntervalMs: 50 });
    expect(outcome.ready).toBe(true);
    expect(standIn.requestsOf('get', '/inferenceservices/chat').length).toBeGreaterThanOrEqual(4);
  });

  it('times out cleanly with what it was waiting for', async () => {
    const { client } = await deployed({ kind: 'never' });
    const outcome = await client.waitUntilReady(chat, { timeoutMs: 400, pollIntervalMs: 50 });
    expect(outcome).toMatchObject({ ready: false, reason: 'timeout' });
    if (outcome.ready) throw new Error('expected a timeout');
    expect(outcome.message).toBe('InferenceService compass/chat was not Ready within 0.4 s: Ready=Unknown');
    expect(outcome.waitedMs).toBeGreaterThanOrEqual(390);
    expect(outcome.waitedMs).toBeLessThan(1_500);
  });

  it('reports the Ready=False reason it was waiting on', async () => {
    const { client } = await deployed(
      failing('RevisionMissing', 'Configuration "chat-predictor" does not have any ready Revision.'),
    );
    const { outcome, progress } = await waitRecording(client, { timeoutMs: 500, pollIntervalMs: 50 });
    expect(outcome).toMatchObject({
      ready: false,
      reason: 'timeout',
      message:
        'InferenceService compass/chat was not Ready within 0.5 s: Ready=False (RevisionMissing: Configuration "chat-predictor" does not have any ready Revision.)',
      last: { state: 'pending', condition: { type: 'Ready', status: 'False', reason: 'RevisionMissing' } },
    });
    expect(
      progress.map((readiness) => readiness.state === 'pending' && readiness.condition?.status),
    ).toContain('False');
  });

  it('ends at once when the model cannot load', async () => {
    const { client } = await deployed(failing('ModelLoadFailed', 'CUDA out of memory', true));
    const outcome = await client.waitUntilReady(chat, { timeoutMs: 5_000, pollIntervalMs: 50 });
    expect(outcome).toMatchObject({
      ready: false,
      reason: 'failed',
      message: 'InferenceService compass/chat failed: ModelLoadFailed: CUDA out of memory',
    });
    expect(outcome.waitedMs).toBeLessThan(2_000);
  });

  it("takes an InferenceService's Ready during a rolling update from the old pods; the rollout waits for the new", async () => {
    const { client, standIn } = await deployed({ kind: 'ready', afterMs: 20 });
    expect((await client.waitUntilReady(chat, { timeoutMs: 5_000, pollIntervalMs: 50 })).ready).toBe(true);
    expect((await waitForRollout(client, 'd-1')).ready).toBe(true);
    standIn.setReadiness({ kind: 'ready', afterMs: 600 });
    await client.apply([revision('d-2')]);
    // KServe's Ready speaks for the Deployment's availability, which the old pods keep: the bug the rollout fixes.
    const service = await client.waitUntilReady(chat, { timeoutMs: 5_000, pollIntervalMs: 50 });
    expect(service).toMatchObject({ ready: true });
    expect(service.waitedMs).toBeLessThan(400);
    const progress: Readiness[] = [];
    const rollout = await waitForRollout(client, 'd-2', progress);
    expect(rollout.ready).toBe(true);
    expect(service.waitedMs + rollout.waitedMs).toBeGreaterThanOrEqual(450);
    if (!rollout.ready) throw new Error('expected the rollout to finish');
    expect(rollout.object.status).toMatchObject({ replicas: 1, updatedReplicas: 1, availableReplicas: 1 });
    expect(progress.map((step) => step.state === 'pending' && step.detail)).toContain(
      '1 old replica still running',
    );
  });

  it('fails a rollout whose new pods crash-loop, while the service stays Ready on the old pods', async () => {
    const { client, standIn } = await deployed({ kind: 'ready', afterMs: 20 });
    expect((await waitForRollout(client, 'd-1')).ready).toBe(true);
    standIn.setReadiness({ kind: 'crashloop' });
    await client.apply([revision('d-2')]);
    expect((await client.waitUntilReady(chat, { timeoutMs: 5_000, pollIntervalMs: 50 })).ready).toBe(true);
    const rollout = await waitForRollout(client, 'd-2');
    expect(rollout).toMatchObject({ ready: false, reason: 'failed' });
    if (rollout.ready) throw new Error('expected a failed rollout');
    expect(rollout.message).toMatch(
      /^Deployment compass\/chat-predictor failed: ProgressDeadlineExceeded: ReplicaSet .* has timed out progressing/,
    );
  });

  it('waits for a predictor Deployment the controller has not made yet', async () => {
    kube = await kubeFixture({ readiness: { kind: 'ready', afterMs: 300 } });
    const { client } = kube;
    const waiting = waitForRollout(client, 'd-1');
    await new Promise((resolve) => setTimeout(resolve, 150));
    await client.apply([revision('d-1')]);
    expect(await waiting).toMatchObject({ ready: true });
  });

  it('stops when the caller aborts, when the object is deleted, and when reading is forbidden', async () => {
    const { client, standIn } = await deployed({ kind: 'never' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const aborted = await client.waitUntilReady(chat, { timeoutMs: 5_000, signal: controller.signal });
    expect(aborted).toMatchObject({ ready: false, reason: 'aborted' });
    expect(aborted.waitedMs).toBeLessThan(1_000);

    const waiting = client.waitUntilReady(chat, { timeoutMs: 5_000, pollIntervalMs: 50 });
    await vi.waitFor(() => expect(standIn.requestsOf('watch').length).toBeGreaterThanOrEqual(2));
    await client.delete(chat);
    expect(await waiting).toMatchObject({
      ready: false,
      reason: 'deleted',
      message: 'InferenceService compass/chat does not exist (deleted while waiting, or never created)',
    });

    await client.apply([inferenceService()]);
    standIn.inject({ kind: 'status', code: 403 }, { verb: 'get', path: '/inferenceservices/chat' });
    const forbidden = await client.waitUntilReady(chat, { timeoutMs: 5_000 });
    expect(forbidden).toMatchObject({ ready: false, reason: 'error', error: { kind: 'forbidden' } });
  });
});
