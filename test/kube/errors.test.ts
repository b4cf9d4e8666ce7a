import { delimiter } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKubeClient, KubeError, type KubeErrorKind, refOf } from '../../src/kube/index.js';
import type { KubeFault } from '../standins/kubernetes.js';
import { startKubernetesStandIn } from '../standins/kubernetes.js';
import { deployment, inferenceService, type KubeFixture, kubeFixture } from './fixtures.js';

let kube: KubeFixture;
beforeEach(async () => {
  kube = await kubeFixture({ readiness: { kind: 'never' }, requestTimeoutMs: 300 });
});
afterEach(() => kube.close());

describe('failures of an apply are classified for the deploy worker', () => {
  const cases: { name: string; fault: KubeFault; kind: KubeErrorKind; message: RegExp }[] = [
    {
      name: '409 conflict',
      fault: {
        kind: 'status',
        code: 409,
        message: 'Operation cannot be fulfilled: the object has been modified',
      },
      kind: 'transient',
      message: /the object has been modified \[409; will be retried\]/,
    },
    {
      name: '429',
      fault: { kind: 'status', code: 429, retryAfterSeconds: 3 },
      kind: 'transient',
      message: /429/,
    },
    {
      name: '500',
      fault: { kind: 'status', code: 500, message: 'etcdserver: request timed out' },
      kind: 'transient',
      message: /etcdserver: request timed out/,
    },
    { name: '503', fault: { kind: 'status', code: 503 }, kind: 'transient', message: /503/ },
    {
      name: 'a dropped connection',
      fault: { kind: 'drop' },
      kind: 'transient',
      message: /connection|socket/,
    },
    {
      name: 'a slow answer',
      fault: { kind: 'slow', delayMs: 1_000 },
      kind: 'transient',
      message: /timed out/,
    },
    {
      name: '422 with causes',
      fault: {
        kind: 'status',
        code: 422,
        message: 'Deployment.apps "router" is invalid',
        causes: [
          {
            reason: 'FieldValueRequired',
            message: 'Required value',
            field: 'spec.template.spec.containers[0].image',
          },
          {
            reason: 'FieldValueInvalid',
            message: 'must be greater than or equal to 0',
            field: 'spec.replicas',
          },
        ],
      },
      kind: 'invalid',
      message:
        /Deployment.apps "router" is invalid \(spec.template.spec.containers\[0\].image: Required value; spec.replicas: must be greater than or equal to 0\)/,
    },
    { name: '400', fault: { kind: 'status', code: 400 }, kind: 'invalid', message: /400/ },
    {
      name: '403',
      fault: {
        kind: 'status',
        code: 403,
        message: 'deployments.apps "router" is forbidden: User "compass" cannot patch resource "deployments"',
      },
      kind: 'forbidden',
      message: /cannot patch resource "deployments".*RBAC/,
    },
  ];

  for (const { name, fault, kind, message } of cases)
    it(`${name} → ${kind}`, async () => {
      kube.standIn.inject(fault, { verb: 'patch' });
      const report = await kube.client.apply([deployment()]);
      expect(report.ok).toBe(false);
      const error = report.error!;
      expect(error).toBeInstanceOf(KubeError);
      expect(error.kind).toBe(kind);
      expect(error.message).toMatch(/^apply Deployment compass\/router: /);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain(kube.standIn.token);
      expect(report.objects[0]).toMatchObject({ action: 'failed', summary: error.message });
    });

  it('keeps the API reason, the causes and Retry-After for the caller', async () => {
    kube.standIn.inject({ kind: 'status', code: 429, retryAfterSeconds: 7 }, { verb: 'patch' });
    expect((await kube.client.apply([deployment()])).error!.details).toMatchObject({
      code: 429,
      reason: 'TooManyRequests',
      retryAfterSeconds: 7,
    });
    kube.standIn.inject(
      { kind: 'status', code: 422, causes: [{ reason: 'FieldValueInvalid', field: 'spec.replicas' }] },
      { verb: 'patch' },
    );
    expect((await kube.client.apply([deployment()])).error!.details).toMatchObject({
      code: 422,
      reason: 'Invalid',
      causes: [{ reason: 'FieldValueInvalid', field: 'spec.replicas' }],
    });
  });

  it('an invalid name is rejected by the API as invalid, naming the field', async () => {
    const report = await kube.client.apply([deployment('router_1')]);
    expect(report.error?.kind).toBe('invalid');
    expect(report.error?.message).toContain('metadata.name: Invalid value: "router_1"');
    expect(report.error?.details.causes).toEqual([expect.objectContaining({ field: 'metadata.name' })]);
  });

  it('a kind the cluster does not serve is invalid and says so', async () => {
    const widget = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'compass' },
    };
    const report = await kube.client.apply([widget]);
    expect(report.error?.kind).toBe('invalid');
    expect(report.error?.message).toMatch(/does not serve this (API|kind) \(is its CRD installed\?\)/);
    await expect(kube.client.get(refOf(widget))).rejects.toMatchObject({ kind: 'invalid' });
  });

  it('a wrong token is forbidden', async () => {
    const path = kube.writeKubeconfig('bad-token', kube.standIn.kubeconfig({ token: 'not-the-token' }));
    const client = createKubeClient({ kubeconfig: path });
    const report = await client.apply([deployment()]);
    expect(report.error?.kind).toBe('forbidden');
    expect(report.error?.message).not.toContain('not-the-token');
  });

  it('get and delete throw typed errors for anything but absence', async () => {
    kube.standIn.inject({ kind: 'status', code: 500 }, { verb: 'get' });
    await expect(kube.client.get(refOf(inferenceService()))).rejects.toMatchObject({ kind: 'transient' });
    await kube.client.apply([deployment()]);
    kube.standIn.inject({ kind: 'status', code: 403 }, { verb: 'delete' });
    await expect(kube.client.delete(refOf(deployment()))).rejects.toMatchObject({ kind: 'forbidden' });
    expect(kube.standIn.object(refOf(deployment()))).toBeDefined();
  });
});

