import { describe, expect, it } from 'vitest';
import { describeProblem, objectRef, validateManifests } from '../../src/deploy/index.js';
import type { Intent } from '../../src/intent/schema.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { manifestInput, rendered } from './fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: tests reach into rendered objects to break them on purpose
type Loose = any;

const base = rendered(manifestInput({ gpuTypes: ['L4'] }));

/** The InferenceService, ScaledObject and PodMonitor of rendered objects, wherever the weight claim puts them. */
const MAIN_KINDS = ['InferenceService', 'ScaledObject', 'PodMonitor'] as const;
const mainObjects = (objects: KubeObject[]): Loose[] =>
  MAIN_KINDS.map((kind) => objects.find((object) => object.kind === kind));

function objectsWith(change: (isvc: Loose, scaler: Loose, monitor: Loose) => void): KubeObject[] {
  const objects = structuredClone(base);
  const [isvc, scaler, monitor] = mainObjects(objects);
  change(isvc, scaler, monitor);
  return objects;
}

/** A Hugging Face cache claim with `extra` in its spec. */
const hfCache = (extra: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'chat-llm-hf-cache', namespace: 'compass' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '40Gi' } }, ...extra },
});

const described = (objects: unknown[]) => validateManifests(objects).map(describeProblem);
const fieldsOf = (objects: unknown[]) => validateManifests(objects).map((p) => `${p.object} ${p.field}`);

/** Fifteen plans across GPUs, models, use cases, priorities and modes. */
const PLANS: [Partial<Intent>, { simulator?: boolean }][] = [
  [{ gpuTypes: ['L4'] }, {}],
  [{ gpuTypes: ['A10G'] }, {}],
  [{ gpuTypes: ['L40S'] }, {}],
  [{ gpuTypes: ['A100-40GB'] }, {}],
  [{ gpuTypes: ['A100-80GB'], models: ['meta-llama/Llama-3.1-70B-Instruct'] }, {}],
  [{ gpuTypes: ['H100'], models: ['meta-llama/Llama-3.1-70B-Instruct'], users: 20000 }, {}],
  [{ gpuTypes: ['H200'], models: ['Qwen/Qwen3-30B-A3B'] }, {}],
  [{ gpuTypes: ['B200'] }, {}],
  [{ gpuTypes: ['MI300X'] }, {}],
  [{ gpuTypes: ['H100'], models: ['meta-llama/Llama-3.1-405B-Instruct'] }, {}],
  [{ useCase: 'code_completion', priority: 'latency' }, {}],
  [{ useCase: 'document_analysis_rag', priority: 'cost' }, {}],
  [{ useCase: 'long_document_summarization', users: 50 }, {}],
  [{ gpuTypes: ['L4'] }, { simulator: true }],
  [{ gpuTypes: ['H100'], models: ['openai/gpt-oss-120b'] }, { simulator: true }],
];

