/**
 * Why a model the user named does not fit the GPUs they stated, and what would: the fewest GPUs of each type that
 * hold its weights, and catalog models that fit the stated GPUs instead. Pure; weights only (the KV cache needs the
 * rest of the memory, so a fit leaves vLLM's budget a margin for it).
 */
import {
  type Gpu,
  type Model,
  type Precision,
  servedPrecisions,
  type UseCaseId,
} from '../knowledge/catalog.js';
import {
  BODY_BYTES_PER_PARAM,
  DEFAULT_GPU_MEMORY_UTILIZATION,
  precisionRunsOn,
  usableMemoryBytes,
} from './assumptions.js';
import { weightBytesTotal } from './memory.js';

/** Share of vLLM's budget the weights may take, leaving the rest for activations and a useful KV cache. */
const WEIGHT_SHARE = 0.85;
/** GPU counts a replica takes: 1–8 within a node, then whole 8-GPU nodes. */
const GPU_COUNTS = [1, 2, 4, 8, 16, 24, 32] as const;

function holds(model: Model, precision: Precision, gpu: Gpu, gpus: number): boolean {
  const budget = usableMemoryBytes(gpu.memoryGb, gpu.memoryBandwidthGBps) * DEFAULT_GPU_MEMORY_UTILIZATION;
  return weightBytesTotal(model, precision) <= gpus * budget * WEIGHT_SHARE;
}

/** The fewest GPUs of this type (at the lightest served precision it runs) that hold the model's weights. */
function smallestFit(model: Model, gpu: Gpu): { gpus: number; precision: Precision } | null {
  const served = servedPrecisions(model)
    .filter((p) => precisionRunsOn(p, gpu))
    .sort((a, b) => BODY_BYTES_PER_PARAM[a] - BODY_BYTES_PER_PARAM[b]);
  for (const gpus of GPU_COUNTS) {
    if (gpus > gpu.maxPerNode && gpus % gpu.maxPerNode !== 0) continue;
    const precision = served.find((p) => holds(model, p, gpu, gpus));
    if (precision) return { gpus, precision };
  }
  return null;
}

const gb = (bytes: number) => `${Math.round(bytes / 1e9)} GB`;

/**
 * One line for a named model that cannot be planned within `maxGpus` GPUs of the allowed types: its weights against
 * the stated memory, the smallest fit per GPU type, and up to three models that do fit the stated GPUs.
 */
export function fitAdvice(
  model: Model,
  gpus: readonly Gpu[],
  maxGpus: number,
  useCase: UseCaseId,
  catalog: readonly Model[],
): string {
  const runnable = servedPrecisions(model).filter((precision) =>
    gpus.some((gpu) => precisionRunsOn(precision, gpu)),
  );
  const lightest = [...(runnable.length > 0 ? runnable : servedPrecisions(model))].sort(
    (a, b) => weightBytesTotal(model, a) - weightBytesTotal(model, b),
  )[0]!;
  const stated = gpus
    .map((gpu) => `${maxGpus}× ${gpu.id} hold ${gb(gpu.memoryGb * 1e9 * maxGpus)}`)
    .join('; ');
  const needs = gpus
    .map((gpu) => {
      const fit = smallestFit(model, gpu);
      return fit ? `${fit.gpus}× ${gpu.id} at ${fit.precision}` : null;
    })
    .filter((fit): fit is string => fit !== null);
  const alternatives = catalog
    .filter((other) => other.id !== model.id && other.tasks.includes(useCase))
    .filter((other) =>
      gpus.some((gpu) =>
        servedPrecisions(other).some(
          (precision) => precisionRunsOn(precision, gpu) && holds(other, precision, gpu, maxGpus),
        ),
      ),
    )
    .sort((a, b) => (b.quality[useCase] ?? 0) - (a.quality[useCase] ?? 0))
    .slice(0, 3)
    .map((other) => other.name);
  return (
    `${model.name} does not fit ${maxGpus} ${gpus.map((gpu) => gpu.id).join('/')} GPU${maxGpus > 1 ? 's' : ''}: ` +
    `its weights take ${gb(weightBytesTotal(model, lightest))} even at ${lightest}, and ${stated}.` +
    (needs.length > 0 ? ` It needs at least ${needs.join(' or ')}.` : '') +
    (alternatives.length > 0 ? ` On ${maxGpus}× ${gpus[0]!.id} consider ${alternatives.join(', ')}.` : '')
  );
}
