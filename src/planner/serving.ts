/**
 * Continuous batching in steady state, and the queueing around it.
 *
 * The engine runs steps back to back. A decoding sequence gains one token per step, so by Little's law the mean
 * number decoding is D = λ·(O − 1)·T̄ for arrival rate λ, output length O and mean step time T̄. Prompts are
 * prefilled in chunks of at most max_num_batched_tokens − D tokens that ride in otherwise-decode steps
 * (vLLM V1 chunked prefill): a share m of steps carry a chunk and take T_m, the rest take T_d, and
 * T̄ = (1 − m)·T_d + m·T_m. D, m and the step times depend on T̄, so T̄ is the least fixed point of that map;
 * no fixed point within the KV pool, max_num_seqs or the token budget means the load exceeds capacity.
 *
 * TTFT = request overhead + wait for the running step (and, with async scheduling, the one queued behind it) + wait for
 * prefill work queued ahead + own prefill + (with a reasoning parser) the API server's streaming of the step's other
 * tokens ahead of the first.
 * The prefill queue is G/G/1 (Kingman's mean, Pollaczek–Khinchine's for Poisson arrivals; exponential tail above its atom at zero, the Kingman
 * heavy-traffic shape) with service = the prompt's share of full-budget prefill steps. A closed loop of N clients
 * sees N − 1 others (the arrival theorem), so its queueing terms scale by (N − 1)/N; when N exceeds what the
 * engine can run, the surplus waits for admission, and by Little's law TTFT = N/X − (O − 1)·T̄.
 */
import {
  API_SERVER_SEC_PER_CHAT_REQUEST,
  KV_BLOCK_TOKENS,
  REASONING_STREAM_SEC_PER_TOKEN,
  STEP_JITTER_SIGMA,
} from './assumptions.js';
import {
  combineLognormals,
  itlQuantile,
  type LatencyShape,
  shapeMean,
  shapeQuantile,
} from './distributions.js';
import { type EfficiencyFactors, type StepGeometry, stageStepSec, stepFixedSec } from './step-time.js';

export interface Workload {
  promptTokens: number;
  outputTokens: number;
  /** Leading prompt tokens vLLM's prefix cache already holds: attended to, never prefilled (0 when absent). */
  cachedPromptTokens?: number;
  /** Coefficient of variation of prompt / output lengths across requests (0 = fixed lengths). */
  promptCv: number;
  outputCv: number;
  /** Coefficient of variation of the gaps between arrivals: 1 (Poisson) when absent, 0 for evenly spaced ones. */
  arrivalCv?: number;
}

export interface ServingSystem {
  geometry: StepGeometry;
  factors: EfficiencyFactors;
  workload: Workload;
  /** Most sequences running at once: max_num_seqs, or what the KV pool holds at mean occupancy. */
  maxRunning: number;
  maxRunningLimitedBy: 'kv-cache' | 'max-num-seqs';
  /** max_num_batched_tokens: tokens one step may carry. */
  tokenBudget: number;
  /** API-server CPU work over all API servers (zero where the model has no such cap). */
  apiServer: ApiServerCost;
  /** --async-scheduling: a new request joins the step after the one already queued (see `pipelinedWaitSec`). */
  asyncScheduling: boolean;
  /**
   * 0 where prefills ride in decode steps as chunks (V1; V0 with chunked prefill). Else vLLM V0 without chunked
   * prefill: `Scheduler._schedule_default` (vllm/core/scheduler.py) schedules the waiting prompts first and, when it
   * admits any, runs them in a step of their own without the running decodes; with --num-scheduler-steps k it
   * schedules once per pass of k decode steps (multi-step, vllm/engine/llm_engine.py), so this is k (1 without it).
   */
  prefillOnlyPass: number;
}

/** API-server (CPU) seconds a request costs: once when it comes in, and once per token it streams. */
export interface ApiServerCost {
  secPerRequest: number;
  secPerToken: number;
}

