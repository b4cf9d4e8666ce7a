import type { KubeObject } from '../kube/index.js';
import type { Logger } from '../log/index.js';
import type { DeployProgress, DeployState, DeployStep } from './progress.js';
import { finished, rolloutNotice, startProgress, withStep } from './progress.js';
import type { DeployAction } from './queue.js';
import type { DeploySummary } from './status-blocks.js';

/** Why a step failed, and whether trying again later can help (network, 409, 429, 5xx) or not (422, 403). */
export class DeployStepError extends Error {
  constructor(
    readonly step: DeployStep,
    readonly transient: boolean,
    message: string,
  ) {
    super(message);
    this.name = 'DeployStepError';
  }
}

export type { DeployState };

export interface DeployRecord extends DeploySummary {
  conversationId: string;
  thread: { channel: string; threadTs: string };
  state: DeployState;
  progress: DeployProgress | null;
  statusTs: string | null;
  endpoint: string | null;
}

/** The cluster of one deploy (an adapter over src/kube), errors thrown as DeployStepError. */
export interface DeployCluster {
  /** Server-side apply; a one-line account of what changed ("created 3, unchanged 1"). */
  apply(objects: KubeObject[]): Promise<string>;
  /** Resolves with the service URL once the InferenceService among `objects` is Ready. */
  waitUntilReady(objects: KubeObject[], signal: AbortSignal): Promise<string>;
  remove(objects: KubeObject[]): Promise<void>;
}

export interface Revision {
  number: number;
  deployId: string;
  objects: KubeObject[];
}

export interface DeployJobStore {
  load(deployId: string): Promise<DeployRecord | undefined>;
  /** Marks the deploy running unless a newer spec superseded it (or it was rolled back or deleted since). */
  begin(deployId: string): Promise<boolean>;
  save(
    deployId: string,
    change: Partial<Pick<DeployRecord, 'state' | 'progress' | 'endpoint'>>,
  ): Promise<void>;
  /** Sets the status message's ts unless one is set; returns the one that is set. */
  claimStatusMessage(deployId: string, ts: string): Promise<string>;
  /** One job per target at a time; the holder (a job id) may take it again after a crash. */
  lockTarget(target: string, holder: string): Promise<boolean>;
  unlockTarget(target: string, holder: string): Promise<void>;
  /** Stores what was applied to the target; returns its revision number. */
  recordRevision(
    target: string,
    deployId: string,
    action: DeployAction,
    objects: KubeObject[],
  ): Promise<number>;
  /** The target's latest revision, and the latest of another deploy than `deployId` (what a rollback re-applies). */
  revisions(target: string, deployId: string): Promise<{ latest?: Revision; otherThan?: Revision }>;
  /** Moves the target's other deploys (all but `except`) that are in one of `from` to `to`; returns them, moved. */
  markTarget(
    target: Pick<DeployRecord, 'context' | 'namespace' | 'name'>,
    change: { from: readonly DeployState[]; to: DeployState; except: readonly string[] },
  ): Promise<DeployRecord[]>;
}

export interface ThreadMessenger {
  post(
    thread: DeployRecord['thread'],
    deploy: DeployRecord,
    progress: DeployProgress | null,
  ): Promise<string>;
  update(deploy: DeployRecord & { statusTs: string }, progress: DeployProgress | null): Promise<void>;
  /** A short reply in the deploy's thread (rollback and delete outcomes). */
  note(thread: DeployRecord['thread'], text: string): Promise<void>;
}

