/**
 * Scores the physical model against the public measurements: pure, shared by bench/accuracy.ts and the tests.
 * Each reported statistic of each point is one comparison.
 */
import type { Knowledge } from '../knowledge/catalog.js';
import { type MemoryFact, type PublicMeasurements, sourceKeyOf } from '../knowledge/measurements.js';
import { followsMemoryModel, GIB, releaseOf } from './assumptions.js';
import { type BatchPrediction, burstLatenciesMs, predictBatch } from './batch.js';
import { type Calibration, calibrate } from './calibrate.js';
import { buildDeployment } from './deployment.js';
import { outputShapeOfDataset } from './distributions.js';
import {
  type GpuFamily,
  gpuFamilyOf,
  type LoadRegion,
  type ModelClass,
  modelClassOf,
} from './error-bands.js';
import { reportedKvCacheTokens } from './memory.js';
import { SLO_CAPACITY_SHARE } from './plan.js';
import { maxRateWithinSlo, predictPerformance } from './predict.js';
import { engineSettingsOf, measuredOverloaded, samplesOf } from './public-measurements.js';
import type { LatencyStatsMs } from './serving.js';

/** 'tpot': a burst's per-request mean time per output token (vLLM bench's mean TPOT), beside its token-weighted ITL. */
export type ServingMetric = 'ttft' | 'itl' | 'tpot' | 'e2e' | 'throughput';

export interface Comparison {
  metric: ServingMetric;
  stat: (typeof STATS)[number] | 'req/s';
  series: string;
  label: string;
  predicted: number;
  measured: number;
  gpuFamily: GpuFamily;
  modelClass: ModelClass;
  region: LoadRegion;
  /** A burst's statistic, predicted by `predictBatch` (a batch job) rather than a steady state. */
  burst?: true;
}

/** Whether the model called a point saturated, against whether the measured run was overloaded. */
export interface OverloadCheck {
  series: string;
  label: string;
  measuredOverloaded: boolean;
  predictedSaturated: boolean;
}

const STATS = ['mean', 'p50', 'p90', 'p95', 'p99'] as const;

/**
 * Leave-one-source-out: for each series, the calibration fitted to the points of every other source (one published
 * page is one source: its series share a lab, a harness and a day, so they are held out together).
 */
export function heldOutCalibrations(
  measurements: PublicMeasurements,
  knowledge: Knowledge,
): Map<string, Calibration> {
  const samples = samplesOf(measurements, knowledge.gpus);
  const sourceOfSeries = new Map(measurements.series.map((s) => [s.id, sourceKeyOf(s)]));
  const bySource = new Map<string, Calibration>();
  return new Map(
    measurements.series.map((series) => {
      const source = sourceKeyOf(series);
      let calibration = bySource.get(source);
      if (!calibration) {
        calibration = calibrate(
          samples.filter((sample) => sourceOfSeries.get(sample.seriesId) !== source),
          knowledge.models,
          knowledge.gpus,
        );
        bySource.set(source, calibration);
      }
      return [series.id, calibration];
    }),
  );
}

type MeasuredSeries = PublicMeasurements['series'][number];
type MeasuredPoint = MeasuredSeries['points'][number]['point'];

/** The deployment and traffic a measured point ran: what every prediction of it starts from. */
function measuredConfigOf(series: MeasuredSeries, point: MeasuredPoint) {
  return {
    modelId: point.modelId,
    gpuId: point.gpuId,
    gpuCount: point.gpuCount,
    tensorParallel: point.tensorParallel,
    // --enable-expert-parallel, as the series served it: the experts whole on each GPU (expert-parallel.ts).
    ...(series.engine.flags?.expertParallel && { expertParallel: true }),
    precision: point.precision,
    checkpoint: point.checkpoint,
    promptTokens: point.promptTokens,
    outputTokens: point.outputTokens,
    promptTokensCv: series.traffic.promptTokensCv,
    outputTokensCv: series.traffic.outputTokensCv,
    outputTokensShape: outputShapeOfDataset(series.traffic.dataset),
    arrivalCv: series.traffic.arrivalCv,
    prefixShare: series.traffic.prefixShare,
    emptyOutputShare: series.traffic.emptyOutputShare,
    engine: engineSettingsOf(series),
  };
}

/**
 * Predicts every serving point of the file from its load with `calibrationFor(series)` (physics only, no
 * measured-first), in the engine settings and length spread its series states.
 */
