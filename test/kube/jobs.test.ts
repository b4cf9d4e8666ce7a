/**
 * The Job client against the Kubernetes stand-in's Job controller, over real HTTP: a Job's pod runs and its log is
 * read back, conditions end it (Complete, Failed with BackoffLimitExceeded or DeadlineExceeded), 404 and 400 on logs
 * mean "no log", and only a delete with a propagation policy takes the pods along.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { jobPhaseOf, type KubeObject, podProblem } from '../../src/kube/index.js';
import type { PodRunner } from '../standins/kubernetes.js';
import { type KubeFixture, kubeFixture } from './fixtures.js';

let fixture: KubeFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const job = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name, namespace: 'compass', labels: { run: name } },
  spec: {
    backoffLimit: 0,
    template: {
      metadata: { labels: { run: name } },
      spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'compass', args: ['hello'] }] },
    },
    ...spec,
  },
});

/** Polls `probe` until it gives something (at most 5 s). */
async function eventually<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('timed out');
}

const ref = (name: string) => ({ namespace: 'compass', name });

async function ended(name: string) {
  return eventually(async () => {
    const live = await fixture!.client.jobs.read(ref(name));
    return live && jobPhaseOf(live).phase !== 'running' ? live : undefined;
  });
}

describe('the Job client', () => {
  it('runs a Job to Complete and reads its pod’s log; a Background delete takes the pod along', async () => {
    const seen: string[][] = [];
    const runner: PodRunner = async (pod, io) => {
      seen.push(pod.containers[0]!.args);
      io.write('progress 1\nprogress 2\n{"report":1}\n');
      return 0;
    };
    fixture = await kubeFixture();
    fixture.standIn.setPodRunner(runner);
    const { jobs } = fixture.client;
    const created = await jobs.create(job('bench'));
    expect(created.metadata.name).toBe('bench');
    const live = await ended('bench');
    expect(jobPhaseOf(live)).toEqual({ phase: 'succeeded' });
    expect(seen).toEqual([['hello']]);
    const pods = await jobs.pods(live, 'run=bench');
    expect(pods).toHaveLength(1);
    expect(pods[0]!.metadata.labels).toMatchObject({ 'batch.kubernetes.io/job-name': 'bench' });
    expect(await jobs.log({ namespace: 'compass', name: pods[0]!.metadata.name }, 2)).toBe(
      'progress 2\n{"report":1}\n',
    );
    expect(await jobs.pods(live, 'run=other')).toEqual([]);

    await expect(jobs.create(job('bench'))).rejects.toMatchObject({ details: { code: 409 } });
    expect(await jobs.remove(ref('bench'))).toBe('deleted');
    expect(await jobs.read(ref('bench'))).toBeUndefined();
    expect(fixture.standIn.objectsOf('Pod', 'compass')).toEqual([]);
    expect(fixture.standIn.requestsOf('delete', '/jobs/bench')[0]!.query.propagationPolicy).toBe(
      'Background',
    );
    expect(await jobs.remove(ref('bench'))).toBe('not_found');
    expect(await jobs.log({ namespace: 'compass', name: pods[0]!.metadata.name }, 2)).toBeUndefined();
  });

  it('leaves the pods behind when a Job is deleted without a propagation policy, as batch/v1 does', async () => {
    fixture = await kubeFixture();
    fixture.standIn.setPodRunner(async () => 0);
    await fixture.client.jobs.create(job('plain'));
    await ended('plain');
    const response = await fetch(`${fixture.standIn.url}/apis/batch/v1/namespaces/compass/jobs/plain`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${fixture.standIn.token}` },
    });
    expect(response.status).toBe(200);
    const [orphan] = fixture.standIn.objectsOf('Pod', 'compass');
    expect(orphan).toBeDefined();
    expect((orphan!.metadata as { ownerReferences?: unknown }).ownerReferences).toBeUndefined();
  });

  it('fails a Job whose pod exits non-zero once backoffLimit is spent, and says how the pod ended', async () => {
    fixture = await kubeFixture();
    let runs = 0;
    fixture.standIn.setPodRunner(async (_pod, io) => {
      runs++;
      io.write('compass: Cannot reach http://x/v1/models\n');
      return 1;
    });
    await fixture.client.jobs.create(job('flaky', { backoffLimit: 1 }));
    const live = await ended('flaky');
    expect(runs).toBe(2);
    expect(jobPhaseOf(live)).toEqual({
      phase: 'failed',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
    const pods = await fixture.client.jobs.pods(live, 'run=flaky');
    expect(pods.map(podProblem)).toEqual(['exited with code 1 (Error)', 'exited with code 1 (Error)']);
  });

  it('stops a Job at its activeDeadlineSeconds and removes its running pod; a pod that never started has no log', async () => {
    fixture = await kubeFixture();
    const { jobs } = fixture.client;
    await jobs.create(job('stuck', { activeDeadlineSeconds: 1 }));
    const [pending] = await eventually(async () => {
      const live = await jobs.read(ref('stuck'));
      const pods = live ? await jobs.pods(live, 'run=stuck') : [];
      return pods.length ? pods : undefined;
    });
    // No runner: the pod stays Pending, its container "waiting to start" (HTTP 400).
    expect(await jobs.log({ namespace: 'compass', name: pending!.metadata.name }, 5)).toBeUndefined();
    const live = await ended('stuck');
    expect(jobPhaseOf(live)).toMatchObject({ phase: 'failed', reason: 'DeadlineExceeded' });
    expect(fixture.standIn.objectsOf('Pod', 'compass')).toEqual([]);
  });

  it('refuses a Job whose pods would restart in place', async () => {
    fixture = await kubeFixture();
    const bad = job('bad');
    (bad.spec as { template: { spec: { restartPolicy: string } } }).template.spec.restartPolicy = 'Always';
    await expect(fixture.client.jobs.create(bad)).rejects.toMatchObject({
      kind: 'invalid',
      message: expect.stringMatching(/restartPolicy: Unsupported value: "Always"/),
    });
  });
});
