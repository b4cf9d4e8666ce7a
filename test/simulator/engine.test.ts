/**
 * The continuous-batching engine on a virtual clock: exact step timings from the planner's step-time functions,
 * vLLM V1 scheduling (running decodes first, then prompt chunks within the token budget), the max_num_seqs cap, KV
 * blocks with preemption, aborts, and the time scale.
 */
import { describe, expect, it } from 'vitest';
import { type SequenceSummary, SimulatedEngine, type StepRecord } from '../../simulator/engine.js';
import { VirtualClock } from '../../simulator/virtual-clock.js';
import type { EngineTiming } from '../../src/planner/engine-timing.js';
import { decodeStepSec, stageStepSec, stepFixedSec } from '../../src/planner/step-time.js';
import { timingFor } from './fixtures.js';

const exact = (overrides: Partial<EngineTiming> = {}): EngineTiming => ({
  ...timingFor(),
  stepJitterSigma: 0,
  ...overrides,
});

interface Trace {
  tokens: number[];
  summary: SequenceSummary | null;
}

function harness(timing: EngineTiming, timeScale = 1) {
  const clock = new VirtualClock();
  const steps: StepRecord[] = [];
  let maxRunning = 0;
  const engine = new SimulatedEngine(timing, {
    timeScale,
    seed: 1,
    clock,
    onStep: (step) => steps.push(step),
  });
  const submit = (promptTokens: number, outputTokens: number, atMs = 0): Trace => {
    const trace: Trace = { tokens: [], summary: null };
    clock.at(atMs, () => {
      engine.submit({
        promptTokens,
        outputTokens,
        onToken: (index, at) => {
          expect(index).toBe(trace.tokens.length);
          trace.tokens.push(at);
          maxRunning = Math.max(maxRunning, engine.runningCount);
        },
        onFinish: (summary) => {
          trace.summary = summary;
        },
      });
    });
    return trace;
  };
  return { clock, engine, steps, submit, maxRunning: () => maxRunning };
}

