import { writeFile } from 'node:fs/promises';
import { chartPng, configurationChart } from '../chart/index.js';
import { type BatchApi, callsChat } from '../intent/batch-api.js';
import type { Knowledge, Model, Precision, UseCaseId } from '../knowledge/catalog.js';
import { USE_CASE_IDS } from '../knowledge/catalog.js';
import { importedModel } from '../knowledge/hf-config.js';
import type { BatchPrediction, Prediction } from '../planner/index.js';
import {
  maxRateWithinSlo,
  predictBatch,
  predictPerformance,
  TENSOR_PARALLEL_DEGREES,
} from '../planner/index.js';
import type { CliContext } from './context.js';
import { catalogGpuId, catalogModelId, withKnowledge } from './context.js';
import { UsageError, writeLine } from './io.js';
import { readConfigFile } from './models.js';

export interface PredictCommandOptions {
  json?: boolean;
  /** Catalog or imported model id; exactly one of model and modelConfig. */
  model?: string;
  /** Path of a Hugging Face config.json to predict for without importing it. */
  modelConfig?: string;
  gpu: string;
  /** Default: the smallest degree the model can run at (`atTensorParallel`). */
  tp?: number;
  gpuCount?: number;
  /** Each default: the use case's (`trafficOf`). */
  promptTokens?: number;
  outputTokens?: number;
  useCase?: UseCaseId;
  rate?: number;
  concurrency?: number;
  /** Requests submitted at once: a batch prediction instead of a steady load. */
  batch?: number;
  /** The OpenAI API a batch's client calls (`vllm bench serve --backend openai-chat` or its default `openai`). */
  api?: BatchApi;
  promptCv?: number;
  outputCv?: number;
  prefixShare?: number;
  /** Default: bf16, or the precision a --model-config checkpoint is served at. */
  quantization?: Precision;
  sloTtftMs?: number;
  sloItlMs?: number;
  sloE2eMs?: number;
  /** Also draw TTFT/ITL p95 and throughput against the request rate into this PNG. */
  chart?: string;
}

/** The `predict --json` contract. */
export function predictionJson(prediction: Prediction) {
  const { ttftMs, itlMs, e2eMs } = prediction;
  return {
    ttftP50Ms: ttftMs.p50,
    ttftP95Ms: ttftMs.p95,
    itlP50Ms: itlMs.p50,
    itlP95Ms: itlMs.p95,
    e2eP50Ms: e2eMs.p50,
    e2eP95Ms: e2eMs.p95,
    requestsPerSec: prediction.requestsPerSec,
    outputTokensPerSec: prediction.outputTokensPerSec,
    basis: prediction.basis,
    ttftMeanMs: ttftMs.mean,
    ttftP99Ms: ttftMs.p99,
    itlMeanMs: itlMs.mean,
    itlP99Ms: itlMs.p99,
    e2eMeanMs: e2eMs.mean,
    e2eP99Ms: e2eMs.p99,
    capacityRequestsPerSec: prediction.capacityRequestsPerSec,
    saturated: prediction.saturated,
    notes: prediction.notes,
  };
}

/** The `predict --batch --json` contract. */
export function batchPredictionJson(prediction: BatchPrediction) {
  return {
    requests: prediction.requests,
    makespanSec: prediction.makespanSec,
    requestsPerSec: prediction.requestsPerSec,
    outputTokensPerSec: prediction.outputTokensPerSec,
    ttftMs: prediction.ttftMs,
    e2eMs: prediction.e2eMs,
    peakRunning: prediction.peakRunning,
    limitedBy: prediction.limitedBy,
    preemptions: prediction.preemptions,
    cachedPromptTokens: prediction.cachedPromptTokens,
    simulatedRequests: prediction.simulatedRequests,
    notes: prediction.notes,
  };
}

/** A duration as a person reads it: seconds up to two minutes, then minutes, then hours. */
export function formatDuration(sec: number): string {
  if (sec < 120) return `${Number(sec.toPrecision(3))} s`;
  if (sec < 7200) return `${Number((sec / 60).toPrecision(3))} min`;
  return `${Number((sec / 3600).toPrecision(3))} h`;
}

