export { EngineSettings } from '../knowledge/catalog.js';
export { OLDEST_VLLM, VLLM_VERSION } from './assumptions.js';
export type { BatchInput, BatchPrediction, BatchResult } from './batch.js';
export { predictBatch, SIMULATED_REQUESTS } from './batch.js';
export type { Calibration, CalibrationSample, FactorFit, FactorsBasis } from './calibrate.js';
export { calibrate, DEFAULT_FACTORS, factorsFor } from './calibrate.js';
export { costPerMillionOutputTokens, HOURS_PER_MONTH, replicaHourlyUsd } from './cost.js';
export type { ErrorBand, GpuFamily, LoadRegion, ModelClass } from './error-bands.js';
export { describeErrorBand, errorBandOf, plusMinusPercent } from './error-bands.js';
export type { MemoryPlan } from './memory.js';
export {
  kvBytesPerToken,
  MAX_MODEL_LEN_KV_SHARE,
  weightBytesPerGpu,
  weightBytesTotal,
} from './memory.js';
export { describeNode, podAllowance, reservedCpu, reservedMemoryGib } from './node-fit.js';
export type { GpuShape } from './notation.js';
export { expertParallelWords, gpuNotation, latency, nodeShare, parallelLabel } from './notation.js';
export type {
  BatchEstimate,
  Evaluation,
  MissedConstraint,
  NearMiss,
  OptionShape,
  P95s,
  Plan,
  PlannedEngine,
  PlannedOption,
  PlanOptions,
  PlanPolicy,
  Scenario,
  SizedOption,
  WhatIfOverrides,
  WhatIfResult,
} from './plan.js';
export {
  AFFORDABLE_COST_MULTIPLE,
  BALANCED_WEIGHTS,
  DEFAULT_TOP,
  deploymentConfigOf,
  describeShape,
  explainMiss,
  gpusPerReplicaOf,
  latencyScore,
  NEAR_BEST_QUALITY_SHARE,
  nodesOf,
  optionId,
  planDeployment,
  SLO_CAPACITY_SHARE,
  sloOf,
  TENSOR_PARALLEL_DEGREES,
  whatIf,
} from './plan.js';
export type { ImplausiblePoint } from './plausibility.js';
export { describeImplausible, implausiblePoints, itlFloorMs } from './plausibility.js';
export type {
  Basis,
  Prediction,
  PredictionEvidence,
  PredictionResult,
  PredictOptions,
  SloCapacityResult,
  SloLimit,
} from './predict.js';
export { calibrationOf, maxRateWithinSlo, predictPerformance, sizeReplicas } from './predict.js';
export { cachedPromptTokens } from './prefix-cache.js';
export { gpusWithVariants, samplesOf, withMeasuredCatalog } from './public-measurements.js';
export { QUALITY_RETENTION, qualityOf } from './quality.js';
export { DeploymentConfig, Load, PerformanceInput, Slo } from './schema.js';
export type { LatencyStatsMs } from './serving.js';
export type { EfficiencyFactors } from './step-time.js';