/**
 * The API server takes in every request (parse, chat template, tokenize) and streams every output token in its own
 * process, pipelined with the engine core: it adds no step time but caps the request rate at
 * 1 / (seconds per request + output tokens · seconds per token), shared over `--api-server-count` processes. Both
 * share one Python event loop under the GIL (the renderer's thread pool included), so they add up. Modelled where a
 * reasoning parser makes the streaming cost show (see REASONING_STREAM_SEC_PER_TOKEN).
 */
export function apiServerCost(engine: { reasoningParser?: boolean; apiServerCount?: number }): ApiServerCost {
  if (!engine.reasoningParser) return { secPerRequest: 0, secPerToken: 0 };
  const servers = engine.apiServerCount ?? 1;
  return {
    secPerRequest: API_SERVER_SEC_PER_CHAT_REQUEST / servers,
    secPerToken: REASONING_STREAM_SEC_PER_TOKEN / servers,
  };
}

export function servingSystem(
  geometry: StepGeometry,
  factors: EfficiencyFactors,
  workload: Workload,
  kvTokens: number,
  maxNumSeqs: number,
  tokenBudget: number,
  stateTokensPerSequence = 0,
  apiServer: ApiServerCost = { secPerRequest: 0, secPerToken: 0 },
  asyncScheduling = false,
  prefillOnlyPass = 0,
): ServingSystem {
  // vLLM grows a sequence's KV block by block, so on average it holds its prompt, half its output, half a block;
  // a hybrid model's sequence also holds its constant recurrent state from the start.
  const held = workload.promptTokens + workload.outputTokens / 2 + KV_BLOCK_TOKENS / 2;
  // Windowed layers keep only the blocks their window reaches: vLLM's SlidingWindowManager (and
  // ChunkedLocalAttentionManager for Llama 4's chunks) frees the blocks behind the window (remove_skipped_blocks), so
  // such a layer holds at most the window plus one block whatever the length.
  // The pool's tokens are counted over every attention layer, so a sequence takes the layer-weighted mean.
  const windowedHeld = Math.min(held, geometry.attentionWindow + KV_BLOCK_TOKENS);
  const share = geometry.windowedLayerShare;
  const occupancy = (1 - share) * held + share * windowedHeld + stateTokensPerSequence;
  const byKv = kvTokens / occupancy;
  return {
    geometry,
    factors,
    workload,
    maxRunning: Math.min(byKv, maxNumSeqs),
    maxRunningLimitedBy: byKv < maxNumSeqs ? 'kv-cache' : 'max-num-seqs',
    tokenBudget,
    apiServer,
    asyncScheduling,
    prefillOnlyPass,
  };
}

/**
 * Extra wait of a new request under async scheduling. vLLM's EngineCore (step_with_batch_queue, a batch queue of two)
 * schedules step k + 1 as soon as step k is on the GPU and only then takes new requests from its input queue, so a
 * request that arrives during step k is first scheduled in step k + 2: one whole (mean) step later than without it.
 */
function pipelinedWaitSec(sys: ServingSystem, meanStepSec: number): number {
  return sys.asyncScheduling ? meanStepSec : 0;
}

/** Steady state at one throughput: everything the latency distributions need. */
export interface OperatingPoint {
  /** Completed requests per second. */
  throughput: number;
  /** Mean sequences decoding, all clients. */
  decoding: number;
  /** Batch a decoding sequence shares a step with (itself included). */
  batchSeen: number;
  decodeStepSec: number;
  mixedStepSec: number;
  meanStepSec: number;
  /** Share of steps a decoding sequence sees carrying a prefill chunk. */
  mixedShare: number;
  chunks: number;
  chunkTokens: number;
  /** Prompt tokens a step can still take after its decodes. */
  chunkRoom: number;
  /** Own prefill time of one prompt: its chunks back to back. */
  prefillSec: number;
  /** Share of prefill capacity in use (M/G/1 utilization). */
  prefillUtilization: number;
  queueWaitProbability: number;
  queueWaitMeanSec: number;
  /** Wait for the decode step in flight when the request arrives. */
  stepWaitSec: number;
  /** Wait for a free slot when more clients than the engine can run (closed loop at capacity). */
  admissionWaitSec: number;
}