export function servingComparisons(
  measurements: PublicMeasurements,
  knowledge: Knowledge,
  calibrationFor: (seriesId: string) => Calibration,
): { comparisons: Comparison[]; overload: OverloadCheck[]; failures: string[] } {
  const comparisons: Comparison[] = [];
  const overload: OverloadCheck[] = [];
  const failures: string[] = [];
  const models = new Map(knowledge.models.map((m) => [m.id, m]));
  const gpus = new Map(knowledge.gpus.map((g) => [g.id, g]));
  for (const series of measurements.series) {
    const calibration = calibrationFor(series.id);
    for (const { point, tpotMeanMs } of series.points) {
      const model = models.get(point.modelId);
      const gpu = gpus.get(point.gpuId);
      if (!model || !gpu) continue;
      const context = {
        series: series.id,
        gpuFamily: gpuFamilyOf(gpu),
        modelClass: modelClassOf(model),
      };
      const burst = series.traffic.burst;
      if (burst !== undefined && point.load.kind === 'max') {
        // A burst is a batch job, not a steady state: its batch fills to the engine's limits and drains.
        const played = predictBatch(
          {
            ...measuredConfigOf(series, point),
            requests: burst,
            chatStream: series.traffic.chatStream,
          },
          knowledge,
          calibration,
        );
        if (!played.ok) {
          failures.push(`${series.id} burst of ${burst}: ${played.reason}`);
          continue;
        }
        const batch = played.prediction;
        // TTFT's mean and median (where the burst's queue puts a typical request), the batch job's mean ITL and,
        // where published, its mean TPOT: every request weighs alike there, so the short requests that finish while
        // the batch fills count as much as the long ones that finish in the drain.
        const measuredStats = [
          {
            metric: 'ttft' as const,
            stat: 'mean' as const,
            predicted: batch.ttftMs.mean,
            measured: point.ttftMs.mean,
          },
          {
            metric: 'ttft' as const,
            stat: 'p50' as const,
            predicted: batch.ttftMs.p50,
            measured: point.ttftMs.p50,
          },
          {
            metric: 'itl' as const,
            stat: 'mean' as const,
            predicted: batch.itlMeanMs,
            measured: point.itlMs.mean,
          },
          {
            metric: 'tpot' as const,
            stat: 'mean' as const,
            predicted: batch.tpotMeanMs,
            measured: tpotMeanMs ?? null,
          },
        ];
        for (const { metric, stat, predicted, measured } of measuredStats) {
          if (measured === null) continue;
          comparisons.push({
            ...context,
            region: 'overloaded',
            metric,
            stat,
            label: `max ${stat}`,
            predicted,
            measured,
            burst: true,
          });
        }
        continue;
      }
      // A saturation run is an open loop far beyond capacity: the model answers with its state at capacity.
      const load =
        point.load.kind === 'max'
          ? { kind: 'rate' as const, value: 1e6 }
          : { kind: point.load.kind, value: point.load.value };
      const result = predictPerformance(
        {
          ...measuredConfigOf(series, point),
          load,
        },
        knowledge,
        { calibration },
      );
      if (!result.ok) {
        failures.push(`${series.id} ${JSON.stringify(point.load)}: ${result.reason}`);
        continue;
      }
      const p = withClosedLoopWaves(
        withClosedLoopStart(result.prediction, series, point, knowledge, calibration),
        series,
        point,
        knowledge,
        calibration,
      );
      const loadText = point.load.kind === 'max' ? 'max' : `${point.load.kind}=${point.load.value}`;
      const overloaded = measuredOverloaded(series, point, gpu);
      const finite = overloaded ? finiteRunOf(series, point, knowledge, calibration) : null;
      const region: LoadRegion = overloaded
        ? 'overloaded'
        : p.requestsPerSec >= 0.7 * p.capacityRequestsPerSec
          ? 'high'
          : 'light';
      // Only an open loop can queue without bound; a closed loop's surplus clients just wait.
      if (point.load.kind === 'rate') {
        overload.push({
          series: series.id,
          label: loadText,
          measuredOverloaded: overloaded,
          predictedSaturated: p.saturated,
        });
      }
      // An overloaded run's TTFT and E2E depend on how long it ran (the queue it built), which no steady state
      // describes.
      // A finite one's mean ITL is its played run's, over the batch's growth while its prompts arrive and its drain.
      const families = overloaded ? (['itl'] as const) : (['ttft', 'itl', 'e2e'] as const);
      for (const family of families) {
        const measured = { ttft: point.ttftMs, itl: point.itlMs, e2e: point.e2eMs }[family];
        const predicted = {
          ttft: p.ttftMs,
          itl: finite ? { ...p.itlMs, mean: finite.itlMeanMs } : p.itlMs,
          e2e: p.e2eMs,
        }[family];
        for (const stat of STATS) {
          const value = measured[stat];
          if (value === null) continue;
          comparisons.push({
            ...context,
            region,
            metric: family,
            stat,
            label: `${loadText} ${stat}`,
            predicted: predicted[stat],
            measured: value,
          });
        }
      }
      // Throughput is the server's in a steady state (a closed loop, or an overloaded open loop: its capacity); below
      // capacity an open loop's throughput is its offered rate by definition. A burst reports requests over its ramp
      // and drain: a batch job's makespan, which no steady state gives.
      const serverRate =
        series.traffic.steadyState &&
        (point.load.kind === 'concurrency' ||
          point.load.kind === 'max' ||
          (point.load.kind === 'rate' && overloaded));
      if (point.requestsPerSec !== null && serverRate) {
        comparisons.push({
          ...context,
          region,
          metric: 'throughput',
          stat: 'req/s',
          label: `${loadText} req/s`,
          predicted: p.requestsPerSec,
          measured: point.requestsPerSec,
        });
      }
    }
  }
  return { comparisons, overload, failures };
}

