import { describe, expect, it } from 'vitest';
import {
  API_SERVER_SEC_PER_CHAT_REQUEST,
  REASONING_STREAM_SEC_PER_TOKEN,
} from '../../src/planner/assumptions.js';
import { type Prediction, predictPerformance } from '../../src/planner/predict.js';
import type { DeploymentConfig, PerformanceInput } from '../../src/planner/schema.js';
import { H100, knowledgeWith, LLAMA_8B } from './fixtures.js';

const knowledge = knowledgeWith();

function predict(input: PerformanceInput): Prediction {
  const result = predictPerformance(input, knowledge);
  if (!result.ok) throw new Error(result.reason);
  return result.prediction;
}

// Short prompts, long answers: the GPU streams far more tokens per second than one parsing API server can.
const chat: DeploymentConfig = {
  modelId: LLAMA_8B.id,
  gpuId: H100.id,
  gpuCount: 1,
  tensorParallel: 1,
  precision: 'bf16',
  promptTokens: 128,
  outputTokens: 512,
};
const light = { kind: 'rate' as const, value: 0.5 };
/** Requests per second one parsing API server takes in and streams `outputTokens` each for. */
const capOf = (outputTokens: number) =>
  1 / (API_SERVER_SEC_PER_CHAT_REQUEST + outputTokens * REASONING_STREAM_SEC_PER_TOKEN);

describe('API-server token cap (reasoning parser)', () => {
  it('caps capacity at the requests one API server takes in and streams', () => {
    const plain = predict({ ...chat, load: light });
    const parsed = predict({ ...chat, engine: { reasoningParser: true }, load: light });
    const cap = capOf(chat.outputTokens);
    expect(plain.capacityRequestsPerSec).toBeGreaterThan(1.5 * cap);
    expect(parsed.capacityRequestsPerSec).toBeLessThanOrEqual(cap);
    expect(parsed.capacityRequestsPerSec).toBeGreaterThan(0.99 * cap);
  });

  // gpustack performance lab, Qwen3.5-35B-A3B on one H200 (vLLM 0.17.1, --reasoning-parser qwen3): its runs of
  // 128-token answers stream at most 3,845 output tokens/s (30.0 requests/s), its runs of 2000-token answers
  // 6,900–8,100: each request's intake (parse, chat template) takes the API server's time besides its tokens.
  it('streams fewer tokens per second at its cap the shorter the answers', () => {
    const tokensPerSecAtCap = (outputTokens: number) => {
      const p = predict({ ...chat, outputTokens, engine: { reasoningParser: true }, load: light });
      expect(p.capacityRequestsPerSec).toBeLessThanOrEqual(capOf(outputTokens));
      return p.capacityRequestsPerSec * outputTokens;
    };
    expect(tokensPerSecAtCap(128)).toBeLessThan(0.75 * tokensPerSecAtCap(2000));
  });

  it('splits the streams over --api-server-count processes', () => {
    const one = predict({ ...chat, engine: { reasoningParser: true }, load: light });
    const two = predict({ ...chat, engine: { reasoningParser: true, apiServerCount: 2 }, load: light });
    expect(two.capacityRequestsPerSec).toBeGreaterThan(1.9 * one.capacityRequestsPerSec);
  });

  it('calls an open loop beyond the cap saturated, and leaves light-load latency nearly alone', () => {
    const cap = capOf(chat.outputTokens);
    const beyond = { kind: 'rate' as const, value: 1.2 * cap };
    expect(predict({ ...chat, load: beyond }).saturated).toBe(false);
    expect(predict({ ...chat, engine: { reasoningParser: true }, load: beyond }).saturated).toBe(true);
    const plain = predict({ ...chat, load: light });
    const parsed = predict({ ...chat, engine: { reasoningParser: true }, load: light });
    expect(parsed.itlMs.p50).toBeCloseTo(plain.itlMs.p50, 6);
    // Only the first token's place in its step's batch (a couple of tokens at this load) comes on top.
    expect(parsed.e2eMs.p50 - plain.e2eMs.p50).toBeGreaterThan(0);
    expect(parsed.e2eMs.p50 - plain.e2eMs.p50).toBeLessThan(1);
  });

  it("delays a first token behind its step's other tokens in the API server, more the fuller the batch", () => {
    const cap = capOf(chat.outputTokens);
    const waitMs = (load: { kind: 'rate'; value: number }) => {
      const plain = predict({ ...chat, load });
      const parsed = predict({ ...chat, engine: { reasoningParser: true }, load });
      expect(parsed.evidence.batching.batchSeen).toBeCloseTo(plain.evidence.batching.batchSeen, 6);
      const extra = parsed.ttftMs.mean - plain.ttftMs.mean;
      // On average half the step's batch (the new token's own included) streamed ahead of it.
      const halfBatchMs =
        ((parsed.evidence.batching.batchSeen + 1) / 2) * REASONING_STREAM_SEC_PER_TOKEN * 1e3;
      expect(extra).toBeCloseTo(halfBatchMs, 2);
      return extra;
    };
    const light = waitMs({ kind: 'rate', value: 0.1 * cap });
    const busy = waitMs({ kind: 'rate', value: 0.8 * cap });
    expect(busy).toBeGreaterThan(2);
    expect(busy).toBeGreaterThan(5 * light);
  });
});
