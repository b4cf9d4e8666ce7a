import { describe, expect, it } from 'vitest';
import { gpuNotation, latency, nodeShare } from '../../src/planner/index.js';

describe('plan notation', () => {
  it('writes one replica, its split, then the replicas', () => {
    expect(gpuNotation({ gpuId: 'L4', tensorParallel: 1, replicas: 1 })).toBe('1× L4');
    expect(gpuNotation({ gpuId: 'L40S', tensorParallel: 1, replicas: 3 })).toBe('1× L40S × 3 replicas');
    expect(gpuNotation({ gpuId: 'H100', tensorParallel: 2, replicas: 3 })).toBe('2× H100 (TP2) × 3 replicas');
    expect(gpuNotation({ gpuId: 'H100', tensorParallel: 8, pipelineParallel: 2, replicas: 1 })).toBe(
      '16× H100 (TP8 × PP2 over 2 nodes)',
    );
    expect(gpuNotation({ gpuId: 'H100', tensorParallel: 4, replicas: null })).toBe('4× H100 (TP4)');
  });

  it('writes latencies in ms under a second and in s from a second on', () => {
    expect(latency(6.74)).toBe('6.7 ms');
    expect(latency(99.96)).toBe('100 ms');
    expect(latency(420.4)).toBe('420 ms');
    expect(latency(999)).toBe('999 ms');
    expect(latency(1000)).toBe('1 s');
    expect(latency(5_840)).toBe('5.8 s');
    expect(latency(58_400)).toBe('58 s');
  });

  it('says when a replica is billed as a share of a larger instance', () => {
    expect(nodeShare(2, { gpus: 8, instanceType: 'p5.48xlarge' })).toBe('2 of an 8-GPU p5.48xlarge');
    expect(nodeShare(8, { gpus: 8, instanceType: 'p5.48xlarge' })).toBeNull();
    expect(nodeShare(1, undefined)).toBeNull();
  });
});
