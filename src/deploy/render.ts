/**
 * Renders one deployment's Kubernetes objects from templates/ (nunjucks, YAML): a KServe InferenceService running
 * vLLM (or the simulator), a KEDA ScaledObject and a PodMonitor. Pure: the same input gives the same objects; every
 * figure comes from the planner's option, nothing is re-guessed here.
 */
import { createHash } from 'node:crypto';
import nunjucks from 'nunjucks';
import { z } from 'zod';
import type { Precision } from '../knowledge/catalog.js';
import { KubeObject } from '../kube/objects.js';
import { renderSelector, selectorOf } from '../monitor/queries.js';
import { templatesDir } from '../paths.js';
import { podNeeds } from '../planner/node-fit.js';
import type { PlannedOption } from '../planner/plan.js';
import { nodesOf, SLO_CAPACITY_SHARE } from '../planner/plan.js';
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

/**
 * `--quantization` when vLLM quantizes base weights on load: FP8 online, 4-bit through bitsandbytes. The other
 * formats exist only as published checkpoints (the catalog requires one).
 */
const ON_LOAD_QUANTIZATION: Record<Precision, string | null> = {
  bf16: null,
  fp8: 'fp8',
  w8a8: null,
  int4: 'bitsandbytes',
  mxfp4: null,
  nvfp4: null,
};

interface Probe {
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
}

/** Where the Hugging Face cache lives: a claim of its own, a claim per pod, or the node's disk. */
type WeightCache =
  | { kind: 'claim'; claimName: string; size: string; accessMode: 'ReadWriteOnce' }
  | { kind: 'perPod'; size: string }
  | { kind: 'node'; size: string };

interface Server {
  image: string;
  securityContext: Record<string, unknown> | null;
  command: string[] | null;
  args: string[];
  /**
   * A replica that spans nodes (KServe multi-node, RawDeployment only): the head pod above runs the Ray head and the
   * vLLM server, `nodes` − 1 worker pods join its Ray cluster; every pod requests `tensorParallel` GPUs.
   */
  workers: Workers | null;
  hfTokenSecret: ManifestSettings['hfTokenSecret'] | null;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  placement: {
    nodeSelector: Record<string, string>;
    /** Node affinity terms (ORed), each one label key In its values. */
    nodeTerms: { key: string; values: string[] }[];
    tolerations: ResolvedPlacement['tolerations'];
  } | null;
  shmSizeLimit: string | null;
  weightCache: WeightCache | null;
  /** KServe's predictor deploymentStrategy (an apps/v1 DeploymentStrategy); null keeps KServe's rolling default. */
  strategy: Record<string, unknown> | null;
  probes: { startup: Probe; readiness: Probe; liveness: Probe };
}

/** Where the weights go inside the container: HF_HOME points the Hugging Face hub (and vLLM) at it. */
export const HF_HOME = '/models/huggingface';
/** Room beside the checkpoint in its cache: tokenizer and config files, a partly downloaded shard. */
const CACHE_HEADROOM = { share: 0.2, gib: 5 };
/** Reading the checkpoint from the cache into GPU memory (GB/s), plus the engine's warm-up (graphs, compile). */
const LOAD = { gbPerSecond: 1, warmupSeconds: 300 };
const STARTUP_PERIOD_SECONDS = 10;
/** The startup probe never allows less than this: 30 minutes, the budget before sizing it from the weights. */
const MIN_STARTUP_SECONDS = 1800;

/** Size of the Hugging Face cache for a checkpoint: its bytes plus headroom, in whole GiB. */
export function weightCacheGib(checkpointGb: number): number {
  return Math.ceil(((checkpointGb * 1e9) / GIB) * (1 + CACHE_HEADROOM.share)) + CACHE_HEADROOM.gib;
}

/**
 * Seconds the startup probe waits for a first start: download at the configured rate, load, warm up. A probe that
 * gives up sooner kills a pod still downloading, which then starts the download again and never becomes ready.
 */
export function startupBudgetSeconds(checkpointGb: number, downloadMBps: number): number {
  const download = (checkpointGb * 1000) / downloadMBps;
  const load = checkpointGb / LOAD.gbPerSecond + LOAD.warmupSeconds;
  return Math.max(MIN_STARTUP_SECONDS, Math.ceil(download + load));
}

/**
 * The predictor's rollout. Without one KServe rolls with 25% surge: an update then needs a whole replica's GPUs
 * spare, and on a full pool the new pod stays Pending. Recreate frees the GPUs first; rolling without surge
 * replaces one replica at a time.
 */
