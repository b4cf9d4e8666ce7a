/**
 * vLLM V0 without chunked prefill (--enable-chunked-prefill=False, V0's default up to max_model_len 32K):
 * `Scheduler._schedule_default` (vllm/core/scheduler.py) prefills the waiting prompts in a step of their own and the
 * running sequences decode only in steps that admit nothing; with --num-scheduler-steps k it looks at its queue once
 * per pass of k decode steps. V1 (and V0 with chunked prefill) runs prompt chunks inside decode steps instead.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedEngine, type StepRecord } from '../../simulator/engine.js';
import { VirtualClock } from '../../simulator/virtual-clock.js';
import type { EngineSettings } from '../../src/knowledge/catalog.js';
import { type MeasurementSeries, readMeasurementFiles } from '../../src/knowledge/measurements.js';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { buildDeployment, systemFor } from '../../src/planner/deployment.js';
import type { EngineTiming } from '../../src/planner/engine-timing.js';
import { engineSettingsOf } from '../../src/planner/public-measurements.js';
import { solveAtRate } from '../../src/planner/serving.js';
import { stageStepSec, stepFixedSec } from '../../src/planner/step-time.js';
import { timingFor } from '../simulator/fixtures.js';
import { catalogKnowledge as knowledge } from './catalog-knowledge.js';

const MI300X = knowledge.gpus.find((g) => g.id === 'MI300X')!;
const LLAMA_8B = knowledge.models.find((m) => m.id === 'meta-llama/Llama-3.1-8B-Instruct')!;
const workload = { promptTokens: 1000, outputTokens: 200, promptCv: 1, outputCv: 0.5 };

function deploymentWith(engine: EngineSettings) {
  const built = buildDeployment(LLAMA_8B, MI300X, 1, 1, 'bf16', engine);
  if (!built.ok) throw new Error(built.reason);
  return built.deployment;
}

function pointAt(engine: EngineSettings, rate: number) {
  const deployment = deploymentWith(engine);
  const point = solveAtRate(systemFor(deployment, DEFAULT_FACTORS, workload), rate);
  if (point === null) throw new Error('no steady state');
  return { deployment, point };
}

describe('V0 without chunked prefill: prefill-only steps', () => {
  it('is read from the run flags: off where the serve command turned it off', () => {
    const series = readMeasurementFiles().series.find(
      (s): s is MeasurementSeries =>
        s.id === 'dstack-llama-3.1-405b-fp8-8xmi300x-1fp8-meta-sharegpt-rate-16-32',
    )!;
    expect(series.engine.note).toContain('--enable-chunked-prefill=False');
    expect(engineSettingsOf(series).chunkedPrefill).toBe(false);
    expect(
      deploymentWith({ v0Engine: true, chunkedPrefill: false, schedulerSteps: 15 }).prefillOnlyPass,
    ).toBe(15);
    expect(deploymentWith({ v0Engine: true }).prefillOnlyPass).toBeUndefined();
    expect(deploymentWith({ chunkedPrefill: false }).prefillOnlyPass).toBeUndefined();
  });

  it("makes every decode wait a whole prefill step, not a chunk's share of a mixed step", () => {
    const rate = 4;
    const chunked = pointAt({ v0Engine: true }, rate).point;
    const { deployment, point } = pointAt({ v0Engine: true, chunkedPrefill: false }, rate);
    const g = deployment.geometry;
    const context = workload.promptTokens + workload.outputTokens / 2;
    // The step a decode waits for is the waiting prompts' own step: no decodes in it.
    const prefillStep =
      stageStepSec(g, DEFAULT_FACTORS, 0, context, point.chunkTokens, workload.promptTokens / 2) +
      stepFixedSec(g, DEFAULT_FACTORS);
    expect(point.mixedStepSec - point.decodeStepSec).toBeCloseTo(prefillStep, 9);
    expect(point.meanStepSec).toBeCloseTo(point.decodeStepSec + point.mixedShare * prefillStep, 9);
    expect(point.meanStepSec).toBeGreaterThan(chunked.meanStepSec);
  });

  it('with k scheduler steps admits once a pass: fewer, larger prefill steps, and a new prompt waits half a pass', () => {
    const rate = 4;
    const single = pointAt({ v0Engine: true, chunkedPrefill: false }, rate).point;
    const multi = pointAt({ v0Engine: true, chunkedPrefill: false, schedulerSteps: 8 }, rate).point;
    expect(multi.mixedShare).toBeLessThan(single.mixedShare);
    expect(multi.chunkTokens).toBeGreaterThan(single.chunkTokens);
    expect(multi.stepWaitSec).toBeGreaterThan(3 * single.stepWaitSec);
  });
});

describe('V0 without chunked prefill in the simulated engine', () => {
  const run = (prefillOnlyPass: number | undefined) => {
    const base = timingFor();
    const timing: EngineTiming = {
      ...base,
      stepJitterSigma: 0,
      maxNumBatchedTokens: 4096,
      deployment: { ...base.deployment, prefillOnlyPass },
    };
    const clock = new VirtualClock();
    const steps: StepRecord[] = [];
    const engine = new SimulatedEngine(timing, {
      timeScale: 1,
      seed: 1,
      clock,
      onStep: (s) => steps.push(s),
    });
    const submit = (atMs: number) =>
      clock.at(atMs, () =>
        engine.submit({ promptTokens: 300, outputTokens: 40, onToken: () => {}, onFinish: () => {} }),
      );
    submit(0);
    submit(1);
    // Arrives while the first two decode.
    submit(200);
    clock.run();
    return steps;
  };

  it('runs a late prompt in a step of its own while the running sequences wait', () => {
    const v0 = run(1);
    const late = v0.filter((s) => s.prefillTokens > 0).at(-1)!;
    expect(late).toMatchObject({ prefillTokens: 300, decodeSequences: 0 });
    // V1 order: the same prompt rides in a decode step.
    const v1 = run(undefined);
    expect(v1.filter((s) => s.prefillTokens > 0).at(-1)!.decodeSequences).toBeGreaterThan(0);
  });
});

describe("V0's CUDA/HIP graphs: decode-only steps within max_seq_len_to_capture", () => {
  // vllm/worker/model_runner.py `_use_captured_graph`: decode_only and max_decode_seq_len <= max_seq_len_to_capture.
  it('runs a step that carries prompt tokens eagerly, however few', () => {
    const v0 = deploymentWith({ v0Engine: true }).geometry;
    const v1 = deploymentWith({}).geometry;
    const extra = (g: typeof v0) =>
      stageStepSec(g, DEFAULT_FACTORS, 8, 500, 64, 32) -
      stageStepSec({ ...g, graphsDecodeOnly: false }, DEFAULT_FACTORS, 8, 500, 64, 32);
    expect(extra(v0)).toBeCloseTo(v0.eagerLaunchSec, 12);
    expect(extra(v1)).toBe(0);
  });

  it('runs decodes eagerly past max_seq_len_to_capture (8192 by default, or as the run set it)', () => {
    const g = deploymentWith({ v0Engine: true }).geometry;
    const step = (context: number, geometry = g) => stageStepSec(geometry, DEFAULT_FACTORS, 4, context, 0, 0);
    const uncapped = { ...g, graphMaxDecodeContext: Number.POSITIVE_INFINITY };
    expect(step(8000) - step(8000, uncapped)).toBe(0);
    expect(step(9000) - step(9000, uncapped)).toBeCloseTo(g.eagerLaunchSec, 12);
    const longer = deploymentWith({ v0Engine: true, maxSeqLenToCapture: 16384 }).geometry;
    expect(step(9000, longer) - step(9000, uncapped)).toBe(0);
    expect(deploymentWith({}).geometry.graphMaxDecodeContext).toBe(Number.POSITIVE_INFINITY);
  });
});
