import { type ManifestInput, ManifestSettings, renderManifests } from '../../src/deploy/index.js';
import type { Intent } from '../../src/intent/schema.js';
import type { Knowledge } from '../../src/knowledge/catalog.js';
import { readCatalogFiles } from '../../src/knowledge/data-files.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { planDeployment } from '../../src/planner/index.js';
import { buildSpec } from '../../src/spec/index.js';
import { intentWith } from '../fixtures/intent.js';

export const knowledge: Knowledge = { ...readCatalogFiles(), benchmarks: [] };

/** The top option of a real plan for a chatbot with these overrides, and the spec it was planned for. */
export function planned(overrides: Partial<Intent>) {
  const spec = buildSpec(
    intentWith({ useCase: 'chatbot_conversational', users: 1000, priority: 'cost', ...overrides }),
    knowledge.useCases,
  );
  const option = planDeployment(spec, knowledge).recommendations[0];
  if (!option) throw new Error(`no option for ${JSON.stringify(overrides)}`);
  return { spec, option };
}

/**
 * By default a chatbot on L4s whose model needs several replicas for 4,000 users, so it autoscales (and so has no
 * single-replica weight claim); without a model named, the cheapest would be whatever small model the catalog has.
 */
export function manifestInput(
  overrides: Partial<Intent> = { gpuTypes: ['L4'], models: ['Qwen/Qwen2.5-7B-Instruct'], users: 4000 },
  settings: Partial<ManifestSettings> = {},
): ManifestInput {
  return {
    deployId: 'd-0f3a9c',
    name: 'chat-llm',
    namespace: 'compass',
    conversationId: 'C024BE91L:1712345678.000100',
    ...planned(overrides),
    settings: { ...ManifestSettings.parse({}), ...settings },
  };
}

export function rendered(input: ManifestInput): KubeObject[] {
  const result = renderManifests(input);
  if (!result.ok) throw new Error(result.reason);
  return result.objects;
}

export function ofKind(objects: KubeObject[], kind: string): KubeObject {
  const object = objects.find((candidate) => candidate.kind === kind);
  if (!object) throw new Error(`no ${kind} among ${objects.map((o) => o.kind).join(', ')}`);
  return object;
}

interface Probe {
  httpGet: { path: string; port: string };
  periodSeconds: number;
  failureThreshold: number;
}

/** The fields of a rendered predictor the tests read. */
export interface Predictor {
  minReplicas: number;
  maxReplicas: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  nodeSelector?: Record<string, string>;
  affinity?: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: { matchExpressions: { key: string; operator: string; values: string[] }[] }[];
      };
    };
  };
  deploymentStrategy?: { type: string; rollingUpdate?: { maxSurge: number; maxUnavailable: number } };
  tolerations?: { key: string; operator: string; effect: string }[];
  volumes?: {
    name: string;
    emptyDir?: { medium?: string; sizeLimit: string };
    persistentVolumeClaim?: { claimName: string };
    ephemeral?: { volumeClaimTemplate: { spec: { resources: { requests: { storage: string } } } } };
  }[];
  containers: {
    name: string;
    image: string;
    securityContext?: Record<string, unknown>;
    command?: string[];
    args: string[];
    env?: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
    resources: { requests: Record<string, string>; limits: Record<string, string> };
    startupProbe: Probe;
    readinessProbe: Probe;
    livenessProbe: Probe;
    volumeMounts?: { name: string; mountPath: string }[];
  }[];
}

export function predictorOf(objects: KubeObject[]): Predictor {
  return (ofKind(objects, 'InferenceService').spec as { predictor: Predictor }).predictor;
}

/** The predictor's node affinity as label key → allowed values (one ORed term per key). */
export function nodeTermsOf(objects: KubeObject[]): Record<string, string[]> {
  const affinity = predictorOf(objects).affinity;
  const terms = affinity?.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms ?? [];
  return Object.fromEntries(
    terms.flatMap((term) => term.matchExpressions.map((expression) => [expression.key, expression.values])),
  );
}

export function serverOf(objects: KubeObject[]): Predictor['containers'][number] {
  return predictorOf(objects).containers[0]!;
}

/** Argument value after a flag: `flagValue(["--tp", "2"], "--tp")` = "2". */
export function flagValue(args: string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index < 0 ? undefined : args[index + 1];
}
