import type { KubeClient, KubeObject } from '../kube/index.js';
import { createKubeClient, KubeError, refOf } from '../kube/index.js';
import type { Logger } from '../log/index.js';
import type { DeployStep } from './progress.js';
import type { DeployCluster } from './runner.js';
import { DeployStepError } from './runner.js';

function asStepError(step: DeployStep, error: unknown): DeployStepError {
  if (error instanceof DeployStepError) return error;
  if (error instanceof KubeError) return new DeployStepError(step, error.kind === 'transient', error.message);
  return new DeployStepError(step, true, error instanceof Error ? error.message : String(error));
}

/** "created 2, unchanged 1": what an apply did, for the status message. */
export function applySummary(actions: string[]): string {
  const counts = new Map<string, number>();
  for (const action of actions) counts.set(action, (counts.get(action) ?? 0) + 1);
  return [...counts].map(([action, n]) => `${action} ${n}`).join(', ');
}

/** A deploy's view of one cluster: server-side apply, readiness of its InferenceService, tear-down. */
export function kubeDeployCluster(client: KubeClient, readyTimeoutMs: number): DeployCluster {
  return {
    async apply(objects) {
      const report = await client.apply(objects).catch((error: unknown) => {
        throw asStepError('apply', error);
      });
      if (!report.ok) {
        const failed = report.objects.find((o) => o.action === 'failed');
        const error = report.error ?? new KubeError('transient', failed?.summary ?? 'apply failed');
        throw new DeployStepError('apply', error.kind === 'transient', failed?.summary ?? error.message);
      }
      return applySummary(report.objects.map((o) => o.action));
    },
    async waitUntilReady(objects, signal) {
      const service = objects.find((o) => o.kind === 'InferenceService');
      if (!service)
        throw new DeployStepError('ready', false, 'the manifests have no InferenceService to wait for');
      const outcome = await client.waitUntilReady(refOf(service), { timeoutMs: readyTimeoutMs, signal });
      if (outcome.ready) {
        if (!outcome.url) throw new DeployStepError('ready', true, 'Ready, but KServe reports no URL yet');
        return outcome.url;
      }
      // A model that cannot load, or a service someone deleted, will not fix itself; a slow start or a stopping
      // worker may.
      const transient = outcome.reason === 'timeout' || outcome.reason === 'aborted';
      throw new DeployStepError('ready', transient, outcome.message);
    },
    async remove(objects) {
      for (const object of [...objects].reverse()) {
        await client.delete(refOf(object as KubeObject)).catch((error: unknown) => {
          throw asStepError('ready', error);
        });
      }
    },
  };
}

/** One client per kubeconfig context (null: the current one), made on first use. */
export function kubeClients(
  kubeconfig: string | undefined,
  log: Logger,
): (context: string | null) => KubeClient {
  const clients = new Map<string, KubeClient>();
  return (context) => {
    const key = context ?? '';
    let client = clients.get(key);
    if (!client) {
      client = createKubeClient({
        ...(context ? { context } : {}),
        ...(kubeconfig ? { kubeconfig } : {}),
        log,
      });
      clients.set(key, client);
    }
    return client;
  };
}
