import { z } from 'zod';
import type { KubeObject } from './objects.js';

/** A status condition as Knative-style controllers (KServe) report them. */
export const Condition = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().optional(),
  message: z.string().optional(),
});
export type Condition = z.infer<typeof Condition>;

/** The parts of an InferenceService's status that say whether it serves. */
const ServingStatus = z.object({
  observedGeneration: z.number().int().optional(),
  conditions: z.array(Condition).optional(),
  url: z.string().optional(),
  address: z.object({ url: z.string().optional() }).optional(),
  modelStatus: z
    .object({
      transitionStatus: z.string().optional(),
      lastFailureInfo: z.object({ reason: z.string().optional(), message: z.string().optional() }).optional(),
    })
    .optional(),
});

export type Readiness =
  | { state: 'ready'; url: string | undefined }
  /** The controller gave up on this spec; waiting longer will not help. */
  | { state: 'failed'; reason: string; message: string }
  /** Not ready yet; `detail` says what is awaited (the Ready condition's reason and message when there is one). */
  | { state: 'pending'; detail: string; condition?: Condition };

/** KServe's model transition states after which the spec must change before anything becomes ready. */
const TERMINAL_TRANSITIONS = new Set(['BlockedByFailedLoad', 'InvalidSpec']);

function conditionText(condition: Condition): string {
  const why = [condition.reason, condition.message].filter(Boolean).join(': ');
  return `Ready=${condition.status}${why ? ` (${why})` : ''}`;
}

/** Whether an InferenceService (or any object with a Ready condition) serves its current spec. */
export function readinessOf(object: KubeObject): Readiness {
  const parsed = ServingStatus.safeParse(object.status ?? {});
  if (!parsed.success) return { state: 'pending', detail: 'its status is not readable yet' };
  const status = parsed.data;
  const generation = object.metadata.generation;
  // A Ready condition about an older generation says nothing about the spec just applied.
  if (
    generation !== undefined &&
    status.observedGeneration !== undefined &&
    status.observedGeneration < generation
  )
    return { state: 'pending', detail: `the controller has not yet seen generation ${generation}` };
  const transition = status.modelStatus?.transitionStatus;
  if (transition && TERMINAL_TRANSITIONS.has(transition)) {
    const failure = status.modelStatus?.lastFailureInfo;
    return {
      state: 'failed',
      reason: failure?.reason ?? transition,
      message: failure?.message ?? `model transition status ${transition}`,
    };
  }
  const ready = status.conditions?.find((condition) => condition.type === 'Ready');
  if (ready?.status === 'True') return { state: 'ready', url: status.url ?? status.address?.url };
  if (!ready) return { state: 'pending', detail: 'no Ready condition reported yet' };
  return { state: 'pending', detail: conditionText(ready), condition: ready };
}
