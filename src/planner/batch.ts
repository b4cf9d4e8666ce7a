/**
 * Batch jobs: N requests submitted at once (an offline job, `vllm bench serve --request-rate inf`). Offline jobs are
 * sized by the makespan and the output tokens/s the engine sustains while its queue is never empty, which the
 * steady-state queueing model does not describe: the batch fills to max_num_seqs or the KV pool, prompts wait their
 * turn for admission, and the tail drains at a shrinking batch. So the burst is played step by step through the
 * simulator's vLLM scheduler (FCFS admission, max_num_seqs, KV blocks with preemption, chunked prefill under
 * max_num_batched_tokens) on a virtual clock, each step priced by the planner's step-time model.
 *
 * Lengths are drawn log-normal around the workload's means with its spread (seeded, so a prediction is
 * deterministic) and rescaled so the sample keeps the stated means exactly; ShareGPT replies
 * (`outputTokensShape: 'weibull'`) from the Weibull that matches their published short end (`LengthShape`). Past SIMULATED_REQUESTS the job is in
 * steady state: the rest of it adds (N − simulated) / completion rate to the makespan and, arriving behind the
 * simulated ones, a TTFT that grows linearly with its place in the queue.
 */
import { type SequenceSummary, SimulatedEngine } from '../../simulator/engine.js';
import { normalDraw, seededRandom } from '../../simulator/text.js';
import { VirtualClock } from '../../simulator/virtual-clock.js';
import type { Knowledge } from '../knowledge/catalog.js';
import { API_SERVER_SEC_PER_CHAT_REQUEST } from './assumptions.js';
import type { Calibration } from './calibrate.js';
import { type LengthShape, lognormalFromMean, weibullFromCv } from './distributions.js';
import { type EngineTiming, engineTimingFor } from './engine-timing.js';
import { cachedPromptTokens, cachesPrefixesByDefault } from './prefix-cache.js';
import type { DeploymentConfig } from './schema.js';
import type { LatencyStatsMs } from './serving.js';

/** Share of the KV cache in use beyond which a batch that fills neither max_num_seqs nor its requests counts as KV-bound. */
const KV_FULL = 0.95;

/** Requests played through the scheduler; a longer job continues at the rate these settle into. */
export const SIMULATED_REQUESTS = 2_000;
const SEED = 20_261_206;

export interface BatchInput extends DeploymentConfig {
  /** Requests submitted at once, or, with `arrivalRatePerSec`, in all. */
  requests: number;
  /**
   * An open loop of `requests` prompts sent at this mean rate (`vllm bench serve --num-prompts N --request-rate r`)
   * instead of all at once; the gaps between sends spread by `arrivalCv` (Poisson, 1, when absent). Absent or
   * infinite: a burst.
   */
  arrivalRatePerSec?: number;
  /** Share of each prompt that is a prefix every request shares (system prompt, template); 0 when absent. */
  prefixShare?: number;
  /**
   * The client reads a chat-completions stream and counts every chunk as a token (`vllm bench serve --backend
   * openai-chat`, `async_request_openai_chat_completions` in vllm/benchmarks/lib/endpoint_request_func.py). vLLM's
   * chat stream sends a chunk carrying only the role when a request's first output arrives, then that output's own
   * chunk (`first_iteration` in `chat_completion_stream_generator`, vllm/entrypoints/openai/serving_chat.py): the
   * client takes the first as its first token and the second as one more gap of ~0 ms. So a request of n tokens adds
   * n gaps to the mean ITL, not n − 1 (the pages' 4-token runs report mean ITL = 3/4 of their mean TPOT). A chat
   * request also has its chat template rendered on the API server before it reaches the engine (`preprocessedMs`).
   */
  chatStream?: boolean;
  /**
   * Share of the requests whose first token ends them without text (a base model's end-of-text under greedy
   * sampling); `outputTokens` is the mean over all requests, counting them as 0. vLLM's benchmark client sets a
   * request's TTFT only when a chunk carries text (`async_request_openai_completions` in
   * benchmarks/backend_request_func.py, v0.6), so it reports these with TTFT 0 and 0 output tokens, they add no ITL
   * gap and no TPOT (`calculate_metrics` in benchmarks/benchmark_serving.py), yet each was prefilled like the others.
   */
  emptyOutputShare?: number;
}

