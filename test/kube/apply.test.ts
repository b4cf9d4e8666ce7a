import { KubeConfig, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApplyOutcome, type KubeObject, refOf, toKubeError } from '../../src/kube/index.js';
import { deployment, inferenceService, type KubeFixture, kubeFixture } from './fixtures.js';

let kube: KubeFixture;
beforeEach(async () => {
  kube = await kubeFixture({ readiness: { kind: 'never' } });
});
afterEach(() => kube.close());

type ManagedFields = { manager: string; operation: string; fieldsV1: { 'f:spec'?: object } }[];
const managedFields = (stored: Record<string, unknown>) =>
  (stored.metadata as { managedFields: ManagedFields }).managedFields;
/** "manager/operation" of each field manager of a stored object. */
const managers = (stored: Record<string, unknown>) =>
  managedFields(stored).map((owner) => `${owner.manager}/${owner.operation}`);
/** The spec fields (FieldsV1) one manager owns. */
const specFieldsOf = (stored: Record<string, unknown>, manager: string) =>
  managedFields(stored).find((owner) => owner.manager === manager)?.fieldsV1['f:spec'];

const applied = (outcome: ApplyOutcome | undefined) => {
  if (!outcome || outcome.action === 'failed' || outcome.action === 'skipped')
    throw new Error(`expected an applied object, got ${outcome?.summary}`);
  return outcome;
};

