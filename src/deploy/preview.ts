import { deployBaseName } from '../approval/names.js';
import type { Config } from '../config/index.js';
import { redactSecrets } from '../log/redact.js';
import type { PlannedOption } from '../planner/plan.js';
import type { DeploymentSpec } from '../spec/schema.js';
import { manifestPreview } from './objects.js';
import { renderManifests } from './render.js';

/**
 * The manifests an option would deploy, as short YAML for the Details modal: rendered with the settings a deploy
 * would use, in the first allowed namespace, under the model's base name (a deploy may add a suffix).
 */
export function optionManifestPreview(config: Pick<Config, 'deploy' | 'manifests'>) {
  return (conversationId: string, option: PlannedOption, spec: DeploymentSpec): string => {
    const rendered = renderManifests({
      deployId: 'preview',
      conversationId,
      name: deployBaseName(option.modelId),
      namespace: config.deploy.namespaces[0]!,
      option,
      spec,
      settings: config.manifests,
    });
    // Nothing secret is rendered; redacting what is shown anyway keeps it so if a setting ever carries one.
    return redactSecrets(
      rendered.ok ? manifestPreview(rendered.objects) : `Cannot render: ${rendered.reason}`,
    );
  };
}
