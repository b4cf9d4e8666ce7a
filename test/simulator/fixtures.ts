/** The shipped catalog as the simulator sees it on a fresh database, and engine timings built from it. */

import {
  NO_FAULTS,
  type RunningSimulator,
  type SimulatorConfig,
  startSimulator,
} from '../../simulator/server.js';
import type { Knowledge } from '../../src/knowledge/catalog.js';
import { readCatalogFiles } from '../../src/knowledge/data-files.js';
import {
  type EngineTiming,
  type EngineTimingConfig,
  engineTimingFor,
} from '../../src/planner/engine-timing.js';
import type { PlannedOption } from '../../src/planner/index.js';

export const knowledge: Knowledge = { ...readCatalogFiles(), benchmarks: [] };

/** Llama 3.1 8B on one L4: memory-bound decode steps of ~70 ms, so time-scaled steps stay well above timer slop. */
export const L4_LLAMA: EngineTimingConfig = {
  modelId: 'meta-llama/Llama-3.1-8B-Instruct',
  gpuId: 'L4',
  gpuCount: 1,
  tensorParallel: 1,
  precision: 'bf16',
};

export function timingFor(config: EngineTimingConfig = L4_LLAMA): EngineTiming {
  const result = engineTimingFor(config, knowledge);
  if (!result.ok) throw new Error(result.reason);
  return result.timing;
}

/** The timing of one replica of a planned option, as the simulator deployed for it runs. */
export const optionTiming = (option: PlannedOption): EngineTiming =>
  timingFor({
    modelId: option.modelId,
    gpuId: option.gpuId,
    gpuCount: option.gpusPerReplica,
    tensorParallel: option.tensorParallel,
    precision: option.precision,
  });

export const SERVED = 'llama-sim';

export function simulator(overrides: Partial<SimulatorConfig> = {}): Promise<RunningSimulator> {
  return startSimulator({
    host: '127.0.0.1',
    port: 0,
    servedModelName: SERVED,
    modelRoot: L4_LLAMA.modelId,
    timing: timingFor(),
    timeScale: 0.05,
    seed: 7,
    defaultOutputTokens: 12,
    faults: NO_FAULTS,
    ...overrides,
  });
}
