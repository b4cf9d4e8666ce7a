/**
 * Shape of data/benchmarks/public-measurements.json: public serving measurements (BenchmarkPoints grouped by
 * source, with what the points cannot say — engine, length spread, statistic caveats) and vLLM start-up memory facts.
 */
import { z } from 'zod';
import { BenchmarkPoint, Gpu, Precision, Source } from '../knowledge/catalog.js';
import { v0ChunkedTokenBudget, v0ChunksPrompts, v0UnchunkedTokenBudget } from './assumptions.js';
import { type CalibrationSample, runsV1Engine } from './calibrate.js';
import { resolveEngine } from './memory.js';
import { EngineSettings } from './schema.js';

/** Engine flags of a measured run beyond `EngineSettings`: absent means vLLM's default for that release. */
export const RunFlags = z.object({
  maxModelLen: z.number().int().positive().optional(),
  /** CUDA graphs captured (false: --enforce-eager). */
  cudaGraphs: z.boolean().optional(),
  maxCudagraphCaptureSize: z.number().int().positive().optional(),
  /** Automatic prefix caching (on by default in the V1 engine). */
  prefixCaching: z.boolean().optional(),
  asyncScheduling: z.boolean().optional(),
  expertParallel: z.boolean().optional(),
  /** VLLM_USE_DEEP_GEMM; false when the run turned DeepGEMM off. */
  deepGemm: z.boolean().optional(),
  /** VLLM_USE_V1; false when a release that ships both engines (0.8 to 0.10) ran the V0 engine. */
  v1Engine: z.boolean().optional(),
  /** --num-scheduler-steps (V0's multi-step scheduling): decode steps run per scheduler pass; 1 when absent. */
  schedulerSteps: z.number().int().positive().optional(),
  /**
   * V0's --enable-chunked-prefill as the run had it. V0 chunks by default only above max_model_len 32K on "cuda"
   * devices, ROCm included until vllm-project/vllm#11146 (Dec 2024) (EngineArgs.create_engine_config, #6666).
   */
  chunkedPrefill: z.boolean().optional(),
  /** V0's --max-seq-len-to-capture as the run set it (8192 when absent). */
  maxSeqLenToCapture: z.number().int().positive().optional(),
  performanceMode: z.string().optional(),
  /** --reasoning-parser: the API server parses every streamed token (CPU work per output token). */
  reasoningParser: z.string().optional(),
});
export type RunFlags = z.infer<typeof RunFlags>;

export const MeasurementSeries = z.object({
  id: z.string().min(1),
  source: Source,
  engine: z.object({
    name: z.string().min(1),
    /** Stock vLLM; other engines are modelled as vLLM with `settings` and carry their caveat in `note`. */
    vllm: z.boolean(),
    /** vLLM release as the source states it ("0.11.0"); null when it does not say. */
    version: z.string().nullable().optional(),
    settings: EngineSettings,
    /** Serve flags the model does not take as settings, kept because they change the answer. */
    flags: RunFlags.optional(),
    note: z.string(),
  }),
  traffic: z.object({
    dataset: z.string().min(1),
    promptTokensCv: z.number().nonnegative(),
    outputTokensCv: z.number().nonnegative(),
    /** Spread of the gaps between an open loop's arrivals: 0 for a constant rate (GuideLLM), Poisson (1) when absent. */
    arrivalCv: z.number().nonnegative().optional(),
    /**
     * Share of each prompt that earlier requests already computed, served from vLLM's prefix cache (0 when absent):
     * near 1 where a benchmark repeats its prompts (benchmark_latency.py times the warm-up's prompts again).
     */
    prefixShare: z.number().min(0).lt(1).optional(),
    /** Whether the run reached a steady state whose throughput is the server's (long closed loops do; short bursts don't). */
    steadyState: z.boolean(),
    /** A burst: this many requests sent at once (request_rate=inf); throughput is a batch job's, ramp and drain included. */
    burst: z.number().int().positive().optional(),
    /**
     * A closed loop's run length: N clients send this many × N requests, the first N at once (`vllm bench serve
     * --max-concurrency N --request-rate inf` starts every client together), so its first N requests are a burst.
     */
    requestsPerClient: z.number().int().positive().optional(),
    /**
     * A closed loop's whole run, where the source gives it and it is no whole number of requests per client
     * (`vllm bench serve --num-prompts R --max-concurrency N`): with fixed lengths the clients stay in step, so the
     * run is waves of N requests and a last wave of R mod N (`closedLoopWavesItl` in accuracy.ts). For an open loop,
     * the prompts it sends in all (`--num-prompts N --request-rate r`): beyond capacity its batch grows from empty
     * while they arrive and drains once they stop, which the scorer plays through the scheduler (`finiteRunOf`).
     */
    requests: z.number().int().positive().optional(),
    /**
     * The client streamed from /v1/chat/completions and counted every chunk (`vllm bench serve --backend
     * openai-chat`): vLLM's chat stream opens with a chunk that carries only the role, sent with the first token, so
     * each request adds one ~0 ms gap to the ITL statistics (see `BatchInput.chatStream`).
     */
    chatStream: z.boolean().optional(),
    /**
     * Share of the requests that stream no text: the model's first token ends them (a base model's end-of-text under
     * greedy sampling). The client reports them with TTFT 0 and 0 output tokens (see `BatchInput.emptyOutputShare`); the
     * point's outputTokens is the mean over all requests, outputTokensCv the spread of the others.
     */
    emptyOutputShare: z.number().min(0).lt(1).optional(),
    note: z.string(),
  }),
  statistics: z.string().min(1),
  points: z.array(
    z.object({
      point: BenchmarkPoint,
      /** vLLM bench's per-request mean time per output token, kept for reference; not an ITL statistic. */
      tpotMeanMs: z.number().positive().optional(),
      /** Most requests in flight the load generator saw (GuideLLM reports it for constant-rate runs). */
      observedMaxConcurrency: z.number().int().positive().optional(),
      note: z.string().optional(),
    }),
  ),
});
export type MeasurementSeries = z.infer<typeof MeasurementSeries>;

