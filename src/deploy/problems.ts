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

/** A field path from its parts: ["spec", "containers", 0, "resources", "nvidia.com/gpu"] → spec.containers[0].resources["nvidia.com/gpu"]. */
export function fieldPath(parts: readonly (string | number)[]): string {
  return parts.reduce<string>((path, part) => {
    if (typeof part === 'number' || /^\d+$/.test(part)) return `${path}[${part}]`;
    if (!/^[A-Za-z_]\w*$/.test(part)) return `${path}[${JSON.stringify(part)}]`;
    return path === '' ? part : `${path}.${part}`;
  }, '');
}
