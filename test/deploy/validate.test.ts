import { describe, expect, it } from 'vitest';
import { describeProblem, validateManifests } from '../../src/deploy/index.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { manifestInput, rendered } from './fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: tests reach into rendered objects to break them on purpose
type Loose = any;

function objectsWith(change: (isvc: Loose, scaler: Loose, monitor: Loose) => void): KubeObject[] {
  const objects = structuredClone(rendered(manifestInput({ gpuTypes: ['L4'] })));
  change(objects[0], objects[1], objects[2]);
  return objects;
}

const described = (objects: unknown[]) => validateManifests(objects).map(describeProblem);

describe('validateManifests', () => {
  it('accepts what the templates render, in vLLM and in simulator mode', () => {
    expect(validateManifests(rendered(manifestInput({ gpuTypes: ['H100'] })))).toEqual([]);
    expect(validateManifests(rendered(manifestInput({ gpuTypes: ['L4'] }, { simulator: true })))).toEqual([]);
  });

  it('catches a string where the InferenceService needs an integer', () => {
    const problems = validateManifests(
      objectsWith((isvc) => {
        isvc.spec.predictor.minReplicas = '1';
      }),
    );
    expect(problems).toEqual([
      {
        check: 'schema',
        object: 'InferenceService compass/chat-llm',
        field: 'spec.predictor.minReplicas',
        problem: 'expected number, received string',
        fix: 'correct the template in templates/ (or the value that fills it)',
      },
    ]);
  });

  it('catches a missing required field and a misspelt one', () => {
    expect(
      described(
        objectsWith((isvc, scaler) => {
          delete isvc.spec.predictor.containers;
          scaler.spec.maxReplica = scaler.spec.maxReplicaCount;
          delete scaler.spec.scaleTargetRef.name;
        }),
      ),
    ).toEqual([
      'InferenceService compass/chat-llm: spec.predictor.containers is required (array); correct the template in templates/ (or the value that fills it).',
      'ScaledObject compass/chat-llm: spec.scaleTargetRef.name is required (string); correct the template in templates/ (or the value that fills it).',
      'ScaledObject compass/chat-llm: spec.maxReplica is not a field Compass renders for this kind; remove it or correct its spelling.',
    ]);
  });

  it('checks the predictor pod against the Kubernetes OpenAPI types', () => {
    const problems = validateManifests(
      objectsWith((isvc) => {
        const container = isvc.spec.predictor.containers[0];
        container.ports[0].containerPort = '8080';
        container.resources.limits.cpu = { cores: 8 };
        delete isvc.spec.predictor.tolerations[0].key;
        isvc.spec.predictor.tolerations[0].tolerationSeconds = 'soon';
      }),
    );
    expect(problems.map((problem) => [problem.field, problem.problem])).toEqual([
      ['spec.predictor.containers[0].ports[0].containerPort', 'must be integer'],
      ['spec.predictor.containers[0].resources.limits.cpu', 'must be number or must be string'],
      ['spec.predictor.tolerations[0].tolerationSeconds', 'must be integer'],
    ]);
  });

  it('requires KEDA trigger settings as strings', () => {
    expect(
      described(
        objectsWith((_isvc, scaler) => {
          scaler.spec.triggers[0].metadata.threshold = 5;
        }),
      ),
    ).toEqual([
      'ScaledObject compass/chat-llm: spec.triggers[0].metadata.threshold expected string, received number; correct the template in templates/ (or the value that fills it).',
    ]);
  });

  it('requires replica ranges that hold at least their minimum', () => {
    const problems = validateManifests(
      objectsWith((isvc, scaler) => {
        isvc.spec.predictor.minReplicas = 3;
        isvc.spec.predictor.maxReplicas = 2;
        scaler.spec.minReplicaCount = 3;
        scaler.spec.maxReplicaCount = 2;
      }),
    );
    expect(problems.map((problem) => `${problem.field} ${problem.problem}`)).toEqual([
      'spec.predictor.maxReplicas must be at least minReplicas',
      'spec.maxReplicaCount must be at least minReplicaCount',
    ]);
  });

  it('checks the autoscaler behaviour against the HPA type', () => {
    const problems = validateManifests(
      objectsWith((_isvc, scaler) => {
        scaler.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.policies[0].value = 'one';
      }),
    );
    expect(problems.map((problem) => problem.field)).toEqual([
      'spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.policies[0].value',
    ]);
  });

  it('checks label values and PodMonitor endpoints', () => {
    expect(
      described(
        objectsWith((_isvc, _scaler, monitor) => {
          monitor.metadata.labels['compass.dev/deploy-id'] = 'not a label value!';
          monitor.spec.podMetricsEndpoints[0].path = 'metrics';
          monitor.spec.podMetricsEndpoints[0].interval = 'often';
        }),
      ).map((line) => line.split(';')[0]),
    ).toEqual([
      'PodMonitor compass/chat-llm: metadata.labels["compass.dev/deploy-id"] is not a label value (at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)',
      'PodMonitor compass/chat-llm: spec.podMetricsEndpoints[0].path Invalid string: must start with "/"',
      'PodMonitor compass/chat-llm: spec.podMetricsEndpoints[0].interval must be a duration such as 15s',
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
