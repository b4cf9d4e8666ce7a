/**
 * A benchmark from Job to re-plan: the Job's `compass loadtest` really runs (in-process, as the pod would) against a
 * simulator, its report is read from the log, imported into PostgreSQL, the chart and summary land in the Slack
 * stand-in's thread, and the next prediction for that configuration is `measured` from it. Also: cancel and a run
 * without one successful request both remove the Job and import nothing.
 */
import { webApi } from '@slack/bolt';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../simulator/server.js';
import {
  type BenchmarkCluster,
  type BenchmarkDeps,
  type BenchmarkJob,
  type BenchmarkRun,
  benchmarkDeadlineSeconds,
  type JobState,
  postBenchmarkResult,
  runBenchmark,
} from '../../src/benchmark/index.js';
import type { Knowledge } from '../../src/knowledge/catalog.js';
import { readCatalogFiles } from '../../src/knowledge/data-files.js';
import { ensureSeeded, importBenchmarks, loadKnowledge } from '../../src/knowledge/store.js';
import { predictPerformance } from '../../src/planner/index.js';
import { L4_LLAMA, SERVED, simulator } from '../simulator/fixtures.js';
import { type SlackStandIn, startSlackStandIn } from '../standins/slack.js';
import { cli } from '../support/cli.js';
import { type OpenTestDatabase, openTestDatabase } from '../support/postgres.js';

/** A cluster whose Jobs run their container's command in this process, as the pod would. */
function inProcessCluster() {
  const jobs = new Map<string, { state: JobState; log: string }>();
  const removed: string[] = [];
  const cluster: BenchmarkCluster = {
    async start(job: BenchmarkJob) {
      const entry = { state: { phase: 'running' } as JobState, log: '' };
      jobs.set(job.metadata.name, entry);
      void cli(job.spec.template.spec.containers[0]!.args, {}).then((result) => {
        entry.log = `${result.stderr}${result.stdout}`;
        entry.state =
          result.code === 0 ? { phase: 'succeeded' } : { phase: 'failed', reason: result.stderr.trim() };
      });
    },
    async state(job) {
      return jobs.get(job.metadata.name)?.state ?? { phase: 'failed', reason: 'not found' };
    },
    async log(job) {
      return jobs.get(job.metadata.name)?.log ?? '';
    },
    async remove(job) {
      jobs.delete(job.metadata.name);
      removed.push(job.metadata.name);
    },
  };
  return { cluster, jobs, removed };
}

// Real time: a faster simulator decodes below the bandwidth floor, and its report would be refused.
const TIME_SCALE = 1;
const CONFIGURATION = {
  modelId: L4_LLAMA.modelId,
  gpuId: 'L4',
  gpuCount: 1,
  tensorParallel: 1,
  precision: 'bf16' as const,
};
const SLO = { ttftP95Ms: 800, itlP95Ms: 80 };
const THREAD = { channel: 'C1', threadTs: '1700000000.000100' };

let db: OpenTestDatabase;
let slack: SlackStandIn;
let sim: RunningSimulator;
let knowledge: Knowledge;

beforeAll(async () => {
  [db, slack, sim] = await Promise.all([
    openTestDatabase(),
    startSlackStandIn(),
    simulator({ timeScale: TIME_SCALE, seed: 5 }),
  ]);
  await ensureSeeded(db.database.db, readCatalogFiles());
  knowledge = await loadKnowledge(db.database.db);
}, 120_000);
afterAll(async () => {
  await Promise.all([db?.close(), slack?.close(), sim?.drain()]);
});

function deps(cluster: BenchmarkCluster): BenchmarkDeps {
  const client = new webApi.WebClient(slack.botToken, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
  });
  return {
    cluster,
    importPoints: async (points) => {
      await importBenchmarks(db.database.db, points);
    },
    postResult: (summary, png) =>
      postBenchmarkResult(client, THREAD, {
        summary,
        chartPng: png,
        filename: 'benchmark.png',
        title: 'Benchmark',
      }),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => new Date(),
    pollMs: 50,
  };
}

const run = (overrides: Partial<BenchmarkRun> = {}): BenchmarkRun => {
  const light = predictPerformance(
    { ...CONFIGURATION, promptTokens: 512, outputTokens: 24, load: { kind: 'rate', value: 0.01 } },
    knowledge,
  );
  if (!light.ok) throw new Error(light.reason);
  return {
    deployId: '0b5e2c1d-aaaa-bbbb-cccc-000000000001',
    name: 'llama-3-1-8b-instruct',
    namespace: 'team-a',
    endpoint: sim.url,
    servedModelName: SERVED,
    image: 'compass:latest',
    promptTokens: 512,
    outputTokens: 24,
    plannedCapacityRps: light.prediction.capacityRequestsPerSec / TIME_SCALE,
    maxRequestsPerPoint: 12,
    maxSecondsPerPoint: 20,
    drainSeconds: 20,
    ...overrides,
  };
};

/** Benchmarks the simulator's "deployment" of CONFIGURATION through `cluster`. */
const benchmark = (cluster: BenchmarkCluster, runOf: BenchmarkRun, signal = new AbortController().signal) =>
  runBenchmark(
    {
      run: runOf,
      configuration: CONFIGURATION,
      target: 'team-a/llama-3-1-8b-instruct',
      slo: SLO,
      knowledge,
      signal,
    },
    deps(cluster),
  );

