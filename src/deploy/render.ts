/**
 * Renders one deployment's Kubernetes objects from templates/ (nunjucks, YAML): a KServe InferenceService running
 * vLLM (or the simulator), a KEDA ScaledObject and a PodMonitor. Pure: the same input gives the same objects; every
 * figure comes from the planner's option, nothing is re-guessed here.
 */
import nunjucks from 'nunjucks';
import { z } from 'zod';
import type { Precision } from '../knowledge/catalog.js';
import { KubeObject } from '../kube/objects.js';
import { renderSelector, selectorOf } from '../monitor/queries.js';
import { templatesDir } from '../paths.js';
import type { PlannedOption } from '../planner/plan.js';
import { SLO_CAPACITY_SHARE } from '../planner/plan.js';
import type { DeploymentSpec } from '../spec/schema.js';
import { componentDeploymentName } from './names.js';
import { parseYamlDocuments } from './objects.js';
import {
  gpuPlacement,
  kedaAuthenticationRef,
  kedaServerAddress,
  type ManifestSettings,
  type ResolvedPlacement,
} from './settings.js';

export interface ManifestInput {
  /** The deploy's id: a label value, so series and objects of this deployment can be selected by it. */
  deployId: string;
  /** Name of the InferenceService (and of the objects that go with it). */
  name: string;
  namespace: string;
  conversationId: string;
  option: PlannedOption;
  /** The spec the option was planned for: its SLO targets and traffic. */
  spec: DeploymentSpec;
  settings: ManifestSettings;
}

export type RenderResult = { ok: true; objects: KubeObject[] } | { ok: false; reason: string };

/** Where vLLM and the simulator listen: KServe's port for custom containers. */
export const SERVER_PORT = 8080;
const GIB = 2 ** 30;

/** `--quantization` when vLLM quantizes base weights on load: FP8 online, 4-bit through bitsandbytes. */
const ON_LOAD_QUANTIZATION: Record<Precision, string | null> = {
  bf16: null,
  fp8: 'fp8',
  int4: 'bitsandbytes',
};

interface Probe {
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
}

interface Server {
  image: string;
  command: string[] | null;
  args: string[];
  hfTokenSecret: ManifestSettings['hfTokenSecret'] | null;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  placement: Pick<ResolvedPlacement, 'nodeSelector' | 'tolerations'> | null;
  shmSizeLimit: string | null;
  probes: { startup: Probe; readiness: Probe; liveness: Probe };
}

/** The engine flags both servers share, as the planner resolved them. */
function engineArgs(option: PlannedOption): string[] {
  const { engine } = option;
  return [
    '--served-model-name',
    option.modelId,
    '--port',
    String(SERVER_PORT),
    '--max-model-len',
    String(engine.maxModelLen),
    '--gpu-memory-utilization',
    String(engine.gpuMemoryUtilization),
    '--max-num-batched-tokens',
    String(engine.maxNumBatchedTokens),
    '--kv-cache-dtype',
    engine.kvCacheDtype,
  ];
}

