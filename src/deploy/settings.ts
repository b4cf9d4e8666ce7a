/** How Compass renders and checks deploy manifests: images, simulator mode, policy limits, GPU placement. */
import { z } from 'zod';
import { followsMemoryModel, OLDEST_VLLM, VLLM_VERSION, vllmVersionOfImage } from '../planner/assumptions.js';

/** A label or annotation key: an optional DNS-1123 subdomain prefix and a name of at most 63 characters. */
export const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** A label value: empty, or at most 63 letters, digits, "-", "_" and "." starting and ending alphanumeric. */
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
export const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const image = z
  .string()
  .trim()
  .regex(
    /^(?:[a-zA-Z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::\w[\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/,
    'must be an image reference ([registry/]repository[:tag][@sha256:digest])',
  );

export const Toleration = z.strictObject({
  key: z.string().min(1).optional(),
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  tolerationSeconds: z.number().int().optional(),
});
export type Toleration = z.infer<typeof Toleration>;

/** Where pods of one GPU type run and what they ask the device plugin for. */
export const GpuPlacement = z.strictObject({
  /** Extended resource the device plugin advertises (nvidia.com/gpu, amd.com/gpu). */
  resource: z.string().regex(LABEL_KEY, 'must be a resource name such as nvidia.com/gpu').optional(),
  /** Labels every node must carry; set, it replaces `nodeLabels` (pods then run only where these match). */
  nodeSelector: z.record(z.string().regex(LABEL_KEY, 'must be a label key'), z.string()).optional(),
  /**
   * Label key → values any one of which marks a node with this GPU; a node needs one matching key (node affinity
   * terms are ORed), so one default fits GPU Feature Discovery, GKE and EKS nodes alike.
   */
  nodeLabels: z
    .record(z.string().regex(LABEL_KEY, 'must be a label key'), z.array(z.string().regex(LABEL_VALUE)).min(1))
    .optional(),
  tolerations: z.array(Toleration).optional(),
});
export type GpuPlacement = z.infer<typeof GpuPlacement>;

export const ManifestSettings = z
  .object({
    /**
     * vLLM's OpenAI server image for NVIDIA GPUs (CUDA build); pinned to the release the planner's predictions
     * assume (VLLM_VERSION), since memory profile, flags and metrics change between releases.
     */
    vllmImage: image.default(`vllm/vllm-openai:v${VLLM_VERSION}`),
    /** vLLM built for ROCm, for AMD GPUs (the CUDA image finds no device there): vLLM's own ROCm image, same release. */
    vllmRocmImage: image.default(`vllm/vllm-openai-rocm:v${VLLM_VERSION}`),
    /** The Compass image: its entrypoint runs `compass`, so `simulator …` starts the GPU-free simulator. */
    simulatorImage: image.default('compass:latest'),
    /** Run the simulator instead of vLLM: no GPUs, so a laptop cluster runs the whole flow. */
    simulator: z.boolean().default(false),
    /** Image prefixes containers may use; default: the repositories of the two images above. */
    imageAllowlist: z.array(z.string().min(1)).min(1).optional(),
    /** Most GPUs one deployment may hold at its largest scale. */
    gpuQuota: z.number().int().positive().default(8),
    /** Per GPU id, placement that replaces the default's fields (DEFAULT_GPU_PLACEMENT). */
    gpuNodeLabels: z
      .record(z.string().min(1), GpuPlacement, {
        error: 'must be a JSON object: GPU id → {"nodeSelector": {…}, "tolerations": […], "resource": "…"}',
      })
      .default({}),
    /** Secret holding the Hugging Face token; pods reference it, its value never appears in a manifest. */
    hfTokenSecret: z
      .object({
        name: z.string().regex(DNS_1123_SUBDOMAIN, 'secret name must be a DNS-1123 subdomain'),
        key: z
          .string()
          .regex(/^[-._a-zA-Z0-9]+$/, 'secret key may hold letters, digits, "-", "_" and "."')
          .default('token'),
      })
      .default({ name: 'hf-token', key: 'token' }),
    /**
     * How a GPU predictor replaces its pods on an update. `recreate`: stop the old ones, then start the new, so no
     * spare GPUs are needed (briefly unavailable). `rolling`: one replica at a time, no surge (maxSurge 0,
     * maxUnavailable 1), so deployments of several replicas keep serving, still without spare GPUs.
     */
    rollout: z.enum(['recreate', 'rolling']).default('recreate'),
    /**
     * Where the Hugging Face cache (the downloaded weights) lives: `volume`, a PersistentVolumeClaim sized from the
     * checkpoint (one per pod when the deployment scales past one replica); `ephemeral`, the node's disk (emptyDir),
     * with an ephemeral-storage request sized from the checkpoint so the scheduler picks a node with room.
     */
    weightCache: z.enum(['volume', 'ephemeral']).default('volume'),
    /** Storage class of the weight volumes; unset: the cluster's default class. */
    weightStorageClass: z.string().regex(DNS_1123_SUBDOMAIN, 'must be a storage class name').optional(),
    /** Download rate from Hugging Face the startup probe allows for (MB/s): slow links get a longer budget. */
    downloadMBps: z.number().positive().default(100),
    /** Prometheus that KEDA queries for vLLM's load; never with credentials in it (see prometheusAuth). */
    prometheusUrl: z.url().default('http://prometheus-operated.monitoring.svc:9090'),
    /**
     * The KEDA TriggerAuthentication in the deployment's namespace (or `ClusterTriggerAuthentication/NAME`) that
     * gives the Prometheus scaler its basic-auth credentials from a Secret: the ScaledObject names it, so the
     * credentials themselves are never written into a manifest or shown in a preview.
     */
    prometheusAuth: z
      .string()
      .regex(
        /^(?:ClusterTriggerAuthentication\/)?[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?$/,
        'must be a TriggerAuthentication name, or ClusterTriggerAuthentication/NAME',
      )
      .optional(),
  })
  .superRefine((settings, ctx) => {
    for (const key of ['vllmImage', 'vllmRocmImage'] as const) {
      const version = vllmVersionOfImage(settings[key]);
      if (version && !followsMemoryModel(version))
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message:
            `runs vLLM ${version.join('.')}, older than the ${OLDEST_VLLM.join('.')} whose start-up memory profile ` +
            `the planner follows: it reserves more activation memory, so a planned --max-model-len may not fit its ` +
            `KV cache and the server refuses to start. Use a v${OLDEST_VLLM.join('.')} or later image (Compass ` +
            `plans for v${VLLM_VERSION})`,
        });
    }
    if (
      URL.canParse(settings.prometheusUrl) &&
      hasCredentials(settings.prometheusUrl) &&
      !settings.prometheusAuth
    )
      ctx.addIssue({
        code: 'custom',
        path: ['prometheusUrl'],
        message:
          'carries credentials (user:pass@), which Compass never writes into a ScaledObject: put them in a Secret, ' +
          'reference it from a KEDA TriggerAuthentication (secretTargetRef username and password) and set ' +
          'DEPLOY_PROMETHEUS_AUTH to its name',
      });
  })
  .transform(({ imageAllowlist, ...settings }) => ({
    ...settings,
    imageAllowlist: imageAllowlist ?? [
      repositoryOf(settings.vllmImage),
      repositoryOf(settings.vllmRocmImage),
      repositoryOf(settings.simulatorImage),
    ],
  }));
export type ManifestSettings = z.infer<typeof ManifestSettings>;

function hasCredentials(url: string): boolean {
  const parsed = new URL(url);
  return parsed.username !== '' || parsed.password !== '';
}

/** The Prometheus address KEDA is given: never with credentials, which reach it through `prometheusAuth`. */
export function kedaServerAddress(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
}

/** The ScaledObject trigger's authenticationRef for `prometheusAuth`, in KEDA's shape. */
export function kedaAuthenticationRef(prometheusAuth: string): { name: string; kind?: string } {
  const [kind, name] = prometheusAuth.includes('/') ? prometheusAuth.split('/') : [undefined, prometheusAuth];
  return kind ? { name: name!, kind } : { name: name! };
}

/** An image's repository with the separator after it ("repo:" or "repo@"): admits its tags and digests only. */
function repositoryOf(imageRef: string): string {
  const lastSlash = imageRef.lastIndexOf('/');
  const separator = imageRef.slice(lastSlash + 1).search(/[:@]/);
  return separator < 0 ? `${imageRef}:` : imageRef.slice(0, lastSlash + 1 + separator + 1);
}

/** GPU Feature Discovery's product label also names time-sliced GPUs, with "-SHARED" appended. */
const gfdProducts = (...products: string[]) => products.flatMap((product) => [product, `${product}-SHARED`]);

/**
 * An NVIDIA GPU type's nodes as each labeller names them: GPU Feature Discovery's `nvidia.com/gpu.product` (the
 * NVML name with "-" for spaces), GKE's `cloud.google.com/gke-accelerator`, and on EKS Karpenter's and Auto Mode's
 * `instance-gpu-name`. GPU node pools commonly carry the `nvidia.com/gpu` taint.
 */
function nvidia(labels: { gfd: string[]; gke?: string[]; eks: string }): GpuPlacement {
  return {
    resource: 'nvidia.com/gpu',
    nodeLabels: {
      'nvidia.com/gpu.product': gfdProducts(...labels.gfd),
      ...(labels.gke ? { 'cloud.google.com/gke-accelerator': labels.gke } : {}),
      'karpenter.k8s.aws/instance-gpu-name': [labels.eks],
      'eks.amazonaws.com/instance-gpu-name': [labels.eks],
    },
    tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
  };
}

/**
 * Placement of every catalog GPU; DEPLOY_GPU_NODE_LABELS replaces fields per GPU id. Label values: GFD product
 * strings as NVML reports the parts (SXM and PCIe variants); GKE accelerator names from
 * https://cloud.google.com/kubernetes-engine/docs/how-to/gpus; EKS names from Karpenter's well-known labels
 * (https://karpenter.sh/docs/reference/instance-types/). AWS sells no A100 40/80 GB split under one name ("a100").
 */
export const DEFAULT_GPU_PLACEMENT: Record<string, GpuPlacement> = {
  L4: nvidia({ gfd: ['NVIDIA-L4'], gke: ['nvidia-l4'], eks: 'l4' }),
  A10G: nvidia({ gfd: ['NVIDIA-A10G'], eks: 'a10g' }),
  L40S: nvidia({ gfd: ['NVIDIA-L40S'], eks: 'l40s' }),
  'A100-40GB': nvidia({
    gfd: ['NVIDIA-A100-SXM4-40GB', 'NVIDIA-A100-PCIE-40GB'],
    gke: ['nvidia-tesla-a100'],
    eks: 'a100',
  }),
  'A100-80GB': nvidia({
    gfd: ['NVIDIA-A100-SXM4-80GB', 'NVIDIA-A100-80GB-PCIe'],
    gke: ['nvidia-a100-80gb'],
    eks: 'a100',
  }),
  H100: nvidia({
    gfd: ['NVIDIA-H100-80GB-HBM3'],
    gke: ['nvidia-h100-80gb', 'nvidia-h100-mega-80gb'],
    eks: 'h100',
  }),
  H200: nvidia({
    gfd: ['NVIDIA-H200', 'NVIDIA-H200-141GB-HBM3e', 'NVIDIA-H200-NVL'],
    gke: ['nvidia-h200-141gb'],
    eks: 'h200',
  }),
  B200: nvidia({ gfd: ['NVIDIA-B200'], gke: ['nvidia-b200'], eks: 'b200' }),
  MI300X: {
    resource: 'amd.com/gpu',
    // The AMD GPU node labeller's PCI device id: 74a1 on bare metal, 74b5 for the virtual function cloud VMs
    // (Azure ND MI300X v5) expose, 74a9 and 74bd for the MI300X HF variant and its VF (pci-ids.ucw.cz, 1002).
    nodeLabels: { 'amd.com/gpu.device-id': ['74a1', '74b5', '74a9', '74bd'] },
    tolerations: [{ key: 'amd.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
  },
};

export type ResolvedPlacement = Required<GpuPlacement> & {
  /** The vLLM image built for this GPU's vendor. */
  image: string;
  /** The container's securityContext the vendor's runtime needs; null: none. */
  securityContext: Record<string, unknown> | null;
};

/**
 * ROCm's runtime makes system calls the default seccomp profile blocks: AMD's and vLLM's instructions run it
 * unconfined (`--security-opt seccomp=unconfined`; vLLM's Kubernetes guide sets seccompProfile Unconfined on its AMD
 * example). The device plugin mounts /dev/kfd and /dev/dri for amd.com/gpu; the image runs as root, so no video
 * group is needed.
 */
const ROCM_SECURITY_CONTEXT = { seccompProfile: { type: 'Unconfined' } };

/** AMD's device plugin advertises amd.com/gpu; those GPUs need the ROCm build of vLLM. */
const isRocm = (resource: string) => resource.startsWith('amd.com/');

/**
 * The placement of a GPU type: configured fields over the defaults; undefined when neither knows the resource. A
 * configured nodeSelector pins the nodes exactly, so the default label alternatives are dropped.
 */
export function gpuPlacement(gpuId: string, settings: ManifestSettings): ResolvedPlacement | undefined {
  const configured = settings.gpuNodeLabels[gpuId] ?? {};
  const placement = { ...DEFAULT_GPU_PLACEMENT[gpuId], ...configured };
  if (!placement.resource) return undefined;
  return {
    resource: placement.resource,
    nodeSelector: placement.nodeSelector ?? {},
    nodeLabels: configured.nodeSelector && !configured.nodeLabels ? {} : (placement.nodeLabels ?? {}),
    tolerations: placement.tolerations ?? [],
    image: isRocm(placement.resource) ? settings.vllmRocmImage : settings.vllmImage,
    securityContext: isRocm(placement.resource) ? ROCM_SECURITY_CONTEXT : null,
  };
}

/** Who puts each default label on a node, for people reading why a label was chosen. */
const LABELLERS: Record<string, string> = {
  'nvidia.com/gpu.product': 'NVIDIA GPU Feature Discovery; "-SHARED" when time-sliced',
  'cloud.google.com/gke-accelerator': 'GKE',
  'karpenter.k8s.aws/instance-gpu-name': 'EKS with Karpenter',
  'eks.amazonaws.com/instance-gpu-name': 'EKS Auto Mode',
  'amd.com/gpu.device-id': 'AMD GPU node labeller: PCI device ids of bare metal and VMs',
};

/** Which node labels and taints the GPU's pods look for and why, one line each, for `compass manifests`. */
export function describePlacement(gpuId: string, placement: ResolvedPlacement): string[] {
  const selector = Object.entries(placement.nodeSelector).map(([key, value]) => `${key}=${value}`);
  const alternatives = Object.entries(placement.nodeLabels).map(
    ([key, values]) => `  ${key} in (${values.join(', ')})${LABELLERS[key] ? ` (${LABELLERS[key]})` : ''}`,
  );
  return [
    `${gpuId} pods request ${placement.resource} and run the image ${placement.image}`,
    ...(selector.length ? [`on nodes labelled ${selector.join(' and ')} (DEPLOY_GPU_NODE_LABELS)`] : []),
    ...(alternatives.length ? ['on nodes with any one of these labels:', ...alternatives] : []),
    ...placement.tolerations.map(
      (toleration) =>
        `tolerating the taint ${toleration.key ?? '(any)'}:${toleration.effect ?? '(any effect)'}`,
    ),
  ];
}
