import type { KubeClient, KubeObject } from '../kube/index.js';
import { jobPhaseOf, podProblem } from '../kube/index.js';
import { BENCHMARK_LABEL } from './job.js';
import type { BenchmarkCluster, BenchmarkJob, JobState } from './run.js';

/** Lines of the pod's log read back: the report is its last line, progress lines come before it. */
const LOG_TAIL_LINES = 20;

const refOf = (job: BenchmarkJob) => ({ namespace: job.metadata.namespace, name: job.metadata.name });

/** "DeadlineExceeded" and friends, in the words a user reads in the thread. */
function failureText(reason: string, message: string, job: BenchmarkJob): string {
  if (reason === 'DeadlineExceeded')
    return `it ran past its ${job.spec.activeDeadlineSeconds} s deadline and was stopped`;
  return `${message} (${reason})`;
}

/**
 * A benchmark's view of one cluster, over the Job client: the Job created next to the deployment (a leftover of an
 * earlier run of the same name removed first), followed by its conditions, its pod's log read, and the Job removed
 * with its pods (Background propagation).
 */
export function kubeBenchmarkCluster(client: KubeClient): BenchmarkCluster {
  const { jobs } = client;
  const podsOf = (job: KubeObject, benchmark: BenchmarkJob) =>
    jobs.pods(job, `${BENCHMARK_LABEL}=${benchmark.metadata.labels[BENCHMARK_LABEL]}`);
  return {
    async start(job) {
      await jobs.remove(refOf(job));
      await jobs.create(job as unknown as KubeObject);
    },
    async state(job): Promise<JobState> {
      const live = await jobs.read(refOf(job));
      if (!live) return { phase: 'failed', reason: 'its Job was deleted while it ran' };
      const phase = jobPhaseOf(live);
      if (phase.phase !== 'failed') return phase;
      const problems = (await podsOf(live, job)).map(podProblem).filter(Boolean);
      const why = failureText(phase.reason, phase.message, job);
      return { phase: 'failed', reason: problems.length ? `${why}: its pod ${problems.at(-1)}` : why };
    },
    async log(job) {
      const live = await jobs.read(refOf(job));
      const pods = live ? await podsOf(live, job) : [];
      const pod = pods.at(-1);
      if (!pod) return '';
      return (
        (await jobs.log({ namespace: job.metadata.namespace, name: pod.metadata.name }, LOG_TAIL_LINES)) ?? ''
      );
    },
    async remove(job) {
      await jobs.remove(refOf(job));
    },
  };
}
