import { componentDeploymentName } from '../deploy/names.js';
import type { KubeClient, KubeObject, ObjectRef, ReadyOutcome } from '../kube/index.js';
import { createKubeClient, KubeError, refOf, rolloutOf } from '../kube/index.js';
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
      const deadline = Date.now() + readyTimeoutMs;
      const served = await client.waitUntilReady(refOf(service), {
        timeoutMs: deadline - Date.now(),
        signal,
      });
      if (!served.ready) throw notReady(served);
      if (!served.url) throw new DeployStepError('ready', true, 'Ready, but KServe reports no URL yet');
      // In raw mode Ready means the predictor's Deployment is Available, which its old pods keep during a rolling
      // update: only the Deployment's rollout says the pods of this revision serve (and no old one answers).
      const rolledOut = await client.waitUntilReady(predictorDeployment(service), {
        timeoutMs: Math.max(0, deadline - Date.now()),
        signal,
        judge: (deployment) => rolloutOf(deployment, predictorLabels(service)),
        mayNotExistYet: true,
      });
      if (!rolledOut.ready) throw notReady(rolledOut);
      return served.url;
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

/** A wait that ended without Ready: a model that cannot load, a rollout that stopped progressing or a deleted
 * object will not fix itself; a slow start or a stopping worker may. */
function notReady(outcome: Exclude<ReadyOutcome, { ready: true }>): DeployStepError {
  const transient = outcome.reason === 'timeout' || outcome.reason === 'aborted';
  return new DeployStepError('ready', transient, outcome.message);
}

/** The Deployment KServe runs an InferenceService's predictor as in RawDeployment mode. */
function predictorDeployment(service: KubeObject): ObjectRef {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: componentDeploymentName(service.metadata.name),
    ...(service.metadata.namespace ? { namespace: service.metadata.namespace } : {}),
  };
}

type Fields = Record<string, unknown>;
const predictorOf = (service: KubeObject) =>
  ((service.spec as Fields | undefined)?.predictor ?? {}) as Fields;

/** The labels KServe puts on the predictor's pods: this revision's (the deploy id among them). */
function predictorLabels(service: KubeObject): Record<string, string> {
  return (predictorOf(service).labels ?? {}) as Record<string, string>;
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