export interface DeployRunnerDeps {
  store: DeployJobStore;
  cluster(context: string | null): DeployCluster;
  /** Render, policy and schema: the objects, or every violation in plain words. */
  manifests(
    deploy: Pick<DeployRecord, 'id' | 'conversationId' | 'name' | 'namespace' | 'option' | 'spec'>,
  ): { ok: true; objects: KubeObject[] } | { ok: false; problems: string[] };
  /** One request through the service; throws a readable error when it does not answer. */
  smoke(endpoint: string, deploy: DeployRecord): Promise<void>;
  messenger: ThreadMessenger;
  log: Logger;
  now(): Date;
  /** Told once a deploy is healthy (monitoring starts watching it). */
  onDeployed?(deployId: string): Promise<void>;
  /** Runs a deployed deploy's benchmark to its end (every end is reported in its thread, none thrown). */
  benchmark?(deployId: string, signal: AbortSignal): Promise<void>;
}

export interface JobAttempt {
  id: string;
  deployId: string;
  action: DeployAction;
  /** A rollback's or delete's: the deploy's state when it was asked for, restored if the action fails for good. */
  from?: DeployState;
  /** 1 for the first run of the job. */
  attempt: number;
  /** False on the job's last allowed attempt: a transient failure then ends the deploy. */
  mayRetry: boolean;
  signal: AbortSignal;
}

export type { KubeObject };

export const targetKey = (deploy: Pick<DeployRecord, 'context' | 'namespace' | 'name'>) =>
  `${deploy.context ?? ''}/${deploy.namespace}/${deploy.name}`;

export type JobResult = 'done' | 'busy' | 'retry';

/** Brings the status message (if posted) up to date; Slack being down must not fail a job: the store is the truth. */
async function showStatus(
  messenger: ThreadMessenger,
  logged: Logger,
  deploy: DeployRecord,
  progress: DeployProgress | null,
): Promise<void> {
  const { statusTs } = deploy;
  if (!statusTs) return;
  await messenger.update({ ...deploy, statusTs }, progress).catch((error: unknown) => {
    logged.warn({ event: 'deploy.status_update_failed', err: error }, 'could not update the status message');
  });
}

function stepError(step: DeployStep, error: unknown): DeployStepError {
  if (error instanceof DeployStepError) return error;
  // An error nobody classified (a bug, an unexpected library failure) gets the bounded retries, then fails.
  return new DeployStepError(step, true, error instanceof Error ? error.message : String(error));
}

/**
 * One run of a deploy, rollback or delete job. Every step is idempotent, so a job that a killed worker left behind
 * runs again from the start and ends in the same single deployment and status message. `retry` asks the queue to
 * run the job again after its backoff; `busy` means another job holds the target.
 */
export async function runDeployJob(deps: DeployRunnerDeps, job: JobAttempt): Promise<JobResult> {
  // A benchmark changes nothing on the target: it takes no lock, so Roll back and Delete need not wait for it.
  if (job.action === 'benchmark') {
    await deps.benchmark?.(job.deployId, job.signal);
    return 'done';
  }
  const deploy = await deps.store.load(job.deployId);
  if (!deploy) {
    deps.log.error({ event: 'deploy.missing', deployId: job.deployId, jobId: job.id }, 'no such deploy');
    return 'done';
  }
  const target = targetKey(deploy);
  if (!(await deps.store.lockTarget(target, job.id))) return 'busy';
  try {
    if (job.action === 'deploy') return await deployOnce(deps, deploy, job);
    return await changeTarget(deps, deploy, job);
  } finally {
    await deps.store.unlockTarget(target, job.id);
  }
}