/**
 * The state at throughput `rate` if the mean step were `meanStep`: writes it into `out` (when given) and returns the
 * mean step it implies, NaN when that state breaks a capacity limit. `othersShare` is the share of the load a request
 * sees besides itself: 1 for an open loop, (N − 1)/N closed. Allocation-free for the fixed-point search.
 *
 * With PP a prefill chunk rides in one micro-batch: that micro-batch's sequences wait for it at every stage, the last
 * one behind it at one, so decoding sequences see on average (PP + 1)/2 times the chunk's per-stage cost.
 */
function evaluate(
  sys: ServingSystem,
  rate: number,
  meanStep: number,
  othersShare: number,
  out: OperatingPoint | null,
): number {
  const {
    promptTokens,
    outputTokens: O,
    promptCv,
    arrivalCv = 1,
    cachedPromptTokens: cached = 0,
  } = sys.workload;
  // Prefill work is the prompt's uncached part; attention still spans the whole prompt.
  const P = promptTokens - cached;
  // Beyond the requests and tokens the API server gets through, no steady state: its backlog grows.
  if (rate * (sys.apiServer.secPerRequest + O * sys.apiServer.secPerToken) >= 1) return Number.NaN;
  if (sys.prefillOnlyPass > 0) return evaluatePrefillOnly(sys, rate, meanStep, othersShare, out);
  const g = sys.geometry;
  const f = sys.factors;
  const decoding = rate * Math.max(O - 1, 0) * meanStep;
  const prefillPerStep = rate * P * meanStep;
  // Running = decoding + prompts part-way through prefill; each holds a KV slot.
  if (decoding + prefillPerStep / Math.max(P, 1) > sys.maxRunning) return Number.NaN;
  const chunkRoom = sys.tokenBudget - decoding;
  if (chunkRoom < 1 || prefillPerStep > chunkRoom) return Number.NaN;
  const chunks = Math.ceil(P / chunkRoom - 1e-9);
  const seenPrefillPerStep = othersShare * prefillPerStep;
  const chunkTokens = Math.min(Math.max(seenPrefillPerStep, P / chunks), chunkRoom);
  const mixedShare = Math.min(1, seenPrefillPerStep / chunkTokens);
  const others = othersShare * decoding;
  const batchSeen = 1 + others;
  const pp = g.pipelineParallel;
  const perStage = batchSeen / pp;
  const context = promptTokens + O / 2;
  const plain = stageStepSec(g, f, perStage, context, 0, 0);
  const withChunk = stageStepSec(g, f, perStage, context, chunkTokens, cached + P / 2);
  const withFull = stageStepSec(g, f, perStage, context, chunkRoom, cached + P / 2);
  const fixed = stepFixedSec(g, f);
  const chunkShare = (pp + 1) / 2;
  const decodeSec = pp * plain + fixed;
  const mixedSec = pp * plain + chunkShare * (withChunk - plain) + fixed;
  // Prefill capacity: a full-budget step clears chunkRoom prompt tokens; a prompt's share of it is its service. With
  // PP, vLLM keeps PP micro-batches in flight (EngineCore.step_with_batch_queue, a queue of PP batches) and schedules
  // each with its own token budget, so a round of the pipeline can clear PP full chunks, one per micro-batch, each
  // stage running them in turn: PP·chunkRoom prompt tokens in PP full stage steps.
  const fullRoundSec = pp * withFull + fixed;
  const service = (P * fullRoundSec) / (pp * chunkRoom);
  const prefillUtilization = rate * service;
  if (prefillUtilization >= 1) return Number.NaN;
  const meanStepSec = (1 - mixedShare) * decodeSec + mixedShare * mixedSec;
  if (out) {
    const seenUtilization = othersShare * prefillUtilization;
    out.throughput = rate;
    out.decoding = decoding;
    out.batchSeen = batchSeen;
    out.decodeStepSec = decodeSec;
    out.mixedStepSec = mixedSec;
    out.meanStepSec = meanStepSec;
    out.mixedShare = mixedShare;
    out.chunks = chunks;
    out.chunkTokens = chunkTokens;
    out.chunkRoom = chunkRoom;
    out.prefillSec = chunks * (pp * withChunk + fixed);
    out.prefillUtilization = prefillUtilization;
    out.queueWaitProbability = seenUtilization;
    // Kingman's G/G/1 mean wait; with Poisson arrivals (cv 1) it is Pollaczek–Khinchine's M/G/1 mean.
    out.queueWaitMeanSec =
      (seenUtilization * service * (arrivalCv * arrivalCv + promptCv * promptCv)) /
      (2 * (1 - prefillUtilization));
    out.stepWaitSec = (1 - Math.exp(-others)) * (decodeSec / 2 + pipelinedWaitSec(sys, meanStepSec));
    out.admissionWaitSec = 0;
  }
  return meanStepSec;
}

