/**
 * A continuous-batching engine over real time, shaped like vLLM V1's scheduler: requests wait in FCFS order, at most
 * max_num_seqs run, each holds whole KV blocks that grow as it generates, and every step spends a token budget of
 * max_num_batched_tokens: one token for each running decode first, then prompt chunks (chunked prefill) for running
 * and newly admitted requests. When the KV pool runs dry the most recently admitted request is preempted: its blocks
 * are freed, but with V1's prefix caching its full blocks keep their content at the back of the free queue (vLLM's
 * KVCacheManager frees them last-in, evicts least recently freed first), so it resumes from them when readmitted
 * unless other allocations evicted them meanwhile; it recomputes only what was evicted. A step lasts what the planner's step-time model says for
 * exactly that batch (`engineStepSec`), with the planner's log-normal jitter, times the time scale.
 *
 * Steps are anchored to a virtual clock that advances by their durations, so timer lateness does not slow the pace;
 * when the host falls behind by more than MAX_LAG_MS the clock re-syncs to now (an overloaded host serves slower).
 */
import { type EngineTiming, engineStepSec } from '../src/planner/engine-timing.js';
import { normalDraw, seededRandom } from './text.js';

export interface EngineClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Runs `callback` after `delayMs` (at the next turn of the event loop when ≤ 0); returns a cancel function. */
  setTimer(callback: () => void, delayMs: number): () => void;
}

export const realClock: EngineClock = {
  now: () => performance.now(),
  setTimer(callback, delayMs) {
    if (delayMs <= 0) {
      const handle = setImmediate(callback);
      return () => clearImmediate(handle);
    }
    const handle = setTimeout(callback, delayMs);
    return () => clearTimeout(handle);
  },
};

const MAX_LAG_MS = 20;

export interface SequenceSummary {
  promptTokens: number;
  generatedTokens: number;
  enqueuedAt: number;
  /** First admitted to the running batch; null when it never ran. */
  scheduledAt: number | null;
  firstTokenAt: number | null;
  lastTokenAt: number | null;
  preemptions: number;
  aborted: boolean;
}

export interface SequenceSpec {
  promptTokens: number;
  /** Tokens to generate before the sequence finishes (≥ 1). */
  outputTokens: number;
  /**
   * Leading prompt tokens found in vLLM's prefix cache (a multiple of the block size, below the prompt length): their
   * blocks are shared with the cache, so they are neither prefilled nor allocated again.
   */
  cachedPromptTokens?: number;
  /** Token `index` (0-based) was generated at `atMs`. */
  onToken(index: number, atMs: number): void;
  onFinish(summary: SequenceSummary): void;
}

export interface StepRecord {
  startMs: number;
  endMs: number;
  decodeSequences: number;
  prefillTokens: number;
  preemptions: number;
}

export interface EngineOptions {
  /** Multiplies every modelled duration: 1 = real time, 0.1 = ten times faster. */
  timeScale: number;
  seed: number;
  clock?: EngineClock;
  onStep?: (step: StepRecord) => void;
}

interface Sequence {
  spec: SequenceSpec;
  /** Tokens whose KV is in the cache (prompt, then fed-back outputs). */
  computed: number;
  generated: number;
  blocks: number;
  /** Blocks of the cached prefix, held by the prefix cache rather than taken from the free pool. */
  sharedBlocks: number;
  /** Preempted: free blocks that still hold this sequence's computed prefix (after its shared blocks). */
  retainedBlocks: number;
  summary: SequenceSummary;
  done: boolean;
}

interface Scheduled {
  seq: Sequence;
  tokens: number;
  /** `computed` before this step. */
  from: number;
}

