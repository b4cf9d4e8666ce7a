/**
 * Whether a replica's pod fits the instance it is priced on. A node's allocatable CPU and memory is its capacity
 * less what the kubelet reserves for the system, and the DaemonSets every GPU node runs take their share too.
 */
import type { Gpu } from '../knowledge/catalog.js';

/** An instance a replica can be priced on, with what its pods can use. */
export interface PricedInstance {
  instanceType: string;
  gpus: number;
  vcpus: number;
  memoryGib: number;
}

/**
 * CPU the kubelet reserves (cores): 6% of the first core, 1% of the second, 0.5% of the next two, 0.25% of the rest
 * — the formula of GKE and of the EKS-optimized AMIs' bootstrap
 * (https://cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes#cpu_reservations,
 * https://github.com/awslabs/amazon-eks-ami, bootstrap's get_cpu_millicores_to_reserve).
 */
export function reservedCpu(vcpus: number): number {
  return tiered(vcpus, [
    [1, 0.06],
    [1, 0.01],
    [2, 0.005],
    [Number.POSITIVE_INFINITY, 0.0025],
  ]);
}

/** A share of each successive slice of `amount`: [slice size, share] tiers, as reservation formulas state them. */
function tiered(amount: number, tiers: [number, number][]): number {
  let left = amount;
  let total = 0;
  for (const [size, share] of tiers) {
    const taken = Math.min(left, size);
    total += taken * share;
    left -= taken;
  }
  return total;
}

/**
 * Memory reserved (GiB): GKE's tiers — 25% of the first 4 GiB, 20% of the next 4, 10% of the next 8, 6% of the next
 * 112, 2% above 128 — plus the 100 MiB eviction threshold
 * (https://cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes#memory_reservations). EKS reserves
 * 255 MiB + 11 MiB per pod, less on these nodes; the larger of the two holds on both.
 */
export function reservedMemoryGib(memoryGib: number): number {
  const evictionThresholdGib = 0.1;
  return (
    evictionThresholdGib +
    tiered(memoryGib, [
      [4, 0.25],
      [4, 0.2],
      [8, 0.1],
      [112, 0.06],
      [Number.POSITIVE_INFINITY, 0.02],
    ])
  );
}

/**
 * What the DaemonSets of a GPU node request together: kube-proxy, the CNI and CSI agents, the GPU device plugin and
 * feature discovery, a metrics exporter, a log agent — about half a core and 1 GiB on EKS and GKE nodes.
 */
export const DAEMONSET_RESERVE = { cpu: 0.5, memoryGib: 1 };

/** CPU and memory a pod of `gpus` GPUs may request on the instance: its share of what DaemonSets leave. */
export function podAllowance(instance: PricedInstance, gpus: number): { cpu: number; memoryGib: number } {
  const share = Math.min(1, gpus / instance.gpus);
  return {
    cpu: (instance.vcpus - reservedCpu(instance.vcpus) - DAEMONSET_RESERVE.cpu) * share,
    memoryGib:
      (instance.memoryGib - reservedMemoryGib(instance.memoryGib) - DAEMONSET_RESERVE.memoryGib) * share,
  };
}

/** Where one replica runs and what its pod requests there. */
export interface ReplicaNode {
  instanceType: string;
  /** The whole instance. */
  gpus: number;
  vcpus: number;
  memoryGib: number;
  /** This replica's share of the instance's allocatable CPU and memory, DaemonSets deducted. */
  allowance: { cpu: number; memoryGib: number };
  /** What the replica's pod requests: what it wants, within the allowance. */
  pod: { cpu: number; memoryGib: number };
}

/** What one replica's vLLM pod asks for: what it would like, and the least it runs with. */
export interface PodNeeds {
  /** Tokenization, scheduling and detokenization: two cores plus two per GPU worker; one plus one at least. */
  cpu: { wanted: number; least: number };
  /**
   * Host memory: each GPU worker holds a few GiB (CUDA context, torch), the API server a few more, shared memory
   * counts too. The weights stream through the page cache while loading: welcome, but reclaimable, so not needed.
   */
  memoryGib: { wanted: number; least: number };
  shmGib: number;
}

const GIB = 2 ** 30;

export function podNeeds(shape: {
  gpusPerReplica: number;
  tensorParallel: number;
  weightsGb: number;
}): PodNeeds {
  const gpus = shape.gpusPerReplica;
  const parallel = shape.tensorParallel > 1 || gpus / shape.tensorParallel > 1;
  const shmGib = parallel ? 2 * gpus : 0;
  const least = 4 * gpus + 4 + shmGib;
  return {
    cpu: { wanted: 2 + 2 * gpus, least: 1 + gpus },
    memoryGib: { wanted: Math.ceil((shape.weightsGb * 1e9) / GIB) + least, least },
    shmGib,
  };
}

/** The requests of a pod on the instance: what it wants, cut to its allowance, never below what it needs. */
export function podRequests(needs: PodNeeds, allowance: { cpu: number; memoryGib: number }) {
  const cpu = Math.max(needs.cpu.least, Math.min(needs.cpu.wanted, Math.floor(allowance.cpu * 10) / 10));
  const memoryGib = Math.max(
    needs.memoryGib.least,
    Math.min(needs.memoryGib.wanted, Math.floor(allowance.memoryGib)),
  );
  return {
    cpu,
    memoryGib,
    fits: needs.cpu.least <= allowance.cpu && needs.memoryGib.least <= allowance.memoryGib,
  };
}

/** The instances a replica of `gpus` GPUs can run on, cheapest per GPU first: the headline one and larger sizes. */
export function instancesFor(gpu: Gpu, gpus: number): (PricedInstance & { usdPerGpuHour: number })[] {
  const { price } = gpu;
  const headline =
    price.instance && gpus <= price.instance.gpus
      ? [{ instanceType: price.instanceType, ...price.instance, usdPerGpuHour: price.usdPerGpuHour }]
      : [];
  const sizes = (price.nodeSizes ?? []).flatMap((size) =>
    size.gpus >= gpus && size.vcpus !== undefined && size.memoryGib !== undefined
      ? [
          {
            instanceType: size.instanceType,
            gpus: size.gpus,
            vcpus: size.vcpus,
            memoryGib: size.memoryGib,
            usdPerGpuHour: size.usdPerHour / size.gpus,
          },
        ]
      : [],
  );
  return [...headline, ...sizes].sort((a, b) => a.usdPerGpuHour - b.usdPerGpuHour || a.gpus - b.gpus);
}

/** "Priced on g6.xlarge (4 vCPU, 16 GiB, 1 GPU): …" — which instance the plan priced and how the pod fits it. */
export function describeNode(node: ReplicaNode): string {
  return `priced on ${node.instanceType} (${node.vcpus} vCPU, ${node.memoryGib} GiB, ${node.gpus} GPU${node.gpus > 1 ? 's' : ''}), the cheapest per GPU with room for the pod: it requests ${node.pod.cpu} CPU and ${node.pod.memoryGib} GiB of the ${node.allowance.cpu} CPU and ${node.allowance.memoryGib} GiB a replica may use there after system reservations and DaemonSets`;
}
