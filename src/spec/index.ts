export type { SpecProblem } from './build.js';
export {
  assumptionsOf,
  batchOfText,
  buildSpec,
  checkSpec,
  FALLBACK_USE_CASE,
  FALLBACK_USERS,
  trafficFromUsers,
  UnknownUseCaseError,
} from './build.js';
export { DeploymentSpec, FieldSource } from './schema.js';
