/**
 * deploy/kustomize/compass, Compass's own install, rendered as `kubectl apply -k` would (no kustomize binary here:
 * a renderer of the three kustomization fields the base uses, refusing any other) and checked with the schema checks
 * the deploy path runs on every deployment, plus what the README promises of it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { validateManifests } from '../../src/deploy/validate.js';
import { packageRoot } from '../../src/paths.js';
import { manifestInput, rendered as renderedManifests } from './fixtures.js';

const BASE = join(packageRoot, 'deploy', 'kustomize', 'compass');
const SUPPORTED = ['apiVersion', 'kind', 'resources', 'labels', 'images'];

interface Kustomization {
  resources: string[];
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }[];
  images?: { name: string; newName?: string; newTag?: string }[];
}
// biome-ignore lint/suspicious/noExplicitAny: rendered objects are checked by the schemas below, not by types
type K8sObject = any;

/** kustomize's output for a base of resources, metadata labels and image overrides. */
function render(dir: string): K8sObject[] {
  const kustomization = yaml.load(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const unsupported = Object.keys(kustomization).filter((key) => !SUPPORTED.includes(key));
  if (unsupported.length > 0) throw new Error(`the test's renderer does not apply ${unsupported.join(', ')}`);
  const objects = kustomization.resources.flatMap((file) =>
    yaml.loadAll(readFileSync(join(dir, file), 'utf8')).filter(Boolean),
  ) as K8sObject[];
  for (const { pairs, includeSelectors, includeTemplates } of kustomization.labels ?? []) {
    if (includeSelectors || includeTemplates)
      throw new Error('selector and template labels are not rendered');
    for (const object of objects) object.metadata.labels = { ...object.metadata.labels, ...pairs };
  }
  for (const object of objects) {
    const pod = object.spec?.template?.spec;
    for (const container of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) {
      const image = kustomization.images?.find(({ name }) => container.image.split(/[:@]/)[0] === name);
      if (image) container.image = `${image.newName ?? image.name}${image.newTag ? `:${image.newTag}` : ''}`;
    }
  }
  return objects;
}

const objects = render(BASE);
const find = (kind: string, name: string) =>
  objects.find((object) => object.kind === kind && object.metadata.name === name);
const podSpecs = () =>
  objects
    .filter((object) => object.spec?.template?.spec)
    .map((object) => [object, object.spec.template.spec]);

describe('deploy/kustomize/compass', () => {
  it('renders bot, worker, migration job, settings and RBAC that pass the deploy path’s schema checks', () => {
    expect(objects.map((object) => `${object.kind}/${object.metadata.name}`).sort()).toEqual([
      'ConfigMap/compass-settings',
      'Deployment/compass-bot',
      'Deployment/compass-worker',
      'Job/compass-migrate',
      'Role/compass-deployer',
      'RoleBinding/compass-deployer',
      'Service/compass-bot',
      'Service/compass-worker',
      'ServiceAccount/compass',
      'ServiceMonitor/compass',
    ]);
    expect(validateManifests(objects)).toEqual([]);
    for (const object of objects) {
      expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).toMatch(/^compass/);
      expect(object.metadata.labels).toMatchObject({ 'app.kubernetes.io/part-of': 'compass' });
    }
  });

  it('grants exactly what Compass does to exactly the kinds it renders, in the deploy namespace only', () => {
    // Every kind a deployment renders: one replica (with its weight claim) and several (claims per pod).
    const kinds = new Map<string, { group: string; resource: string }>();
    for (const users of [100, 20_000]) {
      for (const object of renderedManifests(manifestInput({ gpuTypes: ['H100'], users }))) {
        const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0]! : '';
        kinds.set(object.kind, { group, resource: `${object.kind.toLowerCase()}s` });
      }
    }
    const rendered = [...kinds.values()];
    const role = find('Role', 'compass-deployer');
    expect(role.metadata.namespace).toBe(find('ConfigMap', 'compass-settings').data.DEPLOY_NAMESPACES);
    const expected = [
      ...rendered.map(({ group, resource }) => ({
        apiGroups: [group],
        resources: [resource],
        // Server-side apply is a patch, authorized as create too when the object is new.
        verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
      })),
      // Readiness reads the predictor's Deployment, never writes it.
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch'] },
      // Benchmark: its Job is created, read and deleted; its pods listed and their logs read.
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'create', 'delete'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    ];
    expect(role.rules).toHaveLength(expected.length);
    expect(role.rules).toEqual(expect.arrayContaining(expected));
    expect(objects.filter((object) => /ClusterRole/.test(object.kind))).toEqual([]);
    expect(find('RoleBinding', 'compass-deployer')).toMatchObject({
      roleRef: { kind: 'Role', name: 'compass-deployer' },
      subjects: [{ kind: 'ServiceAccount', name: 'compass', namespace: 'compass-system' }],
    });
  });

  it('runs every container as non-root with resource requests and the settings and Secret the README names', () => {
    for (const [object, pod] of podSpecs()) {
      expect(pod.securityContext, object.metadata.name).toMatchObject({ runAsNonRoot: true });
      for (const container of pod.containers) {
        expect(container.image).toBe('compass:latest');
        expect(container.resources.requests, container.name).toMatchObject({
          cpu: expect.any(String),
          memory: expect.any(String),
        });
        expect(container.envFrom).toEqual([
          { configMapRef: { name: 'compass-settings' } },
          { secretRef: { name: 'compass' } },
        ]);
      }
    }
    const migrate = find('Job', 'compass-migrate').spec.template.spec.containers[0];
    expect(migrate.args).toEqual(['db', 'seed']);
  });

  it('probes the bot on /healthz, which it serves on PORT in HTTP and Socket Mode alike', () => {
    const [bot] = find('Deployment', 'compass-bot').spec.template.spec.containers;
    const port = Number(find('ConfigMap', 'compass-settings').data.PORT);
    expect(bot.ports).toEqual([{ name: 'http', containerPort: port }]);
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'])
      expect(bot[probe].httpGet, probe).toEqual({ path: '/healthz', port: 'http' });
    // The worker's SIGTERM deadline (25 s) fits in its pod's grace period.
    expect(
      find('Deployment', 'compass-worker').spec.template.spec.terminationGracePeriodSeconds,
    ).toBeGreaterThan(25);
  });

  it('scrapes Compass’s own /metrics: the bot on PORT, the worker on METRICS_PORT', () => {
    const monitor = find('ServiceMonitor', 'compass');
    expect(monitor.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
    const scraped = objects.filter(
      (object) =>
        object.kind === 'Service' &&
        Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => object.metadata.labels[k] === v),
    );
    const settings = find('ConfigMap', 'compass-settings').data;
    const containerPort = (deployment: string, name: string) =>
      find('Deployment', deployment).spec.template.spec.containers[0].ports.find(
        (port: { name: string }) => port.name === name,
      ).containerPort;
    const targets = scraped.map((service) => {
      const { targetPort } = service.spec.ports.find((port: { name: string }) => port.name === 'metrics');
      return [service.metadata.name, containerPort(service.metadata.name, targetPort)];
    });
    expect(targets).toEqual([
      ['compass-bot', Number(settings.PORT)],
      ['compass-worker', Number(settings.METRICS_PORT)],
    ]);
  });

  it('refuses a kustomization field the renderer would silently ignore', () => {
    expect(() => render(join(packageRoot, 'test', 'fixtures', 'kustomize-namespace'))).toThrow(
      "the test's renderer does not apply namespace",
    );
  });
});