/**
 * An overloaded open loop of a known number of prompts (`vllm bench serve --num-prompts N --request-rate r`, `max`
 * sending them all at once), played through the scheduler as they arrive: its batch grows from empty while arrivals
 * outpace completions and drains once they stop, never reaching max_num_seqs when N·(1 − capacity / r) is below it, so
 * its token-weighted mean ITL is below the steady state's at capacity. Null where the run's length is unknown.
 */
function finiteRunOf(
  series: MeasuredSeries,
  point: MeasuredPoint,
  knowledge: Knowledge,
  calibration: Calibration,
): BatchPrediction | null {
  const requests = series.traffic.requests;
  if (requests === undefined || (point.load.kind !== 'rate' && point.load.kind !== 'max')) return null;
  const played = predictBatch(
    {
      ...measuredConfigOf(series, point),
      requests,
      arrivalRatePerSec: point.load.kind === 'rate' ? point.load.value : Number.POSITIVE_INFINITY,
      chatStream: series.traffic.chatStream,
    },
    knowledge,
    calibration,
  );
  return played.ok ? played.prediction : null;
}

/**
 * A closed-loop run of known length starts its N clients together: its first N requests are a burst (their TTFTs
 * queue behind each other's prefill), the other (k − 1)·N see the steady state. The run's TTFT and E2E statistics
 * are over that mixture, so they are predicted as one: the burst played through the scheduler, mixed with the
 * steady state in proportion 1 : k − 1.
 */
function withClosedLoopStart<P extends { ttftMs: LatencyStatsMs; e2eMs: LatencyStatsMs }>(
  prediction: P,
  series: MeasuredSeries,
  point: MeasuredPoint,
  knowledge: Knowledge,
  calibration: Calibration,
): P {
  const perClient = series.traffic.requestsPerClient;
  if (perClient === undefined || point.load.kind !== 'concurrency') return prediction;
  const burst = burstLatenciesMs(
    {
      ...measuredConfigOf(series, point),
      requests: point.load.value,
    },
    knowledge,
    calibration,
  );
  if (!burst.ok) return prediction;
  // The first wave's requests decode among the requests its clients send as soon as theirs finish, so the batch stays
  // at N where an isolated burst's would drain: each one's decoding takes the steady state's time, after its own TTFT.
  const steadyDecodeMs = prediction.e2eMs.mean - prediction.ttftMs.mean;
  return {
    ...prediction,
    ttftMs: mixedStats(prediction.ttftMs, burst.ttftMs, 1 / perClient),
    e2eMs: mixedStats(
      prediction.e2eMs,
      burst.ttftMs.map((ttft) => ttft + steadyDecodeMs),
      1 / perClient,
    ),
  };
}

/**
 * A closed loop of N clients that sends R requests of fixed lengths in all (`traffic.requests`): the clients start
 * together (`vllm bench serve` with --max-concurrency and an infinite request rate) and, every request as long as the
 * next, finish together, so the run is ⌊R/N⌋ waves of N requests and a last wave of R mod N that decodes at a batch of
 * R mod N. The source's mean TPOT averages over requests, so the last wave's requests count at their own batch's step
 * time; with varying lengths the clients drift apart and no such wave forms.
 */
