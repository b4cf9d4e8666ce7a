import { CAPACITY_SHARES } from '../loadtest/index.js';

/** The label every benchmark Job and its pod carry, valued with the deploy id: how they are found and removed. */
export const BENCHMARK_LABEL = 'compass.io/benchmark-of';

/** What a benchmark of one deployment runs: everything the Job's `compass loadtest` needs, as plain data. */
export interface BenchmarkRun {
  deployId: string;
  /** The InferenceService's name and namespace: the Job runs next to it. */
  name: string;
  namespace: string;
  /** The endpoint's in-cluster URL (the InferenceService's status.url). */
  endpoint: string;
  servedModelName: string;
  /** The Compass image (`compass loadtest` is one of its commands). */
  image: string;
  promptTokens: number;
  outputTokens: number;
  /** The highest rate one replica carries within the SLO, as planned: the sweep is centred on it. */
  plannedCapacityRps: number;
  maxRequestsPerPoint: number;
  maxSecondsPerPoint: number;
  drainSeconds: number;
}

/** The longest a benchmark Job may run: every point sent and drained, plus start-up. */
export function benchmarkDeadlineSeconds(run: BenchmarkRun): number {
  const START_UP_SECONDS = 60;
  return CAPACITY_SHARES.length * (run.maxSecondsPerPoint + run.drainSeconds) + START_UP_SECONDS;
}

/** Job names are DNS labels: the deployment's name cut short enough for the suffix. */
export function benchmarkJobName(run: Pick<BenchmarkRun, 'name' | 'deployId'>): string {
  const suffix = `-bench-${run.deployId.replace(/[^a-z0-9]/g, '').slice(0, 8)}`;
  return `${run.name.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
}

/**
 * The Kubernetes Job that load-tests a deployment from inside its namespace: `compass loadtest` at the planned
 * capacity's sweep, one attempt (a retry would measure a different run), bounded by activeDeadlineSeconds, no GPU,
 * a non-root read-only container. Its report is the last line of the pod's log.
 */
export function benchmarkJob(run: BenchmarkRun) {
  const labels = { 'app.kubernetes.io/managed-by': 'compass', [BENCHMARK_LABEL]: run.deployId };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: benchmarkJobName(run), namespace: run.namespace, labels },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: benchmarkDeadlineSeconds(run),
      // Removed by Compass once read; this only catches a worker that died meanwhile.
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 1000 },
          containers: [
            {
              name: 'loadtest',
              image: run.image,
              imagePullPolicy: 'IfNotPresent',
              args: [
                'loadtest',
                run.endpoint,
                '--model',
                run.servedModelName,
                '--prompt-tokens',
                String(run.promptTokens),
                '--output-tokens',
                String(run.outputTokens),
                '--capacity',
                String(Number(run.plannedCapacityRps.toPrecision(6))),
                '--arrivals',
                'poisson',
                '--max-requests',
                String(run.maxRequestsPerPoint),
                '--max-seconds',
                String(run.maxSecondsPerPoint),
                '--drain-seconds',
                String(run.drainSeconds),
              ],
              resources: {
                requests: { cpu: '500m', memory: '256Mi' },
                limits: { cpu: '1', memory: '512Mi' },
              },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
            },
          ],
        },
      },
    },
  };
}

/** The GuideLLM report in a benchmark pod's log: its last line that is a JSON object (progress lines are text). */
export function reportFromLog(log: string): unknown {
  const line = log
    .trimEnd()
    .split('\n')
    .reverse()
    .find((text) => text.startsWith('{'));
  if (line === undefined)
    throw new Error(`the benchmark pod wrote no report; its log ends:\n${log.slice(-500)}`);
  return JSON.parse(line);
}
