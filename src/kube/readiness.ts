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
/**
 * The Deployment controller's verdict on a rollout that made no progress for progressDeadlineSeconds (new pods that
 * crash-loop, or cannot be scheduled); KServe copies it into the InferenceService's Ready condition.
 */
const DEADLINE_EXCEEDED = 'ProgressDeadlineExceeded';

/** In RawDeployment mode the InferenceService's status speaks for the predictor's Deployment, not for itself. */
const isRawDeployment = (object: KubeObject) =>
  object.metadata.annotations?.['serving.kserve.io/deploymentMode'] === 'RawDeployment';

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
  // A Ready condition about an older generation says nothing about the spec just applied. In raw mode KServe copies
  // the Deployment's observedGeneration instead (PropagateRawStatus, pkg/apis/serving/v1beta1/
  // inference_service_status.go), which counts something else: rolloutOf judges the Deployment itself.
  if (
    !isRawDeployment(object) &&
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
  if (ready.status === 'False' && ready.reason === DEADLINE_EXCEEDED)
    return {
      state: 'failed',
      reason: DEADLINE_EXCEEDED,
      message: ready.message ?? 'the rollout stopped progressing',
    };
  return { state: 'pending', detail: conditionText(ready), condition: ready };
}

const count = z.number().int().nonnegative().optional();

/** The parts of an apps/v1 Deployment that say which pods serve. */
const RolloutState = z.object({
  spec: z.object({
    replicas: count,
    template: z.object({
      metadata: z.object({ labels: z.record(z.string(), z.string()).optional() }).optional(),
    }),
  }),
  status: z
    .object({
      observedGeneration: z.number().int().optional(),
      replicas: count,
      updatedReplicas: count,
      readyReplicas: count,
      availableReplicas: count,
      unavailableReplicas: count,
      conditions: z.array(Condition).optional(),
    })
    .optional(),
});

/**
 * Whether a Deployment serves its current pod template with every replica — what `kubectl rollout status` waits
 * for — and runs pods labelled `podLabels` (the revision applied). KServe's Ready holds while the *old* pods stay
 * Available during a rolling update, so only this says the new revision serves. Until no old pod is left a request
 * through the Service may still reach one; after it, every answering pod is of this revision.
 */
export function rolloutOf(deployment: KubeObject, podLabels: Record<string, string>): Readiness {
  const parsed = RolloutState.safeParse(deployment);
  if (!parsed.success) return { state: 'pending', detail: 'its spec and status are not readable yet' };
  const { spec, status = {} } = parsed.data;
  const labels = spec.template.metadata?.labels ?? {};
  const stale = Object.entries(podLabels).find(([key, value]) => labels[key] !== value);
  if (stale)
    return {
      state: 'pending',
      detail: `its pods are not yet those of this revision (${stale[0]}=${labels[stale[0]] ?? 'unset'})`,
    };
  const generation = deployment.metadata.generation;
  if (generation !== undefined && (status.observedGeneration ?? 0) < generation)
    return {
      state: 'pending',
      detail: `the Deployment controller has not yet seen generation ${generation}`,
    };
  const progressing = status.conditions?.find((condition) => condition.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === DEADLINE_EXCEEDED) {
    return {
      state: 'failed',
      reason: DEADLINE_EXCEEDED,
      message: `${progressing.message ?? 'the rollout stopped progressing'} (new pods crash-looping or unschedulable)`,
    };
  }
  const wanted = spec.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < wanted) return { state: 'pending', detail: `${updated} of ${wanted} replicas updated` };
  const old = (status.replicas ?? 0) - updated;
  if (old > 0) return { state: 'pending', detail: `${old} old replica${old > 1 ? 's' : ''} still running` };
  if (available < updated || (status.unavailableReplicas ?? 0) > 0)
    return { state: 'pending', detail: `${available} of ${updated} new replicas available` };
  return { state: 'ready', url: undefined };
}
