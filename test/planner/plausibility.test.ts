/**
 * Measured points that cannot be true are refused before they calibrate anything: a configuration that does not fit
 * in memory, an inter-token latency below the bandwidth floor, percentiles out of order. A sane point passes.
 */
import { describe, expect, it } from 'vitest';
import type { BenchmarkPoint } from '../../src/knowledge/catalog.js';
import { describeImplausible, implausiblePoints, itlFloorMs } from '../../src/planner/index.js';
import { knowledge } from '../simulator/fixtures.js';

const stats = (p50: number, p95: number, p99 = p95 * 1.1) => ({ mean: p50, p50, p90: p95 * 0.97, p95, p99 });

const point = (overrides: Partial<BenchmarkPoint> = {}): BenchmarkPoint => ({
  modelId: 'meta-llama/Llama-3.1-8B-Instruct',
  gpuId: 'L4',
  gpuCount: 1,
  tensorParallel: 1,
  precision: 'bf16',
  promptTokens: 512,
  outputTokens: 128,
  load: { kind: 'rate', value: 1 },
  ttftMs: stats(140, 210),
  itlMs: stats(58, 66),
  e2eMs: stats(7700, 8600),
  requestsPerSec: 1,
  outputTokensPerSec: 128,
  source: 'report.json',
  ...overrides,
});

describe('implausiblePoints', () => {
  it('passes a point a real L4 serving Llama 3.1 8B gives', () => {
    expect(implausiblePoints([point()], knowledge)).toEqual([]);
  });

  it('refuses Llama 3.1 70B bf16 on one L4: its weights do not fit', () => {
    const refused = implausiblePoints(
      [point(), point({ modelId: 'meta-llama/Llama-3.1-70B-Instruct' })],
      knowledge,
    );
    expect(refused).toHaveLength(1);
    expect(refused[0]!.index).toBe(1);
    expect(refused[0]!.reason).toMatch(/Llama-3\.1-70B-Instruct bf16 on 1× L4 \(TP 1\) cannot run: .*GB/);
  });

  it('refuses an ITL below the time to read the weights once at peak bandwidth', () => {
    const floor = itlFloorMs(point(), knowledge)!;
    // 16 GB of bf16 weights over the L4's 300 GB/s.
    expect(floor).toBeGreaterThan(45);
    expect(floor).toBeLessThan(60);
    const fast = point({ itlMs: stats(5, 6) });
    const [refused] = implausiblePoints([fast], knowledge);
    expect(refused!.reason).toMatch(/ITL of 5\.0 ms is below .* at least \d+\.\d ms per token/);
    // Within the margin of the floor is still believable.
    expect(implausiblePoints([point({ itlMs: stats(floor * 0.95, floor * 1.2) })], knowledge)).toEqual([]);
  });

  it('refuses percentiles out of order, naming them', () => {
    const points = [point({ ttftMs: { mean: 300, p50: 400, p90: null, p95: null, p99: 350 } })];
    const refused = implausiblePoints(points, knowledge);
    expect(describeImplausible(points, refused)).toBe(
      'point 1 (1 req/s): its TTFT p50 (400 ms) is above its p99 (350 ms), which no measurement can give',
    );
  });

  it('refuses a point for a model or GPU the knowledge base does not know', () => {
    const [refused] = implausiblePoints([point({ gpuId: 'Z9' })], knowledge);
    expect(refused!.reason).toMatch(/on 1× Z9 \(TP 1\) cannot run/);
  });
});
