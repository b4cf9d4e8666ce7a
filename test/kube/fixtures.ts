import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKubeClient, type KubeClient, type KubeObject } from '../../src/kube/index.js';
import {
  type KubernetesStandIn,
  type ReadinessPlan,
  startKubernetesStandIn,
} from '../standins/kubernetes.js';

export interface KubeFixture {
  standIn: KubernetesStandIn;
  client: KubeClient;
  /** Path of a kubeconfig whose current context ("stand-in") points at the stand-in. */
  kubeconfig: string;
  /** Writes another kubeconfig file next to the first. */
  writeKubeconfig(name: string, content: unknown): string;
  close(): Promise<void>;
}

/** A stand-in API server and a client for it, through a kubeconfig file as Compass would load one. */
export async function kubeFixture(
  options: { readiness?: ReadinessPlan; requestTimeoutMs?: number } = {},
): Promise<KubeFixture> {
  const standIn = await startKubernetesStandIn(options.readiness ? { readiness: options.readiness } : {});
  const dir = mkdtempSync(join(tmpdir(), 'compass-kube-'));
  const writeKubeconfig = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(content));
    return path;
  };
  const kubeconfig = writeKubeconfig('config', standIn.kubeconfig());
  const client = createKubeClient({
    kubeconfig,
    context: 'stand-in',
    requestTimeoutMs: options.requestTimeoutMs ?? 5_000,
  });
  return {
    standIn,
    client,
    kubeconfig,
    writeKubeconfig,
    async close() {
      await standIn.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function inferenceService(name = 'chat', minReplicas = 1): KubeObject {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: {
      name,
      namespace: 'compass',
      labels: { 'app.kubernetes.io/managed-by': 'compass', 'compass.dev/deployment': 'dep-1' },
    },
    spec: {
      predictor: {
        minReplicas,
        maxReplicas: 2,
        containers: [
          {
            name: 'kserve-container',
            image: 'vllm/vllm-openai:v0.6.3',
            args: ['--model', 'meta-llama/Llama-3.1-8B-Instruct', '--tensor-parallel-size', '1'],
            resources: { limits: { 'nvidia.com/gpu': '1' }, requests: { 'nvidia.com/gpu': '1' } },
          },
        ],
      },
    },
  };
}

export function deployment(
  name = 'router',
  fields: { replicas?: number; revisionHistoryLimit?: number; labels?: Record<string, string> } = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'compass', labels: fields.labels ?? { app: name } },
    spec: {
      replicas: fields.replicas ?? 1,
      ...(fields.revisionHistoryLimit === undefined
        ? {}
        : { revisionHistoryLimit: fields.revisionHistoryLimit }),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name, image: 'nginx:1.27' }] },
      },
    },
  };
}
