/**
 * Pipeline parallelism in vLLM's engine core: with pipeline_parallel_size PP, EngineCore keeps PP micro-batches in
 * flight (step_with_batch_queue, a batch queue of PP) and builds each with its own Scheduler.schedule() call, under a
 * token budget of its own (max_num_batched_tokens). So while one micro-batch's prefill chunk runs on one stage,
 * another's runs on the next: a round of the pipeline clears PP full chunks.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { buildDeployment, systemFor } from '../../src/planner/deployment.js';
import { solveAtRate } from '../../src/planner/serving.js';
import { stageStepSec, stepFixedSec } from '../../src/planner/step-time.js';
import { A100_80GB, LLAMA_70B } from './fixtures.js';

const workload = { promptTokens: 1000, outputTokens: 200, promptCv: 0, outputCv: 0 };

function operatingPoint(pipelineStages: number, rate: number) {
  const built = buildDeployment(LLAMA_70B, A100_80GB, 2 * pipelineStages, 2, 'bf16');
  if (!built.ok) throw new Error(built.reason);
  const { deployment } = built;
  expect(deployment.parallel.pipelineParallel).toBe(pipelineStages);
  const sys = systemFor(deployment, DEFAULT_FACTORS, workload);
  const point = solveAtRate(sys, rate);
  if (point === null) throw new Error('no steady state');
  return { g: deployment.geometry, point };
}

describe('pipeline parallelism: one prefill chunk per micro-batch in flight', () => {
  it("a prompt's prefill service is its share of a round that clears PP full chunks in PP full stage steps", () => {
    const rate = 1;
    const { g, point } = operatingPoint(2, rate);
    const context = workload.promptTokens + workload.outputTokens / 2;
    const fullStageSec = stageStepSec(
      g,
      DEFAULT_FACTORS,
      point.batchSeen / 2,
      context,
      point.chunkRoom,
      workload.promptTokens / 2,
    );
    const roundSec = 2 * fullStageSec + stepFixedSec(g, DEFAULT_FACTORS);
    const service = (workload.promptTokens * roundSec) / (2 * point.chunkRoom);
    expect(point.prefillUtilization).toBeCloseTo(rate * service, 9);
  });

  it('two stages of TP2 prefill about twice as fast as one TP2 stage holding every layer', () => {
    // Each stage runs half the layers, so a chunk takes half the time on it, and the two stages work on two chunks at
    // once: twice the prompt tokens a second on twice the GPUs (one chunk per round would make it 4/3 of it).
    const rate = 1;
    const staged = operatingPoint(2, rate).point.prefillUtilization;
    const single = operatingPoint(1, rate).point.prefillUtilization;
    expect(staged / single).toBeGreaterThan(0.45);
    expect(staged / single).toBeLessThan(0.6);
  });
});
