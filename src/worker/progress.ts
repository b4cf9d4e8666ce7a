import { z } from 'zod';

/** The steps of one deploy, in order; each run of the job walks them again (every step is idempotent). */
export const DEPLOY_STEPS = ['render', 'validate', 'apply', 'ready', 'smoke'] as const;
export const DeployStep = z.enum(DEPLOY_STEPS);
export type DeployStep = z.infer<typeof DeployStep>;

export const STEP_LABEL: Record<DeployStep, string> = {
  render: 'Render manifests',
  validate: 'Check policy and schema',
  apply: 'Server-side apply',
  ready: 'Wait until Ready',
  smoke: 'Smoke request',
};

/** Where a deploy is, from approval to its end; rolling_back and deleting are the only states between two others. */
export const DeployState = z.enum([
  'pending',
  'running',
  'deployed',
  'failed',
  'rolling_back',
  'rolled_back',
  'deleting',
  'deleted',
  'superseded',
]);
export type DeployState = z.infer<typeof DeployState>;

export const StepState = z.enum(['pending', 'running', 'done', 'failed', 'retrying']);
export type StepState = z.infer<typeof StepState>;

/** Where a benchmark of a deployed deploy stands; cancelling: Cancel was pressed, the worker has yet to stop it. */
export const BenchmarkState = z.enum(['queued', 'running', 'cancelling', 'done', 'failed', 'cancelled']);
export type BenchmarkState = z.infer<typeof BenchmarkState>;
/** The states in which a benchmark holds the deployment (no second one starts; Cancel shows). */
export const BENCHMARK_BUSY: readonly BenchmarkState[] = ['queued', 'running', 'cancelling'];

/** The latest benchmark of a deploy, as its status message shows it. */
export const BenchmarkStatus = z.object({
  state: BenchmarkState,
  /** Who pressed Benchmark (and, once cancelled, Cancel). */
  requestedBy: z.string(),
  cancelledBy: z.string().optional(),
  /** When it entered its state (ISO 8601). */
  at: z.string(),
  /** Why it failed, in the words of the thread. */
  detail: z.string().optional(),
});
export type BenchmarkStatus = z.infer<typeof BenchmarkStatus>;

/** What the status message in the thread shows; stored with the deploy so a restarted worker shows the same. */
export const DeployProgress = z.object({
  steps: z.array(z.object({ step: DeployStep, state: StepState, detail: z.string().optional() })),
  /** Attempt of the current run (BullMQ's attemptsMade + 1). */
  attempt: z.number().int().positive(),
  outcome: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('deployed'), endpoint: z.string(), at: z.string() }),
      z.object({ kind: z.literal('failed'), reason: z.string(), at: z.string() }),
    ])
    .optional(),
  benchmark: BenchmarkStatus.optional(),
});
export type DeployProgress = z.infer<typeof DeployProgress>;

export function startProgress(attempt: number): DeployProgress {
  return { steps: DEPLOY_STEPS.map((step) => ({ step, state: 'pending' })), attempt };
}

/** The progress with `step` in `state` (and every earlier step done). */
export function withStep(
  progress: DeployProgress,
  step: DeployStep,
  state: StepState,
  detail?: string,
): DeployProgress {
  const index = DEPLOY_STEPS.indexOf(step);
  return {
    ...progress,
    steps: progress.steps.map((entry, i) => {
      if (i < index)
        return { step: entry.step, state: 'done', ...(entry.detail && { detail: entry.detail }) };
      if (i === index) return { step, state, ...(detail !== undefined && { detail }) };
      return entry;
    }),
  };
}

export function finished(progress: DeployProgress, outcome: NonNullable<DeployProgress['outcome']>) {
  return { ...progress, outcome };
}

/**
 * What the Ready step says while it waits, when the rollout is a Recreate: the old replicas stop before the new ones
 * start (no spare GPUs needed), so an update leaves the deployment unavailable for a while.
 */
export function rolloutNotice(objects: readonly { kind: string; spec?: unknown }[]): string | undefined {
  const service = objects.find((object) => object.kind === 'InferenceService');
  const predictor = (service?.spec as { predictor?: { deploymentStrategy?: { type?: unknown } } } | undefined)
    ?.predictor;
  if (predictor?.deploymentStrategy?.type !== 'Recreate') return undefined;
  return 'Recreate rollout: on an update the old replicas stop before the new ones start, so the deployment is briefly unavailable until they load the model';
}
