export {
  type ApplyOutcome,
  type ApplyReport,
  createKubeClient,
  FIELD_MANAGER,
  type KubeClient,
  type KubeClientOptions,
} from './client.js';
export { changedFields, describeChanges, FieldChange } from './diff.js';
export { KubeError, KubeErrorKind, KubeStatus, KubeStatusCause, toKubeError } from './errors.js';
export { type JobClient, type JobPhase, type JobRef, jobPhaseOf, podProblem } from './jobs.js';
export { describeRef, KubeObject, ObjectRef, refOf } from './objects.js';
export { Condition, type Readiness, readinessOf, rolloutOf } from './readiness.js';
export type { ReadyOutcome, WaitOptions } from './wait.js';
