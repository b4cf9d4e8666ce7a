import type { BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import { z } from 'zod';
import { toKubeError } from './errors.js';
import { type KubeObject, plainObject } from './objects.js';
import { Condition } from './readiness.js';

/** A Job and the namespace it runs in: how the Job client names one. */
export interface JobRef {
  namespace: string;
  name: string;
}

/** Where a Job stands, from its status conditions: only Complete and Failed are ends. */
export type JobPhase =
  | { phase: 'running' }
  | { phase: 'succeeded' }
  /** `reason` is the condition's machine reason (DeadlineExceeded, BackoffLimitExceeded, …). */
  | { phase: 'failed'; reason: string; message: string };

/** What Compass does with Jobs: start one, read it and its pods, read a pod's log, remove it with its pods. */
export interface JobClient {
  /** Creates the Job. Throws KubeError (409 AlreadyExists when one of that name exists). */
  create(job: KubeObject): Promise<KubeObject>;
  /** The Job as stored, or undefined when it (or its namespace) is gone. */
  read(ref: JobRef): Promise<KubeObject | undefined>;
  /** The Job's pods, oldest first: those its controller owns (ownerReference to the Job's uid). */
  pods(job: KubeObject, labelSelector: string): Promise<KubeObject[]>;
  /** The last `tailLines` lines of a pod's log; undefined when the pod is gone or its container never started. */
  log(pod: JobRef, tailLines: number): Promise<string | undefined>;
  /**
   * Deletes the Job and, with Background propagation, its pods: a Job deleted through the API without a
   * propagation policy keeps its pods (batch/v1 orphans dependents by default).
   */
  remove(ref: JobRef): Promise<'deleted' | 'not_found'>;
}

const JobStatus = z.object({
  conditions: z.array(Condition).optional(),
});

/** The Job's phase from its conditions (SuccessCriteriaMet and FailureTarget precede Complete and Failed). */
export function jobPhaseOf(job: KubeObject): JobPhase {
  const status = JobStatus.safeParse(job.status ?? {});
  const conditions = status.success ? (status.data.conditions ?? []) : [];
  const holds = (type: string) => conditions.find((c) => c.type === type && c.status === 'True');
  if (holds('Complete')) return { phase: 'succeeded' };
  const failed = holds('Failed');
  if (failed)
    return {
      phase: 'failed',
      reason: failed.reason ?? 'Failed',
      message: failed.message ?? 'the Job failed',
    };
  return { phase: 'running' };
}

const PodStatus = z.object({
  phase: z.string().optional(),
  containerStatuses: z
    .array(
      z.object({
        name: z.string(),
        state: z
          .object({
            terminated: z
              .object({
                exitCode: z.number().int(),
                reason: z.string().optional(),
                message: z.string().optional(),
              })
              .optional(),
            waiting: z.object({ reason: z.string().optional(), message: z.string().optional() }).optional(),
          })
          .optional(),
      }),
    )
    .optional(),
});

/** Why a pod's container stopped or never started, in a few words ("exited with code 1 (Error)"); undefined when running. */
export function podProblem(pod: KubeObject): string | undefined {
  const parsed = PodStatus.safeParse(pod.status ?? {});
  if (!parsed.success) return undefined;
  for (const container of parsed.data.containerStatuses ?? []) {
    const { terminated, waiting } = container.state ?? {};
    if (terminated && terminated.exitCode !== 0)
      return `exited with code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}${terminated.message ? `: ${terminated.message}` : ''}`;
    if (waiting?.reason && waiting.reason !== 'ContainerCreating')
      return `is waiting: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`;
  }
  return undefined;
}

const ownedBy = (job: KubeObject) => (pod: KubeObject) =>
  ((pod.metadata as { ownerReferences?: { uid?: string }[] }).ownerReferences ?? []).some(
    (owner) => owner.uid === (job.metadata as { uid?: string }).uid,
  );

const created = (object: KubeObject) =>
  String((object.metadata as { creationTimestamp?: string }).creationTimestamp ?? '');

/** The Job client over the typed batch/v1 and core/v1 APIs of @kubernetes/client-node. */
export function jobClient(batch: BatchV1Api, core: CoreV1Api): JobClient {
  const notFound = (error: unknown, doing: string) => {
    const failure = toKubeError(error, doing);
    if (failure.kind === 'not_found') return undefined;
    throw failure;
  };
  return {
    async create(job) {
      const namespace = job.metadata.namespace ?? 'default';
      try {
        return plainObject(await batch.createNamespacedJob({ namespace, body: job as never }));
      } catch (error) {
        throw toKubeError(error, `create Job ${namespace}/${job.metadata.name}`);
      }
    },
    async read({ namespace, name }) {
      try {
        return plainObject(await batch.readNamespacedJob({ namespace, name }));
      } catch (error) {
        return notFound(error, `read Job ${namespace}/${name}`);
      }
    },
    async pods(job, labelSelector) {
      const namespace = job.metadata.namespace ?? 'default';
      try {
        const list = await core.listNamespacedPod({ namespace, labelSelector });
        return list.items
          .map((pod) => plainObject({ apiVersion: 'v1', kind: 'Pod', ...JSON.parse(JSON.stringify(pod)) }))
          .filter(ownedBy(job))
          .sort((a, b) => created(a).localeCompare(created(b)));
      } catch (error) {
        throw toKubeError(error, `list the pods of Job ${namespace}/${job.metadata.name}`);
      }
    },
    async log({ namespace, name }, tailLines) {
      try {
        return await core.readNamespacedPodLog({ namespace, name, tailLines });
      } catch (error) {
        const failure = toKubeError(error, `read the log of pod ${namespace}/${name}`);
        // 404: the pod is gone; 400: its container has not started (or cannot).
        if (failure.kind === 'not_found' || failure.details.code === 400) return undefined;
        throw failure;
      }
    },
    async remove({ namespace, name }) {
      try {
        await batch.deleteNamespacedJob({ namespace, name, propagationPolicy: 'Background' });
        return 'deleted';
      } catch (error) {
        const failure = toKubeError(error, `delete Job ${namespace}/${name}`);
        if (failure.kind === 'not_found') return 'not_found';
        throw failure;
      }
    },
  };
}
