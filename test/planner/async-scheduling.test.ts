/**
 * vLLM schedules asynchronously by default from v0.14.0 (vllm/config/vllm.py resolves `async_scheduling=None`), so the
 * planner prices the deployments it renders (vLLM VLLM_VERSION, no --async-scheduling flag) the way that release runs
 * them, and the simulator, which paces its steps with the same deployment, follows.
 */
import { describe, expect, it } from 'vitest';
import { layoutOf } from '../../src/knowledge/architecture.js';
import { ASYNC_HIDDEN_HOST_SHARE, VLLM_VERSION } from '../../src/planner/assumptions.js';
import { asyncSchedulingByDefault } from '../../src/planner/async-scheduling.js';
import { buildDeployment } from '../../src/planner/deployment.js';
import { engineTimingFor } from '../../src/planner/engine-timing.js';
import { type Prediction, predictPerformance } from '../../src/planner/predict.js';
import type { PerformanceInput } from '../../src/planner/schema.js';
import { catalogKnowledge as knowledge } from './catalog-knowledge.js';

const modelOf = (id: string) => {
  const model = knowledge.models.find((m) => m.id === id);
  if (!model) throw new Error(`${id} is not in the catalog`);
  return model;
};
const H100 = knowledge.gpus.find((g) => g.id === 'H100')!;
const DENSE = modelOf('meta-llama/Llama-3.1-8B-Instruct');
const HYBRID = modelOf('Qwen/Qwen3.5-9B');

function built(model = DENSE, gpuCount = 1, tensorParallel = 1, engine = {}) {
  const result = buildDeployment(model, H100, gpuCount, tensorParallel, 'bf16', engine);
  if (!result.ok) throw new Error(result.reason);
  return result.deployment;
}

function predict(input: PerformanceInput): Prediction {
  const result = predictPerformance(input, knowledge);
  if (!result.ok) throw new Error(result.reason);
  return result.prediction;
}

describe("vLLM's default async scheduling", () => {
  it('is on from v0.14.0 and off before it, or when the release is not one', () => {
    expect(asyncSchedulingByDefault('0.13.0', 1)).toBe(false);
    expect(asyncSchedulingByDefault('0.11.2', 1)).toBe(false);
    expect(asyncSchedulingByDefault('0.6.3.post2.dev308+gb489fc3c', 1)).toBe(false);
    expect(asyncSchedulingByDefault('0.14.0', 1)).toBe(true);
    expect(asyncSchedulingByDefault('v0.17.1', 1)).toBe(true);
    expect(asyncSchedulingByDefault(VLLM_VERSION, 1)).toBe(true);
    expect(asyncSchedulingByDefault('1.0.0', 1)).toBe(true);
    expect(asyncSchedulingByDefault('nightly', 1)).toBe(false);
  });

  it('is off for pipeline stages, which Compass runs through the Ray executor', () => {
    expect(asyncSchedulingByDefault(VLLM_VERSION, 2)).toBe(false);
    expect(asyncSchedulingByDefault(VLLM_VERSION, 4)).toBe(false);
  });
});

describe(`the planner's own vLLM ${VLLM_VERSION} deployments`, () => {
  it('price a dense model with async scheduling: its share of the host time hidden', () => {
    const deployment = built();
    expect(deployment.asyncScheduling).toBe(true);
    expect(deployment.geometry.hostShare).toBeCloseTo(1 - ASYNC_HIDDEN_HOST_SHARE, 12);
  });

  it('price a hybrid model with async scheduling too: it runs without prefix caching, and align mode allows it', () => {
    expect(layoutOf(HYBRID.architecture).recurrent).not.toBeNull();
    expect(built(HYBRID).asyncScheduling).toBe(true);
  });

  it('price a replica with pipeline stages without it, and follow --async-scheduling when the settings set it', () => {
    expect(built(DENSE, 2, 1).parallel.pipelineParallel).toBe(2);
    expect(built(DENSE, 2, 1).asyncScheduling).toBeUndefined();
    expect(built(DENSE, 2, 1).geometry.hostShare).toBe(1);
    expect(built(DENSE, 1, 1, { asyncScheduling: false }).asyncScheduling).toBeUndefined();
    expect(built(DENSE, 2, 1, { asyncScheduling: true }).asyncScheduling).toBe(true);
  });

  it('predict what the release does: the same as with --async-scheduling, not as without', () => {
    const input: PerformanceInput = {
      modelId: DENSE.id,
      gpuId: H100.id,
      gpuCount: 1,
      tensorParallel: 1,
      precision: 'bf16',
      promptTokens: 1024,
      outputTokens: 256,
      load: { kind: 'rate', value: 8 },
    };
    const byDefault = predict(input);
    expect(byDefault).toEqual(predict({ ...input, engine: { asyncScheduling: true } }));
    const sync = predict({ ...input, engine: { asyncScheduling: false } });
    // Faster steps; a new request waits behind the step already queued.
    expect(byDefault.itlMs.mean).toBeLessThan(sync.itlMs.mean);
    expect(byDefault.ttftMs.mean).toBeGreaterThan(sync.ttftMs.mean);
  });

  it('pace the simulator with the same deployment (its engine then admits arrivals one step later)', () => {
    const timing = engineTimingFor(
      { modelId: DENSE.id, gpuId: H100.id, gpuCount: 1, tensorParallel: 1, precision: 'bf16' },
      knowledge,
    );
    if (!timing.ok) throw new Error(timing.reason);
    expect(timing.timing.deployment.asyncScheduling).toBe(true);
    expect(timing.timing.deployment.geometry).toEqual(built().geometry);
  });
});
