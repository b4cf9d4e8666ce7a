/**
 * The public measurements as the performance model reads them: the engine each series ran, which of its points a
 * steady state describes (calibration samples) and which queued without bound.
 */
import type { BenchmarkPoint, EngineSettings, Gpu, Model } from '../knowledge/catalog.js';
import type { MeasurementSeries, PublicMeasurements } from '../knowledge/measurements.js';
import { v0ChunkedTokenBudget, v0ChunksPrompts, v0UnchunkedTokenBudget } from './assumptions.js';
import { type CalibrationSample, runsV1Engine } from './calibrate.js';
import { resolveEngine } from './memory.js';

/**
 * The measured run queued without bound: a burst; a steady open loop that completed more than 20% fewer requests than
 * offered (a finite run completes a little less than offered anyway: its ramp and drain count in its duration); or an
 * open loop whose offered rate needs more sequences in flight than the engine admits. By Little's law a steady state
 * at rate λ holds λ × (time in system) requests; the time measured in a finite run is only the queue it had time to
 * build, so λ × that time is a lower bound, and above max_num_seqs the admission queue grows for as long as the run
 * lasts. `gpu` resolves vLLM's default max_num_seqs when the series does not set it.
 */
export function measuredOverloaded(
  series: MeasurementSeries,
  point: BenchmarkPoint,
  gpu: Gpu | undefined,
): boolean {
  if (point.load.kind === 'max') return true;
  if (point.load.kind !== 'rate') return false;
  const offered = point.load.value;
  if (series.traffic.steadyState && point.requestsPerSec !== null && point.requestsPerSec < 0.8 * offered) {
    return true;
  }
  const inSystemMs = measuredTimeInSystemMs(point);
  if (gpu === undefined || inSystemMs === null) return false;
  const admitted = resolveEngine(gpu, series.engine.settings).maxNumSeqs;
  return (offered * inSystemMs) / 1e3 > admitted;
}

/**
 * The engine a series ran: its settings, plus the serve flags the performance model takes. Async scheduling is what
 * the series' flags state, and off where they state nothing: vLLM's default before v0.14.0, though not after (see
 * async-scheduling.ts). Pricing the unflagged runs of later releases (vLLM 0.17.1's Qwen3.5 pages, the vLLM blog's
 * 0.19.1 runs, wmx's 0.23.0 run) as asynchronous makes leave-one-source-out error worse (median / p90 ITL 7.8 / 29.1%
 * to 13.2 / 32.8%), so they stay synchronous until the model explains why; the planner's own deployments follow the
 * release they pin. The damage lands on InferenceMAX's held-out fold, whose H100/H200 factors rest on few other
 * samples (10 of its 13 H200 ones and 13 of its 28 H100 ones are the Qwen3.5 pages'): priced async, Qwen3.5 pulls less
 * on the fitted step overhead, and the rest of the H200 samples — DeepSeek-R1 and GLM-4.6 at TP8 and batch 4, whose
 * steps the model prices too fast, and the Nemotron recipe — take it from 3.1 to 4.9 ms (H100: 3.3 to 4.3 ms; left
 * out, they leave it near 2.8 ms), which over-predicts gpt-oss-120b's fixed-cost-bound TP4/TP8 steps. Held out, the
 * Qwen3.5 pages fit better async (E2E mean of the 35B-A3B rate-8 runs +5 to +34% sync, -9 to +23% async; the 9B's +12%
 * to -1%), so it is the pooled per-GPU fit, not how async is priced (`bench/fold-factors.ts` prints the folds).
 */
export function engineSettingsOf(series: MeasurementSeries): EngineSettings {
  const flags = series.engine.flags;
  const v0Engine = flags?.v1Engine === false || !runsV1Engine(series.engine.version);
  // V0 chunks prompts at its release's default budget; unchunked, the budget follows max_model_len: the run's
  // --max-model-len, else the model's context window (buildDeployment).
  const v0Chunks = v0Engine && v0ChunksPrompts(flags ?? {});
  const v0Budget = v0Chunks
    ? v0ChunkedTokenBudget(series.engine.version)
    : v0Engine && flags?.maxModelLen !== undefined
      ? v0UnchunkedTokenBudget(flags.maxModelLen)
      : undefined;
  return {
    ...(v0Budget !== undefined && { maxNumBatchedTokens: v0Budget }),
    ...series.engine.settings,
    ...(v0Engine && { v0Engine: true }),
    ...(flags?.schedulerSteps !== undefined && { schedulerSteps: flags.schedulerSteps }),
    ...(flags?.chunkedPrefill === false && { chunkedPrefill: false }),
    ...(flags?.maxSeqLenToCapture !== undefined && { maxSeqLenToCapture: flags.maxSeqLenToCapture }),
    asyncScheduling: flags?.asyncScheduling ?? false,
    ...(flags?.reasoningParser !== undefined && { reasoningParser: true }),
    ...(flags?.cudaGraphs === false
      ? { maxCudagraphCaptureSize: 0 }
      : flags?.maxCudagraphCaptureSize !== undefined && {
          maxCudagraphCaptureSize: flags.maxCudagraphCaptureSize,
        }),
  };
}