export interface BatchPrediction {
  requests: number;
  /** Time from submission until the last request's last token. */
  makespanSec: number;
  requestsPerSec: number;
  outputTokensPerSec: number;
  /** Client-observed time to first token across the job's requests (includes the wait for admission). */
  ttftMs: LatencyStatsMs;
  e2eMs: LatencyStatsMs;
  /**
   * Mean gap between a request's streamed chunks over every gap of the job (what `vllm bench serve` reports as mean
   * ITL): its tokens, and with `chatStream` the role chunk before them (less a harmony reply's silent header).
   */
  itlMeanMs: number;
  /**
   * Per-request mean time per output token, (E2E − TTFT) / (output − 1) averaged over the requests with more than one
   * token (`vllm bench serve`'s mean TPOT): weights every request alike, so the short requests that finish while the
   * batch is full weigh as much as the long ones that finish in the drain.
   */
  tpotMeanMs: number;
  /**
   * Most requests the engine ran at once, and what bounded it ('requests': every request ran at once; 'arrivals': an
   * open loop's prompts ran out or came too slowly to fill either limit).
   */
  peakRunning: number;
  limitedBy: 'kv-cache' | 'max-num-seqs' | 'requests' | 'arrivals';
  /** Requests evicted from the KV cache and recomputed (vLLM's preemption). */
  preemptions: number;
  /** Prompt tokens per request served from the prefix cache (whole KV blocks). */
  cachedPromptTokens: number;
  /** Requests played step by step; the rest extrapolated at the steady completion rate. */
  simulatedRequests: number;
  notes: string[];
}

export type BatchResult = { ok: true; prediction: BatchPrediction } | { ok: false; reason: string };

/**
 * `count` lengths around `mean` with spread `cv`, log-normal or Weibull (`shape`, by inversion: λ(−ln U)^(1/k)),
 * rescaled to that mean, each within [1, max].
 */
function lengths(
  count: number,
  mean: number,
  cv: number,
  max: number,
  random: () => number,
  shape: LengthShape = 'lognormal',
): number[] {
  if (cv <= 0) return Array.from({ length: count }, () => Math.min(Math.max(Math.round(mean), 1), max));
  let raw: number[];
  if (shape === 'weibull') {
    const { k, scale } = weibullFromCv(cv);
    raw = Array.from({ length: count }, () => mean * scale * (-Math.log(1 - random())) ** (1 / k));
  } else {
    const { mu, sigma } = lognormalFromMean(mean, cv);
    raw = Array.from({ length: count }, () => Math.exp(mu + sigma * normalDraw(random)));
  }
  const scale = (mean * count) / raw.reduce((sum, x) => sum + x, 0);
  return raw.map((x) => Math.min(Math.max(Math.round(x * scale), 1), max));
}

function quantileOf(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[at]!;
}

/** Summary statistics of a sample, with `extra(q)` added to each quantile (and its mean to the mean). */
function statsOf(values: number[], extra: (q: number) => number): LatencyStatsMs {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, x) => sum + x, 0) / Math.max(sorted.length, 1);
  return {
    mean: mean + extra(0.5),
    p50: quantileOf(sorted, 0.5) + extra(0.5),
    p90: quantileOf(sorted, 0.9) + extra(0.9),
    p95: quantileOf(sorted, 0.95) + extra(0.95),
    p99: quantileOf(sorted, 0.99) + extra(0.99),
  };
}

function meanTpotMs(finished: readonly SequenceSummary[]): number {
  const tpots = finished
    .filter((s) => s.generatedTokens > 1)
    .map((s) => (s.lastTokenAt! - s.firstTokenAt!) / (s.generatedTokens - 1));
  return tpots.length > 0 ? tpots.reduce((sum, x) => sum + x, 0) / tpots.length : 0;
}

/**
 * A request's summary with the time its client sent it (0 for every request of a burst) and whether it streamed no
 * text (`BatchInput.emptyOutputShare`).
 */
type Sent = SequenceSummary & { sentAtMs: number; emptyOutput: boolean };

/** The TTFT vLLM's benchmark client reports for a request: 0 for one that streamed no text (`BatchInput.emptyOutputShare`). */
const reportedTtftMs = (s: Sent, overheadMs: number): number =>
  s.emptyOutput ? 0 : s.firstTokenAt! - s.sentAtMs + overheadMs;

interface Played {
  summaries: Sent[];
  peakRunning: number;
  preemptions: number;
  /** Highest share of the KV cache's blocks in use after a step. */
  peakKvUsage: number;
}

