import { describe, expect, it } from 'vitest';
import { replicaHourlyUsd } from '../../src/planner/index.js';
import {
  DAEMONSET_RESERVE,
  describeNode,
  instancesFor,
  podAllowance,
  reservedCpu,
  reservedMemoryGib,
} from '../../src/planner/node-fit.js';
import { knowledge, manifestInput, rendered, serverOf } from '../deploy/fixtures.js';

const quantity = (value: string) =>
  value.endsWith('Gi')
    ? Number.parseFloat(value)
    : value.endsWith('m')
      ? Number.parseFloat(value) / 1000
      : Number(value);

describe('node reservations', () => {
  it('follow the GKE / EKS formulas', () => {
    // 6% + 1% + 2 × 0.5% of a 4-core node; 0.25% of each further core.
    expect(reservedCpu(4)).toBeCloseTo(0.08, 9);
    expect(reservedCpu(192)).toBeCloseTo(0.08 + 188 * 0.0025, 9);
    // 25% of 4 GiB + 20% of 4 + 10% of 8, plus the 100 MiB eviction threshold.
    expect(reservedMemoryGib(16)).toBeCloseTo(1 + 0.8 + 0.8 + 0.1, 9);
    expect(reservedMemoryGib(2048)).toBeCloseTo(1 + 0.8 + 0.8 + 112 * 0.06 + 1920 * 0.02 + 0.1, 9);
  });

  it('leave a g6.xlarge less than the 4 CPU a single-GPU pod used to request', () => {
    const l4 = knowledge.gpus.find((gpu) => gpu.id === 'L4')!;
    const [g6] = instancesFor(l4, 1);
    expect(g6).toMatchObject({ instanceType: 'g6.xlarge', vcpus: 4, memoryGib: 16 });
    const allowance = podAllowance(g6!, 1);
    expect(allowance.cpu).toBeCloseTo(4 - 0.08 - DAEMONSET_RESERVE.cpu, 9);
    expect(allowance.cpu).toBeLessThan(4);
    expect(allowance.memoryGib).toBeCloseTo(16 - 2.7 - DAEMONSET_RESERVE.memoryGib, 9);
  });
});

describe('pods that fit the instance they are priced on', () => {
  it("fits every catalog GPU's single-replica pod in its priced instance's allocatable CPU and memory", () => {
    for (const gpu of knowledge.gpus) {
      const input = manifestInput({ gpuTypes: [gpu.id] });
      const { option } = input;
      const { node } = option;
      if (!node) throw new Error(`${option.id}: the plan names no instance`);
      // The plan prices the instance it says the pod fits.
      const perGpu = replicaHourlyUsd(gpu, option.gpusPerReplica) / option.gpusPerReplica;
      const instance = instancesFor(gpu, option.gpusPerReplica).find(
        (i) => i.instanceType === node.instanceType,
      );
      expect(instance?.usdPerGpuHour, option.id).toBeCloseTo(perGpu, 9);
      const allowance = podAllowance(instance!, option.gpusPerReplica);
      const { requests } = serverOf(rendered(input)).resources;
      expect(quantity(requests.cpu!), option.id).toBeLessThanOrEqual(allowance.cpu);
      expect(quantity(requests.memory!), option.id).toBeLessThanOrEqual(allowance.memoryGib);
      expect({ cpu: quantity(requests.cpu!), memoryGib: quantity(requests.memory!) }).toEqual(node.pod);
      // And the plan says so.
      expect(describeNode(node)).toContain(`priced on ${node.instanceType} (${node.vcpus} vCPU`);
      expect(describeNode(node)).toContain(`requests ${node.pod.cpu} CPU and ${node.pod.memoryGib} GiB`);
    }
  });

  it('keeps the weights in the request where the node has room for them', () => {
    const { option } = manifestInput({ gpuTypes: ['H100'], models: ['meta-llama/Llama-3.1-70B-Instruct'] });
    expect(option.node?.pod.memoryGib).toBeGreaterThan((option.engine.weightsGb * 1e9) / 2 ** 30);
  });
});