export class SimulatedEngine {
  private readonly waiting: Sequence[] = [];
  private readonly running: Sequence[] = [];
  private freeBlocks: number;
  /** Preempted sequences whose freed blocks still hold their KV, least recently preempted (evicted first) first. */
  private readonly retained: Sequence[] = [];
  private stepping = false;
  /** V0 multi-step: decode steps run since the scheduler last looked at its queue (see `scheduleV0`). */
  private decodeStepsInPass = 0;
  /** When the step in flight began and ended (−∞ before the first): see `admissionCutoffMs`. */
  private lastStepStartMs = Number.NEGATIVE_INFINITY;
  private lastStepEndMs = Number.NEGATIVE_INFINITY;
  private virtualNowMs = Number.NEGATIVE_INFINITY;
  private cancelStep: (() => void) | null = null;
  private idleWaiters: (() => void)[] = [];
  private readonly random: () => number;
  private readonly clock: EngineClock;

  constructor(
    private readonly timing: EngineTiming,
    private readonly options: EngineOptions,
  ) {
    this.freeBlocks = timing.kvBlocks;
    this.random = seededRandom(options.seed);
    this.clock = options.clock ?? realClock;
  }

  get runningCount(): number {
    return this.running.length;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Share of KV blocks in use, 0–1 (vllm:kv_cache_usage_perc). */
  get kvCacheUsage(): number {
    return 1 - this.freeBlocks / this.timing.kvBlocks;
  }

  get idle(): boolean {
    return this.running.length === 0 && this.waiting.length === 0;
  }

  /** Resolves once nothing is running or waiting. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  submit(spec: SequenceSpec): { abort(): void } {
    const cached = spec.cachedPromptTokens ?? 0;
    const sharedBlocks = Math.floor(cached / this.timing.blockTokens);
    const seq: Sequence = {
      spec,
      computed: sharedBlocks * this.timing.blockTokens,
      generated: 0,
      blocks: sharedBlocks,
      sharedBlocks,
      retainedBlocks: 0,
      done: false,
      summary: {
        promptTokens: spec.promptTokens,
        generatedTokens: 0,
        enqueuedAt: this.clock.now(),
        scheduledAt: null,
        firstTokenAt: null,
        lastTokenAt: null,
        preemptions: 0,
        aborted: false,
      },
    };
    this.waiting.push(seq);
    if (!this.stepping) {
      // Like vLLM's engine loop, take every request that arrives in the same turn into the first step.
      this.stepping = true;
      this.cancelStep = this.clock.setTimer(() => {
        this.cancelStep = null;
        this.startStep(Math.max(this.virtualNowMs, this.clock.now()));
      }, 0);
    }
    return { abort: () => this.abort(seq) };
  }

  /** Stops stepping and drops every sequence without finishing it (a crash). */
  halt(): void {
    this.cancelStep?.();
    this.cancelStep = null;
    this.stepping = false;
    this.waiting.length = 0;
    this.running.length = 0;
    this.retained.length = 0;
  }

  private abort(seq: Sequence): void {
    if (seq.done) return;
    this.remove(this.waiting, seq);
    // Its retained KV stays in the free pool, no longer anyone's to resume from.
    if (this.remove(this.retained, seq)) seq.retainedBlocks = 0;
    if (this.remove(this.running, seq)) this.release(seq);
    seq.summary.aborted = true;
    this.finish(seq);
  }

  private remove(list: Sequence[], seq: Sequence): boolean {
    const at = list.indexOf(seq);
    if (at < 0) return false;
    list.splice(at, 1);
    return true;
  }

  private release(seq: Sequence): void {
    this.freeBlocks += seq.blocks - seq.sharedBlocks;
    seq.blocks = seq.sharedBlocks;
  }

  private finish(seq: Sequence): void {
    seq.done = true;
    seq.summary.generatedTokens = seq.generated;
    seq.spec.onFinish(seq.summary);
    if (this.idle) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Tokens still to feed before the next token can be sampled. */
  private need(seq: Sequence): number {
    return seq.spec.promptTokens + seq.generated - seq.computed;
  }

  /**
   * Blocks a sequence of `tokens` computed tokens holds. The pool's blocks are tokens in every attention layer
   * (`kvTokens`); a windowed layer (gpt-oss's sliding-window layers) keeps only its window and the chunk being
   * prefilled: vLLM's hybrid KV cache manager frees the blocks that fall out of the window
   * (SlidingWindowManager.remove_skipped_blocks, vllm/v1/core/single_type_kv_cache_manager.py), so a long
   * sequence takes only the full layers' share of the pool beyond it — what the memory plan counts too
   * (`sequencePoolTokens`, src/planner/memory.ts).
   */
  private blocksFor(tokens: number): number {
    const memory = this.timing.deployment.memory;
    const share = memory?.windowedLayerShare ?? 0;
    const pooled =
      share > 0 ? (1 - share) * tokens + share * Math.min(tokens, memory.windowPeakTokens) : tokens;
    return Math.ceil(pooled / this.timing.blockTokens);
  }

  /** The tokens whose KV `blocks` hold (`blocksFor` inverted), in whole blocks of tokens. */
  private tokensIn(blocks: number): number {
    const memory = this.timing.deployment.memory;
    const share = memory?.windowedLayerShare ?? 0;
    const pooled = blocks * this.timing.blockTokens;
    const peak = memory?.windowPeakTokens ?? Number.POSITIVE_INFINITY;
    const tokens = share > 0 && pooled > peak ? (pooled - share * peak) / (1 - share) : pooled;
    return Math.floor(tokens / this.timing.blockTokens) * this.timing.blockTokens;
  }

  private extraBlocks(seq: Sequence, tokens: number): number {
    return Math.max(this.blocksFor(seq.computed + tokens) - seq.blocks, 0);
  }

  private preempt(seq: Sequence): void {
    const fullTokens = Math.floor(seq.computed / this.timing.blockTokens) * this.timing.blockTokens;
    const fullBlocks = Math.min(this.blocksFor(fullTokens), seq.blocks);
    this.release(seq);
    seq.retainedBlocks = fullBlocks - seq.sharedBlocks;
    seq.computed = Math.min(fullTokens, this.tokensIn(fullBlocks));
    if (seq.retainedBlocks > 0) this.retained.push(seq);
    seq.summary.preemptions += 1;
    this.waiting.unshift(seq);
  }

  /** Free blocks no preempted sequence's KV sits in. */
  private get unheldBlocks(): number {
    return this.freeBlocks - this.retained.reduce((sum, seq) => sum + seq.retainedBlocks, 0);
  }

  /** Takes `count` free blocks, evicting retained KV (oldest preemption first, a sequence's last blocks first). */
  private takeBlocks(count: number): void {
    let evict = count - this.unheldBlocks;
    while (evict > 0 && this.retained.length > 0) {
      const seq = this.retained[0]!;
      const lost = Math.min(evict, seq.retainedBlocks);
      seq.retainedBlocks -= lost;
      seq.computed = this.tokensIn(seq.sharedBlocks + seq.retainedBlocks);
      evict -= lost;
      if (seq.retainedBlocks === 0) this.retained.shift();
    }
    this.freeBlocks -= count;
  }

  /** Readmission of a preempted sequence: its retained blocks are prefix-cache hits, taken back from the free pool. */
  private reclaim(seq: Sequence): void {
    if (seq.retainedBlocks === 0) return;
    this.remove(this.retained, seq);
    this.freeBlocks -= seq.retainedBlocks;
    seq.blocks += seq.retainedBlocks;
    seq.retainedBlocks = 0;
    // vLLM recomputes the last token when every token is cached: it needs its logits.
    seq.computed = Math.min(seq.computed, seq.spec.promptTokens + seq.generated - 1);
  }

  /**
   * vLLM V0 without chunked prefill (`Deployment.prefillOnlyPass` = k): `Scheduler._schedule_default`
   * (vllm/core/scheduler.py) admits waiting prompts first, whole, while they fit max_num_batched_tokens, max_num_seqs
   * and the KV pool, and runs them in a step of their own; only when it admits none do the running sequences decode.
   * With --num-scheduler-steps k it decides once per pass of k decode steps (multi-step scheduling).
   */
  private scheduleV0(pass: number): { batch: Scheduled[]; preemptions: number } {
    const batch: Scheduled[] = [];
    if (this.decodeStepsInPass % pass === 0 || this.running.length === 0) {
      let budget = this.timing.maxNumBatchedTokens;
      while (this.waiting.length > 0 && this.running.length < this.timing.maxNumSeqs) {
        const seq = this.waiting[0]!;
        const restored = {
          ...seq,
          computed: Math.min(seq.computed, seq.spec.promptTokens + seq.generated - 1),
          blocks: seq.blocks + seq.retainedBlocks,
        };
        const tokens = this.need(restored);
        if (tokens > budget) break;
        if (this.extraBlocks(restored, tokens) > this.freeBlocks - seq.retainedBlocks) break;
        this.waiting.shift();
        this.reclaim(seq);
        this.running.push(seq);
        this.allocate(batch, seq, this.need(seq));
        budget -= tokens;
      }
      if (batch.length > 0) {
        this.decodeStepsInPass = 0;
        return { batch, preemptions: 0 };
      }
    }
    let preemptions = 0;
    let index = 0;
    while (index < this.running.length) {
      const seq = this.running[index]!;
      const tokens = this.need(seq);
      const room = this.makeRoom(seq, tokens);
      preemptions += room.preemptions;
      if (!room.fits) break;
      this.allocate(batch, seq, tokens);
      index += 1;
    }
    if (batch.length > 0) this.decodeStepsInPass += 1;
    return { batch, preemptions };
  }

  /** One scheduling pass, vLLM V1 order: running requests first, then admissions if nothing was preempted. */
  private schedule(admitBeforeMs = Number.POSITIVE_INFINITY): { batch: Scheduled[]; preemptions: number } {
    const pass = this.timing.deployment.prefillOnlyPass;
    if (pass !== undefined && pass > 0) return this.scheduleV0(pass);
    const batch: Scheduled[] = [];
    let budget = this.timing.maxNumBatchedTokens;
    let preemptions = 0;
    let index = 0;
    while (index < this.running.length && budget > 0) {
      const seq = this.running[index]!;
      const tokens = Math.min(this.need(seq), budget);
      const room = this.makeRoom(seq, tokens);
      preemptions += room.preemptions;
      if (!room.fits) break;
      this.allocate(batch, seq, tokens);
      budget -= tokens;
      index += 1;
    }
    while (
      preemptions === 0 &&
      budget > 0 &&
      this.waiting.length > 0 &&
      this.running.length < this.timing.maxNumSeqs
    ) {
      const seq = this.waiting[0]!;
      if (seq.summary.enqueuedAt > admitBeforeMs) break;
      // Its retained blocks count as computed and are not free for its own chunk.
      const restored = {
        ...seq,
        computed: Math.min(seq.computed, seq.spec.promptTokens + seq.generated - 1),
        blocks: seq.blocks + seq.retainedBlocks,
      };
      const tokens = Math.min(this.need(restored), budget);
      if (this.extraBlocks(restored, tokens) > this.freeBlocks - seq.retainedBlocks) break;
      this.waiting.shift();
      this.reclaim(seq);
      this.running.push(seq);
      this.allocate(batch, seq, Math.min(this.need(seq), budget));
      budget -= tokens;
    }
    return { batch, preemptions };
  }

  /**
   * Frees KV blocks for `tokens` more of a running sequence the way vLLM's scheduler does: it preempts the most
   * recently admitted running request (the queue's tail) until the blocks fit, and the sequence itself when it is the
   * last one left. `fits` is false when the sequence was preempted.
   */
  private makeRoom(seq: Sequence, tokens: number): { fits: boolean; preemptions: number } {
    let preemptions = 0;
    while (this.extraBlocks(seq, tokens) > this.freeBlocks) {
      const victim = this.running.pop()!;
      this.preempt(victim);
      preemptions += 1;
      if (victim === seq) return { fits: false, preemptions };
    }
    return { fits: true, preemptions };
  }

  private allocate(batch: Scheduled[], seq: Sequence, tokens: number): void {
    const extra = this.extraBlocks(seq, tokens);
    this.takeBlocks(extra);
    seq.blocks += extra;
    batch.push({ seq, tokens, from: seq.computed });
  }

  private stepMs(batch: Scheduled[]): { ms: number; decodeSequences: number; prefillTokens: number } {
    let decodeSequences = 0;
    let decodeContext = 0;
    let prefillTokens = 0;
    let prefillContext = 0;
    for (const { seq, tokens, from } of batch) {
      const decoding =
        tokens === 1 && seq.generated > 0 && from === seq.spec.promptTokens + seq.generated - 1;
      if (decoding) {
        decodeSequences += 1;
        decodeContext += from + 1;
      } else {
        prefillTokens += tokens;
        prefillContext += tokens * (from + tokens / 2);
      }
    }
    const { deployment, factors, stepJitterSigma: sigma } = this.timing;
    const sec = engineStepSec(deployment.geometry, factors, {
      decodeSequences,
      decodeContext: decodeSequences > 0 ? decodeContext / decodeSequences : 0,
      prefillTokens,
      prefillContext: prefillTokens > 0 ? prefillContext / prefillTokens : 0,
    });
    // Mean-preserving log-normal jitter, as the planner's ITL distribution assumes.
    const jitter = Math.exp(sigma * normalDraw(this.random) - (sigma * sigma) / 2);
    return { ms: sec * jitter * 1e3 * this.options.timeScale, decodeSequences, prefillTokens };
  }

  /**
   * Latest arrival a step starting at `startMs` can admit. With --async-scheduling vLLM's EngineCore (a batch queue of
   * two) schedules step k + 1 as soon as step k is on the GPU and only then takes new requests, so a request that
   * arrives during step k first runs in step k + 2; without it, or after the engine idled, every arrival so far.
   */
  private admissionCutoffMs(startMs: number): number {
    const backToBack = this.lastStepEndMs === startMs;
    return this.timing.deployment.asyncScheduling && backToBack
      ? this.lastStepStartMs
      : Number.POSITIVE_INFINITY;
  }

  private startStep(startMs: number): void {
    let scheduled = this.schedule(this.admissionCutoffMs(startMs));
    // Nothing admissible in flight: the engine takes the waiting requests at once, as it does when idle.
    if (scheduled.batch.length === 0 && this.waiting.length > 0) scheduled = this.schedule();
    const { batch, preemptions } = scheduled;
    if (batch.length === 0) {
      this.stepping = false;
      return;
    }
    this.stepping = true;
    for (const { seq } of batch) seq.summary.scheduledAt ??= Math.max(startMs, seq.summary.enqueuedAt);
    const { ms, decodeSequences, prefillTokens } = this.stepMs(batch);
    const endMs = startMs + ms;
    this.cancelStep = this.clock.setTimer(() => {
      this.cancelStep = null;
      this.completeStep(batch);
      this.options.onStep?.({ startMs, endMs, decodeSequences, prefillTokens, preemptions });
      const now = this.clock.now();
      this.virtualNowMs = now - endMs > MAX_LAG_MS ? now : endMs;
      this.lastStepStartMs = startMs;
      this.lastStepEndMs = endMs;
      this.startStep(this.virtualNowMs);
    }, endMs - this.clock.now());
  }

  private completeStep(batch: Scheduled[]): void {
    const now = this.clock.now();
    for (const { seq, tokens } of batch) {
      if (seq.done) continue;
      seq.computed += tokens;
      if (this.need(seq) > 0) continue;
      const index = seq.generated;
      seq.generated += 1;
      seq.summary.firstTokenAt ??= now;
      seq.summary.lastTokenAt = now;
      seq.spec.onToken(index, now);
      if (seq.generated >= seq.spec.outputTokens && !seq.done) {
        this.remove(this.running, seq);
        this.release(seq);
        this.finish(seq);
      }
    }
  }
}
