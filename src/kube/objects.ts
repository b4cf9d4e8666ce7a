import { z } from 'zod';

/** Any Kubernetes object as it travels to and from the API: identity checked, everything else passed through. */
export const KubeObject = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z.looseObject({
    name: z.string().min(1),
    namespace: z.string().min(1).optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    resourceVersion: z.string().optional(),
    generation: z.number().int().optional(),
  }),
});
export type KubeObject = z.infer<typeof KubeObject>;

/** Which object: kind and version, plus namespace (absent for cluster-scoped kinds) and name. */
export const ObjectRef = z.object({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  namespace: z.string().min(1).optional(),
  name: z.string().min(1),
});
export type ObjectRef = z.infer<typeof ObjectRef>;

export function refOf(object: KubeObject): ObjectRef {
  const { apiVersion, kind, metadata } = object;
  return {
    apiVersion,
    kind,
    name: metadata.name,
    ...(metadata.namespace ? { namespace: metadata.namespace } : {}),
  };
}

/** "InferenceService compass/chat" — how messages name an object. */
export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/**
 * The client library hands back class instances (Date fields, typed models); Compass works on the JSON the API
 * actually sent, so answers are round-tripped through JSON once.
 */
export function plainObject(value: unknown): KubeObject {
  return KubeObject.parse(JSON.parse(JSON.stringify(value)));
}