/**
 * Send times of an open loop's `count` requests at `ratePerSec`, as `vllm bench serve` draws them (`get_request` in
 * vllm/benchmarks/serve.py): the first at 0, then gaps of mean 1 / rate drawn from a gamma distribution whose shape
 * (`--burstiness`, 1 = Poisson) sets their spread, cv = 1 / √shape. Poisson gaps are exponential; other spreads are drawn
 * log-normal with the same mean and cv (their sum over a run, which sets the queue, depends on those two alone).
 */
export function arrivalTimesMs(
  count: number,
  ratePerSec: number,
  cv: number,
  random: () => number,
): number[] {
  const meanGapMs = 1e3 / ratePerSec;
  const spread = cv > 0 && Math.abs(cv - 1) > 1e-9 ? lognormalFromMean(meanGapMs, cv) : null;
  const times: number[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    times.push(at);
    at +=
      cv <= 0
        ? meanGapMs
        : spread !== null
          ? Math.exp(spread.mu + spread.sigma * normalDraw(random))
          : -meanGapMs * Math.log(Math.max(random(), Number.EPSILON));
  }
  return times;
}

function play(
  timing: EngineTiming,
  prompts: number[],
  outputs: number[],
  cached: number,
  preprocessedAtMs: number,
  sentAtMs: readonly number[] | null,
  emptyOutput: (request: number) => boolean,
): Played {
  const clock = new VirtualClock();
  const summaries: Sent[] = [];
  let peakRunning = 0;
  let preemptions = 0;
  let peakKvUsage = 0;
  const engine = new SimulatedEngine(timing, {
    timeScale: 1,
    seed: SEED,
    clock,
    onStep: (step) => {
      peakRunning = Math.max(peakRunning, engine.runningCount);
      preemptions += step.preemptions;
      peakKvUsage = Math.max(peakKvUsage, engine.kvCacheUsage);
    },
  });
  // Once the API server has preprocessed the burst (`preprocessedAtMs`), it tokenizes the prompts one after another
  // (the calibrated `tokenizeUsPerToken`): each reaches the engine once it and every prompt before it are tokenized.
  // An open loop's request is tokenized once it is sent and the prompts sent before it are tokenized.
  let tokenizedAtMs = preprocessedAtMs;
  for (const [i, promptTokens] of prompts.entries()) {
    const sent = sentAtMs?.[i] ?? 0;
    tokenizedAtMs = Math.max(tokenizedAtMs, sent) + promptTokens * timing.factors.tokenizeUsPerToken * 1e-3;
    clock.at(tokenizedAtMs, () =>
      engine.submit({
        promptTokens,
        outputTokens: outputs[i]!,
        // The first request fills the prefix cache; the others find the prefix there.
        cachedPromptTokens: i === 0 ? 0 : Math.min(cached, Math.max(promptTokens - 1, 0)),
        onToken: () => {},
        onFinish: (summary) => summaries.push({ ...summary, sentAtMs: sent, emptyOutput: emptyOutput(i) }),
      }),
    );
  }
  clock.run();
  return { summaries, peakRunning, preemptions, peakKvUsage };
}

/** gpt-oss chats in OpenAI's harmony format: vLLM renders and parses it with openai_harmony, not a Jinja template. */
function streamsHarmony(timing: EngineTiming): boolean {
  return timing.deployment.model.family === 'gpt-oss';
}

/**
 * Tokens a harmony reply opens with that stream no chunk: `<|channel|>` and the channel's name. vLLM's chat stream
 * feeds each output to the harmony parser, which knows no channel until the header ends at `<|message|>`; an output
 * with no current channel makes no delta and no chunk is sent for it (`use_harmony` in
 * `chat_completion_stream_generator`, vllm/entrypoints/openai/serving_chat.py, v0.10.2–0.11). The client sees the role
 * chunk with the first token, then nothing until the third. The gpustack performance lab's 4-token gpt-oss bursts
 * (vLLM 0.11) show it: mean ITL 1.5× the mean TPOT (3 steps over 2 gaps) where a Jinja model's is 0.75× (3 over 4).
 */
const HARMONY_HEADER_TOKENS = 2;

