/**
 * `compass manifests`: the Kubernetes objects one option of the plan for TEXT would deploy, checked against the
 * schema and the deploy policy as the deploy worker checks them. Prints them either way; exits 1 when a check fails.
 */
import { deployBaseName } from '../approval/names.js';
import {
  checkManifests,
  deployPolicy,
  describePlacement,
  describeProblem,
  gpuPlacement,
  manifestsYaml,
  planPolicy,
  renderManifests,
} from '../deploy/index.js';
import { planDeployment } from '../planner/index.js';
import { buildSpec } from '../spec/index.js';
import type { CliContext } from './context.js';
import { withKnowledge } from './context.js';
import { intentOf } from './extract.js';
import { UsageError, writeLine } from './io.js';

export interface ManifestsCommandOptions {
  json?: boolean;
  /** 1-based position in the plan's recommendations. */
  option: number;
  simulator?: boolean;
  name?: string;
  namespace?: string;
}

/** The deploy id and conversation of a preview: no deploy request exists behind it. */
const PREVIEW = { deployId: 'preview', conversationId: 'cli' };

export async function manifestsCommand(
  context: CliContext,
  words: string[],
  options: ManifestsCommandOptions,
) {
  const text = words.join(' ').trim();
  if (!text) throw new UsageError('give TEXT, e.g. compass manifests "chatbot for 1000 users".');
  const { config } = context;
  const { objects, placement } = await withKnowledge(context, async (knowledge) => {
    const spec = buildSpec(await intentOf(context, knowledge, text), knowledge.useCases);
    // Planned within the policy the manifests are checked against (simulator or not), so option N can deploy.
    const settings = { ...config.manifests, simulator: options.simulator || config.manifests.simulator };
    const plan = planDeployment(spec, knowledge, { policy: planPolicy({ manifests: settings }) });
    const count = plan.recommendations.length;
    if (count === 0)
      throw new Error(`no option meets this request${plan.warnings[0] ? `: ${plan.warnings[0]}` : ''}`);
    const option = plan.recommendations[options.option - 1];
    if (!option)
      throw new UsageError(
        `the plan has ${count} option${count > 1 ? 's' : ''}; pick --option 1 to ${count}.`,
      );
    const rendered = renderManifests({
      ...PREVIEW,
      name: options.name ?? deployBaseName(option.modelId),
      namespace: options.namespace ?? config.deploy.namespaces[0]!,
      option,
      spec,
      settings,
    });
    if (!rendered.ok) throw new Error(rendered.reason);
    const resolved = settings.simulator ? undefined : gpuPlacement(option.gpuId, settings);
    return { objects: rendered.objects, placement: resolved && describePlacement(option.gpuId, resolved) };
  });
  // YAML comments say which node labels were chosen and why; JSON stays the bare objects.
  const why = placement ? `${placement.map((line) => `# ${line}`).join('\n')}\n` : '';
  writeLine(
    context.io.stdout,
    options.json ? JSON.stringify(objects) : why + manifestsYaml(objects).trimEnd(),
  );
  const problems = checkManifests(objects, deployPolicy(config));
  if (problems.length > 0) {
    throw new Error(
      `these manifests would be refused (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n${problems.map((problem) => `  - ${describeProblem(problem)}`).join('\n')}`,
    );
  }
}
