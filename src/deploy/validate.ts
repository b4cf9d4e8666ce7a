/**
 * Schema checks of rendered objects before anything reaches a cluster: core kinds (and the pod and autoscaling
 * parts of custom resources) against the Kubernetes OpenAPI types of kubernetes-models; the custom resources
 * Compass renders (KServe InferenceService, KEDA ScaledObject, Prometheus Operator PodMonitor) against zod schemas
 * of the fields Compass uses, strict so a misspelt field is caught rather than silently dropped by the API server.
 */
import * as appsV1 from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscalerBehavior } from 'kubernetes-models/autoscaling/v2';
import * as batchV1 from 'kubernetes-models/batch/v1';
import * as rbacV1 from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as coreV1 from 'kubernetes-models/v1';
import { PodSpec } from 'kubernetes-models/v1';
import { type ZodType, z } from 'zod';
import { objectRef } from './objects.js';
import { type Finding, fieldPath, type ManifestProblem } from './problems.js';
import { LABEL_KEY, LABEL_VALUE } from './settings.js';

const StringMap = z.record(z.string(), z.string());

const ObjectMeta = z
  .object({
    name: z.string().min(1),
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
  })
  .loose();

const replicaBounds = (min: number | undefined, max: number | undefined) =>
  min === undefined || max === undefined || max >= min;

/** The predictor fields Compass renders; the pod-level ones are checked again as a core PodSpec. */
const Predictor = z
  .strictObject({
    minReplicas: z.int().nonnegative().optional(),
    maxReplicas: z.int().positive().optional(),
    labels: StringMap.optional(),
    annotations: StringMap.optional(),
    containers: z.array(z.object({ name: z.string() }).loose()).min(1, 'needs the server container'),
    volumes: z.array(z.unknown()).optional(),
    nodeSelector: StringMap.optional(),
    tolerations: z.array(z.unknown()).optional(),
  })
  .refine((p) => replicaBounds(p.minReplicas, p.maxReplicas), {
    message: 'must be at least minReplicas',
    path: ['maxReplicas'],
  });

export const InferenceService = z.object({
  apiVersion: z.literal('serving.kserve.io/v1beta1'),
  kind: z.literal('InferenceService'),
  metadata: ObjectMeta,
  spec: z.strictObject({ predictor: Predictor }),
});

export const ScaledObject = z.object({
  apiVersion: z.literal('keda.sh/v1alpha1'),
  kind: z.literal('ScaledObject'),
  metadata: ObjectMeta,
  spec: z
    .strictObject({
      scaleTargetRef: z.strictObject({
        apiVersion: z.string().min(1).optional(),
        kind: z.string().min(1).optional(),
        name: z.string().min(1),
      }),
      minReplicaCount: z.int().nonnegative().optional(),
      maxReplicaCount: z.int().positive().optional(),
      pollingInterval: z.int().positive().optional(),
      cooldownPeriod: z.int().nonnegative().optional(),
      advanced: z
        .strictObject({
          horizontalPodAutoscalerConfig: z.strictObject({ behavior: z.unknown().optional() }).optional(),
        })
        .optional(),
      triggers: z
        .array(
          z.strictObject({
            type: z.string().min(1),
            name: z.string().min(1).optional(),
            metricType: z.enum(['AverageValue', 'Value', 'Utilization']).optional(),
            // KEDA reads every trigger setting as a string; a bare number is refused by its webhook.
            metadata: StringMap,
          }),
        )
        .min(1, 'needs at least one trigger'),
    })
    .refine((s) => replicaBounds(s.minReplicaCount, s.maxReplicaCount), {
      message: 'must be at least minReplicaCount',
      path: ['maxReplicaCount'],
    }),
});

/** One scrape endpoint of a PodMonitor or ServiceMonitor: a named port and a path. */
const MetricsEndpoint = z.strictObject({
  port: z.string().min(1),
  path: z.string().startsWith('/'),
  interval: z
    .string()
    .regex(/^(\d+(ms|s|m|h))+$/, 'must be a duration such as 15s')
    .optional(),
});

export const PodMonitor = z.object({
  apiVersion: z.literal('monitoring.coreos.com/v1'),
  kind: z.literal('PodMonitor'),
  metadata: ObjectMeta,
  spec: z.strictObject({
    selector: z.strictObject({ matchLabels: StringMap }),
    podTargetLabels: z.array(z.string().min(1)).optional(),
    namespaceSelector: z.strictObject({ matchNames: z.array(z.string().min(1)) }).optional(),
    podMetricsEndpoints: z.array(MetricsEndpoint).min(1),
  }),
});

