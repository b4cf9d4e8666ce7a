/**
 * Schema checks of rendered objects before anything reaches a cluster, as strict as the API server with
 * fieldValidation=Strict: custom resources (KServe InferenceService, KEDA ScaledObject and TriggerAuthentication,
 * prometheus-operator PodMonitor, ServiceMonitor and PrometheusRule) against their projects' own CRD schemas
 * (crds.ts); core kinds against the Kubernetes OpenAPI types of kubernetes-models and, for unknown fields, the API
 * types of @kubernetes/client-node; every object's metadata as ObjectMeta; the values the API server's own
 * validation restricts where a schema does not (image pull policies, toleration operators…); and Compass's own rules
 * (replica ranges, the server container, KServe's name rule).
 */

import * as kubeModels from '@kubernetes/client-node';
import type { ErrorObject } from 'ajv';
import { closest } from 'fastest-levenshtein';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as batchV1 from 'kubernetes-models/batch/v1';
import * as rbacV1 from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as coreV1 from 'kubernetes-models/v1';
import { z } from 'zod';
import { fieldPath } from '../field-path.js';
import { crdChecks } from './crds.js';
import { objectRef } from './objects.js';
import type { Finding, ManifestProblem } from './problems.js';
import { LABEL_KEY, LABEL_VALUE } from './settings.js';

const SCHEMA_FIX = 'correct the template in templates/ (or the value that fills it)';

const optional = z.unknown().optional();

/** ObjectMeta as a client may send it: the API server refuses any other field under Strict validation. */
const ObjectMeta = z.strictObject({
  name: z.string().min(1),
  generateName: optional,
  namespace: z.string().min(1).optional(),
  labels: z
    .record(
      z
        .string()
        .regex(LABEL_KEY, 'is not a label key (optional DNS prefix, "/", name of at most 63 characters)'),
      z
        .string()
        .regex(
          LABEL_VALUE,
          'is not a label value (at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)',
        ),
    )
    .optional(),
  annotations: z.record(z.string().regex(LABEL_KEY, 'is not an annotation key'), z.string()).optional(),
  ownerReferences: optional,
  finalizers: optional,
  uid: optional,
  resourceVersion: optional,
  generation: optional,
  creationTimestamp: optional,
  deletionTimestamp: optional,
  deletionGracePeriodSeconds: optional,
  managedFields: optional,
  selfLink: optional,
});

function metadataProblems(object: unknown): Finding[] {
  const parsed = z.object({ metadata: ObjectMeta }).safeParse(object);
  if (parsed.success) return [];
  return parsed.error.issues.flatMap((issue) => {
    const path = issue.path.filter((part) => typeof part !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: fieldPath([...path, key]),
        problem: 'is not a field of ObjectMeta',
        fix: 'remove it or correct its spelling',
      }));
    }
    const message =
      issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    const missing = issue.code === 'invalid_type' && message.endsWith('received undefined');
    return [
      {
        field: fieldPath(path) || '(object)',
        problem: missing ? `is required (${issue.expected})` : message.replace(/^Invalid input: /, ''),
        fix: SCHEMA_FIX,
      },
    ];
  });
}

/** Errors of a JSON-schema validation (ajv's form, which kubernetes-models shares), one finding per field. */
interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  parentSchema?: { properties?: Record<string, unknown>; pattern?: string };
}

/** prometheus-operator's Duration: units largest first, each at most once ("1m30s", not "30s1m"). */
const isDurationPattern = (pattern: string) => pattern.includes('(([0-9]+)y)?');
const isQuantityPattern = (pattern: string) => pattern.includes('[KMGTPE]i');

