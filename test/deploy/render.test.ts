import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import {
  checkManifests,
  deployPolicy,
  HF_HOME,
  inFlightPerReplica,
  ManifestSettings,
  manifestPreview,
  manifestsYaml,
  renderManifests,
  replicaRange,
  startupBudgetSeconds,
  weightCacheGib,
  weightClaimName,
} from '../../src/deploy/index.js';
import { parseYamlDocuments } from '../../src/deploy/objects.js';
import { engineTimingFor } from '../../src/planner/engine-timing.js';
import {
  type PlannedOption,
  planDeployment,
  SLO_CAPACITY_SHARE,
  VLLM_VERSION,
  whatIf,
} from '../../src/planner/index.js';
import { buildSpec } from '../../src/spec/index.js';
import { intentWith } from '../fixtures/intent.js';
import {
  flagValue,
  knowledge,
  manifestInput,
  nodeTermsOf,
  ofKind,
  planned,
  predictorOf,
  rendered,
  serverOf,
} from './fixtures.js';

const defaultPolicy = deployPolicy(loadConfig({ HOME: '/h' }));

/** Whether the planner (and the simulator, which runs the same deployment) priced the option's replica as async. */
function pricedAsync(option: PlannedOption): boolean {
  const config = {
    modelId: option.modelId,
    gpuId: option.gpuId,
    gpuCount: option.gpusPerReplica,
    tensorParallel: option.tensorParallel,
    precision: option.precision,
  };
  const timing = engineTimingFor(config, knowledge);
  if (!timing.ok) throw new Error(timing.reason);
  return timing.timing.deployment.asyncScheduling === true;
}

interface WorkerSpec {
  pipelineParallelSize: number;
  tensorParallelSize: number;
  nodeSelector?: Record<string, string>;
  containers: ReturnType<typeof serverOf>[];
  volumes?: { name: string }[];
}

