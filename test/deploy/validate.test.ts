import { describe, expect, it } from 'vitest';
import { describeProblem, validateManifests } from '../../src/deploy/index.js';
import type { Intent } from '../../src/intent/schema.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { manifestInput, rendered } from './fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: tests reach into rendered objects to break them on purpose
type Loose = any;

const base = rendered(manifestInput({ gpuTypes: ['L4'] }));

function objectsWith(change: (isvc: Loose, scaler: Loose, monitor: Loose) => void): KubeObject[] {
  const objects = structuredClone(base);
  change(objects[0], objects[1], objects[2]);
  return objects;
}

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
    expect(objects.map((o) => o.kind)).toEqual(['InferenceService', 'ScaledObject', 'PodMonitor']);
    expect(described(objects)).toEqual([]);
  });

  // Each breaks one thing; the object and the field must be named.
  const MUTATIONS: [string, (isvc: Loose, scaler: Loose, monitor: Loose) => void, string][] = [
    [
      'imagePullPolcy',
      (i) => {
        i.spec.predictor.containers[0].imagePullPolcy = 'Always';
      },
      'InferenceService compass/chat-llm spec.predictor.containers[0].imagePullPolcy',
    ],
    [
      'httpGet.prt',
      (i) => {
        i.spec.predictor.containers[0].readinessProbe.httpGet.prt = 8080;
      },
      'InferenceService compass/chat-llm spec.predictor.containers[0].readinessProbe.httpGet.prt',
    ],
    [
      'secretKeyRef.optinal',
      (i) => {
        i.spec.predictor.containers[0].env[0].valueFrom.secretKeyRef.optinal = true;
      },
      'InferenceService compass/chat-llm spec.predictor.containers[0].env[0].valueFrom.secretKeyRef.optinal',
    ],
    [
      'stray toleration key',
      (i) => {
        i.spec.predictor.tolerations[0].tolerationSecond = 30;
      },
      'InferenceService compass/chat-llm spec.predictor.tolerations[0].tolerationSecond',
    ],
    [
      'stabilisationWindowSeconds',
      (_i, s) => {
        s.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilisationWindowSeconds = 600;
      },
      'ScaledObject compass/chat-llm spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilisationWindowSeconds',
    ],
    [
      'interval 30s1m',
      (_i, _s, m) => {
        m.spec.podMetricsEndpoints[0].interval = '30s1m';
      },
      'PodMonitor compass/chat-llm spec.podMetricsEndpoints[0].interval',
    ],
    [
      'interval 15',
      (_i, _s, m) => {
        m.spec.podMetricsEndpoints[0].interval = '15';
      },
      'PodMonitor compass/chat-llm spec.podMetricsEndpoints[0].interval',
    ],
    [
      'interval 1.5m',
      (_i, _s, m) => {
        m.spec.podMetricsEndpoints[0].interval = '1.5m';
      },
      'PodMonitor compass/chat-llm spec.podMetricsEndpoints[0].interval',
    ],
    [
      'scrapeTimeout 10 s',
      (_i, _s, m) => {
        m.spec.podMetricsEndpoints[0].scrapeTimeout = '10 s';
      },
      'PodMonitor compass/chat-llm spec.podMetricsEndpoints[0].scrapeTimeout',
    ],
    [
      'scheme ftp',
      (_i, _s, m) => {
        m.spec.podMetricsEndpoints[0].scheme = 'ftp';
      },
      'PodMonitor compass/chat-llm spec.podMetricsEndpoints[0].scheme',
    ],
    [
      'relabel action',
      (_i, _s, m) => {
        m.spec.podMetricsEndpoints[0].relabelings = [{ action: 'rename', sourceLabels: ['a'] }];
      },
      'PodMonitor compass/chat-llm spec.podMetricsEndpoints[0].relabelings[0].action',
    ],
    [
      'podMetricEndpoints',
      (_i, _s, m) => {
        m.spec.podMetricEndpoints = m.spec.podMetricsEndpoints;
      },
      'PodMonitor compass/chat-llm spec.podMetricEndpoints',
    ],
    [
      'matchLabel',
      (_i, _s, m) => {
        m.spec.selector.matchLabel = {};
      },
      'PodMonitor compass/chat-llm spec.selector.matchLabel',
    ],
    [
      'imagePullPolicy value',
      (i) => {
        i.spec.predictor.containers[0].imagePullPolicy = 'IfNotPresnt';
      },
      'InferenceService compass/chat-llm spec.predictor.containers[0].imagePullPolicy',
    ],
    [
      'port protocol',
      (i) => {
        i.spec.predictor.containers[0].ports[0].protocol = 'HTTP';
      },
      'InferenceService compass/chat-llm spec.predictor.containers[0].ports[0].protocol',
    ],
    [
      'toleration operator',
      (i) => {
        i.spec.predictor.tolerations[0].operator = 'Exist';
      },
      'InferenceService compass/chat-llm spec.predictor.tolerations[0].operator',
    ],
    [
      'toleration effect',
      (i) => {
        i.spec.predictor.tolerations[0].effect = 'NoScheduling';
      },
      'InferenceService compass/chat-llm spec.predictor.tolerations[0].effect',
    ],
    [
      'emptyDir medium',
      (i) => {
        i.spec.predictor.volumes = [{ name: 'shm', emptyDir: { medium: 'memory' } }];
      },
      'InferenceService compass/chat-llm spec.predictor.volumes[0].emptyDir.medium',
    ],
    [
      'deploymentStrategy type',
      (i) => {
        i.spec.predictor.deploymentStrategy = { type: 'Recreated' };
      },
      'InferenceService compass/chat-llm spec.predictor.deploymentStrategy.type',
    ],
    [
      'HPA policy type',
      (_i, s) => {
        s.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.policies[0].type = 'Pod';
      },
      'ScaledObject compass/chat-llm spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.policies[0].type',
    ],
    [
      'selectPolicy',
      (_i, s) => {
        s.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.selectPolicy = 'Maximum';
      },
      'ScaledObject compass/chat-llm spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.selectPolicy',
    ],
    [
      'trigger metricType',
      (_i, s) => {
        s.spec.triggers[0].metricType = 'Average';
      },
      'ScaledObject compass/chat-llm spec.triggers[0].metricType',
    ],
    [
      'fallback behavior',
      (_i, s) => {
        s.spec.fallback = { failureThreshold: 3, replicas: 1, behavior: 'last' };
      },
      'ScaledObject compass/chat-llm spec.fallback.behavior',
    ],
    [
      'trigger metadata number',
      (_i, s) => {
        s.spec.triggers[0].metadata.threshold = 5;
      },
      'ScaledObject compass/chat-llm spec.triggers[0].metadata.threshold',
    ],
    [
      'minReplicaCounts',
      (_i, s) => {
        s.spec.minReplicaCounts = 1;
      },
      'ScaledObject compass/chat-llm spec.minReplicaCounts',
    ],
    [
      'scaleTargetRef.nam',
      (_i, s) => {
        s.spec.scaleTargetRef.nam = 'x';
      },
      'ScaledObject compass/chat-llm spec.scaleTargetRef.nam',
    ],
    [
      'pollingInterval string',
      (_i, s) => {
        s.spec.pollingInterval = '15s';
      },
      'ScaledObject compass/chat-llm spec.pollingInterval',
    ],
    [
      'int32 overflow',
      (i) => {
        i.spec.predictor.containers[0].ports[0].containerPort = 2 ** 32;
      },
      'InferenceService compass/chat-llm spec.predictor.containers[0].ports[0].containerPort',
    ],
    [
      'memory quantity',
      (i) => {
        i.spec.predictor.containers[0].resources.requests.memory = '16 GiB';
      },
      'InferenceService compass/chat-llm spec.predictor.containers[0].resources.requests.memory',
    ],
    [
      'nodeSelecter',
      (i) => {
        i.spec.predictor.nodeSelecter = {};
      },
      'InferenceService compass/chat-llm spec.predictor.nodeSelecter',
    ],
    [
      'spec.predicter',
      (i) => {
        i.spec.predicter = {};
      },
      'InferenceService compass/chat-llm spec.predicter',
    ],
    [
      'volumeMount mountpath',
      (i) => {
        i.spec.predictor.containers[0].volumeMounts = [{ name: 'shm', mountpath: '/dev/shm' }];
      },
      'InferenceService compass/chat-llm spec.predictor.containers[0].volumeMounts[0].mountpath',
    ],
    [
      'duplicate env name',
      (i) => {
        i.spec.predictor.containers[0].env.push({ name: 'HF_TOKEN', value: 'x' });
      },
      'InferenceService compass/chat-llm spec.predictor.containers[0].env',
    ],
    [
      'metadata typo',
      (i) => {
        i.metadata.annotation = {};
      },
      'InferenceService compass/chat-llm metadata.annotation',
    ],
    [
      'KServe name rule',
      (i) => {
        i.metadata.name = '9llama';
      },
      'InferenceService compass/9llama metadata.name',
    ],
    [
      'startupProbe periodSecond',
      (i) => {
        i.spec.predictor.containers[0].startupProbe.periodSecond = 10;
      },
      'InferenceService compass/chat-llm spec.predictor.containers[0].startupProbe.periodSecond',
    ],
  ];

  it(`rejects each of ${MUTATIONS.length} mutations, naming the object and the field`, () => {
    expect(MUTATIONS.length).toBeGreaterThanOrEqual(30);
    for (const [what, mutate, named] of MUTATIONS) {
      const fields = fieldsOf(objectsWith(mutate));
      expect(fields, what).toContain(named);
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
      server.env.push(
        { name: 'HF_HOME', value: '/root/.cache/huggingface' },
        { name: 'VLLM_USE_TRITON_FLASH_ATTN', value: '0' },
      );
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
    const pvc = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'chat-llm-hf-cache', namespace: 'compass' },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'gp3',
        resources: { requests: { storage: '40Gi' } },
      },
    };
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

  it('checks core kinds against kubernetes-models and refuses kinds it has no schema for', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'sidecar', namespace: 'compass' },
      spec: { replicas: 'two', template: { spec: { containers: [{ image: 'compass:latest' }] } } },
    };
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