function withClosedLoopWaves<P extends { itlMs: LatencyStatsMs }>(
  prediction: P,
  series: MeasuredSeries,
  point: MeasuredPoint,
  knowledge: Knowledge,
  calibration: Calibration,
): P {
  const requests = series.traffic.requests;
  if (requests === undefined || point.load.kind !== 'concurrency' || series.traffic.outputTokensCv > 0) {
    return prediction;
  }
  const clients = point.load.value;
  const last = requests % clients;
  if (last === 0 || requests < clients) return prediction;
  const lastWave = predictPerformance(
    { ...measuredConfigOf(series, point), load: { kind: 'concurrency', value: last } },
    knowledge,
    { calibration },
  );
  if (!lastWave.ok) return prediction;
  const full = requests - last;
  const mean = (full * prediction.itlMs.mean + last * lastWave.prediction.itlMs.mean) / requests;
  return { ...prediction, itlMs: { ...prediction.itlMs, mean } };
}

/**
 * Statistics of a mixture: a share `burstShare` drawn from `burst` (a sample), the rest from a steady distribution
 * known by its statistics (its CDF interpolated linearly between its quantiles, its lower half mirrored from its upper).
 */
export function mixedStats(steady: LatencyStatsMs, burst: number[], burstShare: number): LatencyStatsMs {
  if (burst.length === 0) return steady;
  const lowest = Math.max(2 * steady.p50 - steady.p90, 0);
  const knots: [number, number][] = [
    [Math.max(lowest - (steady.p50 - lowest) / 4, 0), 0],
    [lowest, 0.1],
    [steady.p50, 0.5],
    [steady.p90, 0.9],
    [steady.p95, 0.95],
    [steady.p99, 0.99],
    [steady.p99 + (steady.p99 - steady.p95), 1],
  ];
  const steadyCdf = (x: number) => {
    if (x <= knots[0]![0]) return 0;
    for (let i = 1; i < knots.length; i++) {
      const [x1, q1] = knots[i]!;
      const [x0, q0] = knots[i - 1]!;
      if (x <= x1) return x1 > x0 ? q0 + ((q1 - q0) * (x - x0)) / (x1 - x0) : q1;
    }
    return 1;
  };
  const sorted = [...burst].sort((a, b) => a - b);
  const burstCdf = (x: number) => {
    let below = 0;
    while (below < sorted.length && sorted[below]! <= x) below++;
    return below / sorted.length;
  };
  const cdf = (x: number) => burstShare * burstCdf(x) + (1 - burstShare) * steadyCdf(x);
  const quantileAt = (q: number) => {
    let lo = 0;
    let hi = Math.max(sorted[sorted.length - 1]!, knots[knots.length - 1]![0]);
    for (let i = 0; i < 60; i++) {
      const mid = 0.5 * (lo + hi);
      if (cdf(mid) >= q) hi = mid;
      else lo = mid;
    }
    return hi;
  };
  const burstMean = sorted.reduce((sum, x) => sum + x, 0) / sorted.length;
  return {
    mean: burstShare * burstMean + (1 - burstShare) * steady.mean,
    p50: quantileAt(0.5),
    p90: quantileAt(0.9),
    p95: quantileAt(0.95),
    p99: quantileAt(0.99),
  };
}

/**
 * Replicas a plan buys against the replicas the measurements show are needed, for one series with a rate sweep. The
 * highest measured rate that did not overload shows one replica sustains it with the latencies measured there; taken
 * as the SLO (each measured p99, or p95 where reported, as the p95 target), a peak of `PEAK_REPLICAS` times that rate
 * needs at most `PEAK_REPLICAS` replicas. A sweep only bounds the need from below where it went on to a rate that
 * overloaded: one replica does not sustain that rate at any latency, so the peak needs more than peak / that rate. A
 * sweep that stopped while still healthy says nothing of how much more a replica holds: fewer replicas than
 * `PEAK_REPLICAS` contradict no measurement. The plan sizes the measured deployment for that peak the way
 * `sizeReplicas` does (each replica at most SLO_CAPACITY_SHARE of the rate the model holds within the SLO), with the
 * series' held-out calibration. It checks the sizing of the measured shape, not which shape the planner would rank
 * first.
 */
export interface ReplicaCheck {
  series: string;
  /** Highest measured rate that did not overload, and the SLO read from its latencies. */
  measuredRate: number;
  /** Lowest measured rate that overloaded one replica; null when the sweep never overloaded it. */
  overloadedRate: number | null;
  slo: { ttftP95Ms: number; itlP95Ms: number; e2eP95Ms: number };
  /** Rate one replica holds within that SLO by the model; null when it cannot (with why). */
  modelRate: number | null;
  reason: string | null;
  /** Replicas the measurements show are enough for the peak. */
  replicasEnough: number;
  /** Fewest replicas the measurements allow for the peak (1 when the sweep never overloaded a replica). */
  replicasAtLeast: number;
  replicasPlanned: number;
}