describe('renderManifests with vLLM', () => {
  const input = manifestInput();
  const { option, spec } = input;
  const objects = rendered(input);
  const server = serverOf(objects);

  it('renders the InferenceService, its ScaledObject and its PodMonitor, in apply order', () => {
    expect(objects.map((object) => [object.apiVersion, object.kind])).toEqual([
      ['serving.kserve.io/v1beta1', 'InferenceService'],
      ['keda.sh/v1alpha1', 'ScaledObject'],
      ['monitoring.coreos.com/v1', 'PodMonitor'],
    ]);
    for (const object of objects)
      expect(object.metadata).toMatchObject({ name: 'chat-llm', namespace: 'compass' });
  });

  it("leaves async scheduling to vLLM's default, which schedules this replica asynchronously as the planner priced it", () => {
    // No --async-scheduling / --no-async-scheduling: vLLM 0.19.1 resolves the unset flag to on for one node.
    expect([...(server.command ?? []), ...server.args].some((arg) => arg.includes('async-scheduling'))).toBe(
      false,
    );
    expect(option.pipelineParallel ?? 1).toBe(1);
    expect(pricedAsync(option)).toBe(true);
  });

  it("runs vLLM's OpenAI server with exactly the engine the planner predicted", () => {
    expect(server.image).toBe('vllm/vllm-openai:v0.19.1');
    expect(server.command).toEqual(['python3', '-m', 'vllm.entrypoints.openai.api_server']);
    const { engine } = option;
    const flags = {
      '--model': engine.checkpoint,
      '--served-model-name': option.modelId,
      '--tensor-parallel-size': String(option.tensorParallel),
      '--max-model-len': String(engine.maxModelLen),
      '--gpu-memory-utilization': String(engine.gpuMemoryUtilization),
      '--max-num-seqs': String(engine.maxNumSeqs),
      '--max-num-batched-tokens': String(engine.maxNumBatchedTokens),
      '--kv-cache-dtype': engine.kvCacheDtype,
      '--port': '8080',
    };
    for (const [flag, value] of Object.entries(flags)) expect(flagValue(server.args, flag), flag).toBe(value);
    // The checkpoint already is the option's precision: nothing to quantize on load.
    expect(server.args).not.toContain('--quantization');
  });

  it('asks for the GPUs of one replica, on nodes of that GPU type', () => {
    expect(option.gpusPerReplica).toBe(option.tensorParallel);
    for (const kind of ['requests', 'limits'] as const)
      expect(server.resources[kind]['nvidia.com/gpu']).toBe(String(option.tensorParallel));
    const predictor = predictorOf(objects);
    // Any labeller's name for an L4 node will do: GPU Feature Discovery (time-sliced too), GKE, EKS.
    expect(predictor.nodeSelector).toBeUndefined();
    expect(nodeTermsOf(objects)).toEqual({
      'nvidia.com/gpu.product': ['NVIDIA-L4', 'NVIDIA-L4-SHARED'],
      'cloud.google.com/gke-accelerator': ['nvidia-l4'],
      'karpenter.k8s.aws/instance-gpu-name': ['l4'],
      'eks.amazonaws.com/instance-gpu-name': ['l4'],
    });
    expect(predictor.tolerations).toEqual([
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    ]);
  });

  it('sizes host memory from the weights and sets CPU and memory requests and limits', () => {
    const memoryGib = Number.parseInt(server.resources.requests.memory!, 10);
    expect(server.resources.requests.memory).toMatch(/^\d+Gi$/);
    expect(memoryGib * 2 ** 30).toBeGreaterThan(option.engine.weightsGb * 1e9);
    expect(server.resources.limits.memory).toBe(server.resources.requests.memory);
    expect(Number(server.resources.limits.cpu)).toBeGreaterThanOrEqual(Number(server.resources.requests.cpu));
  });

  it('passes the Hugging Face token as a Secret reference, never a value', () => {
    expect(server.env).toEqual([
      { name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf-token', key: 'token', optional: true } } },
      { name: 'HF_HOME', value: HF_HOME },
    ]);
    const custom = rendered({
      ...input,
      settings: { ...input.settings, hfTokenSecret: { name: 'hf', key: 'HF' } },
    });
    expect(serverOf(custom).env?.[0]?.valueFrom?.secretKeyRef).toMatchObject({ name: 'hf', key: 'HF' });
    expect(serverOf(custom).env?.[0]).not.toHaveProperty('value');
  });

  it('probes /health: startup patient enough to load weights, then readiness and liveness', () => {
    for (const probe of [server.startupProbe, server.readinessProbe, server.livenessProbe])
      expect(probe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(server.startupProbe.periodSeconds * server.startupProbe.failureThreshold).toBeGreaterThanOrEqual(
      20 * 60,
    );
  });

  it('scales between the replicas the average rate needs and those the peak needs', () => {
    const predictor = predictorOf(objects);
    const range = replicaRange(option, spec);
    expect(range.max).toBe(option.replicas);
    const perReplica = option.predicted.maxRpsPerReplica * SLO_CAPACITY_SHARE;
    expect(range.min).toBe(
      Math.min(option.replicas, Math.max(1, Math.ceil(spec.traffic.avgQps.value / perReplica))),
    );
    expect([predictor.minReplicas, predictor.maxReplicas]).toEqual([range.min, range.max]);
    const scaler = ofKind(objects, 'ScaledObject').spec as Record<string, unknown>;
    expect(scaler).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'chat-llm-predictor' },
      minReplicaCount: range.min,
      maxReplicaCount: range.max,
    });
  });

  it("autoscales on this deployment's in-flight requests per replica, at the load the planner sized", () => {
    const scaler = ofKind(objects, 'ScaledObject').spec as {
      triggers: { type: string; metadata: Record<string, string> }[];
    };
    const trigger = scaler.triggers[0]!;
    expect(trigger.type).toBe('prometheus');
    expect(trigger.metadata.query).toBe(
      'sum({namespace="compass",compass_dev_deploy_id="d-0f3a9c",__name__=~"vllm:num_requests_(running|waiting)"})',
    );
    const littlesLaw = (option.predicted.loadPerReplicaRps * option.predicted.e2eP50Ms) / 1000;
    expect(Number(trigger.metadata.threshold)).toBeCloseTo(Math.max(1, littlesLaw), 1);
    expect(trigger.metadata.threshold).toBe(String(inFlightPerReplica(option)));
  });

  it('labels the pods for the PodMonitor and carries the ids, targets and predictions for monitoring', () => {
    const predictor = predictorOf(objects);
    const monitor = ofKind(objects, 'PodMonitor').spec as {
      selector: { matchLabels: Record<string, string> };
      podTargetLabels: string[];
      podMetricsEndpoints: { port: string; path: string }[];
    };
    expect(predictor.labels).toMatchObject(monitor.selector.matchLabels);
    expect(monitor.selector.matchLabels).toEqual({ 'compass.dev/deploy-id': 'd-0f3a9c' });
    expect(monitor.podTargetLabels).toContain('compass.dev/deploy-id');
    expect(monitor.podMetricsEndpoints).toEqual([{ port: 'http', path: '/metrics', interval: '15s' }]);
    const expected: Record<string, string> = {
      'compass.dev/deploy-id': 'd-0f3a9c',
      'compass.dev/conversation-id': 'C024BE91L:1712345678.000100',
    };
    for (const [name, field] of [
      ['ttft', 'ttftP95Ms'],
      ['itl', 'itlP95Ms'],
      ['e2e', 'e2eP95Ms'],
    ] as const) {
      expected[`compass.dev/slo-${name}-p95-ms`] = String(spec.slo[field].value);
      expected[`compass.dev/predicted-${name}-p95-ms`] = String(option.predicted[field]);
    }
    // The vLLM release the prediction assumed, which the pinned image runs.
    expected['compass.dev/vllm-version'] = VLLM_VERSION;
    expect(option.engine.vllmVersion).toBe(VLLM_VERSION);
    expect(serverOf(objects).image).toBe(`vllm/vllm-openai:v${VLLM_VERSION}`);
    expect(predictor.annotations).toMatchObject(expected);
    expect(ofKind(objects, 'InferenceService').metadata.annotations).toMatchObject({
      ...expected,
      'serving.kserve.io/deploymentMode': 'RawDeployment',
      'serving.kserve.io/autoscalerClass': 'external',
    });
    for (const object of objects) expect(object.metadata.labels?.['compass.dev/deploy-id']).toBe('d-0f3a9c');
  });

  it('passes the schema and the default policy', () => {
    expect(checkManifests(objects, defaultPolicy)).toEqual([]);
  });
});