/**
 * `evaluate` for V0 without chunked prefill (`ServingSystem.prefillOnlyPass` = k): the scheduler looks at its queue
 * once per pass of k decode steps, and when prompts wait it prefills all of them together in a step of their own
 * while every running sequence waits (vllm/core/scheduler.py `_schedule_default`: `_schedule_running` only runs when
 * `_schedule_prefills` admitted nothing). A pass lasts k mean steps, so a decoding sequence sees a prefill step after
 * a pass with probability q = 1 − e^(−a) for a = the arrivals of a pass (Poisson; min(a, 1) for evenly spaced ones),
 * carrying a/q prompts; each of its tokens pays that step's whole time q/k of the time, not a chunk's share of a
 * mixed step. A new prompt waits for the pass in flight (half a pass on average) and then for its own batch's step.
 */
function evaluatePrefillOnly(
  sys: ServingSystem,
  rate: number,
  meanStep: number,
  othersShare: number,
  out: OperatingPoint | null,
): number {
  const {
    promptTokens,
    outputTokens: O,
    promptCv,
    outputCv,
    arrivalCv = 1,
    cachedPromptTokens: cached = 0,
  } = sys.workload;
  const P = promptTokens - cached;
  if (P > sys.tokenBudget) return Number.NaN;
  const g = sys.geometry;
  const f = sys.factors;
  const pp = g.pipelineParallel;
  const k = sys.prefillOnlyPass;
  const decoding = rate * Math.max(O - 1, 0) * meanStep;
  if (decoding + 1 > sys.maxRunning) return Number.NaN;
  const others = othersShare * decoding;
  const plain = stageStepSec(g, f, (1 + others) / pp, promptTokens + O / 2, 0, 0);
  const fixed = stepFixedSec(g, f);
  const arrivals = othersShare * rate * k * meanStep;
  // A closed loop of N clients with fixed lengths stays in step (as `requests` in knowledge/measurements.ts says): its
  // N − 1 others arrive together, once a wave, and are prefilled in one step.
  const lockstep = othersShare > 0 && othersShare < 1 && promptCv === 0 && outputCv === 0;
  const othersPerWave = othersShare / (1 - othersShare);
  let q: number;
  if (lockstep) q = Math.min(arrivals / othersPerWave, 1);
  else q = arrivalCv > 0 ? 1 - Math.exp(-arrivals) : Math.min(arrivals, 1);
  const batchPrompts = lockstep ? othersPerWave : q > 0 ? Math.max(arrivals / q, 1) : 1;
  const context = promptTokens + O / 2;
  // Prompts beyond max_num_batched_tokens wait for the next step, again a prefill-only one.
  const prefillStepSec = (tokens: number) => {
    const steps = Math.max(tokens / sys.tokenBudget, 1);
    return steps * (pp * stageStepSec(g, f, 0, context, tokens / steps, cached + P / 2) + fixed);
  };
  const seenPrefillSec = prefillStepSec(batchPrompts * P);
  const decodeSec = pp * plain + fixed;
  const mixedShare = q / k;
  const meanStepSec = decodeSec + mixedShare * seenPrefillSec;
  if (out) {
    const ownPrefillSec = prefillStepSec((1 + (lockstep ? othersPerWave : arrivals)) * P);
    out.throughput = rate;
    out.decoding = decoding;
    out.batchSeen = 1 + others;
    out.decodeStepSec = decodeSec;
    out.mixedStepSec = decodeSec + seenPrefillSec;
    out.meanStepSec = meanStepSec;
    out.mixedShare = mixedShare;
    out.chunks = 1;
    out.chunkTokens = batchPrompts * P;
    out.chunkRoom = sys.tokenBudget;
    out.prefillSec = ownPrefillSec;
    out.prefillUtilization = (mixedShare * seenPrefillSec) / meanStepSec;
    out.queueWaitProbability = 0;
    out.queueWaitMeanSec = 0;
    // In step, a wave arrives as the last one finishes: no pass is in flight.
    out.stepWaitSec = lockstep
      ? 0
      : (1 - Math.exp(-others)) * ((k * decodeSec) / 2 + pipelinedWaitSec(sys, meanStepSec));
    out.admissionWaitSec = 0;
  }
  return meanStepSec;
}

