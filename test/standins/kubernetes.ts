import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import type { KubeStatus, KubeStatusCause, ObjectRef } from '../../src/kube/index.js';
import type { RunningServer } from './http.js';
import { listen, readBody } from './http.js';
import {
  containersOf,
  finishedPodStatus,
  type JobProgress,
  jobPod,
  jobStatus,
  labelMatcher,
  type PodRunner,
  runningPodStatus,
} from './kubernetes-jobs.js';

export type { PodRunner };

type Json = Record<string, unknown>;

/** Kubernetes verbs as the stand-in files requests under (for the log and for matching faults). */
export type KubeVerb = 'discovery' | 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** One request as the API server received it. */
export interface KubeRequest {
  method: string;
  verb: KubeVerb;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  fieldManager: string | undefined;
  dryRun: boolean;
  /** The HTTP status answered; 0 when the connection was dropped instead. */
  status: number;
}

/** What an injected failure does to a request. */
export type KubeFault =
  | {
      kind: 'status';
      code: number;
      reason?: string;
      message?: string;
      causes?: KubeStatusCause[];
      retryAfterSeconds?: number;
    }
  /** Answers normally, after `delayMs`. */
  | { kind: 'slow'; delayMs: number }
  /** Destroys the socket without answering. */
  | { kind: 'drop' };

/** Which requests a fault hits: the next `times` (default 1) with this verb and a path containing `path`. */
export interface FaultMatch {
  verb?: KubeVerb;
  path?: string | RegExp;
  times?: number;
}

/**
 * How the pretend KServe controller treats an InferenceService after each spec change. As KServe in RawDeployment
 * mode it runs the predictor as a Deployment (`<name>-predictor`) and copies that Deployment's state into the
 * service's status: its observedGeneration, and Ready while the Deployment is Available — which old pods keep
 * during a rolling update.
 */
export type ReadinessPlan =
  /** The new pods become ready after `afterMs` (if the GPU pool has room for them); `url` as status.url. */
  | { kind: 'ready'; afterMs: number; url?: string }
  /** The new pods crash-loop: never ready; the rollout exceeds its progress deadline. */
  | { kind: 'crashloop'; url?: string }
  | { kind: 'never' }
  /** Ready=False with this reason after `afterMs`; `terminal` also marks the model BlockedByFailedLoad. */
  | { kind: 'failed'; afterMs?: number; reason: string; message: string; terminal?: boolean };

export interface KubernetesStandIn extends RunningServer {
  /** The bearer token every request must carry. */
  token: string;
  /** Every request, in arrival order. */
  requests: KubeRequest[];
  /** A kubeconfig (as an object; write it as JSON, which is YAML) with one context pointing here. */
  kubeconfig(options?: { context?: string; token?: string; namespace?: string }): Json;
  createNamespace(name: string): void;
  /** Queues a failure for the next matching requests. */
  inject(fault: KubeFault, match?: FaultMatch): void;
  /** How InferenceServices become ready: all of them, or the one named. */
  setReadiness(plan: ReadinessPlan, name?: string): void;
  /** GPUs the cluster's pool holds (all GPU resources together): pods that do not fit stay Pending. */
  setGpuPool(gpus: number | undefined): void;
  /** The stored object as a client would read it, or undefined. */
  object(ref: ObjectRef): Json | undefined;
  /** Destroys every open watch connection (as a load balancer or API server restart would). */
  dropWatches(): void;
  requestsOf(verb: KubeVerb, pathPart?: string): KubeRequest[];
  /** What a Job's pods run (the test's stand-in for their image); unset, new pods stay Pending. */
  setPodRunner(runner: PodRunner | undefined): void;
  /** Every stored object of a kind in a namespace (Jobs and pods left behind, say). */
  objectsOf(kind: string, namespace: string): Json[];
}

interface ResourceType {
  groupVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** Whether discovery lists a status subresource. */
  status?: boolean;
}

const RESOURCE_TYPES: ResourceType[] = [
  { groupVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, status: true },
  { groupVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true, status: true },
  { groupVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  {
    groupVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    plural: 'persistentvolumeclaims',
    namespaced: true,
    status: true,
  },
  { groupVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  { groupVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
  { groupVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, status: true },
  { groupVersion: 'batch/v1', kind: 'Job', plural: 'jobs', namespaced: true, status: true },
  { groupVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true, status: true },
  {
    groupVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    namespaced: true,
    status: true,
  },
  {
    groupVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    plural: 'inferenceservices',
    namespaced: true,
    status: true,
  },
  {
    groupVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    plural: 'servicemonitors',
    namespaced: true,
  },
  { groupVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', plural: 'podmonitors', namespaced: true },
  {
    groupVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    plural: 'scaledobjects',
    namespaced: true,
    status: true,
  },
];
const NAMESPACE_TYPE = RESOURCE_TYPES[0]!;
const DEPLOYMENT_TYPE = RESOURCE_TYPES.find((type) => type.kind === 'Deployment')!;
const POD_TYPE = RESOURCE_TYPES.find((type) => type.kind === 'Pod')!;
const JOB_TYPE = RESOURCE_TYPES.find((type) => type.kind === 'Job')!;
const GROUP_VERSIONS = [...new Set(RESOURCE_TYPES.map((type) => type.groupVersion))];
const groupOf = (groupVersion: string) => (groupVersion.includes('/') ? groupVersion.split('/')[0]! : '');

/** "inferenceservices.serving.kserve.io", as API messages name a resource. */
const resourceName = (type: ResourceType) =>
  groupOf(type.groupVersion) ? `${type.plural}.${groupOf(type.groupVersion)}` : type.plural;

function apiResourceList(groupVersion: string): Json {
  const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: RESOURCE_TYPES.filter((type) => type.groupVersion === groupVersion).flatMap((type) => [
      {
        name: type.plural,
        singularName: type.kind.toLowerCase(),
        namespaced: type.namespaced,
        kind: type.kind,
        verbs,
      },
      ...(type.status
        ? [
            {
              name: `${type.plural}/status`,
              singularName: '',
              namespaced: type.namespaced,
              kind: type.kind,
              verbs,
            },
          ]
        : []),
    ]),
  };
}

function apiGroup(group: string): Json {
  const versions = GROUP_VERSIONS.filter((groupVersion) => groupOf(groupVersion) === group).map(
    (groupVersion) => ({ groupVersion, version: groupVersion.split('/')[1]! }),
  );
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions, preferredVersion: versions[0] };
}

function statusBody(
  code: number,
  reason: string,
  message: string,
  details?: KubeStatus['details'],
): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    message,
    reason,
    code,
    ...(details ? { details } : {}),
  };
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

class Failure extends Error {
  constructor(readonly status: KubeStatus) {
    super(status.message);
  }
}
const fail = (code: number, message: string, details?: KubeStatus['details'], reason?: string) =>
  new Failure(statusBody(code, reason ?? REASONS[code] ?? 'Unknown', message, details));

/** Timestamps as the API server writes them: RFC 3339, whole seconds. */
const timestamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
const clone = <T>(value: T): T => structuredClone(value);

// ---- field management (server-side apply), at the level of leaf field paths; lists are atomic ----

type FieldPath = string[];
const pathKey = (path: FieldPath) => JSON.stringify(path);
const keyPath = (key: string) => JSON.parse(key) as FieldPath;

interface FieldOwner {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fields: Set<string>;
}

/** The part of an object users set: everything but identity, server metadata and status; labels and annotations. */
function userContent(object: Json): Json {
  const { apiVersion: _a, kind: _k, metadata, status: _s, ...rest } = object;
  const meta = isPlainObject(metadata) ? metadata : {};
  const picked: Json = {};
  for (const key of ['labels', 'annotations']) if (meta[key] !== undefined) picked[key] = meta[key];
  return Object.keys(picked).length ? { ...rest, metadata: picked } : rest;
}

/** The part whose change bumps metadata.generation. */
function specContent(object: Json): Json {
  const { apiVersion: _a, kind: _k, metadata: _m, status: _s, ...rest } = object;
  return rest;
}

function leafPaths(value: unknown, prefix: FieldPath = []): FieldPath[] {
  if (isPlainObject(value) && Object.keys(value).length)
    return Object.entries(value).flatMap(([key, child]) => leafPaths(child, [...prefix, key]));
  return prefix.length ? [prefix] : [];
}
const fieldsOf = (object: Json) => new Set(leafPaths(userContent(object)).map(pathKey));

function valueAt(object: unknown, path: FieldPath): unknown {
  let node = object;
  for (const key of path) node = isPlainObject(node) ? node[key] : undefined;
  return node;
}

/** Removes the field at `path` and any parent it leaves empty. */
function removeAt(object: Json, path: FieldPath): void {
  const [key, ...rest] = path;
  if (key === undefined || !isPlainObject(object[key]) || !rest.length) {
    if (key !== undefined) delete object[key];
    return;
  }
  const child = object[key] as Json;
  removeAt(child, rest);
  if (!Object.keys(child).length) delete object[key];
}

/** JSON merge patch (RFC 7386): objects merge, everything else replaces, null deletes. */
function mergeInto(target: Json, patch: Json): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete target[key];
    else if (isPlainObject(value) && isPlainObject(target[key])) mergeInto(target[key] as Json, value);
    else target[key] = clone(value);
  }
}