describe('renderManifests for other shapes', () => {
  it('gives tensor-parallel replicas shared memory, and single-GPU ones none', () => {
    // In bf16 (141 GB of weights) no single H100 holds the 70B, so the option is tensor parallel whatever it costs.
    const input = manifestInput({
      gpuTypes: ['H100'],
      models: ['meta-llama/Llama-3.1-70B-Instruct'],
      precisions: ['bf16'],
    });
    expect(input.option.tensorParallel).toBeGreaterThan(1);
    const objects = rendered(input);
    const predictor = predictorOf(objects);
    expect(predictor.volumes).toContainEqual({
      name: 'shm',
      emptyDir: { medium: 'Memory', sizeLimit: `${2 * input.option.gpusPerReplica}Gi` },
    });
    expect(serverOf(objects).volumeMounts).toContainEqual({ name: 'shm', mountPath: '/dev/shm' });
    expect(serverOf(objects).resources.limits['nvidia.com/gpu']).toBe(String(input.option.tensorParallel));
    expect(checkManifests(objects, defaultPolicy)).toEqual([]);

    const single = rendered(manifestInput({ gpuTypes: ['L4'] }));
    expect(predictorOf(single).volumes?.map((volume) => volume.name)).toEqual(['weights']);
  });

  it('runs the ROCm build of vLLM on MI300X, asking the AMD device plugin on any MI300X node', () => {
    const input = manifestInput({ gpuTypes: ['MI300X'] });
    const objects = rendered(input);
    const server = serverOf(objects);
    expect(server.image).toBe('vllm/vllm-openai-rocm:v0.19.1');
    // ROCm's runtime runs unconfined by seccomp, as AMD's and vLLM's instructions run it; never privileged.
    expect(server.securityContext).toEqual({ seccompProfile: { type: 'Unconfined' } });
    expect(serverOf(rendered(manifestInput({ gpuTypes: ['H100'] }))).securityContext).toBeUndefined();
    expect(server.resources.limits['amd.com/gpu']).toBeDefined();
    expect(server.resources.limits).not.toHaveProperty('nvidia.com/gpu');
    // Bare metal (74a1), cloud VMs' virtual function (74b5) and the HF variant and its VF.
    expect(nodeTermsOf(objects)).toEqual({ 'amd.com/gpu.device-id': ['74a1', '74b5', '74a9', '74bd'] });
    // Both images are allowed by default, and a configured ROCm image is what MI300X runs.
    expect(checkManifests(objects, defaultPolicy)).toEqual([]);
    const custom = rendered({
      ...input,
      settings: ManifestSettings.parse({ vllmRocmImage: 'registry.example.com/vllm-rocm:0.19' }),
    });
    expect(serverOf(custom).image).toBe('registry.example.com/vllm-rocm:0.19');
    expect(serverOf(rendered(manifestInput({ gpuTypes: ['H100'] }))).image).toBe('vllm/vllm-openai:v0.19.1');
  });

  it('pins nodes exactly where DEPLOY_GPU_NODE_LABELS gives a nodeSelector', () => {
    const input = manifestInput({ gpuTypes: ['L4'] });
    const objects = rendered({
      ...input,
      settings: ManifestSettings.parse({ gpuNodeLabels: { L4: { nodeSelector: { pool: 'l4' } } } }),
    });
    expect(predictorOf(objects).nodeSelector).toEqual({ pool: 'l4' });
    expect(nodeTermsOf(objects)).toEqual({});
  });

  it('loads the base model with --quantization when no checkpoint ships the precision', () => {
    const coder = 'Qwen/Qwen2.5-Coder-7B-Instruct';
    const base = planned({ useCase: 'code_completion', models: [coder], gpuTypes: ['L4'] });
    const scenario = whatIf(base.spec, base.option, { precision: 'fp8' }, knowledge).scenario;
    if (scenario.kind !== 'planned') throw new Error(`expected a planned option, got ${scenario.kind}`);
    const input = { ...manifestInput(), spec: base.spec, option: scenario.option };
    const args = serverOf(rendered(input)).args;
    expect(flagValue(args, '--model')).toBe(coder);
    expect(flagValue(args, '--quantization')).toBe('fp8');
  });

  it('takes node selectors, tolerations and resources from the configured GPU map', () => {
    const settings = ManifestSettings.parse({
      gpuNodeLabels: {
        L4: {
          nodeSelector: { pool: 'l4' },
          tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'llm' }],
        },
        Z9: { resource: 'example.com/gpu', nodeSelector: { accelerator: 'z9' } },
      },
    });
    const objects = rendered(manifestInput({ gpuTypes: ['L4'] }, settings));
    expect(predictorOf(objects).nodeSelector).toEqual({ pool: 'l4' });
    expect(predictorOf(objects).tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'llm' }]);
    // The resource name is kept from the defaults when the map does not replace it.
    expect(serverOf(objects).resources.limits).toHaveProperty('nvidia.com/gpu');
  });

  it('refuses a GPU it knows no device-plugin resource for, saying which setting to add', () => {
    const input = manifestInput({ gpuTypes: ['L4'] });
    const result = renderManifests({ ...input, option: { ...input.option, gpuId: 'TPU-v5' } });
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('DEPLOY_GPU_NODE_LABELS') });
  });

  it('refuses an option planned before options carried their engine', () => {
    const input = manifestInput();
    const { engine: _engine, ...stored } = input.option;
    const result = renderManifests({ ...input, option: stored as typeof input.option });
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/plan it again/) });
  });
});

