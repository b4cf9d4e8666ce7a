// Deploy jobs: the queue and its outbox, the idempotent runner, its PostgreSQL store, and the worker process.
export { kubeClients, kubeDeployCluster } from './cluster.js';
export { checkedManifests } from './manifests.js';
export { slackThreadMessenger } from './messenger.js';
export type { Dispatcher } from './outbox.js';
export { dispatchDeploys, requeueLost, startDispatcher } from './outbox.js';
export type { DeployPreview } from './preview.js';
export { dryRunPreview } from './preview.js';
export type { DeployWorker } from './process.js';
export { startDeployWorker } from './process.js';
export { DeployProgress, DeployStep } from './progress.js';
export { DeployJobData, enqueuer, openDeployQueue, QueueUnavailableError, redisConnection } from './queue.js';
export type { DeployRecord, DeployRunnerDeps } from './runner.js';
export { DeployStepError, runDeployJob, targetKey } from './runner.js';
export { smokeRequest } from './smoke.js';
export { DEPLOY_ACTION, deployListBlocks, deployStatusBlocks } from './status-blocks.js';
export type { DeployStore } from './store.js';
export { createDeployStore } from './store.js';
export { deployLocks, deployRevisions } from './tables.js';