function fieldsV1(fields: Set<string>): Json {
  const root: Json = {};
  for (const key of fields) {
    let node = root;
    for (const part of keyPath(key)) {
      const name = `f:${part}`;
      node[name] ??= {};
      node = node[name] as Json;
    }
  }
  return root;
}

interface Stored {
  type: ResourceType;
  object: Json;
  owners: FieldOwner[];
}

const ownersEqual = (a: FieldOwner[], b: FieldOwner[]) =>
  a.length === b.length &&
  a.every(
    (owner, index) =>
      owner.manager === b[index]!.manager &&
      owner.operation === b[index]!.operation &&
      isDeepStrictEqual(owner.fields, b[index]!.fields),
  );

/** Server-side apply of `config` by `manager`: the object and owners that result, or the fields in conflict. */
function serverSideApply(
  live: Json,
  owners: FieldOwner[],
  config: Json,
  manager: string,
  force: boolean,
  now: string,
): { object: Json; owners: FieldOwner[] } | { conflicts: { manager: string; field: string }[] } {
  const applied = fieldsOf(config);
  const conflicts = owners
    .filter((owner) => owner.manager !== manager)
    .flatMap((owner) =>
      [...owner.fields]
        .filter(
          (field) =>
            applied.has(field) &&
            !isDeepStrictEqual(valueAt(live, keyPath(field)), valueAt(config, keyPath(field))),
        )
        .map((field) => ({ manager: owner.manager, field })),
    );
  if (conflicts.length && !force) return { conflicts };
  const object = clone(live);
  const previous = owners.find((owner) => owner.manager === manager && owner.operation === 'Apply');
  // Fields this manager applied before and now leaves out are removed, unless someone else also owns them.
  for (const field of previous?.fields ?? [])
    if (!applied.has(field) && !owners.some((owner) => owner !== previous && owner.fields.has(field)))
      removeAt(object, keyPath(field));
  mergeInto(object, userContent(config));
  const next = owners
    .filter((owner) => owner !== previous)
    .map((owner) => ({
      ...owner,
      fields: new Set(
        [...owner.fields].filter(
          (field) =>
            !conflicts.some((conflict) => conflict.manager === owner.manager && conflict.field === field),
        ),
      ),
    }));
  const changed =
    !previous || !isDeepStrictEqual(previous.fields, applied) || !isDeepStrictEqual(object, live);
  next.push({
    manager,
    operation: 'Apply',
    apiVersion: String(config.apiVersion),
    time: changed ? now : previous.time,
    fields: applied,
  });
  return { object, owners: next.filter((owner) => owner.fields.size) };
}

/** An update (create or merge patch) by `manager`: it takes every field whose value it changed from the others. */
function takeChangedFields(
  live: Json | undefined,
  object: Json,
  owners: FieldOwner[],
  manager: string,
  now: string,
): FieldOwner[] {
  const changed = [...fieldsOf(object)].filter(
    (field) => !live || !isDeepStrictEqual(valueAt(live, keyPath(field)), valueAt(object, keyPath(field))),
  );
  if (!changed.length) return owners;
  const present = fieldsOf(object);
  const others = owners
    .filter((owner) => !(owner.manager === manager && owner.operation === 'Update'))
    .map((owner) => ({
      ...owner,
      fields: new Set([...owner.fields].filter((field) => present.has(field) && !changed.includes(field))),
    }));
  const mine = owners.find((owner) => owner.manager === manager && owner.operation === 'Update');
  const fields = new Set([...(mine?.fields ?? []), ...changed].filter((field) => present.has(field)));
  return [
    ...others,
    { manager, operation: 'Update' as const, apiVersion: String(object.apiVersion), time: now, fields },
  ].filter((owner) => owner.fields.size);
}

// ---- the pretend KServe controller's status ----