describe('renderManifests for a replica spanning nodes', () => {
  const spec = buildSpec(
    intentWith({
      useCase: 'research_legal_analysis',
      users: 200,
      models: ['meta-llama/Llama-3.1-405B-Instruct'],
      gpuTypes: ['H100'],
      // Two nodes prefill the p95 prompt (~32k tokens) in ~6 s.
      ttftP95Ms: 10_000,
    }),
    knowledge.useCases,
  );
  const option = planDeployment(spec, knowledge).recommendations.find((o) => o.precision === 'bf16');
  if (!option?.pipelineParallel) throw new Error('expected a multi-node bf16 option for 405B on H100');
  const input = { ...manifestInput(), spec, option };
  const objects = rendered(input);
  const predictor = predictorOf(objects) as ReturnType<typeof predictorOf> & { workerSpec: WorkerSpec };

  it("renders KServe's multi-node predictor: TP GPUs in the head pod and in each of PP − 1 worker pods", () => {
    const { workerSpec } = predictor;
    expect(workerSpec.pipelineParallelSize).toBe(option.pipelineParallel);
    expect(workerSpec.tensorParallelSize).toBe(8);
    expect(serverOf(objects).resources.limits['nvidia.com/gpu']).toBe('8');
    expect(workerSpec.containers[0]!.resources.limits['nvidia.com/gpu']).toBe('8');
    expect(workerSpec.nodeSelector).toEqual(predictor.nodeSelector);
    expect((workerSpec as { affinity?: unknown }).affinity).toEqual(
      (predictor as { affinity?: unknown }).affinity,
    );
    // The head starts Ray, waits for every node, then serves with TP within a node and PP across nodes.
    const script = serverOf(objects).args[0]!;
    expect(serverOf(objects).command).toEqual(['bash', '-c']);
    expect(script).toMatch(/^ray start --head --port=6379/);
    expect(script).toContain(`-ge ${option.pipelineParallel} ]`);
    expect(script).toMatch(
      new RegExp(
        `exec python3 -m vllm.entrypoints.openai.api_server .*--tensor-parallel-size 8 --pipeline-parallel-size ${option.pipelineParallel} --distributed-executor-backend ray`,
      ),
    );
    expect(workerSpec.containers[0]!.args[0]).toMatch(/ray start --address="\$HEAD" --block/);
  });

  it("runs its stages through Ray, where vLLM's default leaves async scheduling off, as the planner priced it", () => {
    const script = serverOf(objects).args[0]!;
    expect(script).toContain('--distributed-executor-backend ray');
    expect(script).not.toContain('async-scheduling');
    expect(pricedAsync(option)).toBe(false);
  });

  it('fixes the replica count, since KServe does not autoscale multi-node replicas, and passes schema and policy', () => {
    expect(objects.map((object) => object.kind)).toEqual(['InferenceService', 'PodMonitor']);
    expect(predictor.minReplicas).toBe(option.replicas);
    expect(predictor.maxReplicas).toBe(option.replicas);
    // The default quota (8 GPUs) is one node: a multi-node replica needs DEPLOY_GPU_QUOTA raised, and says so.
    expect(
      checkManifests(objects, defaultPolicy)
        .map((finding) => finding.fix)
        .join('\n'),
    ).toMatch(/raise DEPLOY_GPU_QUOTA/);
    const quota = { ...defaultPolicy, gpuQuota: option.gpusPerReplica * option.replicas };
    expect(checkManifests(objects, quota)).toEqual([]);
  });

  it('counts the worker pods against the GPU quota', () => {
    const gpus = option.gpusPerReplica * option.replicas;
    const tight = { ...defaultPolicy, gpuQuota: gpus - 1 };
    const findings = checkManifests(objects, tight);
    expect(findings.map((finding) => finding.problem).join('\n')).toMatch(
      new RegExp(`would hold up to ${gpus} GPUs \\(${option.gpusPerReplica} per replica`),
    );
    expect(checkManifests(objects, { ...defaultPolicy, gpuQuota: gpus })).toEqual([]);
  });

  it("gives every worker pod its own weights cache: vLLM's Ray workers load their stage from local disk", () => {
    const head = serverOf(objects) as ReturnType<typeof serverOf> & {
      volumeMounts: { name: string; mountPath: string }[];
    };
    const worker = predictor.workerSpec.containers[0] as typeof head;
    const headWeights = (predictor.volumes as { name: string }[]).find((volume) => volume.name === 'weights');
    const workerWeights = predictor.workerSpec.volumes?.find((volume) => volume.name === 'weights');
    // A claim per pod of the whole checkpoint's size: one ReadWriteOnce volume cannot follow pods onto two nodes.
    expect(workerWeights).toEqual(headWeights);
    expect(workerWeights).toMatchObject({
      ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'] } } },
    });
    const mount = (container: typeof head) => container.volumeMounts.find((m) => m.name === 'weights');
    expect(mount(worker)).toEqual(mount(head));
    const hfHome = (container: typeof head) => container.env?.find((variable) => variable.name === 'HF_HOME');
    expect(hfHome(worker)).toEqual(hfHome(head));
    expect(hfHome(worker)?.value).toBe(mount(worker)?.mountPath);
    // On the node's disk instead, each worker asks for room the way the head does.
    const onNode = predictorOf(
      rendered({ ...input, settings: ManifestSettings.parse({ weightCache: 'ephemeral' }) }),
    ) as typeof predictor;
    const size = `${weightCacheGib(option.engine.checkpointGb ?? option.engine.weightsGb)}Gi`;
    expect(onNode.workerSpec.volumes?.find((volume) => volume.name === 'weights')).toEqual({
      name: 'weights',
      emptyDir: { sizeLimit: size },
    });
    expect(onNode.workerSpec.containers[0]!.resources.requests['ephemeral-storage']).toBe(size);
    expect(
      checkManifests(objects, { ...defaultPolicy, gpuQuota: option.gpusPerReplica * option.replicas }),
    ).toEqual([]);
  });

  it('refuses a worker spec without pipeline stages to spread', () => {
    const [isvc, ...rest] = objects;
    const broken = structuredClone(isvc!) as typeof isvc & {
      spec: { predictor: { workerSpec: WorkerSpec } };
    };
    broken.spec.predictor.workerSpec.pipelineParallelSize = 1;
    const findings = checkManifests([broken, ...rest], defaultPolicy);
    expect(findings.map((finding) => `${finding.field} ${finding.problem}`).join('\n')).toMatch(
      /workerSpec.pipelineParallelSize .*at least 2/,
    );
  });
});