function blankPoint(): OperatingPoint {
  return {
    throughput: 0,
    decoding: 0,
    batchSeen: 0,
    decodeStepSec: 0,
    mixedStepSec: 0,
    meanStepSec: 0,
    mixedShare: 0,
    chunks: 0,
    chunkTokens: 0,
    chunkRoom: 0,
    prefillSec: 0,
    prefillUtilization: 0,
    queueWaitProbability: 0,
    queueWaitMeanSec: 0,
    stepWaitSec: 0,
    admissionWaitSec: 0,
  };
}

/** The state at throughput `rate` if the mean step were `meanStep`; null when that state breaks a capacity limit. */
export function stateAtStep(
  sys: ServingSystem,
  rate: number,
  meanStep: number,
  othersShare: number,
): OperatingPoint | null {
  const out = blankPoint();
  return Number.isNaN(evaluate(sys, rate, meanStep, othersShare, out)) ? null : out;
}

/**
 * Steady state at arrival rate `rate`: the least fixed point of the mean step time. The gap F(T) − T is positive at
 * the idle step time; a scan upward brackets the first crossing and Illinois regula falsi closes in on it. Because F
 * grows with the rate, the mean step of a solution at a lower rate (`below`) is a valid lower bracket and one at a
 * higher rate (`above`) a valid upper bracket. Null when no steady state exists (rate beyond capacity).
 */
