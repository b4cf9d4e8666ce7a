/**
 * The batch/v1 Job controller's part of the Kubernetes stand-in, as plain functions: the pod a Job starts, the
 * pod's and the Job's status at each step (conditions as the Job controller of Kubernetes 1.31 writes them), and
 * label selectors. The stateful part (timers, logs, runners) lives in kubernetes.ts.
 */
import { randomBytes } from 'node:crypto';

type Json = Record<string, unknown>;

/** What a pod's container does when it runs: the test's stand-in for the image. Resolves with its exit code. */
export type PodRunner = (
  pod: { namespace: string; name: string; containers: { name: string; args: string[]; image: string }[] },
  io: { write(text: string): void; signal: AbortSignal },
) => Promise<number>;

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** Pods are named `<job>-<5 random characters>`, as generateName does. */
export function podName(jobName: string): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const suffix = [...randomBytes(5)].map((byte) => alphabet[byte % alphabet.length]).join('');
  return `${jobName.slice(0, 57)}-${suffix}`;
}

/** The pod a Job's controller creates: the template's spec and labels, the job labels, an owner reference. */
export function jobPod(job: Json): Json {
  const metadata = job.metadata as { name: string; namespace: string; uid: string };
  const template = ((job.spec as Json).template ?? {}) as Json;
  const templateMeta = (template.metadata ?? {}) as Json;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName(metadata.name),
      namespace: metadata.namespace,
      labels: {
        ...((templateMeta.labels as Json | undefined) ?? {}),
        'batch.kubernetes.io/controller-uid': metadata.uid,
        'batch.kubernetes.io/job-name': metadata.name,
        'controller-uid': metadata.uid,
        'job-name': metadata.name,
      },
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          name: metadata.name,
          uid: metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: template.spec,
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] },
  };
}

export function containersOf(pod: Json): { name: string; args: string[]; image: string }[] {
  const containers = ((pod.spec as Json | undefined)?.containers ?? []) as Json[];
  return containers.map((container) => ({
    name: String(container.name),
    image: String(container.image),
    args: [...((container.command as string[] | undefined) ?? []), ...((container.args as string[]) ?? [])],
  }));
}

export function runningPodStatus(pod: Json, startedAt: string): Json {
  return {
    phase: 'Running',
    startTime: startedAt,
    containerStatuses: containersOf(pod).map(({ name, image }) => ({
      name,
      image,
      ready: true,
      restartCount: 0,
      started: true,
      state: { running: { startedAt } },
    })),
  };
}

export function finishedPodStatus(pod: Json, startedAt: string, exitCode: number): Json {
  const finishedAt = now();
  return {
    phase: exitCode === 0 ? 'Succeeded' : 'Failed',
    startTime: startedAt,
    containerStatuses: containersOf(pod).map(({ name, image }) => ({
      name,
      image,
      ready: false,
      restartCount: 0,
      started: false,
      state: {
        terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt, finishedAt },
      },
    })),
  };
}

const condition = (type: string, reason?: string, message?: string): Json => ({
  type,
  status: 'True',
  lastProbeTime: now(),
  lastTransitionTime: now(),
  ...(reason ? { reason } : {}),
  ...(message ? { message } : {}),
});

/** Counts of a Job's pods, and how it ended (if it did). */
export interface JobProgress {
  startTime: string;
  active: number;
  succeeded: number;
  failed: number;
  end?: { kind: 'complete' } | { kind: 'failed'; reason: 'BackoffLimitExceeded' | 'DeadlineExceeded' };
}

const FAILURE_MESSAGE = {
  BackoffLimitExceeded: 'Job has reached the specified backoff limit',
  DeadlineExceeded: 'Job was active longer than specified deadline',
};

/**
 * A Job's status: the pod counts, and once it ended the interim condition (SuccessCriteriaMet, FailureTarget) and
 * the final one (Complete, Failed), as Kubernetes 1.31 writes them.
 */
export function jobStatus(progress: JobProgress): Json {
  const { startTime, active, succeeded, failed, end } = progress;
  const counts = {
    startTime,
    ...(active ? { active } : {}),
    ...(succeeded ? { succeeded } : {}),
    ...(failed ? { failed } : {}),
    ready: 0,
    terminating: 0,
    uncountedTerminatedPods: {},
  };
  if (!end) return counts;
  if (end.kind === 'complete')
    return {
      ...counts,
      completionTime: now(),
      conditions: [
        condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'),
        condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods'),
      ],
    };
  const message = FAILURE_MESSAGE[end.reason];
  return {
    ...counts,
    conditions: [condition('FailureTarget', end.reason, message), condition('Failed', end.reason, message)],
  };
}

/** An equality-based label selector (`a=b,c==d,e!=f`, `key`, `!key`); null when it is not one. */
export function labelMatcher(selector: string | undefined): ((labels: Json) => boolean) | null {
  if (!selector) return () => true;
  const tests: ((labels: Json) => boolean)[] = [];
  for (const part of selector.split(',').map((text) => text.trim())) {
    const match = /^([^=!\s]+)\s*(==|=|!=)\s*([^=!\s]*)$/.exec(part);
    if (match) {
      const [, key, op, value] = match as unknown as [string, string, string, string];
      tests.push((labels) => (op === '!=' ? labels[key] !== value : labels[key] === value));
    } else if (/^!?[^=!\s]+$/.test(part)) {
      const key = part.replace(/^!/, '');
      const present = !part.startsWith('!');
      tests.push((labels) => key in labels === present);
    } else return null;
  }
  return (labels) => tests.every((test) => test(labels));
}
