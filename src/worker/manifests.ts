import type { Config } from '../config/index.js';
import { checkManifests, deployPolicy, describeProblem, renderManifests } from '../deploy/index.js';
import type { DeployRunnerDeps } from './runner.js';

/** The deploy's objects, rendered and checked exactly as `compass manifests` shows them. */
export function checkedManifests(
  config: Pick<Config, 'deploy' | 'manifests'>,
): DeployRunnerDeps['manifests'] {
  const policy = deployPolicy(config);
  return (deploy) => {
    const rendered = renderManifests({
      deployId: deploy.id,
      conversationId: deploy.conversationId,
      name: deploy.name,
      namespace: deploy.namespace,
      option: deploy.option,
      spec: deploy.spec,
      settings: config.manifests,
    });
    if (!rendered.ok) return { ok: false, problems: [rendered.reason] };
    const problems = checkManifests(rendered.objects, policy);
    if (problems.length > 0) return { ok: false, problems: problems.map(describeProblem) };
    return { ok: true, objects: rendered.objects };
  };
}