function formatBatch(prediction: BatchPrediction, title: string): string {
  const { ttftMs, e2eMs } = prediction;
  const row = (name: string, stats: { p50: number; p95: number; p99: number; mean: number }) =>
    `${name.padEnd(6)} mean ${formatDuration(stats.mean / 1e3).padStart(9)}   p50 ${formatDuration(stats.p50 / 1e3).padStart(9)}   p95 ${formatDuration(stats.p95 / 1e3).padStart(9)}   p99 ${formatDuration(stats.p99 / 1e3).padStart(9)}`;
  return [
    title,
    `Makespan: ${formatDuration(prediction.makespanSec)} for ${prediction.requests.toLocaleString('en-US')} requests`,
    `Throughput: ${prediction.requestsPerSec.toFixed(2)} req/s, ${Math.round(prediction.outputTokensPerSec).toLocaleString('en-US')} output tokens/s`,
    row('TTFT', ttftMs),
    row('E2E', e2eMs),
    ...prediction.notes.map((note) => `  - ${note}`),
  ].join('\n');
}

/** The SLO flags as targets, when all three are given (each defaults to unbounded when only some are). */
function sloOf(options: PredictCommandOptions) {
  const { sloTtftMs, sloItlMs, sloE2eMs } = options;
  if (sloTtftMs === undefined && sloItlMs === undefined && sloE2eMs === undefined) return undefined;
  const unbounded = Number.POSITIVE_INFINITY;
  return {
    ttftP95Ms: sloTtftMs ?? unbounded,
    itlP95Ms: sloItlMs ?? unbounded,
    e2eP95Ms: sloE2eMs ?? unbounded,
  };
}

export class InfeasibleConfigurationError extends Error {
  constructor(reason: string) {
    super(`this configuration cannot run: ${reason}`);
    this.name = 'InfeasibleConfigurationError';
  }
}

function formatPrediction(prediction: Prediction, title: string): string {
  const row = (name: string, stats: { p50: number; p95: number; p99: number }) =>
    `${name.padEnd(6)} p50 ${stats.p50.toFixed(1).padStart(9)} ms   p95 ${stats.p95.toFixed(1).padStart(9)} ms   p99 ${stats.p99.toFixed(1).padStart(9)} ms`;
  return [
    title,
    row('TTFT', prediction.ttftMs),
    row('ITL', prediction.itlMs),
    row('E2E', prediction.e2eMs),
    `Throughput: ${prediction.requestsPerSec.toFixed(2)} req/s, ${Math.round(prediction.outputTokensPerSec)} output tokens/s ` +
      `(capacity ${prediction.capacityRequestsPerSec.toFixed(2)} req/s${prediction.saturated ? ', SATURATED: the queue grows' : ''})`,
    `Basis: ${prediction.basis}`,
    ...prediction.notes.map((note) => `  - ${note}`),
  ].join('\n');
}

/** The model a config.json describes, as an in-memory catalog entry (tasks do not matter to a prediction). */
async function configModel(path: string): Promise<Model> {
  const { facts, sourceUrl, defaultId } = await readConfigFile(path);
  return importedModel(facts, { id: defaultId, tasks: [...USE_CASE_IDS], sourceUrl });
}

/** A copy of the snapshot with `model` in it, replacing any entry with its id; the stored knowledge is untouched. */
function withModel(knowledge: Knowledge, model: Model): Knowledge {
  return { ...knowledge, models: [...knowledge.models.filter(({ id }) => id !== model.id), model] };
}

/** The use case whose traffic a prediction takes where the command leaves a length out. */
const DEFAULT_PREDICT_USE_CASE: UseCaseId = 'chatbot_conversational';

/**
 * The traffic to predict for: the stated figures, the rest the use case's whole profile (lengths, their spread, the
 * shared prefix) where a length is left out or --use-case is given. Both lengths stated without a use case is a
 * benchmark's fixed-length traffic: every request the mean lengths, nothing shared. `assumed` says what the use case
 * filled in, null where nothing.
 */