function condition(
  type: string,
  status: 'True' | 'False' | 'Unknown',
  reason?: string,
  message?: string,
): Json {
  return {
    type,
    status,
    lastTransitionTime: new Date().toISOString(),
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
}

/** Where a predictor Deployment's rollout of its current pod template stands. */
interface Rollout {
  desired: number;
  /** The Deployment's apps/v1 strategy. */
  strategy: Json;
  /** Pods of the previous template that were serving when this rollout began. */
  oldPods: number;
  gpusPerPod: number;
  phase: 'progressing' | 'complete' | 'stalled';
}

/** maxSurge / maxUnavailable of `replicas`: a count, or a share rounded up (surge) or down (unavailable). */
function rollingBound(value: unknown, replicas: number, round: (n: number) => number): number {
  if (typeof value === 'string' && value.endsWith('%'))
    return round((replicas * Number.parseFloat(value)) / 100);
  return Number(value ?? 0);
}

/** The Deployment controller's pod counts for a rollout: Recreate stops the old pods first, rolling keeps them. */
function rolloutCounts(rollout: Rollout) {
  const { desired, strategy, oldPods, phase } = rollout;
  if (phase === 'complete')
    return { replicas: desired, updated: desired, available: desired, maxUnavailable: 0 };
  if (strategy.type === 'Recreate' || oldPods === 0)
    return { replicas: desired, updated: desired, available: 0, maxUnavailable: 0 };
  const rolling = isPlainObject(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
  const surge = rollingBound(rolling.maxSurge ?? '25%', desired, Math.ceil);
  const unavailable = rollingBound(rolling.maxUnavailable ?? '25%', desired, Math.floor);
  const updated = Math.min(desired, surge > 0 ? surge : Math.max(unavailable, 1));
  const old = surge > 0 ? oldPods : Math.max(0, oldPods - updated);
  return { replicas: old + updated, updated, available: old, maxUnavailable: unavailable };
}

/** The Deployment is Available while enough pods are (apps/v1: at least replicas − maxUnavailable). */
function rolloutAvailable(rollout: Rollout): boolean {
  const counts = rolloutCounts(rollout);
  return counts.available > 0 && counts.available >= rollout.desired - counts.maxUnavailable;
}

function deploymentStatus(generation: number, rollout: Rollout, name: string): Json {
  const counts = rolloutCounts(rollout);
  const available = rolloutAvailable(rollout);
  const progressing =
    rollout.phase === 'complete'
      ? condition(
          'Progressing',
          'True',
          'NewReplicaSetAvailable',
          `ReplicaSet "${name}" has successfully progressed.`,
        )
      : rollout.phase === 'stalled'
        ? condition(
            'Progressing',
            'False',
            'ProgressDeadlineExceeded',
            `ReplicaSet "${name}" has timed out progressing.`,
          )
        : condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${name}" is progressing.`);
  return {
    observedGeneration: generation,
    replicas: counts.replicas,
    updatedReplicas: counts.updated,
    readyReplicas: counts.available,
    availableReplicas: counts.available,
    ...(counts.replicas > counts.available
      ? { unavailableReplicas: counts.replicas - counts.available }
      : {}),
    conditions: [
      available
        ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
        : condition(
            'Available',
            'False',
            'MinimumReplicasUnavailable',
            'Deployment does not have minimum availability.',
          ),
      progressing,
    ],
  };
}

/**
 * The InferenceService's status as KServe derives it in raw mode: the Deployment's observedGeneration, Ready from
 * its Available condition unless the rollout exceeded its deadline; `plan` overrides for the never/failed plans.
 */
function inferenceServiceStatus(
  object: Json,
  plan: ReadinessPlan | 'reconciling',
  deployment: { generation: number; rollout: Rollout; name: string },
): Json {
  const metadata = object.metadata as { name: string; namespace: string };
  const base = { observedGeneration: deployment.generation };
  if (plan === 'reconciling' || plan.kind === 'never')
    return {
      ...base,
      conditions: ['IngressReady', 'PredictorReady', 'Ready'].map((type) => condition(type, 'Unknown')),
      modelStatus: { transitionStatus: 'InProgress' },
    };
  if (plan.kind === 'failed')
    return {
      ...base,
      conditions: [
        condition('IngressReady', 'Unknown'),
        condition('PredictorReady', 'False', plan.reason, plan.message),
        condition('Ready', 'False', plan.reason, plan.message),
      ],
      modelStatus: plan.terminal
        ? {
            transitionStatus: 'BlockedByFailedLoad',
            lastFailureInfo: { reason: plan.reason, message: plan.message },
          }
        : { transitionStatus: 'InProgress' },
    };
  const { rollout } = deployment;
  if (rollout.phase === 'stalled' || !rolloutAvailable(rollout)) {
    const stalled = rollout.phase === 'stalled';
    const reason = stalled ? 'ProgressDeadlineExceeded' : 'MinimumReplicasUnavailable';
    const message = stalled
      ? `ReplicaSet "${deployment.name}" has timed out progressing.`
      : 'Deployment does not have minimum availability.';
    return {
      ...base,
      conditions: [
        condition('IngressReady', 'Unknown'),
        condition('PredictorReady', 'False', reason, message),
        condition('Ready', 'False', reason, message),
      ],
      modelStatus: { transitionStatus: 'InProgress' },
    };
  }
  return {
    ...base,
    url: plan.url ?? `http://${metadata.name}.${metadata.namespace}.example.com`,
    address: { url: `http://${metadata.name}-predictor.${metadata.namespace}.svc.cluster.local` },
    conditions: ['IngressReady', 'PredictorReady', 'Ready'].map((type) => condition(type, 'True')),
    modelStatus: { transitionStatus: rollout.phase === 'complete' ? 'UpToDate' : 'InProgress' },
  };
}

/** The Deployment KServe makes for a predictor in raw mode: its pod template, replicas and strategy. */
function predictorDeployment(service: Json): Json {
  const metadata = service.metadata as { name: string; namespace: string };
  const spec = isPlainObject(service.spec) ? service.spec : {};
  const predictor = isPlainObject(spec.predictor) ? spec.predictor : {};
  const { minReplicas, maxReplicas: _max, labels, annotations, deploymentStrategy, ...pod } = predictor;
  const app = `isvc.${metadata.name}-predictor`;
  return JSON.parse(
    JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `${metadata.name}-predictor`, namespace: metadata.namespace, labels },
      spec: {
        replicas: Math.max(Number(minReplicas ?? 1), 1),
        selector: { matchLabels: { app } },
        // Kubernetes' default when KServe is given none.
        strategy: deploymentStrategy ?? {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
        },
        template: { metadata: { labels: { ...(labels as Json | undefined), app }, annotations }, spec: pod },
      },
    }),
  ) as Json;
}

