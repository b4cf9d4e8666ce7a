/** How Compass renders and checks deploy manifests: images, simulator mode, policy limits, GPU placement. */
import { z } from 'zod';

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
  nodeSelector: z.record(z.string().regex(LABEL_KEY, 'must be a label key'), z.string()).optional(),
  tolerations: z.array(Toleration).optional(),
});
export type GpuPlacement = z.infer<typeof GpuPlacement>;

export const ManifestSettings = z
  .object({
    /** vLLM's OpenAI server image; pinned, since flags and metrics change between releases. */
    vllmImage: image.default('vllm/vllm-openai:v0.11.0'),
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

const nvidia = (product: string): GpuPlacement => ({
  resource: 'nvidia.com/gpu',
  // GPU Feature Discovery's product label; GPU node pools commonly carry the nvidia.com/gpu taint.
  nodeSelector: { 'nvidia.com/gpu.product': product },
  tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
});

/** Placement of every catalog GPU; DEPLOY_GPU_NODE_LABELS replaces fields per GPU id. */
export const DEFAULT_GPU_PLACEMENT: Record<string, GpuPlacement> = {
  L4: nvidia('NVIDIA-L4'),
  A10G: nvidia('NVIDIA-A10G'),
  L40S: nvidia('NVIDIA-L40S'),
  'A100-40GB': nvidia('NVIDIA-A100-SXM4-40GB'),
  'A100-80GB': nvidia('NVIDIA-A100-SXM4-80GB'),
  H100: nvidia('NVIDIA-H100-80GB-HBM3'),
  H200: nvidia('NVIDIA-H200'),
  B200: nvidia('NVIDIA-B200'),
  MI300X: {
    resource: 'amd.com/gpu',
    // The AMD GPU node labeller's PCI device id of the MI300X.
    nodeSelector: { 'amd.com/gpu.device-id': '74a1' },
    tolerations: [{ key: 'amd.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
  },
};

export type ResolvedPlacement = Required<GpuPlacement>;

/** The placement of a GPU type: configured fields over the defaults; undefined when neither knows the resource. */
export function gpuPlacement(gpuId: string, settings: ManifestSettings): ResolvedPlacement | undefined {
  const placement = { ...DEFAULT_GPU_PLACEMENT[gpuId], ...settings.gpuNodeLabels[gpuId] };
  if (!placement.resource) return undefined;
  return {
    resource: placement.resource,
    nodeSelector: placement.nodeSelector ?? {},
    tolerations: placement.tolerations ?? [],
  };
}