function vllmServer(option: PlannedOption, settings: ManifestSettings, placement: ResolvedPlacement): Server {
  const { engine } = option;
  const gpus = option.gpusPerReplica;
  const pipelineStages = gpus / option.tensorParallel;
  const quantization = engine.quantizeOnLoad ? ON_LOAD_QUANTIZATION[option.precision] : null;
  const shmGib = option.tensorParallel > 1 || pipelineStages > 1 ? 2 * gpus : 0;
  // Host memory: the checkpoint passes through the page cache while it loads, each GPU worker process holds a few
  // GiB (CUDA context, torch), the API server a few more; shared memory counts against the limit too.
  const memoryGib = Math.ceil((engine.weightsGb * 1e9) / GIB) + 4 * gpus + 4 + shmGib;
  // Tokenization, scheduling and detokenization run on the CPU: two cores, plus two per GPU worker.
  const cpu = 2 + 2 * gpus;
  return {
    image: settings.vllmImage,
    command: ['python3', '-m', 'vllm.entrypoints.openai.api_server'],
    args: [
      '--model',
      engine.checkpoint,
      ...engineArgs(option),
      '--tensor-parallel-size',
      String(option.tensorParallel),
      ...(pipelineStages > 1 ? ['--pipeline-parallel-size', String(pipelineStages)] : []),
      '--max-num-seqs',
      String(engine.maxNumSeqs),
      ...(quantization ? ['--quantization', quantization] : []),
    ],
    hfTokenSecret: settings.hfTokenSecret,
    resources: {
      requests: { cpu: String(cpu), memory: `${memoryGib}Gi`, [placement.resource]: String(gpus) },
      limits: { cpu: String(2 * cpu), memory: `${memoryGib}Gi`, [placement.resource]: String(gpus) },
    },
    placement: { nodeSelector: placement.nodeSelector, tolerations: placement.tolerations },
    shmSizeLimit: shmGib > 0 ? `${shmGib}Gi` : null,
    probes: {
      startup: { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 180 },
      readiness: { periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 3 },
      liveness: { periodSeconds: 15, timeoutSeconds: 10, failureThreshold: 4 },
    },
  };
}

