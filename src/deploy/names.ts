/** Names KServe derives from an InferenceService's, which must stay Kubernetes names too. */

/** Longest InferenceService name whose derived names ("<name>-predictor", "<name>-transformer") stay labels. */
export const MAX_SERVICE_NAME = 63 - '-transformer'.length;

/** The Deployment KServe creates for a component (predictor, transformer) of an InferenceService in RawDeployment mode. */
export function componentDeploymentName(service: string, component = 'predictor'): string {
  return `${service}-${component}`;
}
