/**
 * Benchmark end to end, through the Slack and Kubernetes stand-ins: the Benchmark button on a deployed deploy's
 * status message (the deployer may press it, a stranger may not), the worker's Job in the deployment's namespace
 * (its pod runs `compass loadtest` for real, in-process, against the deployment's simulator), the report read from
 * the pod's log and imported, the chart uploaded in the thread, no Job or pod left, and the next plan for that
 * configuration calibrated by the measurements. Also: Cancel while the Job runs, and a Job that fails.
 */
import { tmpdir } from 'node:os';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { loadKnowledge } from '../../src/knowledge/store.js';
import { predictPerformance } from '../../src/planner/index.js';
import { BENCHMARK_ACTION } from '../../src/worker/status-blocks.js';
import { optionTiming } from '../simulator/fixtures.js';
import { APPROVER, CHANNEL, headerOf, STRANGER, USER } from '../slack/harness.js';
import type { PodRunner } from '../standins/kubernetes.js';
import { cli } from '../support/cli.js';
import {
  approveDeploy,
  buttonsOf,
  type DeployWorld,
  NAMESPACE,
  runWorker,
  type SimulatorFor,
  startDeployWorld,
  statusMessages,
  workerEnv,
} from '../worker/deploy-flow.js';

/** The pod's container as the Compass image runs it: `compass <args>`, both streams into the pod's log. */
const compassPod: PodRunner = async (pod, io) => {
  const result = await cli(pod.containers[0]!.args, {});
  io.write(`${result.stderr}${result.stdout}`);
  return result.code;
};

let world: DeployWorld;
let worker: ReturnType<typeof runWorker>;

beforeAll(async () => {
  world = await startDeployWorld();
  world.kube.setPodRunner(compassPod);
  worker = runWorker({
    ...workerEnv(world),
    BENCHMARK_MAX_REQUESTS: '10',
    BENCHMARK_POINT_SECONDS: '1.5',
    BENCHMARK_DRAIN_SECONDS: '15',
  });
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await world?.close();
});

/**
 * The simulator as the option's engine at real speed: a faster one would decode below the bandwidth floor, and its
 * measurements would be refused. Code completion keeps requests short (32 output tokens).
 */
const realTime: SimulatorFor = (option) => ({ timing: optionTiming(option), timeScale: 1 });
const TEXT = 'code completion for 40 developers';

const statusOf = (thread: string) => statusMessages(world, thread).at(-1)!;
const deployed = (thread: string) =>
  world.bot.slack.waitFor(
    () => statusMessages(world, thread).find((m) => headerOf(m)?.startsWith('Deployed:')),
    30_000,
  );
const press = (action: string, deployId: string, thread: string, user: string, id: string) =>
  world.bot.press(action, {
    value: deployId,
    message: { ts: statusOf(thread).ts, thread_ts: thread },
    user,
    responseId: id,
  });
const leftovers = () => [
  ...world.kube.objectsOf('Job', NAMESPACE),
  ...world.kube.objectsOf('Pod', NAMESPACE),
];