describe('simulator mode', () => {
  const input = manifestInput(
    { gpuTypes: ['H100'], models: ['meta-llama/Llama-3.1-70B-Instruct'] },
    { simulator: true },
  );
  const objects = rendered(input);
  const server = serverOf(objects);
  const { option } = input;

  it('runs the Compass simulator with the same model, GPU, parallelism and engine', () => {
    expect(server.image).toBe('compass:latest');
    expect(server.command).toBeUndefined();
    expect(server.args[0]).toBe('simulator');
    const flags = {
      '--model': option.modelId,
      '--served-model-name': option.modelId,
      '--gpu': option.gpuId,
      '--tp': String(option.tensorParallel),
      '--quantization': option.precision,
      '--max-concurrency': String(option.engine.maxNumSeqs),
      '--max-model-len': String(option.engine.maxModelLen),
      '--port': '8080',
    };
    for (const [flag, value] of Object.entries(flags)) expect(flagValue(server.args, flag), flag).toBe(value);
  });

  it('asks for no GPU, lands on any node, needs no token and probes fast', () => {
    const predictor = predictorOf(objects);
    for (const kind of ['requests', 'limits'] as const)
      expect(Object.keys(server.resources[kind]).sort()).toEqual(['cpu', 'memory']);
    expect(predictor.nodeSelector).toBeUndefined();
    expect(predictor.tolerations).toBeUndefined();
    expect(predictor.volumes).toBeUndefined();
    expect(server.env).toBeUndefined();
    expect(server.readinessProbe.periodSeconds).toBeLessThanOrEqual(2);
    expect(server.startupProbe.periodSeconds * server.startupProbe.failureThreshold).toBeLessThanOrEqual(120);
    expect(ofKind(objects, 'InferenceService').metadata.labels?.['compass.dev/server']).toBe('simulator');
  });

  it('passes the schema and the default policy (the simulator image is allowed by default)', () => {
    expect(checkManifests(objects, defaultPolicy)).toEqual([]);
  });
});