function trafficOf(options: PredictCommandOptions, knowledge: Knowledge) {
  const stated = {
    promptTokens: options.promptTokens,
    outputTokens: options.outputTokens,
    promptTokensCv: options.promptCv,
    outputTokensCv: options.outputCv,
    prefixShare: options.prefixShare,
  };
  const lengthsStated = stated.promptTokens !== undefined && stated.outputTokens !== undefined;
  if (lengthsStated && options.useCase === undefined) {
    const traffic = {
      promptTokens: stated.promptTokens!,
      outputTokens: stated.outputTokens!,
      promptTokensCv: stated.promptTokensCv ?? 0,
      outputTokensCv: stated.outputTokensCv ?? 0,
      prefixShare: stated.prefixShare ?? 0,
    };
    return { traffic, assumed: null };
  }
  const id = options.useCase ?? DEFAULT_PREDICT_USE_CASE;
  const useCase = knowledge.useCases.find((entry) => entry.id === id);
  if (useCase === undefined) throw new UsageError(`the catalog has no use case "${id}"`);
  const profile = useCase.traffic;
  const traffic = {
    promptTokens: stated.promptTokens ?? profile.promptTokens,
    outputTokens: stated.outputTokens ?? profile.outputTokens,
    promptTokensCv: stated.promptTokensCv ?? profile.promptTokensCv ?? 0,
    outputTokensCv: stated.outputTokensCv ?? profile.outputTokensCv ?? 0,
    prefixShare: stated.prefixShare ?? profile.prefixShare ?? 0,
  };
  const filled = [
    stated.promptTokens === undefined && `${traffic.promptTokens.toLocaleString('en-US')} prompt tokens`,
    stated.outputTokens === undefined && `${traffic.outputTokens.toLocaleString('en-US')} output tokens`,
    stated.promptTokensCv === undefined && `prompt length spread ${traffic.promptTokensCv}`,
    stated.outputTokensCv === undefined && `output length spread ${traffic.outputTokensCv}`,
    stated.prefixShare === undefined && `${Math.round(traffic.prefixShare * 100)}% of each prompt shared`,
  ].filter((part) => part !== false);
  return {
    traffic,
    assumed: filled.length === 0 ? null : `${useCase.name} traffic (--use-case ${id}): ${filled.join(', ')}`,
  };
}

/**
 * `attempt` at the stated TP degree or, where none is stated, at the smallest of TENSOR_PARALLEL_DEGREES it succeeds
 * at (within one node, and dividing --gpu-count where given): the largest degree's reason where none does.
 */
function atTensorParallel<R extends { ok: true } | { ok: false; reason: string }>(
  options: PredictCommandOptions,
  maxPerNode: number,
  attempt: (tensorParallel: number) => R,
): { result: R; tensorParallel: number; chosen: boolean } {
  if (options.tp !== undefined)
    return { result: attempt(options.tp), tensorParallel: options.tp, chosen: false };
  const degrees = TENSOR_PARALLEL_DEGREES.filter(
    (tp) => tp <= maxPerNode && (options.gpuCount === undefined || options.gpuCount % tp === 0),
  );
  let last: { result: R; tensorParallel: number; chosen: boolean } | null = null;
  for (const tensorParallel of degrees) {
    last = { result: attempt(tensorParallel), tensorParallel, chosen: true };
    if (last.result.ok) return last;
  }
  if (last === null) {
    throw new UsageError(
      `--gpu-count ${options.gpuCount} splits into no tensor-parallel group of ${TENSOR_PARALLEL_DEGREES.join(', ')}; give --tp`,
    );
  }
  const failed = last.result as { ok: false; reason: string };
  return {
    ...last,
    result: {
      ok: false,
      reason: `no tensor-parallel degree up to ${last.tensorParallel} fits: ${failed.reason}`,
    } as R,
  };
}

