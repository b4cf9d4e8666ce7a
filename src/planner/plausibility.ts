import type { BenchmarkPoint, Knowledge, LatencyStats } from '../knowledge/catalog.js';
import { weightBytesPerGpu } from './memory.js';
import { predictPerformance } from './predict.js';

/**
 * Share of the bandwidth floor a measured inter-token latency may fall to before it is refused: the floor uses the
 * vendor's peak bandwidth, so a real decode step is always slower; the margin absorbs rounding in reports.
 */
const FLOOR_MARGIN = 0.8;

/** One refused point: which (its index in the import) and why, in words a user can check. */
export interface ImplausiblePoint {
  index: number;
  reason: string;
}

const ORDER = ['p50', 'p90', 'p95', 'p99'] as const;

/** "ITL p50 72 ms > p99 60 ms": the first pair of percentiles out of order, if any. */
function percentilesOutOfOrder(name: string, stats: LatencyStats): string | undefined {
  for (let low = 0; low < ORDER.length; low++)
    for (let high = low + 1; high < ORDER.length; high++) {
      const a = stats[ORDER[low]!];
      const b = stats[ORDER[high]!];
      if (a !== null && b !== null && a > b * 1.001)
        return `its ${name} ${ORDER[low]} (${a} ms) is above its ${ORDER[high]} (${b} ms)`;
    }
  return undefined;
}

/**
 * The fastest a decode step can be: every GPU reads at least its share of the weights a token activates (MoE: the
 * active experts) from memory at the vendor's peak bandwidth. Speculative decoding can beat it, and Compass's model
 * does not cover it, so such a point is refused too.
 */
export function itlFloorMs(point: BenchmarkPoint, knowledge: Knowledge): number | undefined {
  const model = knowledge.models.find((m) => m.id === point.modelId);
  const gpu = knowledge.gpus.find((g) => g.id === point.gpuId);
  if (!model || !gpu) return undefined;
  const parallel = {
    tensorParallel: point.tensorParallel,
    pipelineParallel: Math.max(1, point.gpuCount / point.tensorParallel),
  };
  const activeShare = Math.min(1, model.paramsActiveB / model.paramsTotalB);
  const bytes = weightBytesPerGpu(model, point.precision, parallel) * activeShare;
  return (bytes / (gpu.memoryBandwidthGBps * 1e9)) * 1000;
}

/**
 * Measured points that cannot be true of their configuration, with the reason: a configuration that does not fit
 * (or cannot be sharded), an inter-token latency below the bandwidth floor, percentiles out of order. An import
 * with any of them is refused: a typo in a GPU or a model id would otherwise recalibrate every prediction near it.
 */
export function implausiblePoints(points: BenchmarkPoint[], knowledge: Knowledge): ImplausiblePoint[] {
  const refused: ImplausiblePoint[] = [];
  points.forEach((point, index) => {
    const config = `${point.modelId} ${point.precision} on ${point.gpuCount}× ${point.gpuId} (TP ${point.tensorParallel})`;
    // The point's configuration and traffic, at a light load: what must run for the point to exist at all.
    const {
      load: _load,
      ttftMs: _t,
      itlMs: _i,
      e2eMs: _e,
      requestsPerSec: _r,
      outputTokensPerSec: _o,
      source: _s,
      ...setup
    } = point;
    const runs = predictPerformance({ ...setup, load: { kind: 'rate', value: 0.01 } }, knowledge);
    if (!runs.ok) {
      refused.push({ index, reason: `${config} cannot run: ${runs.reason}` });
      return;
    }
    const disorder = [
      percentilesOutOfOrder('TTFT', point.ttftMs),
      percentilesOutOfOrder('ITL', point.itlMs),
      percentilesOutOfOrder('E2E', point.e2eMs),
    ].find(Boolean);
    if (disorder) {
      refused.push({ index, reason: `${disorder}, which no measurement can give` });
      return;
    }
    const floor = itlFloorMs(point, knowledge);
    const fastest = [point.itlMs.p50, point.itlMs.mean, point.itlMs.p90, point.itlMs.p95]
      .filter((value): value is number => value !== null)
      .reduce((min, value) => Math.min(min, value), Number.POSITIVE_INFINITY);
    if (floor !== undefined && Number.isFinite(fastest) && fastest < floor * FLOOR_MARGIN)
      refused.push({
        index,
        reason: `its ITL of ${fastest.toFixed(1)} ms is below what ${config} can decode: reading its weights at ${point.gpuId}'s peak memory bandwidth takes at least ${floor.toFixed(1)} ms per token (speculative decoding is not modelled)`,
      });
  });
  return refused;
}

/** One line per refused point, for an error message ("point 3 (2 req/s): …"). */
export function describeImplausible(points: BenchmarkPoint[], refused: ImplausiblePoint[]): string {
  return refused
    .map(({ index, reason }) => {
      const load = points[index]!.load;
      const at =
        load.kind === 'max'
          ? 'at saturation'
          : `${load.value} ${load.kind === 'rate' ? 'req/s' : 'concurrent'}`;
      return `point ${index + 1} (${at}): ${reason}`;
    })
    .join('\n');
}