export const PEAK_REPLICAS = 10;

export function replicaChecks(
  measurements: PublicMeasurements,
  knowledge: Knowledge,
  calibrationFor: (seriesId: string) => Calibration,
): ReplicaCheck[] {
  const checks: ReplicaCheck[] = [];
  for (const series of measurements.series) {
    const rated = series.points.flatMap(({ point }) =>
      point.load.kind === 'rate' ? [{ point, rate: point.load.value }] : [],
    );
    const gpu = knowledge.gpus.find((g) => g.id === rated[0]?.point.gpuId);
    const known = knowledge.models.some((m) => m.id === rated[0]?.point.modelId);
    if (rated.length < 2 || !gpu || !known) continue;
    const healthy = rated.filter(({ point }) => !measuredOverloaded(series, point, gpu));
    if (healthy.length === 0) continue;
    const { point: best, rate } = healthy.reduce((a, b) => (b.rate > a.rate ? b : a));
    const overloadedRates = rated
      .filter(({ point }) => measuredOverloaded(series, point, gpu))
      .map((r) => r.rate);
    const overloadedRate = overloadedRates.length > 0 ? Math.min(...overloadedRates) : null;
    const tail = (stats: typeof best.ttftMs) => stats.p99 ?? stats.p95 ?? Number.POSITIVE_INFINITY;
    const slo = { ttftP95Ms: tail(best.ttftMs), itlP95Ms: tail(best.itlMs), e2eP95Ms: tail(best.e2eMs) };
    const config = measuredConfigOf(series, best);
    const held = maxRateWithinSlo(config, slo, knowledge, { calibration: calibrationFor(series.id) });
    const peak = PEAK_REPLICAS * rate;
    checks.push({
      series: series.id,
      measuredRate: rate,
      overloadedRate,
      slo,
      modelRate: held.ok ? held.requestsPerSec : null,
      reason: held.ok ? null : held.reason,
      replicasEnough: PEAK_REPLICAS,
      replicasAtLeast: overloadedRate === null ? 1 : Math.floor(peak / overloadedRate) + 1,
      replicasPlanned: held.ok
        ? Math.ceil(peak / (SLO_CAPACITY_SHARE * held.requestsPerSec))
        : Number.POSITIVE_INFINITY,
    });
  }
  return checks;
}

export type MemoryMetric = 'weights per GPU' | 'KV pool per GPU' | 'KV tokens';

export interface MemoryComparison {
  metric: MemoryMetric;
  fact: MemoryFact;
  predicted: number;
  measured: number;
  /** The fact comes from a vLLM release whose start-up profile the model follows (OLDEST_VLLM or later). */
  currentVllm: boolean;
}

/** Memory facts against the memory model (no fitting involved). */
export function memoryComparisons(
  measurements: PublicMeasurements,
  knowledge: Knowledge,
): MemoryComparison[] {
  const out: MemoryComparison[] = [];
  for (const fact of measurements.memory) {
    const model = knowledge.models.find((m) => m.id === fact.modelId);
    const gpu = knowledge.gpus.find((g) => g.id === fact.gpuId);
    if (!model || !gpu) continue;
    const built = buildDeployment(model, gpu, fact.gpuCount, fact.tensorParallel, fact.precision, {
      gpuMemoryUtilization: fact.gpuMemoryUtilization,
      kvCacheDtype: fact.kvCacheDtype,
    });
    if (!built.ok) continue;
    const plan = built.deployment.memory;
    const release = releaseOf(fact.vllmVersion);
    const currentVllm = release !== null && followsMemoryModel(release);
    const add = (metric: MemoryMetric, predicted: number, measured = fact.value) =>
      out.push({ metric, fact, predicted, measured, currentVllm });
    if (fact.metric === 'weights_per_gpu') add('weights per GPU', plan.weightBytesPerGpu / GIB);
    if (fact.metric === 'kv_pool_per_gpu') add('KV pool per GPU', plan.kvPoolBytesPerGpu / GIB);
    // vLLM logs its KV cache as max_model_len sequences (the second line's concurrency) × max_model_len.
    const logged = reportedKvCacheTokens(plan, fact.maxModelLen);
    if (fact.metric === 'kv_tokens') add('KV tokens', logged);
    if (fact.metric === 'max_concurrency_at_max_model_len')
      add('KV tokens', logged, fact.value * fact.maxModelLen);
  }
  return out;
}

export const absolutePercentageError = (c: { predicted: number; measured: number }) =>
  Math.abs(c.predicted - c.measured) / c.measured;

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (position - lo);
}
