/**
 * Public serving measurements: the series in data/benchmarks/ (BenchmarkPoints grouped by source, with what the
 * points cannot say — engine, length spread, statistic caveats) and vLLM start-up memory facts. The planner
 * calibrates its performance model on them (`samplesOf`) and bench/accuracy.ts scores it against them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { fieldPath } from '../field-path.js';
import { dataDir } from '../paths.js';
import { BenchmarkPoint, EngineSettings, Gpu, Model, Precision, Source } from './catalog.js';
import { DataFileError } from './data-files.js';

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

/**
 * A model a measurement ran that the catalog lacks: what the performance model needs to score and calibrate on its
 * runs. The planner never offers it (it has no use cases or quality scores).
 */
export const MeasuredModel = Model.pick({
  id: true,
  name: true,
  family: true,
  paramsTotalB: true,
  paramsActiveB: true,
  architecture: true,
  contextWindow: true,
  precisions: true,
  sources: true,
});
export type MeasuredModel = z.infer<typeof MeasuredModel>;

export const PublicMeasurements = z.object({
  about: z.string(),
  hardware: z.array(HardwareVariant),
  models: z.array(MeasuredModel).default([]),
  series: z.array(MeasurementSeries),
  memory: z.array(MemoryFact),
});
export type PublicMeasurements = z.infer<typeof PublicMeasurements>;

/** Several measurement files as one (series ids must stay unique across them). */
export function mergeMeasurements(files: PublicMeasurements[]): PublicMeasurements {
  const merged: PublicMeasurements = {
    about: files.map((f) => f.about).join(' '),
    hardware: files.flatMap((f) => f.hardware),
    models: files.flatMap((f) => f.models),
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

/** The public serving measurement files in data/benchmarks/, each a `PublicMeasurements`. */
export const MEASUREMENT_FILES = [
  'public-measurements.json',
  'serving-2026-12.json',
  'gpustack-performance-lab.json',
  'inferencemax-gpt-oss-120b.json',
  'dstack-llama-3.1-405b.json',
  'other-public-runs.json',
  'rocm-vllm-mi300x.json',
] as const;

const readFiles = new Map<string, PublicMeasurements>();

/**
 * Every measurement file under `dir`/benchmarks, validated and merged; one DataFileError lists every problem. The files
 * ship with Compass and do not change while it runs, so each directory is read once per process.
 */
export function readMeasurementFiles(dir: string = dataDir): PublicMeasurements {
  const known = readFiles.get(dir);
  if (known) return known;
  const problems: string[] = [];
  const files = MEASUREMENT_FILES.flatMap((name) => {
    const file = `benchmarks/${name}`;
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(join(dir, 'benchmarks', name), 'utf8'));
    } catch (error) {
      problems.push(`${file}: cannot be read as JSON: ${(error as Error).message}`);
      return [];
    }
    const parsed = PublicMeasurements.safeParse(json);
    if (parsed.success) return [parsed.data];
    for (const issue of parsed.error.issues) {
      problems.push(`${file}: ${fieldPath(issue.path) || '(root)'}: ${issue.message}`);
    }
    return [];
  });
  if (problems.length === 0) {
    try {
      const merged = mergeMeasurements(files);
      readFiles.set(dir, merged);
      return merged;
    } catch (error) {
      problems.push(`benchmarks/: ${(error as Error).message}`);
    }
  }
  throw new DataFileError(problems);
}