async function deployOnce(deps: DeployRunnerDeps, deploy: DeployRecord, job: JobAttempt): Promise<JobResult> {
  const { store, messenger, log } = deps;
  if (deploy.progress?.outcome?.kind === 'deployed' && deploy.state === 'deployed') return 'done';
  if (!(await store.begin(deploy.id))) {
    log.info(
      { event: 'deploy.skipped', deployId: deploy.id, state: deploy.state },
      'deploy no longer wanted',
    );
    return 'done';
  }
  const logged = log.child({ deployId: deploy.id, conversationId: deploy.conversationId, jobId: job.id });
  let progress = startProgress(job.attempt);
  const statusTs =
    deploy.statusTs ??
    (await store.claimStatusMessage(deploy.id, await messenger.post(deploy.thread, deploy, null)));
  const current = { ...deploy, statusTs };
  const report = async (next: DeployProgress, state: DeployState) => {
    progress = next;
    await store.save(deploy.id, { progress, state });
    await showStatus(messenger, logged, { ...current, state }, progress);
  };
  let step: DeployStep = 'render';
  try {
    await report(withStep(progress, 'render', 'running'), 'running');
    const rendered = deps.manifests(deploy);
    if (!rendered.ok) {
      step = 'validate';
      throw new DeployStepError('validate', false, rendered.problems.join('; '));
    }
    const kinds = rendered.objects.map((o) => o.kind).join(', ');
    await report(
      withStep(progress, 'render', 'done', `${rendered.objects.length} objects: ${kinds}`),
      'running',
    );
    await report(withStep(progress, 'validate', 'done', 'policy and schema pass'), 'running');

    step = 'apply';
    await report(withStep(progress, 'apply', 'running'), 'running');
    const cluster = deps.cluster(deploy.context);
    const applied = await cluster.apply(rendered.objects);
    await store.recordRevision(targetKey(deploy), deploy.id, 'deploy', rendered.objects);
    await handOver(deps, logged, deploy, { to: 'superseded', except: [deploy.id] });
    logged.info({ event: 'deploy.applied', summary: applied }, 'manifests applied');
    await report(withStep(progress, 'apply', 'done', applied), 'running');

    step = 'ready';
    await report(withStep(progress, 'ready', 'running', rolloutNotice(rendered.objects)), 'running');
    const endpoint = await cluster.waitUntilReady(rendered.objects, job.signal);
    await report(withStep(progress, 'ready', 'done', endpoint), 'running');

    step = 'smoke';
    await report(withStep(progress, 'smoke', 'running'), 'running');
    await deps.smoke(endpoint, deploy);
    await store.save(deploy.id, { endpoint });
    const done = withStep(progress, 'smoke', 'done', 'answered');
    await report(finished(done, { kind: 'deployed', endpoint, at: deps.now().toISOString() }), 'deployed');
    logged.info({ event: 'deploy.deployed', endpoint }, 'deployed and healthy');
    await deps.onDeployed?.(deploy.id).catch((error: unknown) => {
      logged.error({ event: 'deploy.monitoring_failed', err: error }, 'could not start monitoring');
    });
    return 'done';
  } catch (error) {
    const failure = stepError(step, error);
    if (failure.transient && job.mayRetry) {
      logged.warn({ event: 'deploy.retrying', step, err: error }, 'transient failure; retrying');
      await report(withStep(progress, failure.step, 'retrying', failure.message), 'running');
      return 'retry';
    }
    logged.error({ event: 'deploy.failed', step, err: error }, 'deploy failed');
    const failed = withStep(progress, failure.step, 'failed', failure.message);
    await report(
      finished(failed, { kind: 'failed', reason: failure.message, at: deps.now().toISOString() }),
      'failed',
    );
    return 'done';
  }
}

/** States of a deploy whose objects may be the target's live ones, and whose buttons still act on the target. */
const LIVE: readonly DeployState[] = ['deployed', 'failed', 'rolled_back'];

/**
 * One target runs one deploy's objects: once another's are applied (or the target is deleted), the target's other
 * live deploys move on too, and their status messages lose buttons that would now act on someone else's objects.
 */
async function handOver(
  deps: DeployRunnerDeps,
  logged: Logger,
  target: DeployRecord,
  change: { to: DeployState; except: readonly string[] },
): Promise<void> {
  const moved = await deps.store.markTarget(target, { from: LIVE, ...change });
  for (const other of moved) await showStatus(deps.messenger, logged, other, other.progress);
}

