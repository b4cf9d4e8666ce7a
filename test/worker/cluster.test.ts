import { afterEach, describe, expect, it } from 'vitest';
import { ManifestSettings, renderManifests } from '../../src/deploy/index.js';
import { type KubeObject, refOf } from '../../src/kube/index.js';
import { whatIf } from '../../src/planner/index.js';
import { kubeDeployCluster } from '../../src/worker/index.js';
import { rolloutNotice } from '../../src/worker/progress.js';
import { DeployStepError } from '../../src/worker/runner.js';
import { knowledge, manifestInput } from '../deploy/fixtures.js';
import { type KubeFixture, kubeFixture } from '../kube/fixtures.js';

let kube: KubeFixture | undefined;
afterEach(async () => {
  await kube?.close();
  kube = undefined;
});

/** One H100 replica of Llama 3.1 70B at TP8: a whole 8-GPU node per replica. */
function tp8Input() {
  const base = manifestInput({ gpuTypes: ['H100'], models: ['meta-llama/Llama-3.1-70B-Instruct'] });
  const scenario = whatIf(base.spec, base.option, { tensorParallel: 8, gpuCount: 8 }, knowledge).scenario;
  if (scenario.kind !== 'planned') throw new Error(`expected a planned TP8 option, got ${scenario.kind}`);
  return { ...base, option: scenario.option };
}

/** The objects of one deploy of `input`, as the worker renders them. */
function objectsOf(
  input: ReturnType<typeof tp8Input>,
  deployId: string,
  settings = ManifestSettings.parse({}),
) {
  const result = renderManifests({ ...input, deployId, settings });
  if (!result.ok) throw new Error(result.reason);
  return result.objects;
}

async function deploy(objects: KubeObject[]) {
  const cluster = kubeDeployCluster(kube!.client, 5_000);
  await cluster.apply(objects);
  return cluster.waitUntilReady(objects, new AbortController().signal);
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the deploy to fail');
    },
    (error: unknown) => error as DeployStepError,
  );

describe('kubeDeployCluster.waitUntilReady on KServe raw-mode semantics', () => {
  it('reports a redeploy whose new pods crash-loop as failed, though the old pods keep the service Ready', async () => {
    kube = await kubeFixture({ readiness: { kind: 'ready', afterMs: 30 } });
    // At least two replicas at the autoscaler's minimum (three L40S for 8,000 users, two at the average load): a
    // rolling update without surge takes one down at a time, and the other keeps serving.
    const input = manifestInput({ gpuTypes: ['L40S'], models: ['Qwen/Qwen2.5-7B-Instruct'], users: 8000 });
    // Rolling updates keep the old pods serving, so KServe's Ready stays True throughout.
    const settings = ManifestSettings.parse({ rollout: 'rolling' });
    const first = objectsOf(input, 'd-first', settings);
    expect(await deploy(first)).toBe('http://chat-llm.compass.example.com');
    kube.standIn.setReadiness({ kind: 'crashloop' });
    const second = objectsOf(input, 'd-second', settings);
    const cluster = kubeDeployCluster(kube.client, 5_000);
    await cluster.apply(second);
    // The service alone says Ready at once: judging it (the old way) would call this redeploy healthy.
    const isvc = second.find((object) => object.kind === 'InferenceService')!;
    const service = await kube.client.waitUntilReady(refOf(isvc), {
      timeoutMs: 5_000,
      pollIntervalMs: 20,
    });
    expect(service.ready).toBe(true);
    const failure = await failureOf(cluster.waitUntilReady(second, new AbortController().signal));
    expect(failure).toBeInstanceOf(DeployStepError);
    expect(failure).toMatchObject({ step: 'ready', transient: false });
    expect(failure.message).toMatch(
      /^Deployment compass\/chat-llm-predictor failed: ProgressDeadlineExceeded: .*timed out progressing.*crash-looping or unschedulable/,
    );
  });

  it('waits for the new revision to replace every old pod before calling a redeploy healthy', async () => {
    kube = await kubeFixture({ readiness: { kind: 'ready', afterMs: 30 } });
    const input = manifestInput();
    await deploy(objectsOf(input, 'd-first'));
    kube.standIn.setReadiness({ kind: 'ready', afterMs: 500 });
    const started = Date.now();
    await deploy(objectsOf(input, 'd-second'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    const predictor = kube.standIn.object({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'compass',
      name: 'chat-llm-predictor',
    });
    if (!predictor) throw new Error('KServe made no predictor Deployment');
    const spec = predictor.spec as {
      replicas: number;
      template: { metadata: { labels: Record<string, string> } };
    };
    expect(spec.template.metadata.labels['compass.dev/deploy-id']).toBe('d-second');
    const { replicas } = spec;
    expect(predictor.status).toMatchObject({
      updatedReplicas: replicas,
      availableReplicas: replicas,
      replicas,
    });
  });

  it('updates a TP8 replica on a full 8-GPU pool with Recreate; the rolling default would wait for 8 more GPUs', async () => {
    const input = tp8Input();
    expect(input.option.gpusPerReplica).toBe(8);
    kube = await kubeFixture({ readiness: { kind: 'ready', afterMs: 30 } });
    kube.standIn.setGpuPool(8);
    await deploy(objectsOf(input, 'd-first'));
    // Default settings: Recreate frees the replica's GPUs before the new pod needs them.
    expect(await deploy(objectsOf(input, 'd-second'))).toBe('http://chat-llm.compass.example.com');

    // Without a strategy KServe surges by 25% (one pod): it needs 16 GPUs and sits Pending until the deadline.
    const surging = objectsOf(input, 'd-third').map((object) => {
      if (object.kind !== 'InferenceService') return object;
      const copy = structuredClone(object);
      delete (copy.spec as { predictor: { deploymentStrategy?: unknown } }).predictor.deploymentStrategy;
      return copy;
    });
    const failure = await failureOf(deploy(surging));
    expect(failure.message).toMatch(/ProgressDeadlineExceeded/);
  });
});

describe('rolloutNotice', () => {
  it('tells the thread a Recreate update leaves the deployment briefly unavailable, and nothing otherwise', () => {
    const input = manifestInput();
    expect(rolloutNotice(objectsOf(input, 'd-1'))).toMatch(
      /old replicas stop before the new ones start.*briefly unavailable/,
    );
    expect(
      rolloutNotice(objectsOf(input, 'd-1', ManifestSettings.parse({ rollout: 'rolling' }))),
    ).toBeUndefined();
    expect(
      rolloutNotice(objectsOf(input, 'd-1', ManifestSettings.parse({ simulator: true }))),
    ).toBeUndefined();
  });
});
