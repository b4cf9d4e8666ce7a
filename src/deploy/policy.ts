/**
 * Policy checks of rendered objects before anything reaches a cluster: where they may go, what they may run and
 * how much they may take. Every violation is listed, each saying which object and field, why, and what to change.
 */

import { deployBaseName } from '../approval/names.js';
import type { Config } from '../config/index.js';
import { fieldPath } from '../field-path.js';
import type { KubeObject } from '../kube/objects.js';
import type { PlanPolicy } from '../planner/index.js';
import { componentDeploymentName, MAX_SERVICE_NAME } from './names.js';
import { objectRef } from './objects.js';
import type { Finding, ManifestProblem } from './problems.js';
import { DEFAULT_GPU_PLACEMENT, DNS_1123_LABEL, gpuPlacement } from './settings.js';

export interface DeployPolicy {
  /** Namespaces deployments may go to. */
  namespaces: readonly string[];
  /** Prefixes an image must start with. */
  imageAllowlist: readonly string[];
  /** Most GPUs one deployment may hold at its largest scale. */
  gpuQuota: number;
}

export function deployPolicy(config: Pick<Config, 'deploy' | 'manifests'>): DeployPolicy {
  return {
    namespaces: config.deploy.namespaces,
    imageAllowlist: config.manifests.imageAllowlist,
    gpuQuota: config.manifests.gpuQuota,
  };
}

/**
 * The policy as a planning input: the GPU quota, and the GPU types a pod can be placed for (the default placements and
 * DEPLOY_GPU_NODE_LABELS). The simulator holds no GPUs, so under DEPLOY_SIMULATOR neither limits a plan.
 */
export function planPolicy(config: Pick<Config, 'manifests'>): PlanPolicy {
  const settings = config.manifests;
  if (settings.simulator) return { gpuQuota: null, placeableGpus: null };
  const known = new Set([...Object.keys(DEFAULT_GPU_PLACEMENT), ...Object.keys(settings.gpuNodeLabels)]);
  return {
    gpuQuota: settings.gpuQuota,
    placeableGpus: [...known].filter((gpuId) => gpuPlacement(gpuId, settings) !== undefined),
  };
}

type Fields = Record<string, unknown>;
type Path = (string | number)[];