describe('apply', () => {
  it('creates objects by server-side apply as field manager compass, then a second apply changes nothing', async () => {
    const objects = [inferenceService(), deployment()];
    const first = await kube.client.apply(objects);
    expect(first.ok).toBe(true);
    expect(first.objects.map((outcome) => outcome.action)).toEqual(['created', 'created']);
    expect(first.objects[0]!.summary).toBe('InferenceService compass/chat: created');

    const patches = kube.standIn.requestsOf('patch');
    expect(patches).toHaveLength(2);
    for (const patch of patches) {
      expect(patch.contentType).toBe('application/apply-patch+yaml');
      expect(patch.fieldManager).toBe('compass');
      expect(patch.query.force).toBe('true');
      expect(patch.dryRun).toBe(false);
    }
    expect(patches.map((patch) => patch.path)).toEqual([
      '/apis/serving.kserve.io/v1beta1/namespaces/compass/inferenceservices/chat',
      '/apis/apps/v1/namespaces/compass/deployments/router',
    ]);
    const stored = kube.standIn.object(refOf(objects[1]!))!;
    expect(stored.spec).toEqual(objects[1]!.spec);
    expect(managers(stored)).toEqual(['compass/Apply']);

    const before = await Promise.all(objects.map((object) => kube.client.get(refOf(object))));
    const second = await kube.client.apply(objects);
    expect(second.objects.map((outcome) => outcome.action)).toEqual(['unchanged', 'unchanged']);
    second.objects.forEach((outcome, index) => {
      expect(applied(outcome).object.metadata.resourceVersion).toBe(before[index]!.metadata.resourceVersion);
      expect(applied(outcome).object.metadata.generation).toBe(1);
      expect(outcome.summary).toMatch(/: unchanged$/);
    });
  });

  it('reports a changed object as configured, field by field, and removes fields it no longer sets', async () => {
    await kube.client.apply([deployment('router', { revisionHistoryLimit: 3 })]);
    const report = await kube.client.apply([
      deployment('router', { replicas: 3, labels: { app: 'router', tier: 'llm' } }),
    ]);
    const outcome = applied(report.objects[0]);
    expect(outcome.action).toBe('configured');
    expect(outcome.changes).toEqual([
      { path: 'spec.replicas', change: 'changed', before: 1, after: 3 },
      { path: 'spec.revisionHistoryLimit', change: 'removed', before: 3 },
      { path: 'metadata.labels', change: 'changed' },
    ]);
    expect(outcome.summary).toBe(
      'Deployment compass/router: changed spec.replicas 1 → 3, spec.revisionHistoryLimit removed, metadata.labels changed',
    );
    const stored = kube.standIn.object(outcome.ref)!;
    expect(stored.spec).toMatchObject({ replicas: 3 });
    expect(stored.spec).not.toHaveProperty('revisionHistoryLimit');
    expect((stored.metadata as { generation: number }).generation).toBe(2);
  });

  it('in a dry run stores nothing and says what would be created or changed', async () => {
    const created = await kube.client.apply([inferenceService(), deployment()], { dryRun: true });
    expect(created.dryRun).toBe(true);
    expect(created.objects.map((outcome) => outcome.summary)).toEqual([
      'InferenceService compass/chat: will be created',
      'Deployment compass/router: will be created',
    ]);
    expect(kube.standIn.object(refOf(inferenceService()))).toBeUndefined();
    expect(kube.standIn.requestsOf('patch').every((patch) => patch.query.dryRun === 'All')).toBe(true);

    await kube.client.apply([inferenceService(), deployment()]);
    const live = kube.standIn.object(refOf(inferenceService()))!;
    const preview = await kube.client.apply(
      [inferenceService('chat', 2), deployment('router', { replicas: 4 })],
      {
        dryRun: true,
      },
    );
    expect(preview.objects.map((outcome) => outcome.summary)).toEqual([
      'InferenceService compass/chat: will change spec.predictor changed',
      'Deployment compass/router: will change spec.replicas 1 → 4',
    ]);
    expect(applied(preview.objects[0]).object.spec).toMatchObject({ predictor: { minReplicas: 2 } });
    expect(kube.standIn.object(refOf(inferenceService()))).toEqual(live);
    expect(kube.standIn.object(refOf(deployment()))!.spec).toMatchObject({ replicas: 1 });
  });

  it('a dry run tries every object; a real apply stops at the first failure', async () => {
    kube.standIn.inject(
      { kind: 'status', code: 422, message: 'InferenceService "chat" is invalid' },
      { verb: 'patch', path: 'inferenceservices', times: 2 },
    );
    const preview = await kube.client.apply([inferenceService(), deployment()], { dryRun: true });
    expect(preview.ok).toBe(false);
    expect(preview.objects.map((outcome) => outcome.action)).toEqual(['failed', 'created']);
    expect(preview.error?.kind).toBe('invalid');

    const report = await kube.client.apply([inferenceService(), deployment()]);
    expect(report.objects.map((outcome) => outcome.action)).toEqual(['failed', 'skipped']);
    expect(report.objects[1]!.summary).toBe(
      'Deployment compass/router: not applied (an earlier object failed)',
    );
    expect(kube.standIn.object(refOf(deployment()))).toBeUndefined();
  });

  it('conflicts with another field manager unless forced; compass forces its own fields back', async () => {
    await kube.client.apply([deployment()]);
    const config = new KubeConfig();
    config.loadFromFile(kube.kubeconfig);
    const other = KubernetesObjectApi.makeApiClient(config);
    const scaled = deployment('router', { replicas: 5 });
    const applyAs = (object: KubeObject, force: boolean) =>
      other.patch(object, undefined, undefined, 'platform-team', force, PatchStrategy.ServerSideApply);

    const conflict = toKubeError(
      await applyAs(scaled, false).then(
        () => undefined,
        (error: unknown) => error,
      ),
      'apply as platform-team',
    );
    expect(conflict.details.code).toBe(409);
    expect(conflict.details.causes).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "compass"', field: '.spec.replicas' },
    ]);
    expect(kube.standIn.object(refOf(scaled))!.spec).toMatchObject({ replicas: 1 });

    await applyAs(scaled, true);
    const taken = kube.standIn.object(refOf(scaled))!;
    expect(taken.spec).toMatchObject({ replicas: 5 });
    expect(specFieldsOf(taken, 'compass')).not.toHaveProperty('f:replicas');
    expect(specFieldsOf(taken, 'platform-team')).toHaveProperty('f:replicas');

    const report = await kube.client.apply([deployment()]);
    expect(applied(report.objects[0]).changes).toEqual([
      { path: 'spec.replicas', change: 'changed', before: 5, after: 1 },
    ]);
    expect(kube.standIn.object(refOf(scaled))!.spec).toMatchObject({ replicas: 1 });
  });

  it('adopts objects others created and edited: apply takes back the fields Compass sets', async () => {
    const config = new KubeConfig();
    config.loadFromFile(kube.kubeconfig);
    const other = KubernetesObjectApi.makeApiClient(config);
    await other.create(deployment('router', { replicas: 2 }), undefined, undefined, 'helm');
    await expect(other.create(deployment(), undefined, undefined, 'helm')).rejects.toMatchObject({
      code: 409,
    });
    await other.patch(
      { ...deployment(), spec: { paused: true } },
      undefined,
      undefined,
      'kubectl-edit',
      undefined,
      PatchStrategy.MergePatch,
    );
    const listed = await other.list('apps/v1', 'Deployment', 'compass');
    expect(listed.items.map((item) => item.metadata?.name)).toEqual(['router']);

    const report = await kube.client.apply([deployment()]);
    expect(applied(report.objects[0]).changes).toEqual([
      { path: 'spec.replicas', change: 'changed', before: 2, after: 1 },
    ]);
    const stored = kube.standIn.object(refOf(deployment()))!;
    // Fields only others set stay; replicas are Compass's now; fields set to equal values stay shared.
    expect(stored.spec).toMatchObject({ replicas: 1, paused: true });
    expect(managers(stored)).toEqual(['helm/Update', 'kubectl-edit/Update', 'compass/Apply']);
    expect(specFieldsOf(stored, 'helm')).toHaveProperty('f:selector');
    expect(specFieldsOf(stored, 'helm')).not.toHaveProperty('f:replicas');
    expect(specFieldsOf(stored, 'kubectl-edit')).toEqual({ 'f:paused': {} });
  });

  it('fails with not_found in a namespace that does not exist, and works once it does', async () => {
    const elsewhere = { ...deployment(), metadata: { name: 'router', namespace: 'elsewhere' } };
    const report = await kube.client.apply([elsewhere]);
    expect(report.error?.kind).toBe('not_found');
    expect(report.error?.message).toContain('namespaces "elsewhere" not found');
    kube.standIn.createNamespace('elsewhere');
    expect((await kube.client.apply([elsewhere])).objects[0]!.action).toBe('created');
  });
});

describe('get and delete', () => {
  it('reads live objects, deletes with foreground propagation, and treats a missing object as absent', async () => {
    const ref = refOf(inferenceService());
    expect(await kube.client.get(ref)).toBeUndefined();
    await kube.client.apply([inferenceService()]);
    expect((await kube.client.get(ref))?.spec).toEqual(inferenceService().spec);

    expect(await kube.client.delete(ref)).toBe('deleted');
    expect(kube.standIn.requestsOf('delete')[0]!.query.propagationPolicy).toBe('Foreground');
    expect(kube.standIn.object(ref)).toBeUndefined();
    expect(await kube.client.get(ref)).toBeUndefined();
    expect(await kube.client.delete(ref)).toBe('not_found');
  });
});