function errorMessage({ keyword, params, message, parentSchema }: SchemaError): string {
  switch (keyword) {
    case 'required':
      return 'is required';
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'pattern': {
      const pattern = String(params.pattern ?? parentSchema?.pattern);
      if (isDurationPattern(pattern)) return 'must be a duration such as 30s or 1m30s (largest unit first)';
      if (isQuantityPattern(pattern)) return 'must be a Kubernetes quantity such as 16Gi, 500m or 4';
      return `must match ${pattern}`;
    }
    default:
      return message ?? keyword;
  }
}

/** Findings from schema errors, those of one field joined ("must be integer or must be string"). */
function schemaFindings(
  errors: readonly SchemaError[],
  prefix: (string | number)[],
  source: string,
): Finding[] {
  const byField = new Map<string, string[]>();
  const findings: Finding[] = [];
  for (const error of errors) {
    // The alternatives of an anyOf/oneOf are reported one by one; the summary line adds nothing.
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf') continue;
    const at = [...prefix, ...error.instancePath.split('/').filter(Boolean)];
    if (error.keyword === 'additionalProperties') {
      const name = String(error.params.additionalProperty);
      const known = Object.keys(error.parentSchema?.properties ?? {});
      const guess = known.length > 0 ? closest(name, known) : undefined;
      findings.push({
        field: fieldPath([...at, name]),
        problem: `is not a field of ${source}`,
        fix: guess ? `remove it or correct its spelling (did you mean ${guess}?)` : 'remove it',
      });
      continue;
    }
    const missing = error.keyword === 'required' ? String(error.params.missingProperty) : undefined;
    const field = fieldPath(missing ? [...at, missing] : at) || '(object)';
    byField.set(field, [...(byField.get(field) ?? []), errorMessage(error)]);
  }
  return [
    ...findings,
    ...[...byField].map(([field, messages]) => ({
      field,
      problem: [...new Set(messages)].join(' or '),
      fix: SCHEMA_FIX,
    })),
  ];
}

/**
 * Values the API server's validation (not the OpenAPI schema) restricts, by field path without list indices: the
 * schemas say only "string" for these, so a misspelt value would pass them and be refused on apply.
 */
const ALLOWED_VALUES: [RegExp, readonly string[]][] = [
  [/(^|\.)(containers|initContainers)\.imagePullPolicy$/, ['Always', 'IfNotPresent', 'Never']],
  [/(^|\.)(containers|initContainers)\.ports\.protocol$/, ['TCP', 'UDP', 'SCTP']],
  [/(^|\.)ports\.protocol$/, ['TCP', 'UDP', 'SCTP']],
  [/(^|\.)tolerations\.operator$/, ['Exists', 'Equal']],
  [/(^|\.)tolerations\.effect$/, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']],
  [/(^|\.)emptyDir\.medium$/, ['', 'Memory', 'HugePages']],
  [/\.behavior\.scale(Up|Down)\.policies\.type$/, ['Pods', 'Percent']],
  [/\.behavior\.scale(Up|Down)\.selectPolicy$/, ['Max', 'Min', 'Disabled']],
  [/^spec\.triggers\.metricType$/, ['AverageValue', 'Value', 'Utilization']],
  [/(^|\.)(deploymentStrategy|strategy)\.type$/, ['Recreate', 'RollingUpdate']],
  [/(^|\.)accessModes$/, ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod']],
];

function valueProblems(value: unknown, at: (string | number)[] = [], shape = ''): Finding[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => valueProblems(item, [...at, index], shape));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, field]) =>
      valueProblems(field, [...at, key], shape ? `${shape}.${key}` : key),
    );
  }
  const allowed = ALLOWED_VALUES.find(([path]) => path.test(shape))?.[1];
  if (allowed === undefined || typeof value !== 'string' || allowed.includes(value)) return [];
  return [
    {
      field: fieldPath(at),
      problem: `must be one of ${allowed.filter(Boolean).join(', ')} (not ${JSON.stringify(value)})`,
      fix: SCHEMA_FIX,
    },
  ];
}