/**
 * Tokens a harmony reply's passage from its analysis message to its final message streams no chunk for: `<|end|>`,
 * which closes the analysis message and leaves the parser with no current channel, then the final message's header
 * `<|start|>assistant<|channel|>final` (the header of a message the model writes itself: openai/harmony
 * docs/format.md, "Reasoning" and "Chain of thought"). `<|message|>` ends the header: the parser is then in the final
 * channel and vLLM sends a chunk, even with empty content (`use_harmony` in `chat_completion_stream_generator`,
 * serving_chat.py, v0.10.2–0.11). The analysis content itself streams, as `reasoning_content` deltas, and `vllm bench
 * serve` times every chunk that has `choices`, whatever its delta holds (`async_request_openai_chat_completions`,
 * vllm/benchmarks/lib/endpoint_request_func.py), so only these control tokens are silent. gpt-oss reasons before it
 * answers; a reply long enough to hold both messages pays 2 + 5 silent tokens. The gpustack performance lab's ~100-token
 * gpt-oss bursts (vLLM 0.11) show it: their mean ITL is 1.04–1.06 their mean TPOT, (n − 1) token gaps over n − 6 to
 * n − 8 chunk gaps, where a Jinja model's is 0.99.
 */
const HARMONY_FINAL_HEADER_TOKENS = 5;

/**
 * The shortest harmony reply that reaches its final message: `<|channel|>analysis<|message|>`, one analysis token,
 * `<|end|>`, `<|start|>assistant<|channel|>final<|message|>` and one token of the answer.
 */
const HARMONY_FINAL_MIN_TOKENS = 3 + 1 + 1 + HARMONY_FINAL_HEADER_TOKENS + 1;

/** Tokens of a harmony reply of `generated` tokens that stream no chunk (see HARMONY_HEADER_TOKENS). */
function harmonySilentTokens(generated: number): number {
  return generated >= HARMONY_FINAL_MIN_TOKENS
    ? HARMONY_HEADER_TOKENS + HARMONY_FINAL_HEADER_TOKENS
    : HARMONY_HEADER_TOKENS;
}

/**
 * Time the API server spends on a chat burst before any of its requests reaches the engine: every other request's
 * preprocessing (API_SERVER_SEC_PER_CHAT_REQUEST each; this request's own is in the calibrated request overhead).
 * vLLM's OpenAI server runs every request's handler on one asyncio event loop per `--api-server-count` process, first
 * come, first served. In v0.11 the handler parses and validates the request and renders its chat template
 * (`apply_hf_chat_template` in `_preprocess_chat`, vllm/entrypoints/openai/serving_engine.py) on the loop, then
 * suspends on the tokenizer thread (`AsyncMicrobatchTokenizer`); a burst's handlers all run that far before the first
 * resumes to hand its prompt to the engine (`AsyncLLM.add_request`). Later releases render in the renderer's thread
 * pool (`_apply_chat_template_async` in vllm/renderers/hf.py), whose single worker (`--renderer-num-workers` 1) also
 * tokenizes: a request's tokenization queues behind every render submitted before it, so again the whole burst is
 * rendered first. The gpustack pages' 128-token bursts show it: TTFT mean − half the prefill's spread ≈ 5–17 s for 1000
 * requests, and a TPOT of one full prefill chunk a step, the engine holding the whole burst at once. gpt-oss renders
 * with openai_harmony (Rust; `_make_request_with_harmony` in serving_chat.py), not a Jinja template: its pages' bursts
 * show ~1–2 ms a request, left out here; a completions request renders no template.
 */
function preprocessedMs(input: BatchInput, timing: EngineTiming): number {
  // An open loop's requests reach the server one by one, each rendered as it comes (its own time is in the overhead).
  if (!input.chatStream || streamsHarmony(timing) || sendsOverTime(input)) return 0;
  const servers = input.engine?.apiServerCount ?? 1;
  return ((input.requests - 1) * API_SERVER_SEC_PER_CHAT_REQUEST * 1e3) / servers;
}

/** Whether the requests are sent at a finite rate rather than all at once. */
function sendsOverTime(input: BatchInput): boolean {
  return input.arrivalRatePerSec !== undefined && Number.isFinite(input.arrivalRatePerSec);
}

interface Simulated {
  timing: EngineTiming;
  simulated: number;
  cached: number;
  played: Played;
  /** Requests that produced their first and last tokens. */
  finished: Sent[];
}