describe('kubeconfig and context', () => {
  it('uses the context chosen by name', async () => {
    const other = await startKubernetesStandIn({ token: 'other-token' });
    try {
      const first = kube.standIn.kubeconfig({ context: 'lab' }) as Record<string, unknown[]>;
      const second = other.kubeconfig({ context: 'prod' }) as Record<string, unknown[]>;
      const merged = {
        ...first,
        clusters: [...first.clusters!, ...second.clusters!],
        users: [...first.users!, ...second.users!],
        contexts: [...first.contexts!, ...second.contexts!],
      };
      const path = kube.writeKubeconfig('two-contexts', merged);
      const prod = createKubeClient({ kubeconfig: path, context: 'prod' });
      expect(prod.context).toBe('prod');
      expect(prod.server).toBe(other.url);
      await prod.apply([deployment()]);
      expect(other.object(refOf(deployment()))).toBeDefined();
      expect(kube.standIn.object(refOf(deployment()))).toBeUndefined();
      expect(createKubeClient({ kubeconfig: path }).context).toBe('lab');
    } finally {
      await other.close();
    }
  });

  it('merges a KUBECONFIG path list as kubectl does: the first file to set a context or name wins', async () => {
    const lab = kube.standIn.kubeconfig({ context: 'lab' }) as Record<string, unknown[]>;
    // The first file only says which context and what it is; the credentials and server come from the second.
    const contexts = kube.writeKubeconfig('contexts', {
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'lab',
      contexts: lab.contexts,
    });
    const prod = 'https://prod.example.invalid:6443';
    const clusters = kube.writeKubeconfig('clusters', {
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'prod',
      clusters: [...lab.clusters!, { name: 'prod', cluster: { server: prod } }],
      users: [...lab.users!, { name: 'prod-user', user: { token: 'prod-token' } }],
      contexts: [
        // Shadowed by the first file's "lab".
        { name: 'lab', context: { cluster: 'prod', user: 'prod-user' } },
        { name: 'prod', context: { cluster: 'prod', user: 'prod-user' } },
      ],
    });
    const paths = [contexts, clusters].join(delimiter);
    const client = createKubeClient({ kubeconfig: paths });
    expect(client.context).toBe('lab');
    expect(client.server).toBe(kube.standIn.url);
    const report = await client.apply([deployment()]);
    expect(report.ok).toBe(true);
    expect(kube.standIn.object(refOf(deployment()))).toBeDefined();
    expect(createKubeClient({ kubeconfig: paths, context: 'prod' }).server).toBe(prod);
    // Empty entries are skipped, as kubectl does.
    expect(createKubeClient({ kubeconfig: `${delimiter}${paths}${delimiter}` }).context).toBe('lab');
    expect(() => createKubeClient({ kubeconfig: paths, context: 'staging' })).toThrow('(it has: lab, prod)');
  });

  it('refuses a path list with a file it cannot read, naming the list', () => {
    const paths = [kube.kubeconfig, '/nonexistent/kubeconfig'].join(delimiter);
    expect(() => createKubeClient({ kubeconfig: paths })).toThrow(KubeError);
    expect(() => createKubeClient({ kubeconfig: paths })).toThrow(
      `cannot read ${paths}: ENOENT: no such file or directory, open '/nonexistent/kubeconfig'`,
    );
  });

  it('refuses an unknown context, listing the ones there are', () => {
    expect(() => createKubeClient({ kubeconfig: kube.kubeconfig, context: 'staging' })).toThrow(
      'kube context "staging" is not in',
    );
    expect(() => createKubeClient({ kubeconfig: kube.kubeconfig, context: 'staging' })).toThrow(
      '(it has: stand-in)',
    );
  });

  it('refuses a kubeconfig it cannot read', () => {
    let thrown: unknown;
    try {
      createKubeClient({ kubeconfig: '/nonexistent/kubeconfig' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(KubeError);
    expect(thrown).toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('/nonexistent/kubeconfig'),
    });
  });
});
