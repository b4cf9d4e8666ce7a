import type { BenchmarkPoint, Knowledge } from '../knowledge/catalog.js';
import type { Logger } from '../log/index.js';
import type { BenchmarkStatus } from '../worker/progress.js';
import type { DeployRecord, ThreadMessenger } from '../worker/runner.js';
import { targetLabel } from '../worker/status-blocks.js';
import type { BenchmarkStore } from '../worker/store.js';
import type { BenchmarkRun } from './job.js';
import { type BenchmarkCluster, type BenchmarkOutcome, runBenchmark } from './run.js';
import type { BenchmarkThread } from './slack.js';

/** How far a benchmark may go: per rate point, requests sent and seconds sending and draining. */
export interface BenchmarkBounds {
  maxRequestsPerPoint: number;
  maxSecondsPerPoint: number;
  drainSeconds: number;
}

export interface BenchmarkWorkerDeps {
  store: BenchmarkStore;
  cluster(context: string | null): BenchmarkCluster;
  /** The knowledge the prediction before the run comes from (the worker's live copy). */
  knowledge(): Knowledge;
  importPoints(points: BenchmarkPoint[]): Promise<void>;
  messenger: ThreadMessenger;
  postResult(
    thread: BenchmarkThread,
    result: { summary: string; chartPng: Buffer; filename: string; title: string },
  ): Promise<void>;
  /** The Compass image (`compass loadtest`). */
  image: string;
  bounds: BenchmarkBounds;
  log: Logger;
  now(): Date;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** How often the Job's state and a Cancel are looked at. */
  pollMs: number;
}

/** The load test of a deployed deploy: its endpoint, model and traffic, the sweep centred on its planned capacity. */
export function benchmarkRunOf(
  deploy: DeployRecord & { endpoint: string },
  image: string,
  bounds: BenchmarkBounds,
): BenchmarkRun {
  const { option, spec } = deploy;
  return {
    deployId: deploy.id,
    name: deploy.name,
    namespace: deploy.namespace,
    endpoint: deploy.endpoint,
    servedModelName: option.modelId,
    image,
    promptTokens: spec.traffic.promptTokens.value,
    outputTokens: spec.traffic.outputTokens.value,
    plannedCapacityRps: option.predicted.maxRpsPerReplica * option.replicas,
    ...bounds,
  };
}

/** A sleep that ends early on abort. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs the benchmark queued for a deploy: marks it running (unless Cancel came first), runs the Job while watching
 * for Cancel, and ends it done, failed or cancelled — in the store, on the status message, and (for a failure or a
 * cancel) in a note in the thread. `stop` is the worker stopping: the Job is removed and the user told to press
 * again. Never throws.
 */
export async function benchmarkDeploy(
  deps: BenchmarkWorkerDeps,
  deployId: string,
  stop: AbortSignal,
): Promise<void> {
  const { store, log } = deps;
  const deploy = await store.load(deployId);
  const queued = deploy?.progress?.benchmark;
  if (!deploy || !queued) return;
  const logged = log.child({ deployId, event: 'benchmark' });
  const show = async () => {
    const current = await store.load(deployId);
    if (current?.statusTs)
      await deps.messenger
        .update({ ...current, statusTs: current.statusTs }, current.progress)
        .catch((error: unknown) => logged.warn({ err: error }, 'could not update the status message'));
  };
  const end = async (next: Omit<BenchmarkStatus, 'requestedBy'>, note?: string) => {
    const current = (await store.load(deployId))?.progress?.benchmark ?? queued;
    await store.moveBenchmark(deployId, ['queued', 'running', 'cancelling'], { ...current, ...next });
    await show();
    if (note) await deps.messenger.note(deploy.thread, note).catch(() => {});
  };
  const target = targetLabel(deploy);
  const at = () => deps.now().toISOString();

  const running = { ...queued, state: 'running' as const, at: at() };
  if (!(await store.moveBenchmark(deployId, ['queued'], running))) {
    if (queued.state === 'cancelling')
      await end({ state: 'cancelled', at: at() }, `Benchmark of \`${target}\` cancelled before it started.`);
    return;
  }
  const endpoint = deploy.endpoint;
  if (deploy.state !== 'deployed' || !endpoint) {
    const detail = `\`${target}\` is ${deploy.state.replace(/_/g, ' ')}; there is no endpoint to load-test`;
    return end({ state: 'failed', at: at(), detail }, `Benchmark failed: ${detail}.`);
  }
  await show();
  logged.info({ endpoint }, 'benchmark started');

  const cancel = new AbortController();
  const stopped = () => cancel.abort();
  stop.addEventListener('abort', stopped, { once: true });
  // Cancel is a state in PostgreSQL (the bot has no line to this process): looked at while the Job runs.
  const watching = (async () => {
    while (!cancel.signal.aborted) {
      await deps.sleep(deps.pollMs, cancel.signal);
      const state = (await store.load(deployId).catch(() => undefined))?.progress?.benchmark?.state;
      if (state === 'cancelling') cancel.abort();
    }
  })();
  let outcome: BenchmarkOutcome;
  try {
    outcome = await runBenchmark(
      {
        run: benchmarkRunOf({ ...deploy, endpoint }, deps.image, deps.bounds),
        configuration: {
          modelId: deploy.option.modelId,
          gpuId: deploy.option.gpuId,
          gpuCount: deploy.option.gpusPerReplica,
          tensorParallel: deploy.option.tensorParallel,
          precision: deploy.option.precision,
        },
        replicas: deploy.option.replicas,
        target: `${deploy.namespace}/${deploy.name}`,
        slo: { ttftP95Ms: deploy.spec.slo.ttftP95Ms.value, itlP95Ms: deploy.spec.slo.itlP95Ms.value },
        knowledge: deps.knowledge(),
        signal: cancel.signal,
      },
      {
        cluster: deps.cluster(deploy.context),
        importPoints: deps.importPoints,
        postResult: (summary, png) =>
          deps.postResult(deploy.thread, {
            summary,
            chartPng: png,
            filename: `benchmark-${deploy.name}.png`,
            title: `Benchmark of ${target}`,
          }),
        sleep: deps.sleep,
        now: deps.now,
        pollMs: deps.pollMs,
      },
    );
  } catch (error) {
    // The cluster refused the Job (RBAC, quota, admission) or could not be reached.
    outcome = { ok: false, reason: error instanceof Error ? error.message : String(error), cancelled: false };
  } finally {
    stop.removeEventListener('abort', stopped);
    cancel.abort();
    await watching.catch(() => {});
  }
  if (outcome.ok) {
    logged.info({ points: outcome.points.length }, 'benchmark imported');
    return end({ state: 'done', at: at() });
  }
  if (outcome.cancelled && stop.aborted)
    return end(
      { state: 'failed', at: at(), detail: 'the worker stopped while it ran; press Benchmark again' },
      `Benchmark of \`${target}\` stopped: the worker shut down while it ran. Its Job is removed; press Benchmark again.`,
    );
  if (outcome.cancelled)
    return end(
      { state: 'cancelled', at: at() },
      `Benchmark of \`${target}\` cancelled: its Job is removed and nothing was imported.`,
    );
  logged.warn({ reason: outcome.reason }, 'benchmark failed');
  return end(
    { state: 'failed', at: at(), detail: outcome.reason },
    `Benchmark of \`${target}\` failed: ${outcome.reason}. Its Job and pod are removed; nothing was imported.`,
  );
}
