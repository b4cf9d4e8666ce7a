import { describe, expect, it } from 'vitest';
import {
  checkPolicy,
  type DeployPolicy,
  describeProblem,
  type ManifestProblem,
} from '../../src/deploy/index.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { manifestInput, rendered } from './fixtures.js';

const policy: DeployPolicy = {
  namespaces: ['compass', 'llm'],
  imageAllowlist: ['vllm/vllm-openai:', 'compass:'],
  gpuQuota: 8,
};

/** The rendered L4 deployment (one GPU per replica) with `change` applied to a copy. */
function objectsWith(change: (objects: KubeObject[]) => void): KubeObject[] {
  const objects = structuredClone(rendered(manifestInput()));
  change(objects);
  return objects;
}

const predictor = (objects: KubeObject[]) =>
  // biome-ignore lint/suspicious/noExplicitAny: tests reach into rendered objects to break them on purpose
  (objects.find((object) => object.kind === 'InferenceService')!.spec as any).predictor;
const container = (objects: KubeObject[]) => predictor(objects).containers[0];

function only(problems: ManifestProblem[]): ManifestProblem {
  expect(problems.map(describeProblem)).toHaveLength(1);
  return problems[0]!;
}

describe('checkPolicy', () => {
  it('accepts the rendered deployment', () => {
    expect(
      checkPolicy(
        objectsWith(() => {}),
        policy,
      ),
    ).toEqual([]);
  });

  it('refuses a namespace outside the allowlist, on every object, naming the allowed ones', () => {
    const problems = checkPolicy(
      objectsWith((objects) => {
        for (const object of objects) object.metadata.namespace = 'kube-system';
      }),
      policy,
    );
    expect(problems).toHaveLength(3);
    expect(problems[0]).toEqual({
      check: 'policy',
      object: 'InferenceService kube-system/chat-llm',
      field: 'metadata.namespace',
      problem: '"kube-system" is not a namespace deployments may use',
      fix: 'deploy to compass or llm, or add the namespace to DEPLOY_NAMESPACES',
    });
  });

  it('refuses names that are not DNS-1123 labels and suggests one that is', () => {
    const problem = only(
      checkPolicy(
        objectsWith((objects) => {
          objects[2]!.metadata.name = 'Chat_LLM';
        }),
        policy,
      ),
    );
    expect(problem).toMatchObject({ object: 'PodMonitor compass/Chat_LLM', field: 'metadata.name' });
    expect(describeProblem(problem)).toMatch(/is not a DNS-1123 label .*; name it "chat-llm"\.$/);
  });

  it('refuses an InferenceService name too long for the names KServe derives from it', () => {
    const long = 'a'.repeat(55);
    const problem = only(
      checkPolicy(
        objectsWith((objects) => {
          objects[0]!.metadata.name = long;
        }),
        policy,
      ),
    );
    expect(problem.problem).toMatch(/-predictor"\) would pass 63/);
    expect(problem.fix).toMatch(/at most 51 characters/);
  });

  it('refuses an image outside the allowlist', () => {
    const problem = only(
      checkPolicy(
        objectsWith((objects) => {
          container(objects).image = 'docker.io/someone/vllm:latest';
        }),
        policy,
      ),
    );
    expect(problem).toEqual({
      check: 'policy',
      object: 'InferenceService compass/chat-llm',
      field: 'spec.predictor.containers[0].image',
      problem: '"docker.io/someone/vllm:latest" is not an allowed image',
      fix: 'use an image starting with vllm/vllm-openai: or compass:, or add its repository to DEPLOY_IMAGE_ALLOWLIST',
    });
  });

  it('refuses privileged containers, host namespaces and host paths', () => {
    const problems = checkPolicy(
      objectsWith((objects) => {
        const pod = predictor(objects);
        pod.hostNetwork = true;
        pod.hostPID = true;
        pod.hostIPC = true;
        pod.volumes = [{ name: 'models', hostPath: { path: '/mnt/models' } }];
        pod.containers[0].securityContext = { privileged: true };
      }),
      policy,
    );
    expect(problems.map((problem) => problem.field).sort()).toEqual([
      'spec.predictor.containers[0].securityContext.privileged',
      'spec.predictor.hostIPC',
      'spec.predictor.hostNetwork',
      'spec.predictor.hostPID',
      'spec.predictor.volumes[0].hostPath',
    ]);
    const byField = Object.fromEntries(problems.map((problem) => [problem.field, describeProblem(problem)]));
    expect(byField['spec.predictor.hostNetwork']).toMatch(/shares the node's network; remove hostNetwork/);
    expect(byField['spec.predictor.volumes[0].hostPath']).toMatch(/emptyDir or a PersistentVolumeClaim/);
    expect(byField['spec.predictor.containers[0].securityContext.privileged']).toMatch(
      /full access to its node/,
    );
  });

  it('requires CPU and memory requests and limits on every container, init containers too', () => {
    const problems = checkPolicy(
      objectsWith((objects) => {
        const pod = predictor(objects);
        delete pod.containers[0].resources.limits.memory;
        delete pod.containers[0].resources.requests.cpu;
        pod.initContainers = [{ name: 'fetch', image: 'compass:latest' }];
      }),
      policy,
    );
    expect(problems.map((problem) => problem.field)).toEqual([
      'spec.predictor.initContainers[0].resources.requests.cpu',
      'spec.predictor.initContainers[0].resources.requests.memory',
      'spec.predictor.initContainers[0].resources.limits.cpu',
      'spec.predictor.initContainers[0].resources.limits.memory',
      'spec.predictor.containers[0].resources.requests.cpu',
      'spec.predictor.containers[0].resources.limits.memory',
    ]);
    expect(problems[0]!.problem).toMatch(/not set: the scheduler reserves only what a container requests/);
  });

  it('requires GPU requests and limits to match', () => {
    const problem = only(
      checkPolicy(
        objectsWith((objects) => {
          container(objects).resources.requests['nvidia.com/gpu'] = '2';
        }),
        policy,
      ),
    );
    expect(problem.field).toBe('spec.predictor.containers[0].resources.limits["nvidia.com/gpu"]');
    expect(problem.problem).toMatch(/differs from its request \(2\)/);
  });

  it('refuses more GPUs than the quota at the largest scale the autoscaler allows', () => {
    const problems = checkPolicy(
      objectsWith((objects) => {
        container(objects).resources.requests['nvidia.com/gpu'] = '4';
        container(objects).resources.limits['nvidia.com/gpu'] = '4';
        predictor(objects).maxReplicas = 1;
        (objects[1]!.spec as { maxReplicaCount: number }).maxReplicaCount = 3;
      }),
      policy,
    );
    const problem = only(problems);
    expect(problem.problem).toBe(
      'would hold up to 12 GPUs (4 per replica × 3 replicas), more than the quota of 8',
    );
    expect(problem.fix).toBe(
      'allow at most 2 replicas, choose an option with fewer GPUs, or raise DEPLOY_GPU_QUOTA',
    );
  });

  it('counts the GPUs of the pods a rolling update adds beyond the replicas', () => {
    const tp8 = (strategy: unknown) =>
      objectsWith((objects) => {
        container(objects).resources.requests['nvidia.com/gpu'] = '8';
        container(objects).resources.limits['nvidia.com/gpu'] = '8';
        predictor(objects).minReplicas = 1;
        predictor(objects).maxReplicas = 1;
        (objects[1]!.spec as { maxReplicaCount: number }).maxReplicaCount = 1;
        if (strategy === undefined) delete predictor(objects).deploymentStrategy;
        else predictor(objects).deploymentStrategy = strategy;
      });
    // KServe's default rolling update surges by 25% of one replica, rounded up: a whole second TP8 pod.
    const problem = only(checkPolicy(tp8(undefined), policy));
    expect(problem.problem).toBe(
      'would hold up to 16 GPUs (8 per replica × 1 replicas + 1 more during a rolling update), more than the quota of 8',
    );
    expect(problem.fix).toMatch(/^roll out with deploymentStrategy Recreate \(or maxSurge 0\)/);
    expect(
      only(checkPolicy(tp8({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } }), policy)).problem,
    ).toMatch(/up to 16 GPUs/);
    expect(checkPolicy(tp8({ type: 'Recreate' }), policy)).toEqual([]);
    expect(
      checkPolicy(tp8({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } }), policy),
    ).toEqual([]);
  });

  it("refuses an InferenceService name KServe's webhook refuses: it must start with a letter", () => {
    const problems = checkPolicy(
      objectsWith((objects) => {
        for (const object of objects) object.metadata.name = '9llama';
      }),
      policy,
    );
    // Other kinds take DNS-1123 labels, which may start with a digit.
    expect(only(problems)).toMatchObject({
      object: 'InferenceService compass/9llama',
      field: 'metadata.name',
      fix: 'name it "m-9llama"',
    });
    expect(problems[0]!.problem).toMatch(/does not start with a letter/);
  });

  it('counts a ScaledObject without maxReplicaCount as KEDA does (100 replicas)', () => {
    const problem = only(
      checkPolicy(
        objectsWith((objects) => {
          delete (objects[1]!.spec as { maxReplicaCount?: number }).maxReplicaCount;
        }),
        policy,
      ),
    );
    const perReplica = manifestInput().option.gpusPerReplica;
    expect(problem.problem).toContain(`up to ${100 * perReplica} GPUs (${perReplica} per replica`);
  });

  it('checks core workloads too', () => {
    const deployment: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'sidecar', namespace: 'llm' },
      spec: {
        replicas: 2,
        template: { spec: { hostNetwork: true, containers: [{ name: 'x', image: 'busybox:1' }] } },
      },
    };
    const fields = checkPolicy([deployment], policy).map((problem) => problem.field);
    expect(fields).toContain('spec.template.spec.hostNetwork');
    expect(fields).toContain('spec.template.spec.containers[0].image');
  });
});
