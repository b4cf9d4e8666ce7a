// SLO monitoring: pure queries, summary, breach detection, advice, digests, outcomes and Block Kit; Prometheus,
// PostgreSQL and the 'compass-monitor' queue at the edges (startMonitoring runs inside `compass worker`).
export type { AdviceInput } from './advice.js';
export {
  Advice,
  capacityAdvice,
  KV_IDLE_BELOW,
  LIGHT_LOAD_SHARE,
  QUEUE_EMPTY_BELOW,
  QUEUEING_FROM,
  WhatIfPrefill,
} from './advice.js';
export type { BreachWindows } from './blocks.js';
export {
  breachBlocks,
  MONITOR_ACTION,
  monitoringErrorBlocks,
  recoveryBlocks,
  sloListBlocks,
  sloSummaryBlocks,
} from './blocks.js';
export type { BreachEvent, BreachPolicy } from './breach.js';
export {
  BreachState,
  DEFAULT_BREACH_POLICY,
  detectBreaches,
  failedChecks,
  INITIAL_BREACH_STATE,
  nextBreachState,
  SloCheck,
  SloEvaluation,
  sloEvaluation,
} from './breach.js';
export type { CollectOptions } from './collect.js';
export { collectMedians, collectObservation, collectUptime } from './collect.js';
export type { DigestCommand, DigestInput, FleetChange, FleetDeploy } from './digest.js';
export {
  currentDeploys,
  DIGEST_USAGE,
  DigestSchedule,
  digestBlocks,
  duePeriod,
  FleetEntry,
  fleetChanges,
  fleetOf,
  LastEvaluation,
  lateAfterMs,
  nextPeriod,
  parseDigestCommand,
  periodStart,
  SloStatus,
  scheduleWords,
  utcMinute,
  Weekday,
} from './digest.js';
export { Observation } from './observation.js';
export type { OutcomeInput } from './outcome.js';
export {
  LatencyFigures,
  MIN_OUTCOME_REQUESTS,
  Outcome,
  observedPoint,
  outcomeOf,
  PredictedFigures,
  replicaAtTraffic,
} from './outcome.js';
export type {
  ClientOptions,
  PrometheusClient,
  PrometheusError,
  PromResult,
  QueryRange,
  Sample,
  Series,
} from './prometheus.js';
export { createPrometheusClient, monitoringUnavailable, prometheusFor } from './prometheus.js';
export type { LatencyMetric, ObservedMetric } from './queries.js';
export {
  DEPLOY_ID_LABEL,
  deploymentQueries,
  deploySelector,
  LATENCY_HISTOGRAMS,
  LabelMatcher,
  latencyBucketRates,
  latencyMeanMs,
  latencyQuantileMs,
  OBSERVED_METRICS,
  renderSelector,
  Selector,
  selectorOf,
  uptimeQueries,
} from './queries.js';
export type { MonitoredDeploy, Observed, SummaryDeps, SummaryPost } from './service.js';
export {
  deployedAtOf,
  deploysNamed,
  observeDeployment,
  postInThread,
  runningDeploys,
  SUMMARY_EVENT,
  summaryMessage,
  summaryPost,
} from './service.js';
export { DEFAULT_MONITOR_SETTINGS, MonitorSettings } from './settings.js';
export type { ChannelSchedule, MonitorState, MonitorStore } from './store.js';
export { createMonitorStore, loadObservedPoints, OBSERVED_POINTS_PER_CONFIG } from './store.js';
export type { ErrorSource, LatencyCheck, SloSummary, SummaryContext } from './summary.js';
export { DEFAULT_ERROR_RATE_TARGET, errorRateOf, latencyChecks, sloSummary } from './summary.js';
export { digestPosts, digestSchedules, monitorStates, outcomes } from './tables.js';
export {
  type BucketInterval,
  histogramOf,
  intervalText,
  LatencyHistogram,
  quantileBucket,
  type SloVerdict,
  sloVerdict,
  VERDICT_MARK,
  withBucket,
} from './verdict.js';
export type { Monitoring, MonitoringDeps, MonitorTuning } from './worker.js';
export { MONITOR_QUEUE, startMonitoring } from './worker.js';