/** A deploy whose objects a rollback re-applied: deployed again, its message with its buttons, monitored again. */
async function revive(deps: DeployRunnerDeps, logged: Logger, deployId: string): Promise<void> {
  await deps.store.save(deployId, { state: 'deployed' });
  const revived = await deps.store.load(deployId);
  if (revived) await showStatus(deps.messenger, logged, revived, revived.progress);
  await deps.onDeployed?.(deployId).catch((error: unknown) => {
    logged.error(
      { event: 'deploy.monitoring_failed', err: error, revived: deployId },
      'could not start monitoring',
    );
  });
}

/** The states a rollback or delete passes through. */
const IN_BETWEEN: readonly DeployState[] = ['rolling_back', 'deleting'];

async function changeTarget(
  deps: DeployRunnerDeps,
  deploy: DeployRecord,
  job: JobAttempt,
): Promise<JobResult> {
  const { store, messenger, log } = deps;
  const target = targetKey(deploy);
  const logged = log.child({ deployId: deploy.id, conversationId: deploy.conversationId, jobId: job.id });
  const step: DeployStep = job.action === 'rollback' ? 'apply' : 'ready';
  // The status message follows, so its buttons are only those that can still do something.
  const mark = async (state: DeployState) => {
    await store.save(deploy.id, { state });
    await showStatus(messenger, logged, { ...deploy, state }, deploy.progress);
  };
  try {
    const cluster = deps.cluster(deploy.context);
    const revisions = await store.revisions(target, deploy.id);
    if (job.action === 'rollback') {
      // The target's previous deployment: the latest revision another deploy applied (or a rollback re-applied).
      const revision = revisions.otherThan;
      if (!revision) {
        await messenger.note(
          deploy.thread,
          `Nothing to roll back to: \`${target}\` has no earlier revision.`,
        );
        return 'done';
      }
      await mark('rolling_back');
      const applied = await cluster.apply(revision.objects);
      // Recorded as the objects' own deploy's: it runs again, and a rollback from its message returns here.
      const owner = revision.deployId;
      const number = await store.recordRevision(target, owner, 'rollback', revision.objects);
      const endpoint = await cluster.waitUntilReady(revision.objects, job.signal);
      await mark('rolled_back');
      await handOver(deps, logged, deploy, { to: 'superseded', except: [deploy.id, owner] });
      await revive(deps, logged, owner);
      logged.info({ event: 'deploy.rolled_back', revision: number, owner }, 'rolled back');
      await messenger.note(
        deploy.thread,
        `Rolled back \`${target}\` to revision ${revision.number} (now revision ${number}: ${applied}); Ready at ${endpoint}.`,
      );
      return 'done';
    }
    if (!revisions.latest) {
      await mark('deleted');
      await messenger.note(deploy.thread, `Nothing to delete: \`${target}\` was never applied.`);
      return 'done';
    }
    await mark('deleting');
    await cluster.remove(revisions.latest.objects);
    await mark('deleted');
    await handOver(deps, logged, deploy, { to: 'deleted', except: [deploy.id] });
    logged.info({ event: 'deploy.deleted' }, 'deleted');
    await messenger.note(
      deploy.thread,
      `Deleted \`${target}\` (${revisions.latest.objects.length} objects).`,
    );
    return 'done';
  } catch (error) {
    const failure = stepError(step, error);
    if (failure.transient && job.mayRetry) {
      logged.warn({ event: `deploy.${job.action}_retrying`, err: error }, 'transient failure; retrying');
      return 'retry';
    }
    logged.error({ event: `deploy.${job.action}_failed`, err: error }, `${job.action} failed`);
    // Not left in between with no buttons: back to where it was asked from, so it can be pressed again.
    const before = job.from ?? (IN_BETWEEN.includes(deploy.state) ? undefined : deploy.state);
    if (before) await mark(before);
    await messenger.note(
      deploy.thread,
      `Could not ${job.action === 'rollback' ? 'roll back' : 'delete'} \`${target}\`: ${failure.message}`,
    );
    return 'done';
  }
}