/** KServe's webhook: an InferenceService name is a DNS-1035 label (it names Services and a DNS host). */
const KSERVE_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** The fields Compass's own rules read, not yet checked. */
interface RuleFields {
  metadata?: { name?: unknown };
  spec?: {
    predictor?: {
      containers?: unknown;
      minReplicas?: unknown;
      maxReplicas?: unknown;
      workerSpec?: { pipelineParallelSize?: unknown };
    };
    minReplicaCount?: unknown;
    maxReplicaCount?: unknown;
    triggers?: unknown;
    podMetricsEndpoints?: unknown;
    endpoints?: unknown;
  };
}

/** Compass's own rules, beyond what any schema says. */
function compassProblems(kind: string, object: RuleFields): Finding[] {
  const spec = object.spec ?? {};
  const findings: Finding[] = [];
  const bounds = (min: unknown, max: unknown, field: string[], minName: string) => {
    if (typeof min === 'number' && typeof max === 'number' && max < min) {
      findings.push({ field: fieldPath(field), problem: `must be at least ${minName}`, fix: SCHEMA_FIX });
    }
  };
  if (kind === 'InferenceService') {
    const name = object.metadata?.name;
    if (typeof name === 'string' && !KSERVE_NAME.test(name)) {
      findings.push({
        field: 'metadata.name',
        problem:
          'must start with a lowercase letter and hold only lowercase letters, digits and "-" (KServe names a Service after it)',
        fix: 'choose a name such as chat-llm',
      });
    }
    const predictor = spec.predictor ?? {};
    if (!Array.isArray(predictor.containers) || predictor.containers.length === 0) {
      findings.push({
        field: 'spec.predictor.containers',
        problem: 'needs the server container',
        fix: SCHEMA_FIX,
      });
    }
    bounds(predictor.minReplicas, predictor.maxReplicas, ['spec', 'predictor', 'maxReplicas'], 'minReplicas');
    const stages = predictor.workerSpec?.pipelineParallelSize;
    if (typeof stages === 'number' && stages < 2) {
      findings.push({
        field: 'spec.predictor.workerSpec.pipelineParallelSize',
        problem: 'must be at least 2: one node needs no workers',
        fix: SCHEMA_FIX,
      });
    }
  }
  if (kind === 'ScaledObject') {
    bounds(spec.minReplicaCount, spec.maxReplicaCount, ['spec', 'maxReplicaCount'], 'minReplicaCount');
    if (Array.isArray(spec.triggers) && spec.triggers.length === 0) {
      findings.push({ field: 'spec.triggers', problem: 'needs at least one trigger', fix: SCHEMA_FIX });
    }
  }
  if (kind === 'PodMonitor' || kind === 'ServiceMonitor') {
    const endpoints = (kind === 'PodMonitor' ? spec.podMetricsEndpoints : spec.endpoints) ?? [];
    for (const [index, endpoint] of (Array.isArray(endpoints) ? endpoints : []).entries()) {
      const path = (endpoint as { path?: unknown } | null)?.path;
      if (typeof path === 'string' && !path.startsWith('/')) {
        const list = kind === 'PodMonitor' ? 'podMetricsEndpoints' : 'endpoints';
        findings.push({
          field: `spec.${list}[${index}].path`,
          problem: 'must start with "/"',
          fix: SCHEMA_FIX,
        });
      }
    }
  }
  return findings;
}

interface KubeAttribute {
  baseName: string;
  type: string;
}