export function solveAtRate(
  sys: ServingSystem,
  rate: number,
  othersShare = 1,
  below?: number,
  above?: number,
): OperatingPoint | null {
  let lo = below ?? evaluate(sys, rate, 0, othersShare, null);
  if (Number.isNaN(lo)) return null;
  let gLo = evaluate(sys, rate, lo, othersShare, null) - lo;
  if (Number.isNaN(gLo)) return null;
  if (gLo <= 0) return stateAtStep(sys, rate, lo, othersShare);
  let hi = above !== undefined && above > lo ? above : lo * 1.25;
  let gHi = evaluate(sys, rate, hi, othersShare, null) - hi;
  while (gHi > 0) {
    lo = hi;
    gLo = gHi;
    hi *= 1.5;
    gHi = evaluate(sys, rate, hi, othersShare, null) - hi;
  }
  if (Number.isNaN(gHi)) {
    // Ran into a capacity limit; a crossing may hide just before it.
    let bad = hi;
    for (let i = 0; i < 30 && Number.isNaN(gHi) && bad - lo > 1e-9 * bad; i++) {
      const mid = 0.5 * (lo + bad);
      const g = evaluate(sys, rate, mid, othersShare, null) - mid;
      if (Number.isNaN(g)) bad = mid;
      else if (g <= 0) {
        hi = mid;
        gHi = g;
      } else {
        lo = mid;
        gLo = g;
      }
    }
    if (Number.isNaN(gHi)) return null;
  }
  // Illinois: regula falsi that halves the weight of an end kept twice; the bracket stays [lo: gap > 0, hi: gap ≤ 0].
  let kept = 0;
  for (let i = 0; i < 60 && hi - lo > 1e-6 * hi; i++) {
    const guess = (lo * gHi - hi * gLo) / (gHi - gLo);
    const mid = guess > lo && guess < hi ? guess : 0.5 * (lo + hi);
    const g = evaluate(sys, rate, mid, othersShare, null) - mid;
    if (Number.isNaN(g) || g <= 0) {
      hi = mid;
      gHi = Number.isNaN(g) ? 0 : g;
      if (kept === -1) gLo /= 2;
      kept = -1;
    } else {
      lo = mid;
      gLo = g;
      if (kept === 1) gHi /= 2;
      kept = 1;
    }
    if (Math.abs(g) < 1e-12) break;
  }
  // Return the end closer to the fixed point (regula falsi may converge from one side only).
  const root = Math.abs(gLo) < Math.abs(gHi) ? lo : hi;
  return stateAtStep(sys, rate, root, othersShare);
}

/** Highest arrival rate with a steady state (to 0.1%) under full load, and the operating point there. */
export function capacity(sys: ServingSystem): OperatingPoint {
  const O = sys.workload.outputTokens;
  let lo = 0;
  let loPoint: OperatingPoint | null = null;
  let hi = 1;
  for (let point = solveAtRate(sys, hi); point !== null; point = solveAtRate(sys, hi, 1, point.meanStepSec)) {
    lo = hi;
    loPoint = point;
    hi *= 4;
  }
  for (let i = 0; i < 40 && hi - lo > 1e-3 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    const point = solveAtRate(sys, mid, 1, loPoint?.meanStepSec);
    if (point === null) hi = mid;
    else {
      lo = mid;
      loPoint = point;
    }
  }
  if (loPoint === null) {
    // Even a trickle breaks a limit (a prompt longer than the token room); serve one request at a time.
    const single = solveAtRate(sys, 1e-9);
    if (single === null) throw new Error('serving model: no steady state even at vanishing load');
    const perRequest = single.prefillSec + Math.max(O - 1, 0) * single.meanStepSec;
    return { ...single, throughput: 1 / perRequest };
  }
  return loPoint;
}

export interface ClosedLoopSolution {
  point: OperatingPoint;
  /** More clients than the engine can run: the surplus queues for admission. */
  saturated: boolean;
}

function meanLatencySec(sys: ServingSystem, point: OperatingPoint): number {
  const O = sys.workload.outputTokens;
  return (
    ttftShape(sys, point).fixed +
    point.prefillSec +
    point.queueWaitMeanSec +
    Math.max(O - 1, 0) * point.meanStepSec
  );
}

/**
 * N clients that send the next request as soon as the last completes: throughput X with X·R(X) = N, at most the
 * server's capacity under full load (`cap`).
 */
export function solveClosedLoop(
  sys: ServingSystem,
  clients: number,
  cap?: OperatingPoint,
): ClosedLoopSolution {
  const othersShare = Math.max(clients - 1, 0) / clients;
  const limit = cap ?? capacity(sys);
  const atLimit = solveAtRate(sys, limit.throughput, othersShare) ?? limit;
  if (limit.throughput * meanLatencySec(sys, atLimit) < clients) {
    const cycleSec = clients / limit.throughput;
    const admission = Math.max(cycleSec - meanLatencySec(sys, atLimit), 0);
    return { point: { ...atLimit, admissionWaitSec: admission }, saturated: true };
  }
  let lo = 0;
  let hi = limit.throughput;
  let best = atLimit;
  for (let i = 0; i < 40 && hi - lo > 1e-6 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    const point = solveAtRate(sys, mid, othersShare);
    if (point === null || mid * meanLatencySec(sys, point) >= clients) {
      hi = mid;
      if (point) best = point;
    } else lo = mid;
  }
  return { point: best, saturated: false };
}

