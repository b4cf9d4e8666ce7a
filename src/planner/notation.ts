/**
 * How plans write GPUs and latencies, one rule for the CLI and Slack (README "How Compass plans" documents it).
 *
 * GPUs: what one replica holds, how it is split, then how many replicas: "1× L4", "1× L40S × 3 replicas",
 * "4× H100 (TP4) × 3 replicas", "16× H100 (TP8 × PP2 over 2 nodes)"; MoE shapes name their expert parallelism:
 * "8× H200 (TP8, EP8)" for TP attention with the experts spread, "8× H200 (DP8 × TP1, EP8)" for data-parallel attention.
 * Latencies: milliseconds under a second (one decimal under 100 ms), seconds from a second on.
 */
const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export interface GpuShape {
  gpuId: string;
  tensorParallel: number;
  /** Pipeline stages across nodes; absent = 1. */
  pipelineParallel?: number | undefined;
  /** Attention data-parallel ranks; absent = 1. */
  dataParallel?: number | undefined;
  /** Experts placed whole over the replica's GPUs. */
  expertParallel?: boolean | undefined;
  /** Replicas; absent or null = one replica's shape only. */
  replicas?: number | null | undefined;
}

export function gpuNotation(shape: GpuShape): string {
  const pp = shape.pipelineParallel ?? 1;
  const dp = shape.dataParallel ?? 1;
  const perReplica = shape.tensorParallel * dp * pp;
  const split =
    pp > 1
      ? ` (TP${shape.tensorParallel} × PP${pp} over ${pp} nodes)`
      : shape.expertParallel
        ? ` (${parallelLabel(shape)})`
        : shape.tensorParallel > 1
          ? ` (TP${shape.tensorParallel})`
          : '';
  const replicas = shape.replicas && shape.replicas > 1 ? ` × ${shape.replicas} replicas` : '';
  return `${perReplica}× ${shape.gpuId}${split}${replicas}`;
}

/**
 * How one node's GPUs split the model: "TP4", "TP8, EP8" (experts spread over the TP GPUs), "DP8 × TP1, EP8"
 * (data-parallel attention ranks with the experts spread over all of them).
 */
export function parallelLabel(
  shape: Pick<GpuShape, 'tensorParallel' | 'dataParallel' | 'expertParallel'>,
): string {
  const dp = shape.dataParallel ?? 1;
  const attention = dp > 1 ? `DP${dp} × TP${shape.tensorParallel}` : `TP${shape.tensorParallel}`;
  return shape.expertParallel ? `${attention}, EP${dp * shape.tensorParallel}` : attention;
}

/** What a MoE shape runs, in words and vLLM flags, for an option's details; null for plain TP / PP. */
export function expertParallelWords(
  shape: Pick<GpuShape, 'tensorParallel' | 'dataParallel' | 'expertParallel'>,
): string | null {
  if (!shape.expertParallel) return null;
  const dp = shape.dataParallel ?? 1;
  const ep = dp * shape.tensorParallel;
  const attention =
    dp > 1
      ? `${dp} data-parallel attention ranks of ${shape.tensorParallel} GPU${shape.tensorParallel > 1 ? 's' : ''}, each with its own batch and KV cache`
      : `attention split over ${shape.tensorParallel} GPUs (TP)`;
  const flags = `${dp > 1 ? `--data-parallel-size ${dp} ` : ''}--enable-expert-parallel`;
  return `${parallelLabel(shape)}: ${attention}; the experts placed whole over all ${ep} GPUs, tokens dispatched to them and combined back each MoE layer (vLLM ${flags})`;
}

/** A latency in milliseconds as people read it: 38.5 ms, 420 ms, 5.8 s, 58 s. */
export function latency(ms: number): string {
  if (ms >= 10_000) return `${whole.format(ms / 1000)} s`;
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(1))} s`;
  if (ms >= 100) return `${whole.format(ms)} ms`;
  return `${Number(ms.toFixed(1))} ms`;
}

/** When a replica pays per GPU for part of a larger instance: "2 of an 8-GPU p5.48xlarge"; null when it fills one. */
export function nodeShare(
  gpusPerReplica: number,
  node: { gpus: number; instanceType: string } | undefined,
): string | null {
  if (!node || node.gpus <= gpusPerReplica) return null;
  return `${gpusPerReplica} of an ${node.gpus}-GPU ${node.instanceType}`;
}