/** The fields of a Kubernetes API type (V1Container…), from @kubernetes/client-node's generated models. */
function attributesOf(type: string): KubeAttribute[] | undefined {
  const model = (kubeModels as Record<string, unknown>)[type] as
    | { getAttributeTypeMap?: () => KubeAttribute[] }
    | undefined;
  return model?.getAttributeTypeMap?.();
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Fields of a core object its API type does not have, at any depth: kubernetes-models checks types but lets
 * unknown fields through, which the API server with Strict validation refuses.
 */
function unknownCoreFields(value: unknown, type: string, at: (string | number)[]): Finding[] {
  const list = /^Array<(.+)>$/.exec(type);
  if (list)
    return Array.isArray(value)
      ? value.flatMap((item, i) => unknownCoreFields(item, list[1]!, [...at, i]))
      : [];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    return isRecord(value)
      ? Object.entries(value).flatMap(([key, item]) => unknownCoreFields(item, map[1]!, [...at, key]))
      : [];
  }
  const attributes = attributesOf(type);
  if (!attributes || !isRecord(value)) return [];
  return Object.entries(value).flatMap(([key, field]) => {
    const attribute = attributes.find((candidate) => candidate.baseName === key);
    if (attribute) return unknownCoreFields(field, attribute.type, [...at, key]);
    const guess = closest(
      key,
      attributes.map((candidate) => candidate.baseName),
    );
    return [
      {
        field: fieldPath([...at, key]),
        problem: `is not a field of the Kubernetes ${type.replace(/^V\d+((alpha|beta)\d+)?/, '')} type`,
        fix: `remove it or correct its spelling (did you mean ${guess}?)`,
      },
    ];
  });
}

/** kubernetes-models' validation, as schema findings. */
function coreProblems(validate: () => void): Finding[] {
  try {
    validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: SchemaError[] }).errors;
    if (!errors) throw error;
    return schemaFindings(errors, [], 'the Kubernetes API');
  }
}

/** Core kinds by apiVersion, from kubernetes-models: every kind of these group versions is checked. */
const CORE_GROUPS: Record<string, Record<string, unknown>> = {
  v1: coreV1,
  'apps/v1': appsV1,
  // Compass's own install (deploy/kustomize) adds its migration Job and RBAC.
  'batch/v1': batchV1,
  'rbac.authorization.k8s.io/v1': rbacV1,
};

type CoreModel = new (data: unknown) => { validate(): void };

function coreModel(apiVersion: unknown, kind: unknown): CoreModel | undefined {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const model = CORE_GROUPS[apiVersion]?.[kind] as (CoreModel & { kind?: string }) | undefined;
  // Only top-level kinds carry a kind of their own (Container, say, does not).
  return model?.kind === kind ? model : undefined;
}

function objectProblems(object: unknown): Finding[] {
  const { apiVersion, kind } = (object ?? {}) as { apiVersion?: unknown; kind?: unknown };
  const crd = crdChecks().get(`${String(apiVersion)}/${String(kind)}`);
  const Model = crd ? undefined : coreModel(apiVersion, kind);
  if (!crd && !Model) {
    return [
      {
        field: 'kind',
        problem: `${String(apiVersion)} ${String(kind)} has no schema Compass checks against`,
        fix: `render only core (v1, apps/v1, batch/v1, rbac) kinds or ${[...crdChecks().keys()].map((key) => key.split('/').at(-1)).join(', ')}`,
      },
    ];
  }
  const shapeProblems = crd
    ? crd.validate(object)
      ? []
      : schemaFindings(
          (crd.validate.errors ?? []) as ErrorObject[] as SchemaError[],
          [],
          `the ${crd.source} schema`,
        )
    : [
        ...coreProblems(() => new Model!(object).validate()),
        // metadata is checked as ObjectMeta above.
        ...unknownCoreFields({ ...(object as object), metadata: undefined }, `V1${String(kind)}`, []),
      ];
  return [
    ...metadataProblems(object),
    ...shapeProblems,
    ...valueProblems(object),
    ...compassProblems(String(kind), (object ?? {}) as RuleFields),
  ];
}

/** Every schema problem of the objects; empty when all of them are well-formed. */
export function validateManifests(objects: readonly unknown[]): ManifestProblem[] {
  return objects.flatMap((object) =>
    objectProblems(object).map((problem) => ({
      check: 'schema' as const,
      object: objectRef(object),
      ...problem,
    })),
  );
}