describe('validateManifests against the vendored CRDs, strictly', () => {
  it.each(PLANS)('accepts what the templates render for %o %o', (intent, settings) => {
    const objects = rendered(manifestInput(intent, settings));
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining([...MAIN_KINDS]));
    expect(described(objects)).toEqual([]);
  });

  const C = 'spec.predictor.containers[0]';
  const BEHAVIOR = 'spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown';
  const ENDPOINT = 'spec.podMetricsEndpoints[0]';
  /**
   * Each sets one value at a path of one rendered object (0 InferenceService, 1 ScaledObject, 2 PodMonitor); the
   * problem must name that object and the field (the path set, unless a deeper or shallower one is given).
   */
  const MUTATIONS: [0 | 1 | 2, string, unknown, string?][] = [
    [0, `${C}.imagePullPolcy`, 'Always'],
    [0, `${C}.readinessProbe.httpGet.prt`, 8080],
    [0, `${C}.env[0].valueFrom.secretKeyRef.optinal`, true],
    [0, 'spec.predictor.tolerations[0].tolerationSecond', 30],
    [1, `${BEHAVIOR}.stabilisationWindowSeconds`, 600],
    [2, `${ENDPOINT}.interval`, '30s1m'],
    [2, `${ENDPOINT}.interval`, '15'],
    [2, `${ENDPOINT}.interval`, '1.5m'],
    [2, `${ENDPOINT}.scrapeTimeout`, '10 s'],
    [2, `${ENDPOINT}.scheme`, 'ftp'],
    [
      2,
      `${ENDPOINT}.relabelings`,
      [{ action: 'rename', sourceLabels: ['a'] }],
      `${ENDPOINT}.relabelings[0].action`,
    ],
    [2, 'spec.podMetricEndpoints', [{ port: 'http' }]],
    [2, 'spec.selector.matchLabel', {}],
    [0, `${C}.imagePullPolicy`, 'IfNotPresnt'],
    [0, `${C}.ports[0].protocol`, 'HTTP'],
    [0, 'spec.predictor.tolerations[0].operator', 'Exist'],
    [0, 'spec.predictor.tolerations[0].effect', 'NoScheduling'],
    [
      0,
      'spec.predictor.volumes',
      [{ name: 'shm', emptyDir: { medium: 'memory' } }],
      'spec.predictor.volumes[0].emptyDir.medium',
    ],
    [0, 'spec.predictor.deploymentStrategy', { type: 'Recreated' }, 'spec.predictor.deploymentStrategy.type'],
    [1, `${BEHAVIOR}.policies[0].type`, 'Pod'],
    [1, `${BEHAVIOR}.selectPolicy`, 'Maximum'],
    [1, 'spec.triggers[0].metricType', 'Average'],
    [1, 'spec.fallback', { failureThreshold: 3, replicas: 1, behavior: 'last' }, 'spec.fallback.behavior'],
    [1, 'spec.triggers[0].metadata.threshold', 5],
    [1, 'spec.minReplicaCounts', 1],
    [1, 'spec.scaleTargetRef.nam', 'x'],
    [1, 'spec.pollingInterval', '15s'],
    [0, `${C}.ports[0].containerPort`, 2 ** 32],
    [0, `${C}.resources.requests.memory`, '16 GiB'],
    [0, 'spec.predictor.nodeSelecter', {}],
    [0, 'spec.predicter', {}],
    [0, `${C}.volumeMounts`, [{ name: 'shm', mountpath: '/dev/shm' }], `${C}.volumeMounts[0].mountpath`],
    [0, `${C}.env[1]`, { name: 'HF_TOKEN', value: 'x' }, `${C}.env`],
    [0, 'metadata.annotation', {}],
    [0, 'metadata.name', '9llama'],
    [0, `${C}.startupProbe.periodSecond`, 10],
  ];

  /** Sets `value` at a path such as `spec.containers[0].env[1].name`. */
  function setAt(target: Loose, path: string, value: unknown): void {
    const keys = path.replace(/\[(\d+)\]/g, '.$1').split('.');
    const parent = keys.slice(0, -1).reduce((node, key) => node[key], target);
    parent[keys.at(-1)!] = value;
  }

  it(`rejects each of ${MUTATIONS.length} mutations, naming the object and the field`, () => {
    expect(MUTATIONS.length).toBeGreaterThanOrEqual(30);
    for (const [index, path, value, field = path] of MUTATIONS) {
      const objects = structuredClone(base);
      setAt(mainObjects(objects)[index], path, value);
      const named = validateManifests(objects).map((p) => `${p.object} ${p.field}`);
      expect(named, `${path} = ${JSON.stringify(value)}`).toContain(
        `${objectRef(mainObjects(objects)[index])} ${field}`,
      );
    }
  });

  it('accepts the valid constructs the CRDs allow', () => {
    const objects = objectsWith((isvc, scaler, monitor) => {
      const predictor = isvc.spec.predictor;
      predictor.deploymentStrategy = {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
      };
      predictor.serviceAccountName = 'vllm';
      predictor.priorityClassName = 'gpu-serving';
      predictor.imagePullSecrets = [{ name: 'registry' }];
      predictor.affinity = {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  {
                    key: 'nvidia.com/gpu.product',
                    operator: 'In',
                    values: ['NVIDIA-L4', 'NVIDIA-L4-SHARED'],
                  },
                ],
              },
            ],
          },
        },
      };
      predictor.securityContext = { fsGroup: 1000 };
      predictor.volumes = [
        { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '8Gi' } },
        { name: 'hf-cache', persistentVolumeClaim: { claimName: 'chat-llm-hf-cache' } },
      ];
      const server = predictor.containers[0];
      server.volumeMounts = [
        { name: 'shm', mountPath: '/dev/shm' },
        { name: 'hf-cache', mountPath: '/root/.cache/huggingface' },
      ];
      server.env.push({ name: 'VLLM_USE_TRITON_FLASH_ATTN', value: '0' });
      server.resources.requests['ephemeral-storage'] = '200Gi';
      server.resources.limits['amd.com/gpu'] = 1;
      server.startupProbe.initialDelaySeconds = 60;
      server.securityContext = {
        capabilities: { add: ['SYS_PTRACE'] },
        seccompProfile: { type: 'Unconfined' },
      };
      scaler.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleUp = {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [
          { type: 'Percent', value: 100, periodSeconds: 60 },
          { type: 'Pods', value: 2, periodSeconds: 60 },
        ],
      };
      scaler.spec.triggers[0].authenticationRef = { name: 'prometheus-auth', kind: 'TriggerAuthentication' };
      scaler.spec.fallback = { failureThreshold: 3, replicas: 1 };
      monitor.spec.podMetricsEndpoints[0].interval = '1m30s';
      monitor.spec.podMetricsEndpoints[0].scrapeTimeout = '10s';
      monitor.spec.podMetricsEndpoints[0].honorLabels = true;
    });
    const triggerAuth = {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'TriggerAuthentication',
      metadata: { name: 'prometheus-auth', namespace: 'compass' },
      spec: { secretTargetRef: [{ parameter: 'bearerToken', name: 'prometheus-token', key: 'token' }] },
    };
    const pvc = hfCache({ storageClassName: 'gp3' });
    expect(described([...objects, triggerAuth, pvc])).toEqual([]);
  });

  it('explains a misspelt field with the closest real one, and a Go-only regex still applies', () => {
    expect(
      described(
        objectsWith((isvc, _scaler, monitor) => {
          isvc.spec.predictor.containers[0].imagePullPolcy = 'Always';
          monitor.spec.podMetricsEndpoints[0].interval = '30s1m';
        }),
      ),
    ).toEqual([
      'InferenceService compass/chat-llm: spec.predictor.containers[0].imagePullPolcy is not a field of the KServe v0.15.2 InferenceService schema; remove it or correct its spelling (did you mean imagePullPolicy?).',
      'PodMonitor compass/chat-llm: spec.podMetricsEndpoints[0].interval must be a duration such as 30s or 1m30s (largest unit first); correct the template in templates/ (or the value that fills it).',
    ]);
    // prometheus-operator writes `(?i)` (RE2), which JavaScript lacks: either case matches, nothing else does.
    const rule = (strategy: string) => ({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'slo', namespace: 'compass' },
      spec: {
        groups: [
          {
            name: 'slo',
            partial_response_strategy: strategy,
            rules: [{ alert: 'Slow', expr: 'up == 0', for: '5m' }],
          },
        ],
      },
    });
    expect(described([rule('ABORT'), rule('warn')])).toEqual([]);
    expect(fieldsOf([rule('never')])).toEqual([
      'PrometheusRule compass/slo spec.groups[0].partial_response_strategy',
    ]);
  });

  it('catches a string where the InferenceService needs an integer, and a missing required field', () => {
    expect(
      described(
        objectsWith((isvc, scaler) => {
          isvc.spec.predictor.minReplicas = '1';
          delete scaler.spec.scaleTargetRef.name;
        }),
      ),
    ).toEqual([
      'InferenceService compass/chat-llm: spec.predictor.minReplicas must be integer; correct the template in templates/ (or the value that fills it).',
      'ScaledObject compass/chat-llm: spec.scaleTargetRef.name is required; correct the template in templates/ (or the value that fills it).',
    ]);
  });

  it('keeps Compass rules: the server container, replica ranges, paths', () => {
    const problems = validateManifests(
      objectsWith((isvc, scaler, monitor) => {
        isvc.spec.predictor.containers = [];
        isvc.spec.predictor.minReplicas = 3;
        isvc.spec.predictor.maxReplicas = 2;
        scaler.spec.minReplicaCount = 3;
        scaler.spec.maxReplicaCount = 2;
        monitor.spec.podMetricsEndpoints[0].path = 'metrics';
      }),
    );
    expect(problems.map((problem) => `${problem.field} ${problem.problem}`)).toEqual([
      'spec.predictor.containers needs the server container',
      'spec.predictor.maxReplicas must be at least minReplicas',
      'spec.maxReplicaCount must be at least minReplicaCount',
      'spec.podMetricsEndpoints[0].path must start with "/"',
    ]);
  });

  it('checks label values in metadata', () => {
    expect(
      described(
        objectsWith((_isvc, _scaler, monitor) => {
          monitor.metadata.labels['compass.dev/deploy-id'] = 'not a label value!';
        }),
      ),
    ).toEqual([
      'PodMonitor compass/chat-llm: metadata.labels["compass.dev/deploy-id"] is not a label value (at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit); correct the template in templates/ (or the value that fills it).',
    ]);
  });

  const sidecar = (spec: unknown) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'sidecar', namespace: 'compass' },
    spec,
  });

  it('refuses unknown fields of core kinds at any depth, as the API server does', () => {
    const pvc = hfCache({ storageClass: 'gp3' });
    const deployment = sidecar({
      selector: { matchLabels: { app: 'sidecar' } },
      template: {
        metadata: { labels: { app: 'sidecar' } },
        spec: { containers: [{ name: 'c', image: 'compass:latest', imagePullPolcy: 'Always' }] },
      },
    });
    expect(described([pvc, deployment])).toEqual([
      'PersistentVolumeClaim compass/chat-llm-hf-cache: spec.storageClass is not a field of the Kubernetes PersistentVolumeClaimSpec type; remove it or correct its spelling (did you mean storageClassName?).',
      'Deployment compass/sidecar: spec.template.spec.containers[0].imagePullPolcy is not a field of the Kubernetes Container type; remove it or correct its spelling (did you mean imagePullPolicy?).',
    ]);
  });

  it('checks core kinds against kubernetes-models and refuses kinds it has no schema for', () => {
    const deployment = sidecar({
      replicas: 'two',
      template: { spec: { containers: [{ image: 'compass:latest' }] } },
    });
    const unknown = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    expect(
      validateManifests([deployment, unknown]).map(
        (problem) => `${problem.object} ${problem.field}: ${problem.problem}`,
      ),
    ).toEqual([
      'Deployment compass/sidecar spec.selector: is required',
      'Deployment compass/sidecar spec.replicas: must be integer',
      'Deployment compass/sidecar spec.template.spec.containers[0].name: is required',
      'Widget w kind: example.com/v1 Widget has no schema Compass checks against',
    ]);
  });
});
