/**
 * Measured runs on vLLM's V0 engine (releases before 0.8, or VLLM_USE_V1=0 up to 0.10) are scored with what V0 does
 * differently: its scheduler's Python work per sequence between steps (~100 µs, vllm-project/vllm#6801), paid once per
 * scheduler pass under multi-step scheduling (--num-scheduler-steps), and its batch limit of 256 sequences. They do not
 * calibrate the factors the planner's V1 deployments use.
 */
import { describe, expect, it } from 'vitest';
import type { EngineSettings } from '../../src/knowledge/catalog.js';
import { type MeasurementSeries, readMeasurementFiles } from '../../src/knowledge/measurements.js';
import {
  HOST_SEC_PER_SEQUENCE,
  V0_HOST_SEC_PER_SEQUENCE,
  V0_MAX_NUM_SEQS,
  v0ChunkedTokenBudget,
} from '../../src/planner/assumptions.js';
import { calibrate, DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { buildDeployment } from '../../src/planner/deployment.js';
import { engineSettingsOf } from '../../src/planner/public-measurements.js';
import { decodeStepSec } from '../../src/planner/step-time.js';
import { catalogKnowledge as knowledge } from './catalog-knowledge.js';

const MI300X = knowledge.gpus.find((g) => g.id === 'MI300X')!;
const LLAMA_8B = knowledge.models.find((m) => m.id === 'meta-llama/Llama-3.1-8B-Instruct')!;

function onOneMi300x(engine: EngineSettings) {
  const result = buildDeployment(LLAMA_8B, MI300X, 1, 1, 'bf16', engine);
  if (!result.ok) throw new Error(result.reason);
  return result.deployment;
}

const series = (id: string): MeasurementSeries => {
  const found = readMeasurementFiles().series.find((s) => s.id === id);
  if (!found) throw new Error(`${id} is not measured`);
  return found;
};
const V0_BY_FLAG = series('cmontemuino-llama-3.1-8b-1xmi300x-v0-latency-in128-out1024');

describe("vLLM's V0 engine in measured runs", () => {
  it('is read from the release, or from VLLM_USE_V1=0 in a release that ships both engines', () => {
    expect(V0_BY_FLAG.engine.version).toMatch(/^0\.9\./);
    expect(engineSettingsOf(V0_BY_FLAG).v0Engine).toBe(true);
    expect(engineSettingsOf(series('dstack-llama-3.1-405b-bf16-8xmi300x-short-1x80')).v0Engine).toBe(true);
    expect(
      engineSettingsOf(series('rocm-vllm-0.10.0-llama-3.1-70b-fp8-8xmi300x-latency-in128-out2048')).v0Engine,
    ).toBeUndefined();
  });

  it('does not calibrate the factors, whatever the release says', () => {
    const samples = V0_BY_FLAG.points.map(({ point }) => ({
      point,
      engine: engineSettingsOf(V0_BY_FLAG),
      engineVersion: V0_BY_FLAG.engine.version,
    }));
    expect(calibrate(samples, knowledge.models, knowledge.gpus)).toEqual({ global: null, perGpu: {} });
    const asV1 = samples.map(({ point, engineVersion }) => ({ point, engineVersion }));
    expect(calibrate(asV1, knowledge.models, knowledge.gpus).perGpu.MI300X?.points).toBe(3);
  });

  it("admits V0's 256 sequences a step where the run sets no limit", () => {
    expect(onOneMi300x({ v0Engine: true }).engine.maxNumSeqs).toBe(V0_MAX_NUM_SEQS);
    expect(onOneMi300x({}).engine.maxNumSeqs).toBe(1024);
    expect(onOneMi300x({ v0Engine: true, maxNumSeqs: 1024 }).engine.maxNumSeqs).toBe(1024);
  });

  it("prices V0's host work per sequence: one MI300X's V0 decode grows 3.2 ms from batch 1 to 32", () => {
    // cmontemuino/amd-mi300x-ml-benchmarks, Llama-3.1-8B fp16, 128 → 1024 tokens: 5.64 ms a step at batch 1,
    // 8.80 ms at batch 32 (latency / 1024), mean context 640 tokens.
    const growthMs = (engine: EngineSettings) => {
      const { geometry } = onOneMi300x(engine);
      return (
        (decodeStepSec(geometry, DEFAULT_FACTORS, 32, 640) -
          decodeStepSec(geometry, DEFAULT_FACTORS, 1, 640)) *
        1e3
      );
    };
    const measured = 8.796 - 5.644;
    expect(growthMs({ v0Engine: true }) - growthMs({ asyncScheduling: false })).toBeCloseTo(
      31 * (V0_HOST_SEC_PER_SEQUENCE - HOST_SEC_PER_SEQUENCE) * 1e3,
      9,
    );
    expect(Math.abs(growthMs({ v0Engine: true }) / measured - 1)).toBeLessThan(0.25);
    expect(growthMs({ asyncScheduling: false }) / measured).toBeLessThan(0.6);
    expect(onOneMi300x({ v0Engine: true, asyncScheduling: true }).asyncScheduling).toBeUndefined();
  });

  it('pays that work once per scheduler pass under multi-step scheduling', () => {
    expect(onOneMi300x({ v0Engine: true, schedulerSteps: 15 }).geometry.hostSecPerSequence).toBeCloseTo(
      V0_HOST_SEC_PER_SEQUENCE / 15,
      12,
    );
    expect(onOneMi300x({}).geometry.hostSecPerSequence).toBe(HOST_SEC_PER_SEQUENCE);
    const multiStep = series('dstack-llama-3.1-405b-fp8-8xmi300x-1fp8-amd-sharegpt-rate-16-32');
    expect(engineSettingsOf(multiStep).schedulerSteps).toBe(15);
  });

  it("takes V0's default token budget where the run sets none: max(max_model_len, 2048) unchunked, 512 chunked before 0.6.5", () => {
    // SchedulerConfig.__init__ (vllm/config.py, V0); vllm-project/vllm#10544 raised the chunked default to 2048.
    const unchunked = onOneMi300x({ v0Engine: true, chunkedPrefill: false });
    expect(unchunked.engine.maxNumBatchedTokens).toBe(Math.max(LLAMA_8B.contextWindow, 2048));
    expect(onOneMi300x({ v0Engine: true, schedulerSteps: 15 }).engine.maxNumBatchedTokens).toBe(
      LLAMA_8B.contextWindow,
    );
    expect(
      onOneMi300x({ v0Engine: true, chunkedPrefill: false, maxNumBatchedTokens: 4096 }).engine
        .maxNumBatchedTokens,
    ).toBe(4096);
    expect(v0ChunkedTokenBudget('0.6.3.dev116+g151ef4ef')).toBe(512);
    expect(v0ChunkedTokenBudget('0.6.5')).toBe(2048);
    expect(v0ChunkedTokenBudget('0.9.2')).toBe(2048);
    expect(v0ChunkedTokenBudget(null)).toBe(2048);
    // dstack's BF16 runs chunk by default (max_model_len 131072 > 32K) on 0.6.3: 512 tokens a step.
    expect(
      engineSettingsOf(series('dstack-llama-3.1-405b-bf16-8xmi300x-short-1x80')).maxNumBatchedTokens,
    ).toBe(512);
    // Multi-step runs do not chunk: the budget follows max_model_len (the deployment's), whatever the release.
    const multiStep = series('dstack-llama-3.1-405b-fp8-8xmi300x-1fp8-amd-sharegpt-rate-16-32');
    expect(engineSettingsOf(multiStep).maxNumBatchedTokens).toBeUndefined();
    // Its --max-model-len sets the unchunked budget where the run states one.
    const capped = {
      ...multiStep,
      engine: { ...multiStep.engine, flags: { ...multiStep.engine.flags, maxModelLen: 8192 } },
    };
    expect(engineSettingsOf(capped).maxNumBatchedTokens).toBe(8192);
    // A budget the run states wins.
    expect(
      engineSettingsOf(series('dstack-llama-3.1-405b-fp8-8xh100-1fp8-meta-sharegpt-rate-16-32'))
        .maxNumBatchedTokens,
    ).toBe(512);
  });
});