/** GPUs one pod of a pod spec asks for, whatever the vendor. */
function gpusPerPod(podSpec: unknown): number {
  const containers = isPlainObject(podSpec) && Array.isArray(podSpec.containers) ? podSpec.containers : [];
  return containers.reduce<number>((sum, container) => {
    const resources =
      isPlainObject(container) && isPlainObject(container.resources) ? container.resources : {};
    const limits = isPlainObject(resources.limits) ? resources.limits : {};
    return (
      sum +
      Object.entries(limits)
        .filter(([resource]) => resource.endsWith('/gpu'))
        .reduce((total, [, value]) => total + Number(value), 0)
    );
  }, 0);
}

// ---- request parsing ----

interface Target {
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

/** Resolves /api/v1/... and /apis/<group>/<version>/... to a resource type, namespace, name and subresource. */
function parseTarget(segments: string[]): Target | undefined {
  const core = segments[0] === 'api';
  const groupVersion = core ? segments[1] : `${segments[1]}/${segments[2]}`;
  const rest = segments.slice(core ? 2 : 3);
  const find = (plural: string | undefined) =>
    RESOURCE_TYPES.find((type) => type.groupVersion === groupVersion && type.plural === plural);
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const type = find(rest[2]);
    if (type?.namespaced) return { type, namespace: rest[1], name: rest[3], subresource: rest[4] };
  }
  const type = find(rest[0]);
  return type ? { type, namespace: undefined, name: rest[1], subresource: rest[2] } : undefined;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The checks a real API server makes that Compass's manifests could fail. */
function validate(body: unknown, target: Target, name: string | undefined): Json {
  if (!isPlainObject(body)) throw fail(400, 'the body must be a JSON object');
  const { type } = target;
  if (body.apiVersion !== type.groupVersion || body.kind !== type.kind)
    throw fail(
      400,
      `the API version and kind in the data (${String(body.apiVersion)}, ${String(body.kind)}) do not match the expected ${type.groupVersion}, ${type.kind}`,
    );
  const metadata = isPlainObject(body.metadata) ? body.metadata : {};
  const bodyName = metadata.name;
  if (name !== undefined && bodyName !== undefined && bodyName !== name)
    throw fail(
      400,
      `the name of the object (${String(bodyName)}) does not match the name on the URL (${name})`,
    );
  if (
    metadata.namespace !== undefined &&
    target.namespace !== undefined &&
    metadata.namespace !== target.namespace
  )
    throw fail(400, 'the namespace of the provided object does not match the namespace sent on the request');
  const finalName = String(bodyName ?? name ?? '');
  if (!finalName || finalName.length > 253 || !DNS1123_SUBDOMAIN.test(finalName)) {
    const message = finalName
      ? `Invalid value: "${finalName}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`
      : 'Required value: name or generateName is required';
    throw fail(
      422,
      `${type.kind}.${groupOf(type.groupVersion) || 'core'} "${finalName}" is invalid: metadata.name: ${message}`,
      {
        name: finalName,
        group: groupOf(type.groupVersion),
        kind: type.kind,
        causes: [
          { reason: finalName ? 'FieldValueInvalid' : 'FieldValueRequired', message, field: 'metadata.name' },
        ],
      },
    );
  }
  if (type === JOB_TYPE) validateJob(body, finalName);
  return {
    ...body,
    metadata: { ...metadata, name: finalName, ...(target.namespace ? { namespace: target.namespace } : {}) },
  };
}

/** The Job checks of the API server that a Job of Compass's could fail: a template with containers, no restarts. */
function validateJob(body: Json, name: string): void {
  const spec = isPlainObject(body.spec) ? body.spec : {};
  const template = isPlainObject(spec.template) ? spec.template : {};
  const podSpec = isPlainObject(template.spec) ? template.spec : {};
  const invalid = (field: string, message: string) =>
    fail(422, `Job.batch "${name}" is invalid: ${field}: ${message}`, {
      name,
      group: 'batch',
      kind: 'Job',
      causes: [{ reason: 'FieldValueInvalid', message, field }],
    });
  if (!Array.isArray(podSpec.containers) || podSpec.containers.length === 0)
    throw invalid('spec.template.spec.containers', 'Required value');
  if (podSpec.restartPolicy !== 'Never' && podSpec.restartPolicy !== 'OnFailure')
    throw invalid(
      'spec.template.spec.restartPolicy',
      `Unsupported value: "${String(podSpec.restartPolicy ?? 'Always')}": supported values: "OnFailure", "Never"`,
    );
}

function verbOf(method: string, target: Target | undefined, query: Record<string, string>): KubeVerb {
  if (!target) return 'discovery';
  if (method === 'GET') {
    if (target.name) return 'get';
    return query.watch === 'true' || query.watch === '1' ? 'watch' : 'list';
  }
  return ({ POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as const)[method] ?? 'get';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A Kubernetes API server for the real @kubernetes/client-node, over HTTP: discovery for the kinds Compass deploys,
 * namespaced objects in memory with GET/LIST/WATCH/POST/PATCH/DELETE, server-side apply with field managers and
 * conflicts, dryRun=All, namespaces that must exist, an InferenceService controller that reports Ready as planned,
 * bearer-token auth, a request log, and injectable failures.
 */
export async function startKubernetesStandIn(
  options: {
    token?: string;
    namespaces?: string[];
    readiness?: ReadinessPlan;
    /** GPUs in the cluster (default: unlimited). */
    gpuPool?: number;
    /** How long a rollout may make no progress before its Deployment reports ProgressDeadlineExceeded. */
    progressDeadlineMs?: number;
    /** What a Job's pods run; unset, they stay Pending (as with an image that cannot be pulled). */
    podRunner?: PodRunner;
    /** Milliseconds of the stand-in per second of a Job's activeDeadlineSeconds (default 1000). */
    jobSecondMs?: number;
  } = {},
): Promise<KubernetesStandIn> {
  const token = options.token ?? 'stand-in-token';
  const objects = new Map<string, Stored>();
  const history: { resourceVersion: number; type: string; stored: Stored; object: Json }[] = [];
  const watchers = new Set<{ matches: (stored: Stored) => boolean; response: ServerResponse }>();
  const faults: { fault: KubeFault; match: FaultMatch; remaining: number }[] = [];
  const requests: KubeRequest[] = [];
  const plans = new Map<string, ReadinessPlan>();
  let defaultPlan: ReadinessPlan = options.readiness ?? { kind: 'ready', afterMs: 50 };
  const controllerTimers = new Map<string, NodeJS.Timeout[]>();
  const rollouts = new Map<string, Rollout>();
  let gpuPool: number | undefined = options.gpuPool;
  const progressDeadlineMs = options.progressDeadlineMs ?? 1000;
  let resourceVersion = 1000;
  let podRunner = options.podRunner;
  const jobSecondMs = options.jobSecondMs ?? 1000;
  /** The Job controller's state per Job: pod counts, how it ended, its deadline timer. */
  const jobRuns = new Map<
    string,
    { progress: JobProgress; backoffLimit: number; deadline?: NodeJS.Timeout }
  >();
  /** Per pod of a Job: its running container (to stop), its log, whether it started, its Job's key. */
  const podRuns = new Map<
    string,
    { controller: AbortController; log: string; started: boolean; done: boolean; jobKey: string }
  >();

  const keyOf = (type: ResourceType, namespace: string | undefined, name: string) =>
    JSON.stringify([type.groupVersion, type.plural, namespace ?? '', name]);
  const namespaceExists = (name: string) => objects.has(keyOf(NAMESPACE_TYPE, undefined, name));

  /** The object as clients see it: managedFields rendered from the owners. */
  function render(stored: Stored): Json {
    const metadata = stored.object.metadata as Json;
    return clone({
      ...stored.object,
      metadata: {
        ...metadata,
        managedFields: stored.owners.map((owner) => ({
          manager: owner.manager,
          operation: owner.operation,
          apiVersion: owner.apiVersion,
          time: owner.time,
          fieldsType: 'FieldsV1',
          fieldsV1: fieldsV1(owner.fields),
        })),
      },
    });
  }

  function emit(type: 'ADDED' | 'MODIFIED' | 'DELETED', stored: Stored) {
    const object = render(stored);
    history.push({ resourceVersion, type, stored, object });
    for (const watcher of watchers)
      if (watcher.matches(stored)) watcher.response.write(`${JSON.stringify({ type, object })}\n`);
  }

  function store(key: string, stored: Stored, event: 'ADDED' | 'MODIFIED') {
    objects.set(key, stored);
    emit(event, stored);
  }

  function setStatus(key: string, status: Json) {
    const stored = objects.get(key);
    if (!stored) return;
    stored.object = { ...stored.object, status };
    (stored.object.metadata as Json).resourceVersion = String(++resourceVersion);
    emit('MODIFIED', stored);
  }

  function stopController(key: string) {
    for (const timer of controllerTimers.get(key) ?? []) clearTimeout(timer);
    controllerTimers.delete(key);
  }

  /**
   * What KServe's controller does after a spec change, in raw mode: updates the predictor's Deployment, whose
   * rollout then progresses by the plan (new pods ready after `afterMs` if the GPU pool has room for the pods the
   * strategy runs at once; crash-looping or unschedulable ones exceed the progress deadline), and copies the
   * Deployment's state into the service's status at every step.
   */
  function reconcile(key: string, stored: Stored) {
    if (stored.type === JOB_TYPE) return startJob(key, stored);
    if (stored.type.kind !== 'InferenceService') return;
    stopController(key);
    const metadata = stored.object.metadata as Json;
    const name = String(metadata.name);
    const plan = plans.get(name) ?? defaultPlan;
    const wanted = predictorDeployment(stored.object);
    const deploymentName = String((wanted.metadata as Json).name);
    const deploymentKey = keyOf(DEPLOYMENT_TYPE, String(metadata.namespace), deploymentName);
    const live = objects.get(deploymentKey);
    const before = rollouts.get(deploymentKey);
    const wantedSpec = wanted.spec as Json;
    const templateChanged =
      !live || !isDeepStrictEqual((live.object.spec as Json).template, wantedSpec.template);
    const owners = takeChangedFields(live?.object, wanted, live?.owners ?? [], 'manager', timestamp());
    const deployment = commit(
      deploymentKey,
      live,
      DEPLOYMENT_TYPE,
      { ...wanted, status: live?.object.status },
      owners,
      false,
    );
    const generation = Number((deployment.object.metadata as Json).generation);
    const rollout: Rollout = {
      desired: Number(wantedSpec.replicas),
      strategy: wantedSpec.strategy as Json,
      oldPods: !before ? 0 : before.phase === 'complete' ? before.desired : rolloutCounts(before).available,
      gpusPerPod: gpusPerPod((wantedSpec.template as Json).spec),
      phase: !templateChanged && before?.phase === 'complete' ? 'complete' : 'progressing',
    };
    const show = (phase: Rollout['phase'], isvcPlan: ReadinessPlan | 'reconciling' = plan) => {
      rollout.phase = phase;
      rollouts.set(deploymentKey, { ...rollout });
      setStatus(deploymentKey, deploymentStatus(generation, rollout, deploymentName));
      const service = objects.get(key);
      if (service)
        setStatus(
          key,
          inferenceServiceStatus(service.object, isvcPlan, { generation, rollout, name: deploymentName }),
        );
    };
    rollouts.set(deploymentKey, { ...rollout });
    const peakPods = rolloutCounts({ ...rollout, phase: 'progressing' }).replicas;
    const fits = gpuPool === undefined || peakPods * rollout.gpusPerPod <= gpuPool;
    const first = plan.kind === 'failed' ? 'reconciling' : plan;
    const timers = [setTimeout(() => show(rollout.phase, first), 1)];
    if (plan.kind === 'failed')
      timers.push(setTimeout(() => show('progressing'), Math.max(2, plan.afterMs ?? 0)));
    if (rollout.phase === 'progressing' && (plan.kind === 'crashloop' || (plan.kind === 'ready' && !fits)))
      timers.push(setTimeout(() => show('stalled'), progressDeadlineMs));
    else if (rollout.phase === 'progressing' && plan.kind === 'ready')
      timers.push(setTimeout(() => show('complete'), Math.max(2, plan.afterMs)));
    controllerTimers.set(key, timers);
  }

  // ---- the Job controller: one pod at a time, retried up to backoffLimit, stopped at activeDeadlineSeconds ----

  function startJob(key: string, stored: Stored) {
    if (jobRuns.has(key)) return;
    const spec = stored.object.spec as Json;
    const run = {
      progress: { startTime: timestamp(), active: 0, succeeded: 0, failed: 0 } as JobProgress,
      backoffLimit: Number(spec.backoffLimit ?? 6),
      deadline: undefined as NodeJS.Timeout | undefined,
    };
    jobRuns.set(key, run);
    if (typeof spec.activeDeadlineSeconds === 'number')
      run.deadline = setTimeout(
        () => endJob(key, { kind: 'failed', reason: 'DeadlineExceeded' }),
        spec.activeDeadlineSeconds * jobSecondMs,
      );
    startPod(key);
  }

  const showJob = (jobKey: string) => {
    const run = jobRuns.get(jobKey);
    if (run) setStatus(jobKey, jobStatus(run.progress));
  };

  function startPod(jobKey: string) {
    const job = objects.get(jobKey);
    const run = jobRuns.get(jobKey);
    if (!job || !run) return;
    const pod = jobPod(job.object);
    const { name, namespace } = pod.metadata as { name: string; namespace: string };
    const podKey = keyOf(POD_TYPE, namespace, name);
    commit(podKey, undefined, POD_TYPE, pod, [], false);
    const entry = { controller: new AbortController(), log: '', started: false, done: false, jobKey };
    podRuns.set(podKey, entry);
    run.progress.active += 1;
    showJob(jobKey);
    const runner = podRunner;
    if (!runner) return;
    const startedAt = timestamp();
    entry.started = true;
    setStatus(podKey, runningPodStatus(pod, startedAt));
    const io = {
      write: (text: string) => {
        entry.log += text;
      },
      signal: entry.controller.signal,
    };
    // A runner that throws is a container that crashed.
    void runner({ namespace, name, containers: containersOf(pod) }, io)
      .catch(() => 1)
      .then((code) => {
        if (entry.controller.signal.aborted || !objects.has(podKey)) return;
        entry.done = true;
        setStatus(podKey, finishedPodStatus(pod, startedAt, code));
        podExited(entry.jobKey, code);
      });
  }

  function podExited(jobKey: string, code: number) {
    const run = jobRuns.get(jobKey);
    if (!run || run.progress.end) return;
    run.progress.active -= 1;
    if (code === 0) {
      run.progress.succeeded += 1;
      return endJob(jobKey, { kind: 'complete' });
    }
    run.progress.failed += 1;
    if (run.progress.failed > run.backoffLimit)
      return endJob(jobKey, { kind: 'failed', reason: 'BackoffLimitExceeded' });
    showJob(jobKey);
    startPod(jobKey);
  }

  function endJob(jobKey: string, end: NonNullable<JobProgress['end']>) {
    const run = jobRuns.get(jobKey);
    if (!run || run.progress.end) return;
    clearTimeout(run.deadline);
    if (end.kind === 'failed' && end.reason === 'DeadlineExceeded') {
      // Past its deadline the controller terminates the Job's running pods (their logs go with them).
      for (const [podKey, entry] of [...podRuns])
        if (entry.jobKey === jobKey && !entry.done) {
          deletePod(podKey);
          run.progress.failed += 1;
        }
      run.progress.active = 0;
    }
    run.progress.end = end;
    showJob(jobKey);
  }

  /** Removes a pod, stopping its container. */
  function deletePod(podKey: string) {
    const entry = podRuns.get(podKey);
    entry?.controller.abort();
    podRuns.delete(podKey);
    const stored = objects.get(podKey);
    if (!stored) return;
    objects.delete(podKey);
    (stored.object.metadata as Json).resourceVersion = String(++resourceVersion);
    emit('DELETED', stored);
  }

  /** A Job's pods on its deletion: removed with Background or Foreground propagation; orphaned otherwise. */
  function releasePods(jobKey: string, propagation: string | undefined) {
    const run = jobRuns.get(jobKey);
    if (run) clearTimeout(run.deadline);
    jobRuns.delete(jobKey);
    for (const [podKey, entry] of [...podRuns]) {
      if (entry.jobKey !== jobKey) continue;
      if (propagation === 'Background' || propagation === 'Foreground') {
        deletePod(podKey);
        continue;
      }
      entry.jobKey = '';
      const pod = objects.get(podKey);
      if (!pod) continue;
      delete (pod.object.metadata as Json).ownerReferences;
      (pod.object.metadata as Json).resourceVersion = String(++resourceVersion);
      emit('MODIFIED', pod);
    }
  }

  function podLog(target: Target, query: Record<string, string>): string {
    const key = keyOf(POD_TYPE, target.namespace, target.name!);
    const stored = objects.get(key);
    if (!stored) throw notFound(POD_TYPE, target.name!);
    const entry = podRuns.get(key);
    const container = query.container ?? containersOf(stored.object)[0]?.name ?? '';
    if (!entry?.started)
      throw fail(
        400,
        `container "${container}" in pod "${target.name}" is waiting to start: ContainerCreating`,
      );
    let text = entry.log;
    if (query.tailLines !== undefined) {
      const lines = text.split(/(?<=\n)/);
      text = lines.slice(Math.max(0, lines.length - Number(query.tailLines))).join('');
    }
    if (query.limitBytes !== undefined)
      text = Buffer.from(text).subarray(0, Number(query.limitBytes)).toString();
    return text;
  }

  /** Writes (or, for a dry run, only computes) the new state of an object; bumps versions only on real change. */
  function commit(
    key: string,
    previous: Stored | undefined,
    type: ResourceType,
    object: Json,
    owners: FieldOwner[],
    dryRun: boolean,
  ): Stored {
    const metadata = object.metadata as Json;
    if (previous && isDeepStrictEqual(object, previous.object) && ownersEqual(owners, previous.owners))
      return previous;
    const specChanged = !previous || !isDeepStrictEqual(specContent(object), specContent(previous.object));
    const generation = Number((previous?.object.metadata as Json | undefined)?.generation ?? 0);
    const next: Stored = {
      type,
      owners,
      object: {
        ...object,
        metadata: {
          ...metadata,
          uid: metadata.uid ?? randomUUID(),
          creationTimestamp: metadata.creationTimestamp ?? timestamp(),
          generation: specChanged ? generation + 1 : generation,
          // A dry run is not persisted, so it gets no new resourceVersion.
          resourceVersion: dryRun ? (metadata.resourceVersion ?? '') : String(++resourceVersion),
        },
      },
    };
    if (dryRun) return next;
    store(key, next, previous ? 'MODIFIED' : 'ADDED');
    if (specChanged) reconcile(key, next);
    return next;
  }

  const notFound = (type: ResourceType, name: string) =>
    fail(404, `${resourceName(type)} "${name}" not found`, {
      name,
      group: groupOf(type.groupVersion),
      kind: type.plural,
    });

  function requireNamespace(target: Target) {
    if (target.namespace && !namespaceExists(target.namespace))
      throw fail(404, `namespaces "${target.namespace}" not found`, {
        name: target.namespace,
        kind: 'namespaces',
      });
  }

  /** Objects of the target's type, in its namespace (all, for a cluster-wide path), optionally of one name. */
  const selects = (target: Target, name?: string) => (stored: Stored) =>
    stored.type === target.type &&
    (!target.namespace || (stored.object.metadata as Json).namespace === target.namespace) &&
    (!name || (stored.object.metadata as Json).name === name);
  const list = (target: Target, name?: string) => [...objects.values()].filter(selects(target, name));

  function watch(target: Target, query: Record<string, string>, response: ServerResponse) {
    const name = /^metadata\.name=(.+)$/.exec(query.fieldSelector ?? '')?.[1];
    const matches = selects(target, name);
    response.writeHead(200, { 'content-type': 'application/json' });
    const since = Number(query.resourceVersion ?? 0);
    const backlog =
      since > 0
        ? history.filter((event) => event.resourceVersion > since && matches(event.stored))
        : list(target, name).map((stored) => ({ type: 'ADDED', object: render(stored) }));
    for (const event of backlog)
      response.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
    const watcher = { matches, response };
    watchers.add(watcher);
    const timeout = query.timeoutSeconds
      ? setTimeout(() => response.end(), Number(query.timeoutSeconds) * 1000)
      : undefined;
    response.on('close', () => {
      clearTimeout(timeout);
      watchers.delete(watcher);
    });
  }

  async function write(
    method: string,
    target: Target,
    query: Record<string, string>,
    contentType: string,
    body: string,
  ): Promise<{ code: number; body: Json }> {
    const dryRun = query.dryRun === 'All';
    const now = timestamp();
    const { type } = target;
    const manager = query.fieldManager;
    let parsed: unknown;
    try {
      parsed = body ? JSON.parse(body) : undefined;
    } catch {
      throw fail(400, 'the stand-in accepts JSON bodies only');
    }
    if (method === 'POST') {
      requireNamespace(target);
      const object = validate(parsed, target, undefined);
      const key = keyOf(type, target.namespace, String((object.metadata as Json).name));
      if (objects.has(key))
        throw fail(
          409,
          `${resourceName(type)} "${(object.metadata as Json).name}" already exists`,
          {
            name: String((object.metadata as Json).name),
            group: groupOf(type.groupVersion),
            kind: type.plural,
          },
          'AlreadyExists',
        );
      const { status: _ignored, ...created } = object;
      const owners = takeChangedFields(undefined, created, [], manager ?? 'unknown', now);
      return { code: 201, body: render(commit(key, undefined, type, created, owners, dryRun)) };
    }
    const name = target.name!;
    const key = keyOf(type, target.namespace, name);
    const live = objects.get(key);
    if (contentType.startsWith('application/apply-patch')) {
      if (!manager)
        throw fail(
          422,
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
          {
            causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'fieldManager' }],
          },
        );
      if (!live) requireNamespace(target);
      const config = validate(parsed, target, name);
      const base = live?.object ?? {
        apiVersion: type.groupVersion,
        kind: type.kind,
        metadata: { name, ...(target.namespace ? { namespace: target.namespace } : {}) },
      };
      const result = serverSideApply(base, live?.owners ?? [], config, manager, query.force === 'true', now);
      if ('conflicts' in result) {
        const fields = result.conflicts.map(
          (conflict) => `conflict with "${conflict.manager}": .${keyPath(conflict.field).join('.')}`,
        );
        throw fail(
          409,
          `Apply failed with ${fields.length} conflict${fields.length > 1 ? 's' : ''}: ${fields.join('; ')}`,
          {
            causes: result.conflicts.map((conflict) => ({
              reason: 'FieldManagerConflict',
              message: `conflict with "${conflict.manager}"`,
              field: `.${keyPath(conflict.field).join('.')}`,
            })),
          },
        );
      }
      const stored = commit(key, live, type, result.object, result.owners, dryRun);
      return { code: live ? 200 : 201, body: render(stored) };
    }
    if (
      contentType.startsWith('application/merge-patch') ||
      contentType.startsWith('application/strategic-merge-patch')
    ) {
      if (!live) throw notFound(type, name);
      if (!isPlainObject(parsed)) throw fail(400, 'the patch must be a JSON object');
      const object = clone(live.object);
      mergeInto(object, userContent(parsed));
      const owners = takeChangedFields(live.object, object, live.owners, manager ?? 'unknown', now);
      return { code: 200, body: render(commit(key, live, type, object, owners, dryRun)) };
    }
    throw fail(415, `the stand-in does not support patches of type ${contentType}`);
  }

  function remove(target: Target, query: Record<string, string>): Json {
    const name = target.name!;
    const key = keyOf(target.type, target.namespace, name);
    const stored = objects.get(key);
    if (!stored) throw notFound(target.type, name);
    if (query.dryRun !== 'All' && target.type === POD_TYPE) deletePod(key);
    else if (query.dryRun !== 'All') {
      if (target.type === JOB_TYPE) releasePods(key, query.propagationPolicy);
      // A namespace takes its objects along; an InferenceService its predictor's Deployment (owner reference).
      const predictorKey = keyOf(DEPLOYMENT_TYPE, target.namespace, `${name}-predictor`);
      const inside =
        target.type === NAMESPACE_TYPE
          ? [...objects.entries()].filter(([, other]) => (other.object.metadata as Json).namespace === name)
          : target.type.kind === 'InferenceService' && objects.has(predictorKey)
            ? [[predictorKey, objects.get(predictorKey)!] as const]
            : [];
      for (const [doomedKey, doomed] of [...inside, [key, stored] as const]) {
        objects.delete(doomedKey);
        rollouts.delete(doomedKey);
        stopController(doomedKey);
        (doomed.object.metadata as Json).resourceVersion = String(++resourceVersion);
        emit('DELETED', doomed);
      }
    }
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, group: groupOf(target.type.groupVersion), kind: target.type.plural },
    };
  }

  async function answer(
    request: IncomingMessage,
    segments: string[],
    target: Target | undefined,
    query: Record<string, string>,
    response: ServerResponse,
  ): Promise<{ code: number; body: unknown } | { code: number; text: string } | 'streaming'> {
    const method = request.method ?? 'GET';
    if (!target) {
      if (method !== 'GET') throw fail(405, 'discovery is read-only');
      const path = `/${segments.join('/')}`;
      if (path === '/api') return { code: 200, body: { kind: 'APIVersions', versions: ['v1'] } };
      if (path === '/api/v1') return { code: 200, body: apiResourceList('v1') };
      if (path === '/version')
        return { code: 200, body: { major: '1', minor: '31', gitVersion: 'v1.31.0-stand-in' } };
      if (path === '/apis') {
        const groups = [...new Set(GROUP_VERSIONS.map(groupOf).filter(Boolean))].map(apiGroup);
        return { code: 200, body: { kind: 'APIGroupList', apiVersion: 'v1', groups } };
      }
      if (
        segments[0] === 'apis' &&
        segments.length === 2 &&
        GROUP_VERSIONS.some((gv) => groupOf(gv) === segments[1])
      )
        return { code: 200, body: apiGroup(segments[1]!) };
      if (
        segments[0] === 'apis' &&
        segments.length === 3 &&
        GROUP_VERSIONS.includes(`${segments[1]}/${segments[2]}`)
      )
        return { code: 200, body: apiResourceList(`${segments[1]}/${segments[2]}`) };
      throw fail(404, 'the server could not find the requested resource');
    }
    if (target.subresource === 'log' && target.type === POD_TYPE && method === 'GET' && target.name)
      return { code: 200, text: podLog(target, query) };
    if (target.subresource)
      throw fail(405, `the stand-in serves no ${target.subresource} subresource writes or reads`);
    if (method === 'GET' && target.name) {
      const stored = objects.get(keyOf(target.type, target.namespace, target.name));
      if (!stored) throw notFound(target.type, target.name);
      return { code: 200, body: render(stored) };
    }
    if (method === 'GET' && (query.watch === 'true' || query.watch === '1')) {
      watch(target, query, response);
      return 'streaming';
    }
    if (method === 'GET') {
      const labelled = labelMatcher(query.labelSelector);
      if (!labelled) throw fail(400, `unable to parse requirement: ${query.labelSelector}`);
      return {
        code: 200,
        body: {
          apiVersion: target.type.groupVersion,
          kind: `${target.type.kind}List`,
          metadata: { resourceVersion: String(resourceVersion) },
          items: list(target)
            .filter((stored) => labelled(((stored.object.metadata as Json).labels ?? {}) as Json))
            .map(render),
        },
      };
    }
    if (method === 'DELETE') {
      if (!target.name) throw fail(405, 'the stand-in does not delete collections');
      return { code: 200, body: remove(target, query) };
    }
    if ((method === 'PATCH' && target.name) || (method === 'POST' && !target.name))
      return write(method, target, query, request.headers['content-type'] ?? '', await readBody(request));
    throw fail(405, `${method} is not supported here`);
  }

  const server = await listen(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const segments = url.pathname.split('/').filter(Boolean);
    const query = Object.fromEntries(url.searchParams);
    const method = request.method ?? 'GET';
    const target = segments[0] === 'api' || segments[0] === 'apis' ? parseTarget(segments) : undefined;
    const verb = verbOf(method, target, query);
    const logged: KubeRequest = {
      method,
      verb,
      path: url.pathname,
      query,
      contentType: request.headers['content-type'],
      fieldManager: query.fieldManager,
      dryRun: query.dryRun === 'All',
      status: 0,
    };
    requests.push(logged);
    const send = (code: number, body: unknown, headers: Record<string, string> = {}) => {
      logged.status = code;
      response.writeHead(code, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };

    const queued = faults.find(
      ({ match, remaining }) =>
        remaining > 0 &&
        (!match.verb || match.verb === verb) &&
        (!match.path ||
          (typeof match.path === 'string'
            ? url.pathname.includes(match.path)
            : match.path.test(url.pathname))),
    );
    if (queued) queued.remaining--;
    const fault = queued?.fault;
    if (fault?.kind === 'drop') {
      request.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      const retryAfter = fault.retryAfterSeconds;
      const details = {
        ...(fault.causes ? { causes: fault.causes } : {}),
        ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
      };
      const body = statusBody(
        fault.code,
        fault.reason ?? REASONS[fault.code] ?? 'Unknown',
        fault.message ?? `injected ${fault.code}`,
        Object.keys(details).length ? details : undefined,
      );
      return send(fault.code, body, retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {});
    }
    if (fault?.kind === 'slow') {
      await sleep(fault.delayMs);
      if (request.socket.destroyed) return;
    }
    if (request.headers.authorization !== `Bearer ${token}`)
      return send(401, statusBody(401, 'Unauthorized', 'Unauthorized'));
    try {
      const result = await answer(request, segments, target, query, response);
      if (result === 'streaming') logged.status = 200;
      else if ('text' in result) {
        logged.status = result.code;
        response.writeHead(result.code, { 'content-type': 'text/plain' });
        response.end(result.text);
      } else send(result.code, result.body);
    } catch (error) {
      if (!(error instanceof Failure)) throw error;
      send(error.status.code ?? 500, error.status);
    }
  });

  const standIn: KubernetesStandIn = {
    ...server,
    token,
    requests,
    kubeconfig({ context = 'stand-in', token: userToken = token, namespace = 'default' } = {}) {
      return {
        apiVersion: 'v1',
        kind: 'Config',
        // The client refuses plain http unless TLS verification is off, as it would be for a local proxy.
        clusters: [{ name: context, cluster: { server: server.url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: `${context}-user`, user: { token: userToken } }],
        contexts: [{ name: context, context: { cluster: context, user: `${context}-user`, namespace } }],
        'current-context': context,
      };
    },
    createNamespace(name) {
      const key = keyOf(NAMESPACE_TYPE, undefined, name);
      if (objects.has(key)) return;
      const object = { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' } };
      commit(key, undefined, NAMESPACE_TYPE, object, [], false);
    },
    inject(fault, match = {}) {
      faults.push({ fault, match, remaining: match.times ?? 1 });
    },
    setReadiness(plan, name) {
      if (name) plans.set(name, plan);
      else defaultPlan = plan;
    },
    setGpuPool(gpus) {
      gpuPool = gpus;
    },
    object(ref) {
      const type = RESOURCE_TYPES.find(
        (candidate) => candidate.groupVersion === ref.apiVersion && candidate.kind === ref.kind,
      );
      const stored = type && objects.get(keyOf(type, ref.namespace, ref.name));
      return stored && render(stored);
    },
    dropWatches() {
      for (const watcher of watchers) watcher.response.socket?.destroy();
      watchers.clear();
    },
    setPodRunner(runner) {
      podRunner = runner;
    },
    objectsOf: (kind, namespace) =>
      [...objects.values()]
        .filter(
          (stored) => stored.type.kind === kind && (stored.object.metadata as Json).namespace === namespace,
        )
        .map(render),
    requestsOf: (verb, pathPart) =>
      requests.filter((request) => request.verb === verb && (!pathPart || request.path.includes(pathPart))),
    async close() {
      for (const key of [...controllerTimers.keys()]) stopController(key);
      for (const key of [...jobRuns.keys()]) releasePods(key, 'Background');
      for (const key of [...podRuns.keys()]) deletePod(key);
      standIn.dropWatches();
      await server.close();
    },
  };
  for (const name of options.namespaces ?? ['default', 'compass']) standIn.createNamespace(name);
  return standIn;
}
