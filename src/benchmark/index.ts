export { kubeBenchmarkCluster } from './cluster.js';
export type { BenchmarkRun } from './job.js';
export {
  BENCHMARK_LABEL,
  benchmarkDeadlineSeconds,
  benchmarkJob,
  benchmarkJobName,
  reportFromLog,
} from './job.js';
export type {
  BenchmarkCluster,
  BenchmarkDeps,
  BenchmarkJob,
  BenchmarkOutcome,
  BenchmarkRequest,
  JobState,
} from './run.js';
export { runBenchmark } from './run.js';
export type { BenchmarkThread } from './slack.js';
export { postBenchmarkResult } from './slack.js';
export type { ComparedLevel } from './summary.js';
export { benchmarkSummaryText, compareLevels } from './summary.js';
export type { BenchmarkBounds, BenchmarkWorkerDeps } from './worker.js';
export { abortableSleep, benchmarkDeploy, benchmarkRunOf } from './worker.js';