/** The simulator paces tokens with the planner's model of the same engine, so it gets the same engine flags. */
function simulatorServer(option: PlannedOption, settings: ManifestSettings): Server {
  return {
    image: settings.simulatorImage,
    // The Compass image's entrypoint is `compass`.
    command: null,
    args: [
      'simulator',
      '--model',
      option.modelId,
      ...engineArgs(option),
      '--gpu',
      option.gpuId,
      '--tp',
      String(option.tensorParallel),
      '--gpu-count',
      String(option.gpusPerReplica),
      '--quantization',
      option.precision,
      '--max-concurrency',
      String(option.engine.maxNumSeqs),
    ],
    hfTokenSecret: null,
    resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    placement: null,
    shmSizeLimit: null,
    probes: {
      // The first start seeds the simulator's embedded catalog: seconds, more on a throttled CPU.
      startup: { periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 60 },
      readiness: { periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 2 },
      liveness: { periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
    },
  };
}

/**
 * Replicas between the count the average rate needs and the count the planner sized for the peak: the autoscaler
 * saves GPUs off-peak and never exceeds the GPUs (and cost) that were approved.
 */
export function replicaRange(option: PlannedOption, spec: DeploymentSpec): { min: number; max: number } {
  const perReplica = option.predicted.maxRpsPerReplica * SLO_CAPACITY_SHARE;
  const atAverage = Math.ceil(spec.traffic.avgQps.value / perReplica);
  return { min: Math.min(Math.max(atAverage, 1), option.replicas), max: option.replicas };
}

/**
 * Requests in flight per replica at the load the planner sized it for (Little's law: per-replica rate × median
 * E2E latency); KEDA adds replicas when the deployment's in-flight requests per replica exceed it.
 */
export function inFlightPerReplica(option: PlannedOption): number {
  const inFlight = (option.predicted.loadPerReplicaRps * option.predicted.e2eP50Ms) / 1000;
  return Math.max(1, Math.round(inFlight * 10) / 10);
}

/** What monitoring reads to find the deployment and judge it: ids, the targets and what the planner predicted. */
function compassAnnotations({
  deployId,
  conversationId,
  option,
  spec,
}: ManifestInput): Record<string, string> {
  return {
    'compass.dev/deploy-id': deployId,
    'compass.dev/conversation-id': conversationId,
    'compass.dev/option-id': option.id,
    'compass.dev/model': option.modelId,
    'compass.dev/precision': option.precision,
    'compass.dev/peak-rps': String(spec.traffic.peakQps.value),
    'compass.dev/slo-ttft-p95-ms': String(spec.slo.ttftP95Ms.value),
    'compass.dev/slo-itl-p95-ms': String(spec.slo.itlP95Ms.value),
    'compass.dev/slo-e2e-p95-ms': String(spec.slo.e2eP95Ms.value),
    'compass.dev/predicted-ttft-p95-ms': String(option.predicted.ttftP95Ms),
    'compass.dev/predicted-itl-p95-ms': String(option.predicted.itlP95Ms),
    'compass.dev/predicted-e2e-p95-ms': String(option.predicted.e2eP95Ms),
    'compass.dev/predicted-max-rps': String(option.predicted.maxRps),
    'compass.dev/monthly-cost-usd': String(option.monthlyCostUsd),
  };
}

let templates: nunjucks.Environment | undefined;

function environment(): nunjucks.Environment {
  templates ??= new nunjucks.Environment(new nunjucks.FileSystemLoader(templatesDir), {
    // YAML, not HTML: values are made safe by `dump` (JSON) in the templates.
    autoescape: false,
    throwOnUndefined: true,
    trimBlocks: true,
    lstripBlocks: true,
  });
  return templates;
}

/** The objects of one deployment in apply order, or why they cannot be rendered. */
export function renderManifests(input: ManifestInput): RenderResult {
  const { option, settings } = input;
  // Options stored before plans carried their engine cannot say what to run.
  if (!option.engine)
    return { ok: false, reason: `option ${option.id} was planned without engine settings; plan it again` };
  // The simulator needs no GPU, so no placement.
  const placement = settings.simulator ? null : gpuPlacement(option.gpuId, settings);
  if (placement === undefined) {
    return {
      ok: false,
      reason: `Compass knows no GPU resource for ${option.gpuId}; set DEPLOY_GPU_NODE_LABELS, e.g. {"${option.gpuId}": {"resource": "nvidia.com/gpu", "nodeSelector": {…}}}`,
    };
  }
  const labels = {
    'app.kubernetes.io/name': input.name,
    'app.kubernetes.io/managed-by': 'compass',
    'compass.dev/deploy-id': input.deployId,
    'compass.dev/gpu': option.gpuId,
    'compass.dev/server': settings.simulator ? 'simulator' : 'vllm',
  };
  const annotations = compassAnnotations(input);
  // The PodMonitor relabels the pods' deploy-id label onto every series as compass_dev_deploy_id.
  const inFlight = renderSelector(
    selectorOf({ namespace: input.namespace, compass_dev_deploy_id: input.deployId }),
    [{ label: '__name__', op: '=~', value: 'vllm:num_requests_(running|waiting)' }],
  );
  const text = environment().render('deployment.yaml.njk', {
    name: input.name,
    namespace: input.namespace,
    labels,
    annotations,
    ownerAnnotations: {
      'compass.dev/deploy-id': input.deployId,
      'compass.dev/conversation-id': input.conversationId,
    },
    isvcAnnotations: {
      'serving.kserve.io/deploymentMode': 'RawDeployment',
      'serving.kserve.io/autoscalerClass': 'external',
      ...annotations,
    },
    podSelector: { 'compass.dev/deploy-id': input.deployId },
    replicas: replicaRange(option, input.spec),
    port: SERVER_PORT,
    server: placement ? vllmServer(option, settings, placement) : simulatorServer(option, settings),
    autoscaling: {
      target: componentDeploymentName(input.name),
      prometheusUrl: kedaServerAddress(settings.prometheusUrl),
      authenticationRef: settings.prometheusAuth ? kedaAuthenticationRef(settings.prometheusAuth) : null,
      query: `sum(${inFlight})`,
      inFlightPerReplica: String(inFlightPerReplica(option)),
    },
  });
  const objects: KubeObject[] = [];
  for (const document of parseYamlDocuments(text)) {
    const parsed = KubeObject.safeParse(document);
    if (!parsed.success)
      return { ok: false, reason: `a rendered object is malformed: ${z.prettifyError(parsed.error)}` };
    objects.push(parsed.data);
  }
  return { ok: true, objects };
}
