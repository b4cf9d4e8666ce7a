/** Deploy manifests: rendering from templates/, and the policy and schema checks before anything reaches a cluster. */
import type { KubeObject } from '../kube/objects.js';
import { checkPolicy, type DeployPolicy } from './policy.js';
import type { ManifestProblem } from './problems.js';
import { validateManifests } from './validate.js';

export { componentDeploymentName, MAX_SERVICE_NAME } from './names.js';
export { manifestPreview, manifestsYaml, objectRef } from './objects.js';
export { checkPolicy, type DeployPolicy, deployPolicy, planPolicy } from './policy.js';
export { optionManifestPreview } from './preview.js';
export { describeProblem, type ManifestProblem } from './problems.js';
export {
  HF_HOME,
  inFlightPerReplica,
  type ManifestInput,
  type RenderResult,
  renderManifests,
  replicaRange,
  SERVER_PORT,
  startupBudgetSeconds,
  weightCacheGib,
  weightClaimName,
} from './render.js';
export {
  DEFAULT_GPU_PLACEMENT,
  describePlacement,
  GpuPlacement,
  gpuPlacement,
  ManifestSettings,
} from './settings.js';
export { validateManifests } from './validate.js';

/** Everything that stops the objects from being applied: schema problems, then policy violations. */
export function checkManifests(objects: readonly KubeObject[], policy: DeployPolicy): ManifestProblem[] {
  return [...validateManifests(objects), ...checkPolicy(objects, policy)];
}
