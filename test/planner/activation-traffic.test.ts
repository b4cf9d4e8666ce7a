import { describe, expect, it } from 'vitest';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { activationBytesPerToken, stageStepSec, stepGeometry } from '../../src/planner/step-time.js';
import { catalogGpu, catalogModel } from './catalog-knowledge.js';

const gptOss = catalogModel('openai/gpt-oss-120b');
const h100 = catalogGpu('H100');
const at = (tensorParallel: number, pipelineParallel = 1) =>
  stepGeometry(gptOss, h100, 'mxfp4', { tensorParallel, pipelineParallel }, 0);
/** Seconds an 8192-token prefill chunk adds to a step (context 3,600 tokens). */
const chunkSec = (g: ReturnType<typeof at>) =>
  stageStepSec(g, DEFAULT_FACTORS, 0, 0, 8192, 3600) - stageStepSec(g, DEFAULT_FACTORS, 0, 0, 0, 0);

describe('activation traffic of the residual adds and norms between the GEMMs', () => {
  it('moves 4 hidden vectors per residual branch and token, whatever the TP', () => {
    // gpt-oss-120b: 36 layers of attention and MoE, two residual branches each, hidden 2880, BF16 activations.
    expect(activationBytesPerToken(gptOss.architecture)).toBe(4 * 72 * 2880 * 2);
    expect(at(1).activationBytesPerToken).toBe(activationBytesPerToken(gptOss.architecture));
    expect(at(8).activationBytesPerToken).toBe(at(1).activationBytesPerToken);
    expect(2 * at(4, 2).activationBytesPerToken).toBe(at(1).activationBytesPerToken);
  });

  // InferenceMAX, gpt-oss-120b 8K/1K prompts on H100 (vLLM 0.11.2, 8192-token budget): the closed loops' first waves
  // queue 64 prompts behind each other at TP2 (TTFT p99 11.1 s) and 16 at TP8 (1.22 s), ~24 and ~10.6 µs per prompt
  // token: TP8 prefills 0.44 of TP2's time per token, where splitting every term fourfold would give 0.25.
  it('keeps a part of a prefill chunk that TP does not split, as the measured TP sweep does', () => {
    const measuredRatio = 10.6 / 24;
    const without = (g: ReturnType<typeof at>) => chunkSec({ ...g, activationBytesPerToken: 0 });
    const withTraffic = chunkSec(at(8)) / chunkSec(at(2));
    expect(Math.abs(withTraffic - measuredRatio)).toBeLessThan(
      Math.abs(without(at(8)) / without(at(2)) - measuredRatio),
    );
  });
});