describe('simulated engine', () => {
  it('paces a lone request with the planner step times: one prefill step, then one decode step per token', () => {
    const timing = exact();
    const { geometry: g } = timing.deployment;
    const f = timing.factors;
    const { clock, submit } = harness(timing);
    const trace = submit(256, 5);
    clock.run();
    const prefillMs = 1e3 * (stageStepSec(g, f, 0, 0, 256, 128) + stepFixedSec(g, f));
    expect(trace.tokens[0]).toBeCloseTo(prefillMs, 6);
    for (let i = 1; i < 5; i++) {
      // The i-th decode step feeds back token i − 1: the sequence attends to its prompt and i tokens.
      const decodeMs = 1e3 * decodeStepSec(g, f, 1, 256 + i);
      expect(trace.tokens[i]! - trace.tokens[i - 1]!).toBeCloseTo(decodeMs, 6);
    }
    expect(trace.summary).toMatchObject({
      generatedTokens: 5,
      preemptions: 0,
      aborted: false,
      scheduledAt: 0,
    });
  });

  it('runs time-scaled: every duration multiplied by the scale', () => {
    const full = harness(exact());
    const fast = harness(exact(), 0.1);
    const slow = full.submit(300, 4);
    const quick = fast.submit(300, 4);
    full.clock.run();
    fast.clock.run();
    for (let i = 0; i < 4; i++) expect(quick.tokens[i]).toBeCloseTo(slow.tokens[i]! * 0.1, 6);
  });

  it('slows every sequence down as the running batch grows', () => {
    const lone = harness(exact());
    const one = lone.submit(200, 20);
    lone.clock.run();
    const crowd = harness(exact());
    const many = Array.from({ length: 48 }, () => crowd.submit(200, 20));
    crowd.clock.run();
    const gap = (t: Trace) => (t.tokens.at(-1)! - t.tokens[1]!) / (t.tokens.length - 2);
    expect(gap(many[0]!)).toBeGreaterThan(gap(one) * 1.05);
  });

  it('packs several waiting prompts into one step up to the token budget, as vLLM V1 schedules', () => {
    const { clock, submit, steps } = harness(exact({ maxNumBatchedTokens: 2048 }));
    for (let i = 0; i < 3; i++) submit(300, 2);
    clock.run();
    expect(steps[0]).toMatchObject({ prefillTokens: 900, decodeSequences: 0 });
    expect(steps[1]).toMatchObject({ prefillTokens: 0, decodeSequences: 3 });
  });

  it('prefills a prompt longer than the token budget in chunks, the first token after the last chunk', () => {
    const { clock, submit, steps } = harness(exact({ maxNumBatchedTokens: 512 }));
    const trace = submit(1300, 2);
    clock.run();
    expect(steps.slice(0, 3).map((s) => s.prefillTokens)).toEqual([512, 512, 276]);
    expect(trace.tokens[0]).toBeCloseTo(steps[2]!.endMs, 6);
  });

  it('with async scheduling admits a request that arrives during step k in step k + 2; an idle engine at once', () => {
    const async = exact();
    // vLLM 0.19.1 schedules asynchronously by default; the same engine with --no-async-scheduling admits sooner.
    expect(async.deployment.asyncScheduling).toBe(true);
    const base = exact({ deployment: { ...async.deployment, asyncScheduling: false } });
    // The step boundaries of a lone decoding request, and an arrival halfway through its fifth step.
    const alone = harness(base);
    alone.submit(256, 20);
    alone.clock.run();
    const arrivalMs = (alone.steps[4]!.startMs + alone.steps[4]!.endMs) / 2;
    const admittedAt = (timing: EngineTiming) => {
      const { clock, submit } = harness(timing);
      const first = submit(256, 20);
      const late = submit(64, 2, arrivalMs);
      clock.run();
      return [first.summary!.scheduledAt, late.summary!.scheduledAt];
    };
    expect(admittedAt(base)).toEqual([0, alone.steps[5]!.startMs]);
    expect(admittedAt(async)[0]).toBe(0);
    expect(admittedAt(async)[1]).toBeCloseTo(alone.steps[6]!.startMs, 6);
  });

  it('never runs more than max_num_seqs at once; the rest wait their turn', () => {
    const timing = exact({ maxNumSeqs: 4 });
    const { clock, submit, engine, maxRunning } = harness(timing);
    const traces = Array.from({ length: 10 }, () => submit(64, 8));
    clock.run(1);
    expect(engine.runningCount).toBe(4);
    expect(engine.waitingCount).toBe(6);
    clock.run();
    expect(maxRunning()).toBe(4);
    expect(traces.every((t) => t.tokens.length === 8)).toBe(true);
    const queued = traces.map((t) => t.summary!.scheduledAt! - t.summary!.enqueuedAt);
    expect(queued.filter((q) => q > 0)).toHaveLength(6);
  });

  it('preempts the latest request when the KV cache runs dry and recomputes it; every request completes', () => {
    // 12 blocks of 16 tokens: two 64-token prompts fit, but not both grown by 64 tokens.
    const timing = exact({ kvBlocks: 12 });
    const { clock, submit, engine, steps } = harness(timing);
    const first = submit(64, 64);
    const second = submit(64, 64);
    clock.run();
    expect(steps.some((s) => s.preemptions > 0)).toBe(true);
    expect(second.summary!.preemptions).toBeGreaterThan(0);
    expect(first.summary!.preemptions).toBe(0);
    expect([first.tokens.length, second.tokens.length]).toEqual([64, 64]);
    expect(engine.kvCacheUsage).toBe(0);
    expect(engine.idle).toBe(true);
  });

  it('resumes a preempted request from its blocks still in the prefix cache, recomputing only what was evicted', () => {
    // As above: the second request is preempted with 33 tokens generated and 96 computed (6 full blocks); the first
    // then grows by 2 blocks, evicting the second's last two. Readmitted, it finds its 4 prompt blocks cached and
    // recomputes the 32 evicted tokens and its last sampled one: 33 tokens, where recomputing from scratch is 97.
    const timing = exact({ kvBlocks: 12 });
    const { clock, submit, steps } = harness(timing);
    const first = submit(64, 64);
    const second = submit(64, 64);
    clock.run();
    expect(second.summary!.preemptions).toBe(1);
    expect([first.tokens.length, second.tokens.length]).toEqual([64, 64]);
    const prefilled = steps.reduce((sum, s) => sum + s.prefillTokens, 0);
    expect(prefilled).toBe(64 + 64 + 33);
  });

  it('charges a windowed layer only its window, as vLLM’s hybrid KV cache manager does, so more long sequences run', () => {
    // 20 blocks of 16 tokens; 256-token prompts. With every layer in full, one 257-token sequence takes 17 blocks and
    // the two run one after the other. With half the layers windowed (a window and chunk of 48 tokens), it takes
    // 257 / 2 + 48 / 2 ≈ 153 pool tokens, 10 blocks: both run at once (SlidingWindowManager frees the blocks behind
    // the window; the memory plan's `sequencePoolTokens` counts the same).
    const full = exact({ kvBlocks: 20 });
    const memory = { ...full.deployment.memory, windowedLayerShare: 0.5, windowPeakTokens: 48 };
    const windowed = exact({ kvBlocks: 20, deployment: { ...full.deployment, memory } });
    const running = (timing: EngineTiming) => {
      const { clock, submit, steps, maxRunning } = harness(timing);
      const traces = [submit(256, 4), submit(256, 4)];
      clock.run();
      expect(traces.every((t) => t.tokens.length === 4)).toBe(true);
      expect(steps.every((s) => s.preemptions === 0)).toBe(true);
      return maxRunning();
    };
    expect(running(full)).toBe(1);
    expect(running(windowed)).toBe(2);
  });

  it('resumes a preempted windowed sequence from the tokens its retained blocks hold, not from their count', () => {
    // 24 blocks, half the layers windowed at 48 tokens: a 364-token sequence takes 13 blocks, so the second request is
    // preempted while the first grows.
    const base = exact({ kvBlocks: 24 });
    const memory = { ...base.deployment.memory, windowedLayerShare: 0.5, windowPeakTokens: 48 };
    const timing = exact({ kvBlocks: 24, deployment: { ...base.deployment, memory } });
    const { clock, submit, steps } = harness(timing);
    const first = submit(64, 300);
    const second = submit(64, 300);
    clock.run();
    expect([first.tokens.length, second.tokens.length]).toEqual([300, 300]);
    expect(second.summary!.preemptions).toBeGreaterThan(0);
    const prefilled = steps.reduce((sum, s) => sum + s.prefillTokens, 0);
    // Readmitted, it resumes from the tokens its retained blocks hold (161 tokens prefilled in all); reading those
    // blocks as 16 tokens each, as a full-attention pool may, would lose about half its prefix (289).
    expect(prefilled).toBeLessThan(64 + 64 + 64);
  });

  it('frees an aborted request’s KV blocks at once and tells its owner', () => {
    const { clock, engine } = harness(exact());
    let finished: SequenceSummary | null = null;
    const handle = engine.submit({
      promptTokens: 512,
      outputTokens: 100,
      onToken: () => {},
      onFinish: (summary) => {
        finished = summary;
      },
    });
    clock.run(500);
    expect(engine.kvCacheUsage).toBeGreaterThan(0);
    handle.abort();
    expect(engine.kvCacheUsage).toBe(0);
    expect(engine.idle).toBe(true);
    expect(finished).toMatchObject({ aborted: true });
    clock.run();
  });

  it('reports KV-cache usage as the share of blocks held', () => {
    const timing = exact();
    const { clock, submit, engine } = harness(timing);
    submit(160, 50);
    clock.run(1);
    // 160 prompt tokens = 10 blocks of 16.
    expect(engine.kvCacheUsage).toBeCloseTo(10 / timing.kvBlocks, 12);
  });
});
