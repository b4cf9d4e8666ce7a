import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseYamlDocuments } from '../../src/deploy/objects.js';
import { KubeObject } from '../../src/kube/objects.js';
import { cli } from '../support/cli.js';
import type { TestDatabase } from '../support/postgres.js';
import { createTestDatabase } from '../support/postgres.js';
import { flagValue, predictorOf, serverOf } from './fixtures.js';

// A model needing several replicas: the deployment autoscales, which the quota checks below rely on.
const TEXT = 'qwen2.5 7b chatbot for 1000 users on L4';

describe('compass manifests', () => {
  let testDb: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    env = { DATABASE_URL: testDb.url, HOME: '/nonexistent' };
    expect((await cli(['db', 'seed'], env)).code).toBe(0);
  });
  afterAll(() => testDb.drop());

  it('--json prints the objects of the first option as a JSON array, checked, exit 0', async () => {
    const [manifests, plan] = await Promise.all([
      cli(['manifests', '--json', TEXT], env),
      cli(['plan', '--json', TEXT], env),
    ]);
    expect(manifests.stderr).toBe('');
    expect(manifests.code).toBe(0);
    const objects = KubeObject.array().parse(JSON.parse(manifests.stdout));
    // A single-replica GPU deployment's weight cache claim comes first.
    const served = objects.filter((object) => object.kind !== 'PersistentVolumeClaim');
    expect(served.map((object) => object.kind)).toEqual(['InferenceService', 'ScaledObject', 'PodMonitor']);
    const first = JSON.parse(plan.stdout).recommendations[0];
    const server = serverOf(objects);
    expect(flagValue(server.args, '--served-model-name')).toBe(first.model);
    expect(flagValue(server.args, '--tensor-parallel-size')).toBe(String(first.tensorParallel));
    expect(server.resources.limits['nvidia.com/gpu']).toBe(String(first.tensorParallel));
    expect(predictorOf(objects).maxReplicas).toBe(first.replicas);
    expect(served[0]!.metadata).toMatchObject({
      namespace: 'compass',
      annotations: { 'compass.dev/option-id': first.id, 'compass.dev/deploy-id': 'preview' },
    });
  });

  it('prints YAML documents separated by --- without --json; --option picks another option', async () => {
    const [second, plan] = await Promise.all([
      cli(['manifests', '--option', '2', '--name', 'second', '--namespace', 'compass', TEXT], env),
      cli(['plan', '--json', TEXT], env),
    ]);
    expect(second.code).toBe(0);
    const objects = parseYamlDocuments(second.stdout).map((document) => KubeObject.parse(document));
    // A single-replica GPU deployment's weight cache claim comes first.
    const served = objects.filter((object) => object.kind !== 'PersistentVolumeClaim');
    expect(second.stdout.split(/^---$/m)).toHaveLength(objects.length);
    expect(served.map((object) => object.metadata.name)).toEqual(['second', 'second', 'second']);
    // Comments above the documents say which node labels were chosen, and whose they are.
    expect(second.stdout).toMatch(
      /^# \S+ pods request nvidia\.com\/gpu and run the image vllm\/vllm-openai:v0\.19\.1$/m,
    );
    expect(second.stdout).toMatch(
      /^# {3}nvidia\.com\/gpu\.product in \(.*-SHARED.*\) \(NVIDIA GPU Feature Discovery/m,
    );
    expect(second.stdout).toMatch(/^# {3}cloud\.google\.com\/gke-accelerator in \(.+\) \(GKE\)$/m);
    expect(second.stdout).toMatch(/^# tolerating the taint nvidia\.com\/gpu:NoSchedule$/m);
    expect(served[0]!.metadata.annotations?.['compass.dev/option-id']).toBe(
      JSON.parse(plan.stdout).recommendations[1].id,
    );
  });

  it('"DeepSeek R1 for 200 users": with a quota for two nodes every option renders and passes, multi-node ones too; under the default quota they are near misses naming it', async () => {
    const text = 'DeepSeek R1 for 200 users';
    const twoNodes = { ...env, DEPLOY_GPU_QUOTA: '16' };
    const plan = JSON.parse((await cli(['plan', '--json', text], twoNodes)).stdout);
    type Shown = { id: string; gpu: string; precision: string; gpuCount: number; pipelineParallel: number };
    const options: Shown[] = plan.recommendations;
    const ids = options.map((option) => option.id).join(' ');
    // Both ways to serve it at fp8: on one node (MI300X, H200, B200), and TP8 × PP2 across two H100 nodes.
    const singleNodeFp8 = (option: Shown) =>
      option.precision === 'fp8' &&
      option.pipelineParallel === 1 &&
      ['MI300X', 'H200', 'B200'].includes(option.gpu);
    expect(options.some(singleNodeFp8), ids).toBe(true);
    const twoNodeOption = options.find(
      (option) => option.precision === 'fp8' && option.pipelineParallel === 2,
    );
    expect(twoNodeOption, ids).toMatchObject({ gpuCount: 16 });
    for (const [index, option] of options.entries()) {
      const result = await cli(['manifests', '--json', '--option', String(index + 1), text], twoNodes);
      expect(result.stderr, option.id).toBe('');
      expect(result.code, option.id).toBe(0);
      const objects = KubeObject.array().parse(JSON.parse(result.stdout));
      const isvc = objects.find((object) => object.kind === 'InferenceService')!;
      expect(isvc.metadata.annotations?.['compass.dev/option-id']).toBe(option.id);
      const workerSpec = (predictorOf(objects) as { workerSpec?: { pipelineParallelSize: number } })
        .workerSpec;
      expect(workerSpec?.pipelineParallelSize ?? 1, option.id).toBe(option.pipelineParallel ?? 1);
    }
    // Under the default quota of one node, no option shown needs more, the single-node fp8 option is still shown, and
    // the two-node option is a near miss naming the setting that admits it.
    const onOneNode = JSON.parse((await cli(['plan', '--json', text], env)).stdout);
    for (const option of onOneNode.recommendations) expect(option.gpuCount).toBeLessThanOrEqual(8);
    expect(onOneNode.recommendations.some(singleNodeFp8)).toBe(true);
    const quotaMiss = onOneNode.nearMisses.find(
      (miss: { id: string; failed: string }) => miss.id === twoNodeOption!.id && miss.failed === 'gpuQuota',
    );
    expect(quotaMiss, JSON.stringify(onOneNode.nearMisses)).toMatchObject({ gpuCount: 16 });
    expect(quotaMiss.relax).toBe('raise DEPLOY_GPU_QUOTA to 16');
  });

  it("refuses a name KServe's webhook refuses (it must start with a letter), suggesting one it takes", async () => {
    const result = await cli(['manifests', '--json', '--name', '9llama', TEXT], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /InferenceService compass\/9llama: metadata\.name "9llama" does not start with a letter.*name it "m-9llama"/,
    );
  });

  it('--simulator runs the simulator image without GPUs', async () => {
    const result = await cli(['manifests', '--json', '--simulator', TEXT], env);
    expect(result.code).toBe(0);
    const objects = KubeObject.array().parse(JSON.parse(result.stdout));
    const server = serverOf(objects);
    expect(server.image).toBe('compass:latest');
    expect(server.args[0]).toBe('simulator');
    expect(Object.keys(server.resources.limits).sort()).toEqual(['cpu', 'memory']);
    expect(predictorOf(objects).nodeSelector).toBeUndefined();
  });

  it('prints the objects but exits 1 listing every policy violation', async () => {
    const result = await cli(['manifests', '--json', '--namespace', 'default', TEXT], {
      ...env,
      DEPLOY_IMAGE_ALLOWLIST: 'registry.example.com/',
    });
    expect(result.code).toBe(1);
    const printed: { kind: string }[] = JSON.parse(result.stdout);
    expect(printed.filter((object) => object.kind !== 'PersistentVolumeClaim')).toHaveLength(3);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^compass: these manifests would be refused \(\d+ problems\):$/);
    const stderr = result.stderr;
    expect(stderr).toMatch(/InferenceService default\/\S+: metadata\.namespace "default" is not a namespace/);
    expect(stderr).toMatch(
      /spec\.predictor\.containers\[0\]\.image "vllm\/vllm-openai:v0\.19\.1" is not an allowed image/,
    );
  });

  it('plans within DEPLOY_GPU_QUOTA: an option beyond it is a near miss naming the setting, not option 1', async () => {
    // The L4 plan for 1000 users needs more than one GPU.
    const quota = { ...env, DEPLOY_GPU_QUOTA: '1' };
    const [result, planned] = await Promise.all([
      cli(['manifests', '--json', TEXT], quota),
      cli(['plan', '--json', TEXT], quota),
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/no option meets this request: No option meets every constraint/);
    const plan = JSON.parse(planned.stdout);
    expect(plan.recommendations).toEqual([]);
    const beyond = plan.nearMisses.find((miss: { failed: string }) => miss.failed === 'gpuQuota');
    expect(beyond.reason).toMatch(/meets the SLOs but needs (\d+) GPUs; DEPLOY_GPU_QUOTA is 1$/);
    expect(beyond.relax).toBe(`raise DEPLOY_GPU_QUOTA to ${beyond.gpuCount}`);
    // No budget was stated: the quota is all that stands in its way.
    expect(beyond.alsoFailed).toEqual([]);
    expect(beyond.relaxedSlo).toBeNull();
  });

  it('plan --json gives the p95 targets a near miss advice relaxes as figures', async () => {
    const plan = JSON.parse(
      (
        await cli(
          ['plan', '--json', 'chatbot for 300 users, TTFT under 300 ms, ITL under 30 ms, budget 10k a month'],
          env,
        )
      ).stdout,
    );
    const relaxing = plan.nearMisses.filter(
      (miss: { relaxedSlo: object | null }) => miss.relaxedSlo !== null,
    );
    expect(relaxing.length, JSON.stringify(plan.nearMisses)).toBeGreaterThan(0);
    const names = { ttftP95Ms: 'TTFT p95', itlP95Ms: 'ITL p95', e2eP95Ms: 'E2E p95' } as const;
    for (const miss of relaxing) {
      const targets = Object.entries(miss.relaxedSlo) as [keyof typeof names, number][];
      expect(targets.length).toBeGreaterThan(0);
      for (const [key, ms] of targets)
        expect(miss.relax).toContain(`${names[key]} to ${ms.toLocaleString('en-US')} ms`);
      expect(targets.some(([key, ms]) => ms > plan.spec.slo[key].value)).toBe(true);
    }
  });

  // Issue 20: these two were planned beyond the quota, and manifests then refused the top option.
  for (const text of ['Llama 3.1 70B on H100s, 50 req/s', 'Mistral 7B at 20 req/s']) {
    it(`every top option of "${text}" passes the default policy`, async () => {
      const plan = JSON.parse((await cli(['plan', '--json', text], env)).stdout);
      for (const option of plan.recommendations) expect(option.gpuCount).toBeLessThanOrEqual(8);
      for (const miss of plan.nearMisses.filter((m: { failed: string }) => m.failed === 'gpuQuota')) {
        expect(miss.gpuCount).toBeGreaterThan(8);
        expect(miss.relax).toBe(`raise DEPLOY_GPU_QUOTA to ${miss.gpuCount}`);
      }
      if (plan.recommendations.length === 0) {
        // Nothing fits the quota: the plan says which setting would admit the closest option.
        expect(plan.warnings.join(' ')).toMatch(/DEPLOY_GPU_QUOTA is 8; to admit it, raise DEPLOY_GPU_QUOTA/);
      }
      const rendered = await Promise.all(
        plan.recommendations.map((_: unknown, index: number) =>
          cli(['manifests', '--json', '--option', String(index + 1), text], env),
        ),
      );
      for (const result of rendered) {
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
      }
    });
  }

  it('exits 2 on bad usage: no text, an option the plan does not have', async () => {
    const none = await cli(['manifests', '--json'], env);
    expect(none.code).toBe(2);
    const tooFar = await cli(['manifests', '--option', '99', TEXT], env);
    expect(tooFar.code).toBe(2);
    expect(tooFar.stderr).toMatch(/^compass: the plan has \d options; pick --option 1 to \d\.\n$/);
    expect(tooFar.stdout).toBe('');
  });

  it('exits 2 when a manifest setting is malformed, naming the variable', async () => {
    const result = await cli(['manifests', TEXT], { ...env, DEPLOY_GPU_QUOTA: 'many' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/DEPLOY_GPU_QUOTA:/);
  });
});