export const MemoryMetric = z.enum([
  'weights_per_gpu',
  'activation_per_gpu',
  'non_torch_per_gpu',
  'kv_pool_per_gpu',
  'kv_tokens',
  'max_concurrency_at_max_model_len',
]);
export type MemoryMetric = z.infer<typeof MemoryMetric>;

export const MemoryFact = z.object({
  modelId: z.string().min(1),
  gpuId: z.string().min(1),
  gpuCount: z.number().int().positive(),
  tensorParallel: z.number().int().positive(),
  precision: Precision,
  kvCacheDtype: z.enum(['auto', 'fp8']),
  vllmVersion: z.string().min(1),
  gpuMemoryUtilization: z.number().gt(0).max(1),
  maxModelLen: z.number().int().positive(),
  metric: MemoryMetric,
  value: z.number().positive(),
  unit: z.enum(['GiB', 'tokens', 'sequences']),
  source: Source,
  note: z.string(),
});
export type MemoryFact = z.infer<typeof MemoryFact>;

/** Hardware a measurement ran on that the catalog lacks, as a variant of a catalog GPU. */
export const HardwareVariant = z.object({
  id: z.string().min(1),
  derivedFrom: z.string().min(1),
  overrides: Gpu.pick({
    name: true,
    memoryBandwidthGBps: true,
    interconnect: true,
    maxPerNode: true,
  }).partial(),
  note: z.string(),
  sources: z.array(Source).min(1),
});
export type HardwareVariant = z.infer<typeof HardwareVariant>;

export const PublicMeasurements = z.object({
  about: z.string(),
  hardware: z.array(HardwareVariant),
  series: z.array(MeasurementSeries),
  memory: z.array(MemoryFact),
});
export type PublicMeasurements = z.infer<typeof PublicMeasurements>;

/** Several measurement files as one (series ids must stay unique across them). */
export function mergeMeasurements(files: PublicMeasurements[]): PublicMeasurements {
  const merged: PublicMeasurements = {
    about: files.map((f) => f.about).join(' '),
    hardware: files.flatMap((f) => f.hardware),
    series: files.flatMap((f) => f.series),
    memory: files.flatMap((f) => f.memory),
  };
  const ids = merged.series.map((s) => s.id);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated !== undefined) throw new Error(`measurement series id ${repeated} appears in two files`);
  return merged;
}

/** What leave-one-source-out holds out together: every series from one published page (its URL). */
export const sourceKeyOf = (series: MeasurementSeries) => series.source.url;

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

/** Catalog GPUs plus the file's hardware variants (a variant whose base GPU is unknown is skipped). */
export function gpusWithVariants(gpus: Gpu[], measurements: PublicMeasurements): Gpu[] {
  const variants = measurements.hardware.flatMap((variant) => {
    if (gpus.some((g) => g.id === variant.id)) return [];
    const base = gpus.find((g) => g.id === variant.derivedFrom);
    return base ? [{ ...base, ...variant.overrides, id: variant.id, sources: variant.sources }] : [];
  });
  return [...gpus, ...variants];
}