/** The ServiceMonitor of Compass's own install (deploy/kustomize): the fields it uses, strictly. */
export const ServiceMonitor = z.object({
  apiVersion: z.literal('monitoring.coreos.com/v1'),
  kind: z.literal('ServiceMonitor'),
  metadata: ObjectMeta,
  spec: z.strictObject({
    selector: z.strictObject({ matchLabels: StringMap }),
    endpoints: z.array(MetricsEndpoint).min(1),
  }),
});

const SCHEMA_FIX = 'correct the template in templates/ (or the value that fills it)';

/** The schema's problems with the value; when there are none, those `andThen` finds in the parsed value. */
function schemaProblems<T>(
  schema: ZodType<T>,
  value: unknown,
  andThen: (data: T) => Finding[] = () => [],
): Finding[] {
  const parsed = schema.safeParse(value);
  if (parsed.success) return andThen(parsed.data);
  return parsed.error.issues.flatMap((issue) => {
    const path = issue.path.filter((part) => typeof part !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: fieldPath([...path, key]),
        problem: 'is not a field Compass renders for this kind',
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

interface OpenApiError {
  instancePath: string;
  keyword: string;
  params: { missingProperty?: string };
  message?: string;
}

/** kubernetes-models' validation, its errors grouped per field ("must be number or must be string"). */
function openApiProblems(validate: () => void, prefix: (string | number)[]): Finding[] {
  try {
    validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: OpenApiError[] }).errors;
    if (!errors) throw error;
    const byField = new Map<string, string[]>();
    for (const { instancePath, keyword, params, message } of errors) {
      // The alternatives of a oneOf are reported one by one; the summary line adds nothing.
      if (!message || keyword === 'oneOf') continue;
      const missing = keyword === 'required' ? params.missingProperty : undefined;
      const parts = [...prefix, ...instancePath.split('/').filter(Boolean), ...(missing ? [missing] : [])];
      const field = fieldPath(parts) || '(object)';
      byField.set(field, [...(byField.get(field) ?? []), missing ? 'is required' : message]);
    }
    return [...byField].map(([field, messages]) => ({
      field,
      problem: [...new Set(messages)].join(' or '),
      fix: SCHEMA_FIX,
    }));
  }
}

/**
 * Core kinds by apiVersion, from kubernetes-models: every kind of these group versions is checked. Jobs and RBAC are
 * what Compass's own install (deploy/kustomize) adds to the kinds a deployment renders.
 */
const CORE_GROUPS: Record<string, Record<string, unknown>> = {
  v1: coreV1,
  'apps/v1': appsV1,
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
  switch (`${String(apiVersion)}/${String(kind)}`) {
    case 'serving.kserve.io/v1beta1/InferenceService':
      return schemaProblems(InferenceService, object, ({ spec }) => {
        const { containers, volumes, nodeSelector, tolerations } = spec.predictor;
        const pod = new PodSpec({ containers, volumes, nodeSelector, tolerations } as never);
        return openApiProblems(() => pod.validate(), ['spec', 'predictor']);
      });
    case 'keda.sh/v1alpha1/ScaledObject':
      return schemaProblems(ScaledObject, object, ({ spec }) => {
        const behavior = spec.advanced?.horizontalPodAutoscalerConfig?.behavior;
        if (behavior === undefined) return [];
        return openApiProblems(
          () => new HorizontalPodAutoscalerBehavior(behavior as never).validate(),
          ['spec', 'advanced', 'horizontalPodAutoscalerConfig', 'behavior'],
        );
      });
    case 'monitoring.coreos.com/v1/PodMonitor':
      return schemaProblems(PodMonitor, object);
    case 'monitoring.coreos.com/v1/ServiceMonitor':
      return schemaProblems(ServiceMonitor, object);
  }
  const Model = coreModel(apiVersion, kind);
  if (!Model) {
    return [
      {
        field: 'kind',
        problem: `${String(apiVersion)} ${String(kind)} has no schema Compass checks against`,
        fix: 'render only InferenceService, ScaledObject, PodMonitor or core (v1, apps/v1, batch/v1, rbac) kinds',
      },
    ];
  }
  return [
    ...schemaProblems(z.object({ metadata: ObjectMeta }), object),
    ...openApiProblems(() => new Model(object).validate(), []),
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