/**
 * TTFT as fixed part + length-dependent prefill + queueing wait. The fixed part includes tokenizing the whole prompt
 * (its cached prefix too) on the API server; a steady load keeps that single tokenizer thread nearly idle, so only
 * simultaneous arrivals (a burst, played in batch.ts) queue for it.
 */
export function ttftShape(sys: ServingSystem, p: OperatingPoint): LatencyShape {
  return {
    fixed:
      sys.factors.requestOverheadMs / 1e3 +
      sys.workload.promptTokens * sys.factors.tokenizeUsPerToken * 1e-6 +
      p.stepWaitSec +
      p.admissionWaitSec +
      streamedAmongSec(sys, p),
    variableMean: p.prefillSec,
    variableCv: sys.workload.promptCv,
    waitProbability: p.queueWaitProbability,
    waitMean: p.queueWaitMeanSec,
  };
}

/**
 * Wait of a request's first token in the API server behind the rest of its step's tokens. The API server takes a
 * step's outputs as one batch and streams them one after another (AsyncLLM's output handler, then each stream's
 * generator in the same event loop; `apiServer.secPerToken` each with a reasoning parser), so the new token sits at a
 * uniformly random place among the batchSeen tokens of its step: on average (batchSeen + 1) / 2 tokens' work.
 * A step's batch is done before the next arrives below the API server's cap, so no backlog carries over.
 */
function streamedAmongSec(sys: ServingSystem, p: OperatingPoint): number {
  return (sys.apiServer.secPerToken * (p.batchSeen + 1)) / 2;
}

/** E2E: TTFT plus (O − 1) steps, output length varying across requests. */
export function e2eShape(sys: ServingSystem, p: OperatingPoint): LatencyShape {
  const { outputTokens: O, outputCv, promptCv } = sys.workload;
  const decodeMean = Math.max(O - 1, 0) * p.meanStepSec;
  const variable = combineLognormals([
    { mean: p.prefillSec, cv: promptCv },
    { mean: decodeMean, cv: O > 1 ? (outputCv * O) / (O - 1) : 0 },
  ]);
  return {
    ...ttftShape(sys, p),
    variableMean: variable.mean,
    variableCv: variable.cv,
  };
}

export interface LatencyStatsMs {
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
}

const QUANTILES = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 } as const;
export type Percentile = keyof typeof QUANTILES;

export function shapeMs(shape: LatencyShape, stat: Percentile | 'mean'): number {
  return 1e3 * (stat === 'mean' ? shapeMean(shape) : shapeQuantile(shape, QUANTILES[stat]));
}

export function ttftMs(sys: ServingSystem, p: OperatingPoint, stat: Percentile | 'mean'): number {
  return shapeMs(ttftShape(sys, p), stat);
}

export function e2eMs(sys: ServingSystem, p: OperatingPoint, stat: Percentile | 'mean'): number {
  return shapeMs(e2eShape(sys, p), stat);
}

export function itlMs(sys: ServingSystem, p: OperatingPoint, stat: Percentile | 'mean'): number {
  if (stat === 'mean') return 1e3 * p.meanStepSec;
  const extra = p.mixedStepSec - p.decodeStepSec;
  const cap = p.chunkRoom / p.chunkTokens;
  const cv = sys.workload.promptCv;
  return 1e3 * itlQuantile(p.decodeStepSec, extra, p.mixedShare, STEP_JITTER_SIGMA, cv, cap, QUANTILES[stat]);
}

export function allStats(read: (stat: Percentile | 'mean') => number): LatencyStatsMs {
  return { mean: read('mean'), p50: read('p50'), p90: read('p90'), p95: read('p95'), p99: read('p99') };
}
