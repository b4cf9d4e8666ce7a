import { describe, expect, it } from 'vitest';
// The pure parts, imported directly: they need no client library.
import { changedFields, describeChanges } from '../../src/kube/diff.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { readinessOf, rolloutOf } from '../../src/kube/readiness.js';

const object = (fields: Partial<KubeObject> & Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  ...fields,
  metadata: { name: 'router', namespace: 'compass', ...(fields.metadata ?? {}) },
});

describe('changedFields', () => {
  it('names each top-level spec field that differs, with scalar values', () => {
    const live = object({
      spec: { replicas: 1, template: { spec: { containers: [{ image: 'a' }] } }, paused: true },
    });
    const next = object({
      spec: { replicas: 3, template: { spec: { containers: [{ image: 'b' }] } }, minReadySeconds: 5 },
    });
    expect(changedFields(live, next)).toEqual([
      { path: 'spec.replicas', change: 'changed', before: 1, after: 3 },
      { path: 'spec.template', change: 'changed' },
      { path: 'spec.paused', change: 'removed', before: true },
      { path: 'spec.minReadySeconds', change: 'added', after: 5 },
    ]);
  });

  it('ignores server bookkeeping and key order; sees labels, annotations and other top-level fields', () => {
    const live = object({
      metadata: { name: 'router', resourceVersion: '7', generation: 1, labels: { a: '1', b: '2' } },
      spec: { selector: { matchLabels: { app: 'x', tier: 'y' } } },
      status: { replicas: 1 },
    });
    const same = object({
      metadata: { name: 'router', resourceVersion: '9', generation: 2, labels: { b: '2', a: '1' } },
      spec: { selector: { matchLabels: { tier: 'y', app: 'x' } } },
      status: { replicas: 3 },
    });
    expect(changedFields(live, same)).toEqual([]);
    const relabelled = object({
      metadata: { name: 'router', labels: { a: '1' }, annotations: { note: 'x' } },
      spec: { selector: { matchLabels: { app: 'x', tier: 'y' } } },
      data: { key: 'v' },
    });
    expect(changedFields(live, relabelled).map((change) => `${change.path} ${change.change}`)).toEqual([
      'data added',
      'metadata.labels changed',
      'metadata.annotations added',
    ]);
  });

  it('describes changes in one line', () => {
    expect(
      describeChanges([
        { path: 'spec.minReplicas', change: 'changed', before: 1, after: 2 },
        { path: 'spec.predictor', change: 'changed' },
        { path: 'metadata.labels', change: 'added' },
      ]),
    ).toBe('spec.minReplicas 1 → 2, spec.predictor changed, metadata.labels added');
  });
});

describe('readinessOf', () => {
  const isvc = (generation: number, status: unknown): KubeObject => ({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'chat', namespace: 'compass', generation },
    status,
  });

  it('is ready on Ready=True for the current generation, with the URL', () => {
    const status = {
      observedGeneration: 2,
      url: 'http://chat.compass.example.com',
      conditions: [{ type: 'Ready', status: 'True' }],
    };
    expect(readinessOf(isvc(2, status))).toEqual({ state: 'ready', url: 'http://chat.compass.example.com' });
    expect(readinessOf(isvc(3, status))).toEqual({
      state: 'pending',
      detail: 'the controller has not yet seen generation 3',
    });
    const addressOnly = {
      conditions: [{ type: 'Ready', status: 'True' }],
      address: { url: 'http://in-cluster' },
    };
    expect(readinessOf(isvc(1, addressOnly))).toEqual({ state: 'ready', url: 'http://in-cluster' });
  });

  it('waits on Ready=False and Unknown, saying why; fails on a model that cannot load', () => {
    const notReady = {
      conditions: [{ type: 'Ready', status: 'False', reason: 'RevisionMissing', message: 'no revision' }],
    };
    expect(readinessOf(isvc(1, notReady))).toMatchObject({
      state: 'pending',
      detail: 'Ready=False (RevisionMissing: no revision)',
    });
    expect(readinessOf(isvc(1, {}))).toEqual({ state: 'pending', detail: 'no Ready condition reported yet' });
    expect(readinessOf(isvc(1, { conditions: 'garbage' }))).toEqual({
      state: 'pending',
      detail: 'its status is not readable yet',
    });
    const blocked = {
      modelStatus: {
        transitionStatus: 'BlockedByFailedLoad',
        lastFailureInfo: { reason: 'ModelLoadFailed', message: 'CUDA out of memory' },
      },
      conditions: [{ type: 'Ready', status: 'False' }],
    };
    expect(readinessOf(isvc(1, blocked))).toEqual({
      state: 'failed',
      reason: 'ModelLoadFailed',
      message: 'CUDA out of memory',
    });
    expect(readinessOf(isvc(1, { modelStatus: { transitionStatus: 'InvalidSpec' } }))).toEqual({
      state: 'failed',
      reason: 'InvalidSpec',
      message: 'model transition status InvalidSpec',
    });
  });
});