const fields = (value: unknown): Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : {};
const items = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const count = (value: unknown): number => (typeof value === 'number' ? value : Number(value ?? 0) || 0);
const list = (values: readonly string[]) =>
  values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values.at(-1)}` : (values[0] ?? '');

/** A pod template of an object, with the Deployment that runs it and the replicas it declares. */
interface Workload {
  path: Path;
  pod: Fields;
  /** Name of the Deployment (or the object itself) an autoscaler would target. */
  scaleTarget: string;
  replicas: number;
  /** The apps/v1 DeploymentStrategy its updates follow (undefined: Kubernetes' rolling default). */
  strategy: unknown;
}

const KSERVE_COMPONENTS = ['predictor', 'transformer', 'explainer'] as const;
/** KServe's webhook rule for InferenceService names (IsvcNameFmt, pkg/apis/serving/v1beta1/inference_service_validation.go). */
const KSERVE_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

function workloadsOf(object: KubeObject): Workload[] {
  const spec = fields(object.spec);
  if (object.kind === 'InferenceService') {
    return KSERVE_COMPONENTS.filter((component) => component in spec).map((component) => {
      const pod = fields(spec[component]);
      return {
        path: ['spec', component],
        pod,
        scaleTarget: componentDeploymentName(object.metadata.name, component),
        replicas: Math.max(count(pod.minReplicas), count(pod.maxReplicas), 1),
        strategy: pod.deploymentStrategy,
      };
    });
  }
  if (object.kind === 'Pod')
    return [
      {
        path: ['spec'],
        pod: spec,
        scaleTarget: object.metadata.name,
        replicas: 1,
        strategy: { type: 'Recreate' },
      },
    ];
  const template = fields(fields(spec.template).spec);
  if (Object.keys(template).length === 0) return [];
  return [
    {
      path: ['spec', 'template', 'spec'],
      pod: template,
      scaleTarget: object.metadata.name,
      replicas: Math.max(count(spec.replicas), 1),
      strategy: spec.strategy,
    },
  ];
}

/**
 * Pods an update may run beyond the replica count: none with Recreate, else the rolling update's maxSurge (a count,
 * or a share of the replicas rounded up; Kubernetes' default 25%). Each of them holds a replica's GPUs.
 */
export function surgePods(strategy: unknown, replicas: number): number {
  const { type, rollingUpdate } = fields(strategy);
  if (type === 'Recreate') return 0;
  const surge = fields(rollingUpdate).maxSurge ?? '25%';
  if (typeof surge === 'string' && surge.endsWith('%'))
    return Math.ceil((replicas * Number.parseFloat(surge)) / 100);
  return count(surge);
}

/** Most replicas of a workload: what it declares, or what a ScaledObject targeting it allows (KEDA's default 100). */
function maxReplicas(workload: Workload, object: KubeObject, objects: readonly KubeObject[]): number {
  const scaler = objects.find(
    (other) =>
      other.kind === 'ScaledObject' &&
      other.metadata.namespace === object.metadata.namespace &&
      fields(fields(other.spec).scaleTargetRef).name === workload.scaleTarget,
  );
  if (!scaler) return workload.replicas;
  const max = fields(scaler.spec).maxReplicaCount;
  return Math.max(workload.replicas, max === undefined ? 100 : count(max));
}

const isGpuResource = (resource: string) => resource.endsWith('/gpu');

function containerProblems(container: Fields, path: Path, policy: DeployPolicy): Finding[] {
  const problems: Finding[] = [];
  const at = (...parts: Path) => fieldPath([...path, ...parts]);
  const name = typeof container.name === 'string' ? container.name : '';
  if (!DNS_1123_LABEL.test(name)) {
    problems.push({
      field: at('name'),
      problem: `${JSON.stringify(name)} is not a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters)`,
      fix: `name it ${JSON.stringify(deployBaseName(name || 'server'))}`,
    });
  }
  const image = typeof container.image === 'string' ? container.image : '';
  if (!policy.imageAllowlist.some((prefix) => image.startsWith(prefix))) {
    problems.push({
      field: at('image'),
      problem: image ? `${JSON.stringify(image)} is not an allowed image` : 'is missing',
      fix: `use an image starting with ${list(policy.imageAllowlist)}, or add its repository to DEPLOY_IMAGE_ALLOWLIST`,
    });
  }
  if (fields(container.securityContext).privileged === true) {
    problems.push({
      field: at('securityContext', 'privileged'),
      problem: 'is true: a privileged container has full access to its node',
      fix: 'remove it (vLLM and the simulator need no privileges)',
    });
  }
  const resources = fields(container.resources);
  const requests = fields(resources.requests);
  const limits = fields(resources.limits);
  for (const [kind, values, why] of [
    ['requests', requests, 'the scheduler reserves only what a container requests'],
    ['limits', limits, 'without limits one container can starve every other on its node'],
  ] as const) {
    for (const resource of ['cpu', 'memory']) {
      if (values[resource] === undefined) {
        problems.push({
          field: at('resources', kind, resource),
          problem: `is not set: ${why}`,
          fix: `set resources.${kind}.${resource}`,
        });
      }
    }
  }
  for (const resource of new Set([...Object.keys(requests), ...Object.keys(limits)].filter(isGpuResource))) {
    if (String(requests[resource]) !== String(limits[resource])) {
      problems.push({
        field: at('resources', 'limits', resource),
        problem: `(${String(limits[resource])}) differs from its request (${String(requests[resource])}): Kubernetes does not overcommit GPUs`,
        fix: 'request and limit the same number of GPUs',
      });
    }
  }
  return problems;
}

/** GPUs one container asks for, whatever the vendor's resource name. */
const gpusOf = (container: unknown) => {
  const resources = fields(fields(container).resources);
  const limits = fields(resources.limits);
  const requests = fields(resources.requests);
  return [...new Set([...Object.keys(limits), ...Object.keys(requests)])]
    .filter(isGpuResource)
    .reduce((sum, resource) => sum + count(limits[resource] ?? requests[resource]), 0);
};

function workloadProblems(
  object: KubeObject,
  workload: Workload,
  objects: readonly KubeObject[],
  policy: DeployPolicy,
): Finding[] {
  const { pod, path } = workload;
  const at = (...parts: Path) => fieldPath([...path, ...parts]);
  const problems: Finding[] = [];
  const hostNamespaces = {
    hostNetwork: "shares the node's network",
    hostPID: 'sees every process of the node',
    hostIPC: "shares the node's inter-process communication",
  };
  for (const [field, why] of Object.entries(hostNamespaces)) {
    if (pod[field] === true)
      problems.push({ field: at(field), problem: `is true: the pod ${why}`, fix: `remove ${field}` });
  }
  for (const [index, volume] of items(pod.volumes).entries()) {
    if (fields(volume).hostPath !== undefined) {
      problems.push({
        field: at('volumes', index, 'hostPath'),
        problem: 'mounts a directory of the node into the pod',
        fix: 'use an emptyDir or a PersistentVolumeClaim instead',
      });
    }
  }
  for (const group of ['initContainers', 'containers']) {
    for (const [index, container] of items(pod[group]).entries())
      problems.push(...containerProblems(fields(container), [...path, group, index], policy));
  }
  // A KServe multi-node replica also runs pipelineParallelSize − 1 worker pods, each with its own GPUs.
  const workers = fields(pod.workerSpec);
  for (const [index, container] of items(workers.containers).entries())
    problems.push(
      ...containerProblems(fields(container), [...path, 'workerSpec', 'containers', index], policy),
    );
  const workerPods = Math.max(count(workers.pipelineParallelSize) - 1, 0);
  const podGpus = (containers: unknown) =>
    items(containers).reduce<number>((sum, container) => sum + gpusOf(container), 0);
  const perReplica = podGpus(pod.containers) + workerPods * podGpus(workers.containers);
  const replicas = maxReplicas(workload, object, objects);
  const surge = perReplica > 0 ? surgePods(workload.strategy, replicas) : 0;
  const pods = replicas + surge;
  if (perReplica * pods > policy.gpuQuota) {
    const fits = Math.floor(policy.gpuQuota / perReplica);
    const during = surge > 0 ? ` + ${surge} more during a rolling update` : '';
    problems.push({
      field: at('containers'),
      problem: `would hold up to ${perReplica * pods} GPUs (${perReplica} per replica × ${replicas} replicas${during}), more than the quota of ${policy.gpuQuota}`,
      fix:
        surge > 0
          ? `roll out with deploymentStrategy Recreate (or maxSurge 0), allow fewer replicas, or raise DEPLOY_GPU_QUOTA`
          : fits > 0
            ? `allow at most ${fits} replicas, choose an option with fewer GPUs, or raise DEPLOY_GPU_QUOTA`
            : `choose an option with at most ${policy.gpuQuota} GPUs per replica, or raise DEPLOY_GPU_QUOTA`,
    });
  }
  return problems;
}

function metadataProblems(object: KubeObject, policy: DeployPolicy): Finding[] {
  const problems: Finding[] = [];
  const { name, namespace } = object.metadata;
  if (namespace === undefined || !policy.namespaces.includes(namespace)) {
    problems.push({
      field: 'metadata.namespace',
      problem:
        namespace === undefined
          ? 'is not set'
          : `${JSON.stringify(namespace)} is not a namespace deployments may use`,
      fix: `deploy to ${list(policy.namespaces)}, or add the namespace to DEPLOY_NAMESPACES`,
    });
  }
  if (!DNS_1123_LABEL.test(name)) {
    problems.push({
      field: 'metadata.name',
      problem: `${JSON.stringify(name)} is not a DNS-1123 label (lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters)`,
      fix: `name it ${JSON.stringify(deployBaseName(name))}`,
    });
  } else if (object.kind === 'InferenceService' && !KSERVE_NAME.test(name)) {
    problems.push({
      field: 'metadata.name',
      problem: `${JSON.stringify(name)} does not start with a letter: KServe's webhook refuses InferenceService names outside ${KSERVE_NAME.source}`,
      fix: `name it ${JSON.stringify(deployBaseName(name))}`,
    });
  } else if (object.kind === 'InferenceService' && name.length > MAX_SERVICE_NAME) {
    problems.push({
      field: 'metadata.name',
      problem: `is ${name.length} characters long: the names KServe derives from it ("${name}-predictor") would pass 63`,
      fix: `name it with at most ${MAX_SERVICE_NAME} characters, e.g. ${JSON.stringify(deployBaseName(name))}`,
    });
  }
  return problems;
}

/** Every policy violation of the objects; empty when all of them may be applied. */
export function checkPolicy(objects: readonly KubeObject[], policy: DeployPolicy): ManifestProblem[] {
  return objects.flatMap((object) =>
    [
      ...metadataProblems(object, policy),
      ...workloadsOf(object).flatMap((workload) => workloadProblems(object, workload, objects, policy)),
    ].map((problem) => ({ check: 'policy' as const, object: objectRef(object), ...problem })),
  );
}
