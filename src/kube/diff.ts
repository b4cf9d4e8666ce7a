import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { KubeObject } from './objects.js';

/** One field an apply changes: a top-level spec field (spec.replicas), another top-level field, labels, annotations. */
export const FieldChange = z.object({
  path: z.string(),
  change: z.enum(['added', 'removed', 'changed']),
  /** The old and new values when they are scalars (worth showing); absent for objects and lists. */
  before: z.union([z.string(), z.number(), z.boolean()]).optional(),
  after: z.union([z.string(), z.number(), z.boolean()]).optional(),
});
export type FieldChange = z.infer<typeof FieldChange>;

/** What the server keeps for itself; a difference there is not a change anyone asked for. */
const SERVER_OWNED = new Set(['apiVersion', 'kind', 'metadata', 'status']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function compare(path: string, before: unknown, after: unknown): FieldChange[] {
  if (isDeepStrictEqual(before, after)) return [];
  const change = before === undefined ? 'added' : after === undefined ? 'removed' : 'changed';
  return [
    {
      path,
      change,
      ...(isScalar(before) ? { before } : {}),
      ...(isScalar(after) ? { after } : {}),
    },
  ];
}

const keysOf = (...values: unknown[]) => [
  ...new Set(values.flatMap((value) => (isPlainObject(value) ? Object.keys(value) : []))),
];

/**
 * The fields that differ between the live object and what the API answered for an apply (or its dry run): each
 * top-level field of spec-like sections (spec.predictor, spec.replicas), other top-level fields, labels and
 * annotations. Server bookkeeping (resourceVersion, managedFields, status, …) is not a change.
 */
export function changedFields(live: KubeObject, next: KubeObject): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const key of keysOf(live, next).filter((key) => !SERVER_OWNED.has(key))) {
    const before = live[key];
    const after = next[key];
    if (isPlainObject(before) && isPlainObject(after))
      for (const field of keysOf(before, after))
        changes.push(...compare(`${key}.${field}`, before[field], after[field]));
    else changes.push(...compare(key, before, after));
  }
  for (const key of ['labels', 'annotations'] as const)
    changes.push(...compare(`metadata.${key}`, live.metadata[key], next.metadata[key]));
  return changes;
}

/** "spec.minReplicas 1 → 2, spec.predictor changed, metadata.labels added". */
export function describeChanges(changes: readonly FieldChange[]): string {
  return changes
    .map((change) =>
      change.change === 'changed' && change.before !== undefined && change.after !== undefined
        ? `${change.path} ${change.before} → ${change.after}`
        : `${change.path} ${change.change}`,
    )
    .join(', ');
}