describe('the Benchmark button', () => {
  it('load-tests the deployment in a Job, posts the chart, leaves nothing behind and calibrates the next plan', async () => {
    // The run may cross midnight (UTC): its date is the day it started or the day it ended.
    const startedOn = new Date().toISOString().slice(0, 10);
    const { thread, deployId, option } = await approveDeploy(world, TEXT, realTime);
    const done = await deployed(thread);
    expect(buttonsOf(done).map((b) => b.action_id)).toEqual([
      BENCHMARK_ACTION.start,
      'compass_deploy_rollback',
      'compass_deploy_delete',
    ]);

    await press(BENCHMARK_ACTION.start, deployId, thread, STRANGER, 'bench-stranger');
    const refusal = await world.bot.slack.waitFor(() => world.bot.ephemerals(STRANGER).at(-1));
    expect(refusal.text).toMatch(/Only approvers or whoever asked for .* may benchmark it/);
    expect(world.kube.requestsOf('create', '/jobs')).toEqual([]);

    // The deployer (who requested it) may.
    await press(BENCHMARK_ACTION.start, deployId, thread, USER, 'bench-deployer');
    const file = await world.bot.slack.waitFor(() => world.bot.slack.files[0], 150_000);
    const [created] = world.kube.requestsOf('create', '/jobs');
    expect(created!.path).toBe(`/apis/batch/v1/namespaces/${NAMESPACE}/jobs`);

    expect(file).toMatchObject({ channel: CHANNEL, threadTs: thread });
    expect(file.initialComment).toMatch(/Benchmark of/);
    const png = PNG.sync.read(file.bytes);
    expect([png.width, png.height]).toEqual([1200, 440]);
    const inked = png.data.filter((value, i) => i % 4 === 0 && value < 250).length;
    expect(inked / (png.width * png.height)).toBeGreaterThan(0.05);

    const finished = await world.bot.slack.waitFor(
      () =>
        JSON.stringify(statusOf(thread).blocks).includes('Benchmarked on') ? statusOf(thread) : undefined,
      20_000,
    );
    expect(buttonsOf(finished)[0]!.action_id).toBe(BENCHMARK_ACTION.start);
    expect(leftovers()).toEqual([]);
    expect(
      world.kube.requestsOf('delete', '/jobs').every((r) => r.query.propagationPolicy === 'Background'),
    ).toBe(true);

    // The next plan for this configuration: the knowledge base as every command loads it.
    const database = await openDatabase({ databaseUrl: world.bot.databaseUrl, dataDir: tmpdir() });
    try {
      const knowledge = await loadKnowledge(database.db);
      const measured = knowledge.benchmarks.filter((point) => point.source.startsWith('cluster:'));
      expect(measured.length).toBeGreaterThanOrEqual(3);
      expect(
        measured.every((point) => point.modelId === option.modelId && point.gpuId === option.gpuId),
      ).toBe(true);
      const point = measured[Math.floor(measured.length / 2)]!;
      const rate = point.load.kind === 'rate' ? point.load.value : Number.NaN;
      const next = predictPerformance(
        {
          modelId: option.modelId,
          gpuId: option.gpuId,
          gpuCount: option.gpusPerReplica,
          tensorParallel: option.tensorParallel,
          precision: option.precision,
          promptTokens: point.promptTokens,
          outputTokens: point.outputTokens,
          load: { kind: 'rate', value: rate },
        },
        knowledge,
      );
      if (!next.ok) throw new Error(next.reason);
      expect(next.prediction.basis).toBe('measured');
      const days = [...new Set([startedOn, new Date().toISOString().slice(0, 10)])];
      expect(next.prediction.notes.join('\n')).toMatch(
        new RegExp(`measured on your cluster on (${days.join('|')})`),
      );
      expect(Math.abs(next.prediction.itlMs.p95 - point.itlMs.p95!) / point.itlMs.p95!).toBeLessThan(0.1);
    } finally {
      await database.close();
    }
  }, 240_000);

  let second: { thread: string; deployId: string };

  it('Cancel removes the running Job and its pod, imports nothing, and says so', async () => {
    const filesBefore = world.bot.slack.files.length;
    // A pod that runs until it is killed.
    world.kube.setPodRunner(async (_pod, io) => {
      io.write('compass loadtest: point 1/6 (0.5 req/s poisson): 0/10 done\n');
      await new Promise((resolve) => io.signal.addEventListener('abort', resolve));
      return 137;
    });
    second = await approveDeploy(world, 'chatbot for 500 users');
    const { thread, deployId } = second;
    await deployed(thread);
    await press(BENCHMARK_ACTION.start, deployId, thread, APPROVER, 'bench-2');
    const running = await world.bot.slack.waitFor(
      () =>
        world.kube.objectsOf('Pod', NAMESPACE).length > 0 &&
        buttonsOf(statusOf(thread)).some((b) => b.action_id === BENCHMARK_ACTION.cancel)
          ? statusOf(thread)
          : undefined,
      20_000,
    );
    expect(JSON.stringify(running.blocks)).toContain('Benchmark running since');

    await press(BENCHMARK_ACTION.cancel, deployId, thread, STRANGER, 'cancel-stranger');
    const refusal = await world.bot.slack.waitFor(() =>
      world.bot.ephemerals(STRANGER).find((e) => /may cancel it; it goes on/.test(e.text)),
    );
    expect(refusal).toBeDefined();
    await press(BENCHMARK_ACTION.cancel, deployId, thread, APPROVER, 'cancel-approver');
    const note = await world.bot.slack.waitFor(
      () => world.bot.slack.thread(CHANNEL, thread).find((m) => /cancelled: its Job is removed/.test(m.text)),
      20_000,
    );
    expect(note.text).toMatch(/nothing was imported/);
    await world.bot.slack.waitFor(() =>
      JSON.stringify(statusOf(thread).blocks).includes('Benchmark cancelled by') ? true : undefined,
    );
    expect(leftovers()).toEqual([]);
    expect(world.bot.slack.files).toHaveLength(filesBefore);
  }, 120_000);

  it('a Job whose pod fails says why in the thread and leaves no Job or pod behind', async () => {
    world.kube.setPodRunner(async (_pod, io) => {
      io.write('compass: Cannot reach http://10.0.0.9/v1/models: ECONNREFUSED\n');
      return 1;
    });
    const { thread, deployId } = second;
    await press(BENCHMARK_ACTION.start, deployId, thread, APPROVER, 'bench-3');
    const note = await world.bot.slack.waitFor(
      () => world.bot.slack.thread(CHANNEL, thread).find((m) => /^Benchmark of .* failed/.test(m.text)),
      20_000,
    );
    expect(note.text).toMatch(
      /Job has reached the specified backoff limit \(BackoffLimitExceeded\): its pod exited with code 1 \(Error\); its log ends: compass: Cannot reach http:\/\/10\.0\.0\.9\/v1\/models: ECONNREFUSED/,
    );
    expect(leftovers()).toEqual([]);
    const status = await world.bot.slack.waitFor(() =>
      JSON.stringify(statusOf(thread).blocks).includes('Benchmark failed') ? statusOf(thread) : undefined,
    );
    expect(buttonsOf(status)[0]!.action_id).toBe(BENCHMARK_ACTION.start);
  }, 60_000);
});
