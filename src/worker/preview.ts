import type { ApprovalRequest } from '../approval/schema.js';
import type { Config } from '../config/index.js';
import type { KubeClient } from '../kube/index.js';
import { escapeMrkdwn } from '../slack/blocks/kit.js';
import { checkedManifests } from './manifests.js';

/** What an approver sees before deciding: what the deploy would create or change, from the cluster itself. */
export type DeployPreview = (request: ApprovalRequest) => Promise<string>;

/**
 * Renders the request's manifests under the name its deploy would get, checks them like the worker does, and asks
 * the API server for a server-side dry run (dryRun=All) against the live objects. Never throws: a cluster that
 * cannot be reached is said so, and the request stays decidable.
 */
export function dryRunPreview(deps: {
  config: Pick<Config, 'deploy' | 'manifests'>;
  name(request: ApprovalRequest): Promise<string>;
  cluster(context: string | null): KubeClient;
}): DeployPreview {
  const manifests = checkedManifests(deps.config);
  return async (request) => {
    const where = request.clusterContext ?? 'the current context';
    try {
      const name = await deps.name(request);
      const checked = manifests({
        id: request.id,
        conversationId: request.conversationId,
        name,
        namespace: request.namespace,
        option: request.option,
        spec: request.spec,
      });
      if (!checked.ok)
        return `*Would be refused before reaching the cluster:*\n${checked.problems.map((p) => `• ${escapeMrkdwn(p)}`).join('\n')}`;
      const report = await deps.cluster(request.clusterContext).apply(checked.objects, { dryRun: true });
      const lines = report.objects.map((outcome) => `• ${escapeMrkdwn(outcome.summary)}`);
      const verdict = report.ok ? 'the API server accepts it' : 'the API server refuses it';
      return `*Dry run on ${escapeMrkdwn(where)}* (\`${escapeMrkdwn(name)}\`): ${verdict}\n${lines.join('\n')}`;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return `*Dry run on ${escapeMrkdwn(where)} not possible:* ${escapeMrkdwn(reason)}`;
    }
  };
}