describe('a benchmark of a deployment', () => {
  it('imports the Job’s report, posts the chart in the thread, and calibrates the next prediction', async () => {
    const { cluster, jobs, removed } = inProcessCluster();
    // The run may cross midnight (UTC): its date is the day it started or the day it ended.
    const startedOn = new Date().toISOString().slice(0, 10);
    const outcome = await benchmark(cluster, run());
    if (!outcome.ok) throw new Error(outcome.reason);
    const days = [...new Set([startedOn, new Date().toISOString().slice(0, 10)])];
    expect(outcome.points).toHaveLength(6);
    expect(jobs.size).toBe(0);
    expect(removed).toEqual(['llama-3-1-8b-instruct-bench-0b5e2c1d']);

    const [file] = slack.files;
    const png = PNG.sync.read(file!.bytes);
    expect([png.width, png.height]).toEqual([1200, 440]);
    const nonWhite = png.data.filter((_, i) => i % 4 === 0 && png.data[i] !== 255).length;
    expect(nonWhite / (png.width * png.height)).toBeGreaterThan(0.05);
    expect(file).toMatchObject({ channel: THREAD.channel, threadTs: THREAD.threadTs });
    expect(file!.initialComment).toMatch(/^\*Benchmark of team-a\/llama-3-1-8b-instruct\*/);

    // The next plan for this configuration: the knowledge base as every command loads it.
    const after = await loadKnowledge(db.database.db);
    const measuredPoint = outcome.points[2]!;
    expect(measuredPoint.load.kind).toBe('rate');
    const rate = measuredPoint.load.kind === 'rate' ? measuredPoint.load.value : Number.NaN;
    const next = predictPerformance(
      {
        ...CONFIGURATION,
        promptTokens: measuredPoint.promptTokens,
        outputTokens: measuredPoint.outputTokens,
        load: { kind: 'rate', value: rate },
      },
      after,
    );
    if (!next.ok) throw new Error(next.reason);
    expect(next.prediction.basis).toBe('measured');
    expect(next.prediction.notes.join('\n')).toMatch(
      new RegExp(`measured on your cluster on (${days.join('|')})`),
    );
    expect(
      Math.abs(next.prediction.itlMs.p95 - measuredPoint.itlMs.p95!) / measuredPoint.itlMs.p95!,
    ).toBeLessThan(0.1);
  }, 180_000);

  it('removes the Job and imports nothing when cancelled while it runs', async () => {
    const { cluster, removed } = inProcessCluster();
    const cancel = new AbortController();
    const before = (await loadKnowledge(db.database.db)).benchmarks.length;
    setTimeout(() => cancel.abort(), 100);
    // Short points: the in-process "pod" is not stopped by the removal and finishes on its own soon after.
    const outcome = await benchmark(
      cluster,
      run({
        deployId: '0b5e2c1d-aaaa-bbbb-cccc-000000000002',
        maxSecondsPerPoint: 0.5,
        drainSeconds: 0.5,
      }),
      cancel.signal,
    );
    expect(outcome).toEqual({ ok: false, reason: 'cancelled', cancelled: true });
    expect(removed).toHaveLength(1);
    expect((await loadKnowledge(db.database.db)).benchmarks).toHaveLength(before);
  }, 60_000);

  it('says why when no request succeeded, and leaves no Job behind', async () => {
    const { cluster, removed } = inProcessCluster();
    const outcome = await benchmark(
      cluster,
      run({
        deployId: '0b5e2c1d-aaaa-bbbb-cccc-000000000003',
        endpoint: 'http://127.0.0.1:9',
        maxSecondsPerPoint: 0.2,
        drainSeconds: 1,
      }),
    );
    expect(outcome).toMatchObject({ ok: false, cancelled: false });
    expect(!outcome.ok && outcome.reason).toMatch(/its report could not be read: .*benchmarks: is empty/s);
    expect(removed).toHaveLength(1);
  }, 60_000);

  it('gives up on a Job that runs past its deadline, says so, and removes it (virtual clock)', async () => {
    const removed: string[] = [];
    const stuck: BenchmarkCluster = {
      start: async () => {},
      state: async () => ({ phase: 'running' }),
      log: async () => '',
      remove: async (job) => {
        removed.push(job.metadata.name);
      },
    };
    let virtualMs = Date.parse('2026-12-06T00:00:00Z');
    const runOf = run({ deployId: '0b5e2c1d-aaaa-bbbb-cccc-000000000004' });
    const outcome = await runBenchmark(
      {
        run: runOf,
        configuration: CONFIGURATION,
        target: 'team-a/llama-3-1-8b-instruct',
        slo: SLO,
        knowledge,
        signal: new AbortController().signal,
      },
      {
        ...deps(stuck),
        now: () => new Date(virtualMs),
        sleep: async (ms) => {
          virtualMs += ms;
        },
        pollMs: 5000,
      },
    );
    expect(outcome).toEqual({
      ok: false,
      reason: `it ran past its ${benchmarkDeadlineSeconds(runOf)} s deadline and was stopped`,
      cancelled: false,
    });
    expect(removed).toEqual(['llama-3-1-8b-instruct-bench-0b5e2c1d']);
  });
});