/** Plays the first SIMULATED_REQUESTS of a burst through the scheduler. */
function simulateBurst(
  input: BatchInput,
  knowledge: Knowledge,
  calibration: Calibration | undefined,
): { ok: true; run: Simulated } | { ok: false; reason: string } {
  const resolved = engineTimingFor(input, knowledge, calibration);
  if (!resolved.ok) return resolved;
  const timing = resolved.timing;
  const longest = input.promptTokens + input.outputTokens;
  if (longest > timing.maxModelLen) {
    return {
      ok: false,
      reason: `a ${Math.round(longest)}-token request exceeds the ${timing.maxModelLen} tokens this replica holds (max_model_len)`,
    };
  }
  const simulated = Math.min(input.requests, SIMULATED_REQUESTS);
  const random = seededRandom(SEED);
  const prompts = lengths(
    simulated,
    input.promptTokens,
    input.promptTokensCv ?? 0,
    timing.maxModelLen - 1,
    random,
  );
  // The requests that stream no text are spread evenly through the run: floor(i · share) of them come before request i.
  const emptyBefore = (i: number) => Math.floor(i * (input.emptyOutputShare ?? 0));
  const emptyOutput = (i: number) => emptyBefore(i + 1) > emptyBefore(i);
  const streaming = simulated - emptyBefore(simulated);
  const streamingOutputs = lengths(
    streaming,
    (input.outputTokens * simulated) / Math.max(streaming, 1),
    input.outputTokensCv ?? 0,
    Number.MAX_SAFE_INTEGER,
    random,
    input.outputTokensShape,
  );
  const outputs = prompts.map((prompt, i) =>
    emptyOutput(i) ? 1 : Math.min(streamingOutputs[i - emptyBefore(i)]!, timing.maxModelLen - prompt),
  );
  const share = cachesPrefixesByDefault(timing.deployment.model) ? (input.prefixShare ?? 0) : 0;
  const cached = cachedPromptTokens(input.promptTokens, share, timing.blockTokens);
  // The send times draw from their own stream, so a run's lengths are the same sent at once or over time.
  const sentAtMs = sendsOverTime(input)
    ? arrivalTimesMs(simulated, input.arrivalRatePerSec!, input.arrivalCv ?? 1, seededRandom(SEED + 1))
    : null;
  const played = play(timing, prompts, outputs, cached, preprocessedMs(input, timing), sentAtMs, emptyOutput);
  const finished = played.summaries.filter((s) => s.lastTokenAt !== null && s.firstTokenAt !== null);
  return { ok: true, run: { timing, simulated, cached, played, finished } };
}

/**
 * Client-observed TTFT and E2E of every request of a burst of at most SIMULATED_REQUESTS (ms, request overhead
 * included), for callers that mix a burst into a longer run (a closed-loop benchmark starts with one).
 */
export function burstLatenciesMs(
  input: BatchInput,
  knowledge: Knowledge,
  calibration?: Calibration,
): { ok: true; ttftMs: number[]; e2eMs: number[] } | { ok: false; reason: string } {
  const simulated = simulateBurst(
    { ...input, requests: Math.min(input.requests, SIMULATED_REQUESTS) },
    knowledge,
    calibration,
  );
  if (!simulated.ok) return simulated;
  const { finished, timing } = simulated.run;
  const overheadMs = timing.factors.requestOverheadMs;
  return {
    ok: true,
    ttftMs: finished.map((s) => reportedTtftMs(s, overheadMs)),
    e2eMs: finished.map((s) => s.lastTokenAt! - s.sentAtMs + overheadMs),
  };
}

/**
 * Predicts a burst of `input.requests` requests on one replica, with the knowledge's calibration or `calibration`
 * (e.g. one held out from the source being predicted).
 */
