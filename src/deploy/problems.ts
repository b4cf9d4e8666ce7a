/** What the checks before a cluster find wrong with rendered objects, in words a user can act on. */
export interface ManifestProblem {
  check: 'policy' | 'schema';
  /** Which object: "InferenceService llm/chat". */
  object: string;
  /** Which field: "spec.predictor.containers[0].image". */
  field: string;
  /** Why it is refused. */
  problem: string;
  /** What to change. */
  fix: string;
}

/** A problem found in one object, before the object is named. */
export type Finding = Omit<ManifestProblem, 'check' | 'object'>;

/** "InferenceService llm/chat: spec.predictor.minReplicas must be integer; …". */
export function describeProblem(problem: ManifestProblem): string {
  return `${problem.object}: ${problem.field} ${problem.problem}; ${problem.fix}.`;
}