describe('escaping', () => {
  it('keeps hostile text a plain value: quotes, colons, newlines, template syntax and document markers', () => {
    const hostile = 'x": {evil: 1}\n---\nkind: Secret # {{ name }} {% raw %} \'\\ \u2028 ü';
    const input = manifestInput();
    const objects = rendered({
      ...input,
      conversationId: hostile,
      option: { ...input.option, modelId: `org/${hostile}` },
    });
    expect(objects.map((object) => object.kind)).toEqual(['InferenceService', 'ScaledObject', 'PodMonitor']);
    expect(ofKind(objects, 'InferenceService').metadata.annotations?.['compass.dev/conversation-id']).toBe(
      hostile,
    );
    expect(flagValue(serverOf(objects).args, '--served-model-name')).toBe(`org/${hostile}`);
    // The YAML a user sees reads back to the same objects.
    expect(parseYamlDocuments(manifestsYaml(objects))).toEqual(objects);
  });
});

describe('manifestPreview', () => {
  const objects = rendered(manifestInput({ gpuTypes: ['L4'] }));

  it('shows the manifests without labels and annotations, within a Slack text block', () => {
    const preview = manifestPreview(objects);
    expect(preview.length).toBeLessThanOrEqual(2900);
    expect(preview).toContain('kind: InferenceService');
    expect(preview).toContain('vllm/vllm-openai:v0.19.1');
    expect(preview).not.toContain('compass.dev/slo-ttft-p95-ms');
    expect(preview).not.toMatch(/^\s+labels:/m);
  });

  it('cuts long manifests at a line and says how much is left out', () => {
    const preview = manifestPreview(objects, 400);
    expect(preview.length).toBeLessThanOrEqual(400);
    const lines = manifestsYaml(objects).split('\n').length;
    expect(preview).toMatch(/… \d+ more lines$/);
    expect(Number(/… (\d+) more lines$/.exec(preview)![1])).toBeLessThan(lines);
  });
});

