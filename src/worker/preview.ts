import type { ApprovalRequest } from '../approval/schema.js';
import type { Config } from '../config/index.js';
import { type KubeClient, type KubeObject, refOf } from '../kube/index.js';
import { escapeMrkdwn } from '../slack/blocks/kit.js';
import { checkedManifests } from './manifests.js';

/**
 * The deploy id the target's live objects carry: the value of the label in which the rendered objects carry `id`
 * (undefined when none of them exists yet).
 */
async function liveDeployId(
  cluster: KubeClient,
  objects: readonly KubeObject[],
  id: string,
): Promise<string | undefined> {
  for (const object of objects) {
    const labels = object.metadata.labels ?? {};
    const key = Object.keys(labels).find((label) => labels[label] === id);
    if (!key) continue;
    const live = await cluster.get(refOf(object));
    const liveId = live?.metadata.labels?.[key];
    if (liveId) return liveId;
  }
  return undefined;
}

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
      const cluster = deps.cluster(request.clusterContext);
      const render = (id: string) =>
        manifests({
          id,
          conversationId: request.conversationId,
          name,
          namespace: request.namespace,
          option: request.option,
          spec: request.spec,
        });
      let checked = render(request.id);
      // The deploy's id is made only on approval. Rendered under the id the live target carries, the fields that
      // hold it (labels, annotations, selectors, the autoscaler's query) compare equal, so only real changes show.
      const liveId = checked.ok ? await liveDeployId(cluster, checked.objects, request.id) : undefined;
      if (liveId) checked = render(liveId);
      if (!checked.ok)
        return `*Would be refused before reaching the cluster:*\n${checked.problems.map((p) => `• ${escapeMrkdwn(p)}`).join('\n')}`;
      const report = await cluster.apply(checked.objects, { dryRun: true });
      const lines = report.objects.map((outcome) => `• ${escapeMrkdwn(outcome.summary)}`);
      const verdict = report.ok ? 'the API server accepts it' : 'the API server refuses it';
      return `*Dry run on ${escapeMrkdwn(where)}* (\`${escapeMrkdwn(name)}\`): ${verdict}\n${lines.join('\n')}`;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return `*Dry run on ${escapeMrkdwn(where)} not possible:* ${escapeMrkdwn(reason)}`;
    }
  };
}