function rolloutStrategy(rollout: ManifestSettings['rollout']): Record<string, unknown> {
  return rollout === 'recreate'
    ? { type: 'Recreate' }
    : { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } };
}

/** The name of the weight cache claim of a deployment and checkpoint: same model, same cache across redeploys. */
export function weightClaimName(service: string, checkpoint: string): string {
  const hash = createHash('sha256').update(checkpoint).digest('hex').slice(0, 8);
  const suffix = `-weights-${hash}`;
  // A label-length name (63) whatever the service's length; the hash keeps it unique.
  return `${service.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
}

function weightCache(input: ManifestInput, checkpointGb: number, maxReplicas: number): WeightCache {
  const size = `${weightCacheGib(checkpointGb)}Gi`;
  if (input.settings.weightCache === 'ephemeral') return { kind: 'node', size };
  // A ReadWriteOnce claim mounts on one node: a deployment that scales out, or a replica spanning nodes, gets a claim
  // per pod instead.
  if (maxReplicas > 1 || nodesOf(input.option) > 1) return { kind: 'perPod', size };
  return {
    kind: 'claim',
    claimName: weightClaimName(input.name, input.option.engine.checkpoint),
    size,
    accessMode: 'ReadWriteOnce',
  };
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

interface Workers {
  pipelineParallelSize: number;
  tensorParallelSize: number;
  image: string;
  command: string[];
  args: string[];
  resources: Server['resources'];
  startupProbe: Probe;
}

/** Ray's port on the head pod, where worker pods join (KServe's multi-node runtime uses the same). */
const RAY_PORT = 6379;

function vllmServer(input: ManifestInput, placement: ResolvedPlacement, maxReplicas: number): Server {
  const { option, settings } = input;
  const { engine } = option;
  const checkpointGb = engine.checkpointGb ?? engine.weightsGb;
  const cache = weightCache(input, checkpointGb, maxReplicas);
  const startupSeconds = startupBudgetSeconds(checkpointGb, settings.downloadMBps);
  // Requested so the scheduler picks a node with room; no limit, which would evict the pod for its logs and
  // writable layer on top of a full cache (the emptyDir's sizeLimit bounds the cache itself).
  const onNodeDisk: Record<string, string> = cache.kind === 'node' ? { 'ephemeral-storage': cache.size } : {};
  // A replica spanning nodes runs one pod per node, each with its pipeline stage's GPUs and share of the weights.
  const nodes = nodesOf(option);
  const gpus = option.gpusPerReplica / nodes;
  const quantization = engine.quantizeOnLoad ? ON_LOAD_QUANTIZATION[option.precision] : null;
  const needs = podNeeds({
    gpusPerReplica: gpus,
    tensorParallel: option.tensorParallel,
    weightsGb: engine.weightsGb / nodes,
  });
  // Requests that fit the instance the replica was priced on (the plan chose it so they do); without one, all wanted.
  const pod = option.node?.pod ?? { cpu: needs.cpu.wanted, memoryGib: needs.memoryGib.wanted };
  const cpu = String(pod.cpu);
  const memory = `${pod.memoryGib}Gi`;
  const vllm = [
    'python3',
    '-m',
    'vllm.entrypoints.openai.api_server',
    '--model',
    engine.checkpoint,
    ...engineArgs(option),
    '--tensor-parallel-size',
    String(option.tensorParallel),
    ...(nodes > 1
      ? ['--pipeline-parallel-size', String(nodes), '--distributed-executor-backend', 'ray']
      : []),
    // Data-parallel attention ranks run in the one pod, each on its TP share of the pod's GPUs.
    ...(option.dataParallel !== undefined ? ['--data-parallel-size', String(option.dataParallel)] : []),
    ...(option.expertParallel ? ['--enable-expert-parallel'] : []),
    '--max-num-seqs',
    String(engine.maxNumSeqs),
    ...(quantization ? ['--quantization', quantization] : []),
  ];
  const resources = {
    requests: { cpu, memory, [placement.resource]: String(gpus), ...onNodeDisk },
    limits: {
      // CPU beyond the request is borrowed when idle; memory is not, so its limit is the request.
      cpu: String(Math.max(pod.cpu, 2 * needs.cpu.wanted)),
      memory,
      [placement.resource]: String(gpus),
    },
  };
  return {
    image: placement.image,
    securityContext: placement.securityContext,
    ...(nodes > 1
      ? { command: ['bash', '-c'], args: [rayHeadScript(nodes, vllm)] }
      : { command: vllm.slice(0, 3), args: vllm.slice(3) }),
    workers:
      nodes > 1
        ? {
            pipelineParallelSize: nodes,
            tensorParallelSize: option.tensorParallel,
            image: placement.image,
            command: ['bash', '-c'],
            args: [RAY_WORKER_SCRIPT],
            resources,
            // Joining waits for the head's Ray service: allow it the head's own start-up time.
            startupProbe: {
              periodSeconds: STARTUP_PERIOD_SECONDS,
              timeoutSeconds: 5,
              failureThreshold: Math.ceil(startupSeconds / STARTUP_PERIOD_SECONDS),
            },
          }
        : null,
    hfTokenSecret: settings.hfTokenSecret,
    resources,
    placement: {
      nodeSelector: placement.nodeSelector,
      nodeTerms: Object.entries(placement.nodeLabels).map(([key, values]) => ({ key, values })),
      tolerations: placement.tolerations,
    },
    shmSizeLimit: needs.shmGib > 0 ? `${needs.shmGib}Gi` : null,
    weightCache: cache,
    strategy: rolloutStrategy(settings.rollout),
    probes: {
      startup: {
        periodSeconds: STARTUP_PERIOD_SECONDS,
        timeoutSeconds: 5,
        failureThreshold: Math.ceil(startupSeconds / STARTUP_PERIOD_SECONDS),
      },
      readiness: { periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 3 },
      liveness: { periodSeconds: 15, timeoutSeconds: 10, failureThreshold: 4 },
    },
  };
}

/**
 * The head pod of a multi-node replica: start the Ray head, wait until every node's worker has joined (vLLM places
 * one pipeline stage per node through Ray), then run vLLM in the foreground. Arguments are quoted for the shell.
 */
function rayHeadScript(nodes: number, vllm: string[]): string {
  return [
    `ray start --head --port=${RAY_PORT} --disable-usage-stats --include-dashboard=false`,
    `until [ "$(ray status 2>/dev/null | grep -c node_)" -ge ${nodes} ]; do echo "waiting for ${nodes} Ray nodes"; sleep 5; done`,
    `exec ${vllm.map(shellQuote).join(' ')}`,
  ].join('\n');
}

/** Worker pods join the head's Ray cluster through the headless service KServe creates for it (ISVC_NAME-head). */
const RAY_WORKER_SCRIPT = [
  `HEAD="\${ISVC_NAME}-head.\${POD_NAMESPACE}.svc.cluster.local:${RAY_PORT}"`,
  'until ray health-check --address "$HEAD" >/dev/null 2>&1; do echo "waiting for the Ray head at $HEAD"; sleep 5; done',
  'exec ray start --address="$HEAD" --block',
].join('\n');

const shellQuote = (word: string) =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;

/** The simulator paces tokens with the planner's model of the same engine, so it gets the same engine flags. */
function simulatorServer(option: PlannedOption, settings: ManifestSettings): Server {
  return {
    image: settings.simulatorImage,
    securityContext: null,
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
      ...(option.dataParallel !== undefined ? ['--data-parallel-size', String(option.dataParallel)] : []),
      ...(option.expertParallel ? ['--expert-parallel', 'true'] : []),
      '--quantization',
      option.precision,
      '--max-concurrency',
      String(option.engine.maxNumSeqs),
    ],
    workers: null,
    hfTokenSecret: null,
    resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    placement: null,
    shmSizeLimit: null,
    weightCache: null,
    strategy: null,
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
    // The release the prediction assumed; the image may be overridden (VLLM_IMAGE), never below OLDEST_VLLM.
    ...(option.engine.vllmVersion && { 'compass.dev/vllm-version': option.engine.vllmVersion }),
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
  // The simulator stands in for a multi-node replica as one pod; real vLLM spans the nodes.
  const multiNode = placement !== null && nodesOf(option) > 1;
  const replicas = multiNode
    ? { min: option.replicas, max: option.replicas }
    : replicaRange(option, input.spec);
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
    replicas,
    port: SERVER_PORT,
    hfHome: HF_HOME,
    storageClass: settings.weightStorageClass ?? null,
    server: placement ? vllmServer(input, placement, replicas.max) : simulatorServer(option, settings),
    // A replica spanning nodes does not scale: its pods are one unit.
    autoscaling: multiNode
      ? null
      : {
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
