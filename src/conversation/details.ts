import type { Knowledge } from '../knowledge/catalog.js';
import { deploymentConfigOf, type PlannedOption } from '../planner/plan.js';
import { predictPerformance } from '../planner/predict.js';
import type { MemoryBreakdown, OptionDetails } from '../slack/blocks/details.js';
import type { DeploymentSpec } from '../spec/schema.js';

/** How one replica's GPU memory is used at the option's load: the prediction's evidence, per GPU. */
export function memoryBreakdown(
  option: PlannedOption,
  spec: DeploymentSpec,
  knowledge: Knowledge,
): MemoryBreakdown | null {
  const gpu = knowledge.gpus.find((candidate) => candidate.id === option.gpuId);
  const predicted = predictPerformance(
    {
      ...deploymentConfigOf(option, spec),
      load: { kind: 'rate', value: Math.max(option.predicted.loadPerReplicaRps, 1e-6) },
    },
    knowledge,
  );
  if (!gpu || !predicted.ok) return null;
  const { memory, engine } = predicted.prediction.evidence;
  const runtimeGb = memory.activationGbPerGpu + memory.nonTorchGbPerGpu;
  const used = memory.weightsGbPerGpu + memory.kvPoolGbPerGpu + runtimeGb;
  return {
    gpuMemoryGb: gpu.memoryGb,
    weightsGb: memory.weightsGbPerGpu,
    kvCacheGb: memory.kvPoolGbPerGpu,
    runtimeGb,
    headroomGb: Math.max(gpu.memoryGb - used, 0),
    gpuMemoryUtilization: engine.gpuMemoryUtilization,
    kvTokens: memory.kvTokens,
    concurrentRequests: memory.requestsAtOnce,
  };
}

/** The Details of one of the conversation's options: the plan's rank, or none for a what-if's choice. */
export function detailsOf(
  option: PlannedOption,
  spec: DeploymentSpec,
  ranked: readonly PlannedOption[],
  knowledge: Knowledge,
): OptionDetails {
  const index = ranked.findIndex((candidate) => candidate.id === option.id);
  return {
    option,
    spec,
    rank: index === -1 ? null : index + 1,
    ranked: ranked.length,
    memory: memoryBreakdown(option, spec, knowledge),
  };
}
