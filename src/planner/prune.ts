/**
 * Which sized options a platform engineer would even look at. Ranking orders what is left; pruning removes what no
 * priority should ever show: options that are costlier and no better on any axis, options that buy far more GPUs than
 * the load needs, and options costing a multiple of the cheapest one without a reason the user would accept.
 */
import type { Priority } from '../intent/schema.js';
import type { Precision } from '../knowledge/catalog.js';
import { QUALITY_RETENTION } from './quality.js';

/** What pruning needs to know of a sized option; `latency` is its latency score (lower is better). */
export interface PrunableOption {
  id: string;
  modelId: string;
  modelName: string;
  gpuId: string;
  precision: Precision;
  gpuCount: number;
  monthlyCostUsd: number;
  quality: number | null;
  latency: number;
}

/** What the user asked for by name: options on these are the user's own choice, whatever they cost. */
export interface StatedChoices {
  priority: Priority;
  models: string[];
  gpuTypes: string[];
}

/** An option dearer than this multiple of the cheapest one needs a stated reason to be shown. */
export const EXPENSIVE_COST_MULTIPLE = 3;

/** An option with more than this multiple of the GPUs its model needs on the same GPU type is over-provisioned. */
export const OVERPROVISIONED_GPU_MULTIPLE = 4;

/**
 * Quality points (0–100 scale) an expensive option must add over the best affordable one to earn its place when
 * quality is one term of a balance; with quality as the priority any higher tier does.
 */
export const BALANCED_QUALITY_STEP = 5;

export interface Pruned<T> {
  kept: T[];
  /** Why each kept option dearer than EXPENSIVE_COST_MULTIPLE × the cheapest is shown, by option id. */
  shownBecause: Map<string, string>;
}

const qualityOf = (option: PrunableOption) => option.quality ?? 0;

/**
 * Whether `a` is at least as good as `b` in quality: an unknown quality is comparable only with another unknown, and
 * two unknowns of one model still differ by what their precisions keep of it (int4 never stands in for fp8).
 */
const qualityAtLeast = (a: PrunableOption, b: PrunableOption) => {
  if (a.quality !== null && b.quality !== null) return a.quality >= b.quality;
  if (a.quality !== null || b.quality !== null) return false;
  return a.modelId !== b.modelId || QUALITY_RETENTION[a.precision] >= QUALITY_RETENTION[b.precision];
};

/**
 * Whether `other` may knock `option` out. A named model's options compete only on the same GPU type: which GPUs a
 * team can get is a constraint no price shows, so its best H100 shape stays beside a cheaper H200 one.
 */
const competes = (other: PrunableOption, option: PrunableOption, stated: StatedChoices) =>
  !stated.models.includes(option.modelId) || other.gpuId === option.gpuId;

/**
 * Drops options that a competing option beats or equals on cost, quality and latency score while beating it on one
 * of them. A sweep in cost order against the front kept so far: O(n × front), the front being small.
 */
function undominated<T extends PrunableOption>(options: T[], stated: StatedChoices): T[] {
  const byCost = [...options].sort(
    (a, b) => a.monthlyCostUsd - b.monthlyCostUsd || qualityOf(b) - qualityOf(a) || a.latency - b.latency,
  );
  const front: T[] = [];
  for (const option of byCost) {
    const beaten = front.some(
      (other) =>
        competes(other, option, stated) &&
        qualityAtLeast(other, option) &&
        other.latency <= option.latency &&
        (other.monthlyCostUsd < option.monthlyCostUsd ||
          !qualityAtLeast(option, other) ||
          other.latency < option.latency),
    );
    if (!beaten) front.push(option);
  }
  return options.filter((option) => front.includes(option));
}

/** Fewest GPUs any option of the same model on the same GPU type needs for this load. */
function fewestGpusByPair(options: PrunableOption[]): Map<string, number> {
  const fewest = new Map<string, number>();
  for (const option of options) {
    const pair = `${option.modelId}|${option.gpuId}`;
    fewest.set(pair, Math.min(fewest.get(pair) ?? Number.POSITIVE_INFINITY, option.gpuCount));
  }
  return fewest;
}

const multiple = (value: number) => `${Number(value.toPrecision(2))}×`;

/**
 * The reason an expensive option is still worth showing, or null: the cheapest option of a model the user named on
 * each GPU type and precision, the cheapest option of a GPU the user named, the cheapest option of a quality tier nothing affordable reaches (when quality is weighed), or the fastest
 * option of all (when latency is the priority).
 */
function reasonToShow(
  option: PrunableOption,
  options: PrunableOption[],
  affordable: PrunableOption[],
  stated: StatedChoices,
): string | null {
  const cheapestWhere = (same: (other: PrunableOption) => boolean) =>
    options.every((other) => !same(other) || other.monthlyCostUsd >= option.monthlyCostUsd);
  // A named model's alternatives are its GPUs and precisions: the cheapest of each is worth comparing.
  if (
    stated.models.includes(option.modelId) &&
    cheapestWhere(
      (o) => o.modelId === option.modelId && o.gpuId === option.gpuId && o.precision === option.precision,
    )
  ) {
    return `you asked for ${option.modelName}, and this is its cheapest ${option.precision} option on ${option.gpuId}`;
  }
  if (stated.gpuTypes.includes(option.gpuId) && cheapestWhere((o) => o.gpuId === option.gpuId)) {
    return `you asked for ${option.gpuId}`;
  }
  const bestAffordableQuality = Math.max(0, ...affordable.map(qualityOf));
  const qualityStep = {
    accuracy: Number.MIN_VALUE,
    balanced: BALANCED_QUALITY_STEP,
    cost: null,
    latency: null,
  }[stated.priority];
  if (
    qualityStep !== null &&
    qualityOf(option) >= bestAffordableQuality + qualityStep &&
    cheapestWhere((o) => qualityOf(o) >= qualityOf(option))
  ) {
    return `no cheaper option reaches its quality (${option.quality} vs ${bestAffordableQuality})`;
  }
  if (stated.priority === 'latency' && options.every((other) => other.latency >= option.latency)) {
    return 'it has the lowest predicted latency of all';
  }
  return null;
}

/**
 * Keeps the options worth ranking: undominated, not over-provisioned for the load, and either within
 * EXPENSIVE_COST_MULTIPLE of the cheapest or with a stated reason to be shown.
 */
export function pruneOptions<T extends PrunableOption>(options: T[], stated: StatedChoices): Pruned<T> {
  const fewest = fewestGpusByPair(options);
  const sized = options.filter(
    (option) =>
      option.gpuCount <= OVERPROVISIONED_GPU_MULTIPLE * fewest.get(`${option.modelId}|${option.gpuId}`)!,
  );
  const front = undominated(sized, stated);
  const cheapest = Math.min(...front.map((option) => option.monthlyCostUsd));
  const cap = EXPENSIVE_COST_MULTIPLE * cheapest;
  const affordable = front.filter((option) => option.monthlyCostUsd <= cap);
  const shownBecause = new Map<string, string>();
  const kept = front.filter((option) => {
    if (option.monthlyCostUsd <= cap) return true;
    const reason = reasonToShow(option, front, affordable, stated);
    if (reason === null) return false;
    shownBecause.set(
      option.id,
      `Shown although it costs ${multiple(option.monthlyCostUsd / cheapest)} the cheapest option: ${reason}.`,
    );
    return true;
  });
  return { kept, shownBecause };
}