/** Mean time a request spends in the server: E2E, or TTFT plus its later tokens at the mean ITL. */
function measuredTimeInSystemMs(point: BenchmarkPoint): number | null {
  if (point.e2eMs.mean !== null) return point.e2eMs.mean;
  if (point.ttftMs.mean === null || point.itlMs.mean === null) return null;
  return point.ttftMs.mean + Math.max(point.outputTokens - 1, 0) * point.itlMs.mean;
}

/**
 * Every steady-state point of the file as a calibration sample, carrying its series' engine settings and length
 * spread. Bursts and overloaded open loops are left out: their batch swells and drains, or their queue grows with
 * the run's length, so no steady state describes the latencies they report.
 */
export function samplesOf(
  measurements: PublicMeasurements,
  gpus: Gpu[],
): (CalibrationSample & { seriesId: string })[] {
  const gpuOf = (id: string) => gpus.find((g) => g.id === id);
  return measurements.series.flatMap((series) =>
    series.points
      .filter(
        ({ point }) =>
          series.traffic.burst === undefined && !measuredOverloaded(series, point, gpuOf(point.gpuId)),
      )
      .map(({ point }) => ({
        seriesId: series.id,
        point: steadyStatisticsOf(series, point),
        engine: engineSettingsOf(series),
        engineVersion: series.engine.version,
        promptCv: series.traffic.promptTokensCv,
        outputCv: series.traffic.outputTokensCv,
        arrivalCv: series.traffic.arrivalCv,
        prefixShare: series.traffic.prefixShare,
      })),
  );
}

/**
 * What of a point a steady state describes. A closed loop that starts all its clients at once (`requestsPerClient`)
 * puts its first wave's burst into the TTFT mean and tail; its median stays the steady state's.
 */
function steadyStatisticsOf(series: MeasurementSeries, point: BenchmarkPoint): BenchmarkPoint {
  if (series.traffic.requestsPerClient === undefined || point.load.kind !== 'concurrency') return point;
  const { p50 } = point.ttftMs;
  return { ...point, ttftMs: { mean: null, p50, p90: null, p95: null, p99: null } };
}

/**
 * Catalog models plus the models only measurements ran, as the performance model reads a model (no use cases or
 * quality scores: nothing offers them in a plan).
 */
function modelsWithMeasured(models: Model[], measurements: PublicMeasurements): Model[] {
  const measured = measurements.models
    .filter((model) => !models.some((m) => m.id === model.id))
    .map(
      (model): Model => ({
        ...model,
        aliases: [],
        license: 'measurements only',
        tasks: [],
        quality: {},
        qualityEvidence: [],
      }),
    );
  return [...models, ...measured];
}

/** Catalog GPUs plus the file's hardware variants (a variant whose base GPU is unknown is skipped). */
export function gpusWithVariants(gpus: Gpu[], measurements: PublicMeasurements): Gpu[] {
  const variants = measurements.hardware.flatMap((variant) => {
    if (gpus.some((g) => g.id === variant.id)) return [];
    const base = gpus.find((g) => g.id === variant.derivedFrom);
    return base ? [{ ...base, ...variant.overrides, id: variant.id, sources: variant.sources }] : [];
  });
  return [...gpus, ...variants];
}

/** A catalog with the GPU variants and models only its measurements ran: what scoring and calibrating them needs. */
export function withMeasuredCatalog<T extends { gpus: Gpu[]; models: Model[] }>(
  catalog: T,
  measurements: PublicMeasurements,
): T {
  return {
    ...catalog,
    gpus: gpusWithVariants(catalog.gpus, measurements),
    models: modelsWithMeasured(catalog.models, measurements),
  };
}