export function predictBatch(
  input: BatchInput,
  knowledge: Knowledge,
  calibration?: Calibration,
): BatchResult {
  const simulatedBurst = simulateBurst(input, knowledge, calibration);
  if (!simulatedBurst.ok) return simulatedBurst;
  const { timing, simulated, cached, played, finished } = simulatedBurst.run;
  const overheadMs = timing.factors.requestOverheadMs;
  const endMs = Math.max(...finished.map((s) => s.lastTokenAt!));
  const generated = finished.reduce((sum, s) => sum + s.generatedTokens, 0);
  // A chat stream's role chunk comes with the first token: one more gap per request, of ~0 ms. A harmony stream
  // sends no chunk for its headers' tokens (the opening one, and the final message's after the analysis): their time
  // falls into the next chunk's gap, and a request that ends within the opening one streams nothing after the role
  // chunk.
  const harmony = input.chatStream === true && streamsHarmony(timing);
  const silentOf = (generated: number) => (harmony ? harmonySilentTokens(generated) : 0);
  const streamed = finished.filter((s) => s.generatedTokens > silentOf(s.generatedTokens));
  const decodingMs = streamed.reduce((sum, s) => sum + (s.lastTokenAt! - s.firstTokenAt!), 0);
  const gaps = streamed.reduce(
    (sum, s) => sum + s.generatedTokens - 1 + (input.chatStream ? 1 : 0) - silentOf(s.generatedTokens),
    0,
  );

  // Steady completion rate: the middle half of the completions, clear of the fill and the drain.
  const doneAt = finished.map((s) => s.lastTokenAt!).sort((a, b) => a - b);
  const from = doneAt[Math.floor(doneAt.length / 4)]!;
  const to = doneAt[Math.floor((3 * doneAt.length) / 4)]!;
  const steadyPerMs =
    to > from
      ? (Math.floor((3 * doneAt.length) / 4) - Math.floor(doneAt.length / 4)) / (to - from)
      : simulated / endMs;
  const rest = input.requests - simulated;
  // An open loop's later requests come no faster than it sends them; they queue only where it sends faster than the
  // engine completes.
  const sentPerMs = sendsOverTime(input) ? input.arrivalRatePerSec! / 1e3 : Number.POSITIVE_INFINITY;
  const restMs = rest / Math.min(steadyPerMs, sentPerMs);
  // The q-quantile request of the whole job sits q·rest requests further back in the queue than in the sample.
  const queuedMs = (q: number) => (rest > 0 ? q * rest * Math.max(1 / steadyPerMs - 1 / sentPerMs, 0) : 0);
  const makespanSec = (endMs + restMs + overheadMs) / 1e3;
  const outputTokens = generated + rest * (generated / finished.length);
  const limitedBy =
    played.peakRunning >= simulated
      ? 'requests'
      : played.peakRunning >= timing.maxNumSeqs
        ? 'max-num-seqs'
        : sendsOverTime(input) && played.preemptions === 0 && played.peakKvUsage < KV_FULL
          ? 'arrivals'
          : 'kv-cache';
  const bound = {
    requests: 'all of them',
    'kv-cache': 'KV cache',
    'max-num-seqs': 'max_num_seqs',
    arrivals: 'the arrivals',
  }[limitedBy];
  const notes = [
    `${input.requests.toLocaleString('en-US')} requests ${sendsOverTime(input) ? `sent at ${input.arrivalRatePerSec} req/s` : 'submitted at once'}, played through vLLM's scheduler (max_num_seqs ${timing.maxNumSeqs}, max_num_batched_tokens ${timing.maxNumBatchedTokens}, KV cache ${Math.round(timing.kvBlocks * timing.blockTokens).toLocaleString('en-US')} tokens): at most ${played.peakRunning} ran at once (${bound}).`,
  ];
  if (rest > 0) {
    notes.push(
      `The first ${simulated.toLocaleString('en-US')} requests were simulated step by step; the other ${rest.toLocaleString('en-US')} are counted at the ${(steadyPerMs * 1e3).toFixed(2)} req/s they settled into.`,
    );
  }
  if (played.preemptions > 0) {
    notes.push(
      `${played.preemptions} preemptions: the KV cache ran out and vLLM recomputed evicted requests, which costs throughput.`,
    );
  }
  if (cached > 0) {
    notes.push(
      `${cached} prompt tokens per request come from the prefix cache (whole ${timing.blockTokens}-token blocks of the shared prefix) and are not prefilled again.`,
    );
  }
  return {
    ok: true,
    prediction: {
      requests: input.requests,
      makespanSec,
      requestsPerSec: input.requests / makespanSec,
      outputTokensPerSec: outputTokens / makespanSec,
      ttftMs: statsOf(
        finished.map((s) => reportedTtftMs(s, overheadMs)),
        queuedMs,
      ),
      e2eMs: statsOf(
        finished.map((s) => s.lastTokenAt! - s.sentAtMs + overheadMs),
        queuedMs,
      ),
      itlMeanMs: gaps > 0 ? decodingMs / gaps : 0,
      tpotMeanMs: meanTpotMs(finished),
      peakRunning: played.peakRunning,
      limitedBy,
      preemptions: played.preemptions,
      cachedPromptTokens: cached,
      simulatedRequests: simulated,
      notes,
    },
  };
}