export async function predictCommand(context: CliContext, options: PredictCommandOptions) {
  if ((options.model === undefined) === (options.modelConfig === undefined)) {
    throw new UsageError('give exactly one of --model HF_ID or --model-config PATH');
  }
  const loads = [options.rate, options.concurrency, options.batch].filter((x) => x !== undefined);
  // `--batch N --rate R`: the job's N requests are sent over time, not at once.
  const sentOverTime = options.batch !== undefined && options.rate !== undefined;
  if (loads.length !== 1 && !(sentOverTime && loads.length === 2)) {
    throw new UsageError(
      'give exactly one of --rate RPS, --concurrency N or --batch N (or --batch N --rate RPS: N requests sent at RPS)',
    );
  }
  if (options.api !== undefined && options.batch === undefined) {
    throw new UsageError(
      '--api shapes a burst (--batch N): a steady load is predicted the same for chat and completions',
    );
  }
  if (options.batch !== undefined && options.chart !== undefined) {
    throw new UsageError('--chart draws a steady load; give --rate or --concurrency with it, not --batch');
  }
  const fromConfig = options.modelConfig === undefined ? null : await configModel(options.modelConfig);
  await withKnowledge(context, async (stored) => {
    const knowledge = fromConfig ? withModel(stored, fromConfig) : stored;
    const modelId = fromConfig ? fromConfig.id : catalogModelId(options.model!, knowledge);
    const precision = options.quantization ?? fromConfig?.precisions[0]?.precision ?? 'bf16';
    const gpuId = catalogGpuId(options.gpu, knowledge);
    const maxPerNode = knowledge.gpus.find((gpu) => gpu.id === gpuId)!.maxPerNode;
    const { traffic, assumed } = trafficOf(options, knowledge);
    const configAt = (tensorParallel: number) => ({
      modelId,
      gpuId,
      tensorParallel,
      gpuCount: options.gpuCount ?? tensorParallel,
      precision,
      ...traffic,
    });
    const shapeOf = (tensorParallel: number, chosen: boolean) =>
      `${modelId} (${precision}) on ${options.gpuCount ?? tensorParallel}× ${gpuId}, TP ${tensorParallel}${chosen ? ' (the smallest it fits at)' : ''}, ${traffic.promptTokens} → ${traffic.outputTokens} tokens`;
    const assumedLines = assumed === null ? [] : [`Assumed: ${assumed}`];
    if (options.batch !== undefined) {
      // A chat request has its chat template rendered on the API server before the engine sees it (`chatStream`).
      const chatStream = callsChat(options.api);
      const requests = options.batch;
      // Sent over time, the gaps between sends are Poisson's, as `vllm bench serve --request-rate` draws them.
      const {
        result: batch,
        tensorParallel,
        chosen,
      } = atTensorParallel(options, maxPerNode, (tp) =>
        predictBatch({ ...configAt(tp), requests, chatStream, arrivalRatePerSec: options.rate }, knowledge),
      );
      if (!batch.ok) throw new InfeasibleConfigurationError(batch.reason);
      const sent = sentOverTime ? `sent at ${options.rate} req/s (Poisson)` : 'at once';
      const title = `${shapeOf(tensorParallel, chosen)}, ${requests.toLocaleString('en-US')} requests ${sent} over the ${chatStream ? 'chat completions' : 'completions'} API`;
      writeLine(
        context.io.stdout,
        options.json
          ? JSON.stringify({ ...batchPredictionJson(batch.prediction), tensorParallel, ...traffic, assumed })
          : [formatBatch(batch.prediction, title), ...assumedLines].join('\n'),
      );
      return;
    }
    const load =
      options.rate !== undefined
        ? ({ kind: 'rate', value: options.rate } as const)
        : ({ kind: 'concurrency', value: options.concurrency! } as const);
    const { result, tensorParallel, chosen } = atTensorParallel(options, maxPerNode, (tp) =>
      predictPerformance({ ...configAt(tp), load }, knowledge),
    );
    if (!result.ok) throw new InfeasibleConfigurationError(result.reason);
    const config = configAt(tensorParallel);
    const slo = sloOf(options);
    const withinSlo = slo && maxRateWithinSlo(config, slo, knowledge);
    const maxRpsWithinSlo = withinSlo ? (withinSlo.ok ? withinSlo.requestsPerSec : 0) : undefined;
    const title = `${shapeOf(tensorParallel, chosen)} at ${load.kind === 'rate' ? `${load.value} req/s` : `${load.value} concurrent clients`}`;
    const json = {
      ...predictionJson(result.prediction),
      ...(maxRpsWithinSlo === undefined ? {} : { maxRpsWithinSlo }),
      tensorParallel,
      ...traffic,
      assumed,
    };
    const text = [
      formatPrediction(result.prediction, title),
      ...(maxRpsWithinSlo === undefined
        ? []
        : [`Highest rate within the given SLOs: ${maxRpsWithinSlo.toFixed(2)} req/s`]),
      ...assumedLines,
    ].join('\n');
    writeLine(context.io.stdout, options.json ? JSON.stringify(json) : text);
    if (options.chart !== undefined) {
      const png = chartPng(
        configurationChart(config, knowledge, {
          basis: result.prediction.basis,
          slo: { ttftP95Ms: options.sloTtftMs ?? null, itlP95Ms: options.sloItlMs ?? null },
        }),
      );
      await writeFile(options.chart, png);
      // Stdout stays the prediction alone (--json readers parse it); the note goes where progress goes.
      writeLine(context.io.stderr, `Chart written to ${options.chart}`);
    }
  });
}