describe('readinessOf in RawDeployment mode', () => {
  it("ignores the observedGeneration KServe copies from the predictor's Deployment", () => {
    const service: KubeObject = {
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: {
        name: 'chat',
        namespace: 'compass',
        generation: 5,
        annotations: { 'serving.kserve.io/deploymentMode': 'RawDeployment' },
      },
      status: { observedGeneration: 2, url: 'http://chat', conditions: [{ type: 'Ready', status: 'True' }] },
    };
    expect(readinessOf(service)).toEqual({ state: 'ready', url: 'http://chat' });
  });

  it('fails on a rollout past its progress deadline', () => {
    const service: KubeObject = {
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'chat', namespace: 'compass', generation: 1 },
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: 'timed out progressing',
          },
        ],
      },
    };
    expect(readinessOf(service)).toEqual({
      state: 'failed',
      reason: 'ProgressDeadlineExceeded',
      message: 'timed out progressing',
    });
  });
});

describe('rolloutOf', () => {
  const labels = { 'compass.dev/deploy-id': 'd-2' };
  const deployment = (fields: { generation?: number; template?: string; status: Record<string, unknown> }) =>
    ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'chat-predictor', namespace: 'compass', generation: fields.generation ?? 3 },
      spec: {
        replicas: 2,
        template: { metadata: { labels: { 'compass.dev/deploy-id': fields.template ?? 'd-2', app: 'x' } } },
      },
      status: fields.status,
    }) as KubeObject;
  const complete = {
    observedGeneration: 3,
    replicas: 2,
    updatedReplicas: 2,
    readyReplicas: 2,
    availableReplicas: 2,
  };

  it('is ready only when every replica runs the new template and no old pod is left', () => {
    expect(rolloutOf(deployment({ status: complete }), labels)).toEqual({ state: 'ready', url: undefined });
    const cases: [Parameters<typeof deployment>[0], string][] = [
      [
        { template: 'd-1', status: complete },
        'its pods are not yet those of this revision (compass.dev/deploy-id=d-1)',
      ],
      [{ generation: 4, status: complete }, 'the Deployment controller has not yet seen generation 4'],
      [{ status: { ...complete, updatedReplicas: 1 } }, '1 of 2 replicas updated'],
      [{ status: { ...complete, replicas: 3, availableReplicas: 3 } }, '1 old replica still running'],
      [
        { status: { ...complete, availableReplicas: 1, unavailableReplicas: 1 } },
        '1 of 2 new replicas available',
      ],
    ];
    for (const [fields, detail] of cases)
      expect(rolloutOf(deployment(fields), labels)).toEqual({ state: 'pending', detail });
  });

  it('fails a rollout the Deployment controller gave up on', () => {
    const stalled = {
      ...complete,
      updatedReplicas: 1,
      availableReplicas: 2,
      conditions: [
        { type: 'Available', status: 'True' },
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'ReplicaSet "chat-predictor-7d9" has timed out progressing.',
        },
      ],
    };
    expect(rolloutOf(deployment({ status: stalled }), labels)).toEqual({
      state: 'failed',
      reason: 'ProgressDeadlineExceeded',
      message:
        'ReplicaSet "chat-predictor-7d9" has timed out progressing. (new pods crash-looping or unschedulable)',
    });
  });
});