describe('weight storage and rollouts of GPU deployments', () => {
  const catalogGpus = knowledge.gpus.map((gpu) => gpu.id);
  const shapes = [
    ...catalogGpus.map((gpu) => ({ gpuTypes: [gpu] })),
    { gpuTypes: ['H100'], models: ['meta-llama/Llama-3.1-70B-Instruct'] },
    { gpuTypes: ['H200'], models: ['meta-llama/Llama-3.1-405B-Instruct'] },
    { gpuTypes: ['L4'], users: 20_000 },
  ];

  it('gives every GPU deployment a Hugging Face cache sized from its checkpoint, and a probe that waits for it', () => {
    for (const shape of shapes) {
      const input = manifestInput(shape);
      const { engine } = input.option;
      const checkpointGb = engine.checkpointGb!;
      const objects = rendered(input);
      const what = `${input.option.id}`;
      const server = serverOf(objects);
      expect(checkpointGb, what).toBeGreaterThanOrEqual(engine.weightsGb);
      const size = `${weightCacheGib(checkpointGb)}Gi`;
      // The cache holds the checkpoint with room to spare.
      expect(weightCacheGib(checkpointGb) * 2 ** 30, what).toBeGreaterThan(checkpointGb * 1e9 * 1.1);
      const volume = predictorOf(objects).volumes?.find((v) => v.name === 'weights');
      const claims = objects.filter((object) => object.kind === 'PersistentVolumeClaim');
      if (replicaRange(input.option, input.spec).max === 1) {
        expect(claims, what).toHaveLength(1);
        expect(objects[0]!.kind, `${what}: the claim is applied first`).toBe('PersistentVolumeClaim');
        expect(claims[0]!.spec).toMatchObject({
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: size } },
        });
        expect(volume?.persistentVolumeClaim?.claimName, what).toBe(claims[0]!.metadata.name);
      } else {
        expect(claims, what).toHaveLength(0);
        expect(volume?.ephemeral?.volumeClaimTemplate.spec.resources.requests.storage, what).toBe(size);
      }
      expect(server.volumeMounts, what).toContainEqual({ name: 'weights', mountPath: HF_HOME });
      expect(server.env, what).toContainEqual({ name: 'HF_HOME', value: HF_HOME });
      const startup = server.startupProbe;
      expect(startup.periodSeconds * startup.failureThreshold, what).toBeGreaterThanOrEqual(
        startupBudgetSeconds(checkpointGb, 100),
      );
      // The 405B option needs more GPUs than the default quota; everything else about it must pass.
      expect(checkManifests(objects, { ...defaultPolicy, gpuQuota: 64 }), what).toEqual([]);
    }
  });

  it('sizes the startup budget from the download: a 405B checkpoint at 100 MB/s needs over an hour', () => {
    expect(startupBudgetSeconds(16, 100)).toBe(1800);
    expect(startupBudgetSeconds(410, 100)).toBeGreaterThan(4100);
    expect(startupBudgetSeconds(410, 25)).toBeGreaterThan(4 * startupBudgetSeconds(410, 100) - 4 * 1800);
  });

  it('puts the cache on the node with an ephemeral-storage request when DEPLOY_WEIGHT_CACHE=ephemeral', () => {
    const input = manifestInput({ gpuTypes: ['H100'], models: ['meta-llama/Llama-3.1-70B-Instruct'] });
    const objects = rendered({ ...input, settings: ManifestSettings.parse({ weightCache: 'ephemeral' }) });
    const size = `${weightCacheGib(input.option.engine.checkpointGb!)}Gi`;
    expect(objects.map((object) => object.kind)).not.toContain('PersistentVolumeClaim');
    expect(serverOf(objects).resources.requests['ephemeral-storage']).toBe(size);
    expect(serverOf(objects).resources.limits).not.toHaveProperty('ephemeral-storage');
    expect(predictorOf(objects).volumes).toContainEqual({ name: 'weights', emptyDir: { sizeLimit: size } });
  });

  it('names the weight claim after the service and the checkpoint, within 63 characters', () => {
    const model = 'meta-llama/Llama-3.1-70B-Instruct';
    expect(weightClaimName('chat', model)).toMatch(/^chat-weights-[0-9a-f]{8}$/);
    expect(weightClaimName('chat', model)).not.toBe(weightClaimName('chat', 'Qwen/Qwen2.5-7B-Instruct'));
    const long = weightClaimName(`${'a'.repeat(49)}-b`, model);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^a+-weights-[0-9a-f]{8}$/);
  });

  it('names the storage class when one is configured', () => {
    const input = manifestInput({ gpuTypes: ['H100'], models: ['meta-llama/Llama-3.1-70B-Instruct'] });
    const objects = rendered({
      ...input,
      settings: ManifestSettings.parse({ weightStorageClass: 'fast-ssd' }),
    });
    const claim = objects.find((object) => object.kind === 'PersistentVolumeClaim');
    const template = predictorOf(objects).volumes?.find((v) => v.name === 'weights')?.ephemeral;
    expect(claim?.spec ?? template?.volumeClaimTemplate.spec).toMatchObject({ storageClassName: 'fast-ssd' });
  });

  it('rolls GPU predictors out with Recreate by default, or one replica at a time without surge', () => {
    const input = manifestInput({ gpuTypes: ['H100'], models: ['meta-llama/Llama-3.1-70B-Instruct'] });
    expect(predictorOf(rendered(input)).deploymentStrategy).toEqual({ type: 'Recreate' });
    const rolling = rendered({ ...input, settings: ManifestSettings.parse({ rollout: 'rolling' }) });
    expect(predictorOf(rolling).deploymentStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
    });
    expect(checkManifests(rolling, defaultPolicy)).toEqual([]);
  });
});
