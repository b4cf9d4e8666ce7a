import { usdMonthly } from '../slack/blocks/format.js';
import type { DeployRecord } from '../worker/runner.js';
import { targetLabel } from '../worker/status-blocks.js';
import { createDeployStore } from '../worker/store.js';
import type { CliContext } from './context.js';
import { withKnowledgeBase } from './context.js';
import { columns } from './format.js';
import { writeLine } from './io.js';

/** One deployment as `compass status --json` prints it: stable field names for scripts. */
export interface DeploymentStatus {
  id: string;
  /** `namespace/name`, with ` on CONTEXT` when not the current kubeconfig context: what `compass slo NAME` takes. */
  target: string;
  namespace: string;
  name: string;
  /** Kubeconfig context; null: the current one. */
  context: string | null;
  /** pending, running, deployed, failed, rolling_back, rolled_back, deleting, deleted or superseded. */
  state: DeployRecord['state'];
  /** Hugging Face id of the model, and its catalog name. */
  model: string;
  modelName: string;
  precision: string;
  gpu: string;
  /** GPUs of all replicas together. */
  gpuCount: number;
  replicas: number;
  tensorParallel: number;
  /** Planned cost of all replicas, 730 hours a month. */
  monthlyCostUsd: number;
  /** The service URL once the deploy turned healthy. */
  endpoint: string | null;
  /** When the worker saw it healthy (ISO 8601); null until then, or when it failed. */
  deployedAt: string | null;
}

export function deploymentStatus(deploy: DeployRecord): DeploymentStatus {
  const { option } = deploy;
  const outcome = deploy.progress?.outcome;
  return {
    id: deploy.id,
    target: targetLabel(deploy),
    namespace: deploy.namespace,
    name: deploy.name,
    context: deploy.context,
    state: deploy.state,
    model: option.modelId,
    modelName: option.modelName,
    precision: option.precision,
    gpu: option.gpuId,
    gpuCount: option.gpuCount,
    replicas: option.replicas,
    tensorParallel: option.tensorParallel,
    monthlyCostUsd: option.monthlyCostUsd,
    endpoint: deploy.endpoint,
    deployedAt: outcome?.kind === 'deployed' ? outcome.at : null,
  };
}

/** Every deployment in a line each, newest first, after the running count and cost `/compass status` leads with. */
export function formatStatus(deployments: DeploymentStatus[]): string {
  if (deployments.length === 0)
    return (
      'No deployments yet. Deploys are requested and approved in Slack: ask Compass for a plan in a thread, then ' +
      'press Request deploy on an option.'
    );
  const live = deployments.filter((deployment) => deployment.state === 'deployed');
  const monthly = live.reduce((sum, deployment) => sum + deployment.monthlyCostUsd, 0);
  const header = ['Deployment', 'State', 'Model', 'GPUs', 'Cost', 'Endpoint', 'Deployed (UTC)'];
  const rows = deployments.map((deployment) => [
    deployment.target,
    deployment.state.replace(/_/g, ' '),
    `${deployment.modelName}${deployment.precision === 'bf16' ? '' : ` (${deployment.precision})`}`,
    `${deployment.gpuCount}× ${deployment.gpu}${deployment.replicas > 1 ? ` in ${deployment.replicas} replicas` : ''}`,
    usdMonthly(deployment.monthlyCostUsd),
    deployment.endpoint ?? '—',
    deployment.deployedAt?.slice(0, 16).replace('T', ' ') ?? '—',
  ]);
  return [
    `${live.length} running · ${usdMonthly(monthly)} · ${deployments.length} in all, newest first:`,
    '',
    columns([header, ...rows]),
  ].join('\n');
}

/** `compass status [--json]`: every deployment of every workspace, newest first, as `/compass status` lists them. */
export async function statusCommand(context: CliContext, options: { json?: boolean }): Promise<void> {
  const deployments = await withKnowledgeBase(context, async ({ database }) =>
    // Reads only: no target lock is ever taken through it.
    (await createDeployStore(database.db, 0).list()).map(deploymentStatus),
  );
  writeLine(context.io.stdout, options.json ? JSON.stringify(deployments) : formatStatus(deployments));
}
