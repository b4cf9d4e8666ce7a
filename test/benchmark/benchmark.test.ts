/**
 * The Benchmark's parts: the Job it runs in the deployment's namespace, the report read back from the pod's log,
 * the summary and chart posted in the thread through files.uploadV2 (Slack stand-in), and a cluster measurement
 * named in the basis of the next prediction for that configuration.
 */
import { webApi } from '@slack/bolt';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BenchmarkRun,
  benchmarkDeadlineSeconds,
  benchmarkJob,
  benchmarkJobName,
  benchmarkSummaryText,
  compareLevels,
  postBenchmarkResult,
  reportFromLog,
} from '../../src/benchmark/index.js';
import { chartPng, predictedCurve } from '../../src/chart/index.js';
import { clusterSource } from '../../src/knowledge/catalog.js';
import { parseGuidellmReport } from '../../src/knowledge/guidellm.js';
import { predictPerformance } from '../../src/planner/index.js';
import { knowledge, L4_LLAMA } from '../simulator/fixtures.js';
import { type SlackStandIn, startSlackStandIn } from '../standins/slack.js';

const RUN: BenchmarkRun = {
  deployId: '7f3c2a10-5b1e-4c2d-9a8b-0c1d2e3f4a5b',
  name: 'llama-3-1-8b-instruct',
  namespace: 'team-a',
  endpoint: 'http://llama-3-1-8b-instruct.team-a.svc.cluster.local',
  servedModelName: 'llama-3-1-8b-instruct',
  image: 'compass:latest',
  promptTokens: 512,
  outputTokens: 128,
  plannedCapacityRps: 2.4,
  maxRequestsPerPoint: 60,
  maxSecondsPerPoint: 30,
  drainSeconds: 20,
};

describe('the benchmark Job', () => {
  it('runs compass loadtest at the planned capacity’s sweep next to the deployment, once, bounded, without a GPU', () => {
    const job = benchmarkJob(RUN);
    expect(job.metadata).toMatchObject({ namespace: 'team-a', name: 'llama-3-1-8b-instruct-bench-7f3c2a10' });
    expect(job.spec.backoffLimit).toBe(0);
    // Six points, each sending for at most 30 s and draining 20 s, plus a minute to start.
    expect(job.spec.activeDeadlineSeconds).toBe(6 * 50 + 60);
    expect(benchmarkDeadlineSeconds(RUN)).toBe(job.spec.activeDeadlineSeconds);
    const [container] = job.spec.template.spec.containers;
    expect(container!.args.slice(0, 2)).toEqual(['loadtest', RUN.endpoint]);
    expect(container!.args.join(' ')).toContain('--capacity 2.4 --arrivals poisson --max-requests 60');
    expect(JSON.stringify(job)).not.toMatch(/gpu/i);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
  });

  it('keeps its name a DNS label however long the deployment’s name is', () => {
    const name = benchmarkJobName({ ...RUN, name: `${'x'.repeat(60)}-y` });
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it('finds the report on the last JSON line of the pod’s log, after the progress lines', () => {
    const log = ['compass loadtest: point 1/6 (0.6 req/s poisson): 0/0 done', '{"benchmarks":[1]}', ''].join(
      '\n',
    );
    expect(reportFromLog(log)).toEqual({ benchmarks: [1] });
    expect(() => reportFromLog('compass: Cannot reach http://x/v1/models: ENOTFOUND')).toThrow(
      /wrote no report; its log ends:\ncompass: Cannot reach/,
    );
  });
});

describe('a cluster measurement in the next prediction', () => {
  it('says it was measured on your cluster, and when', () => {
    const config = { ...L4_LLAMA, promptTokens: 512, outputTokens: 128 };
    const before = predictPerformance({ ...config, load: { kind: 'rate', value: 1 } }, knowledge);
    if (!before.ok) throw new Error(before.reason);
    const measured = parseGuidellmReport(
      {
        benchmarks: [
          {
            config: { strategy: { type_: 'poisson', rate: 1 } },
            metrics: {
              time_to_first_token_ms: { successful: { mean: 150, percentiles: { p50: 140, p95: 210 } } },
              inter_token_latency_ms: { successful: { mean: 60, percentiles: { p50: 58, p95: 66 } } },
              request_latency: { successful: { mean: 7.8, percentiles: { p50: 7.7, p95: 8.6 } } },
              prompt_token_count: { successful: { mean: 512 } },
              output_token_count: { successful: { mean: 128 } },
            },
          },
        ],
      },
      { ...config, source: clusterSource('team-a/llama-3-1-8b-instruct', new Date('2026-12-06T03:00:00Z')) },
    );
    const after = predictPerformance(
      { ...config, load: { kind: 'rate', value: 1 } },
      { ...knowledge, benchmarks: measured },
    );
    if (!after.ok) throw new Error(after.reason);
    expect(after.prediction.basis).toBe('measured');
    expect(after.prediction.itlMs.p95).toBeCloseTo(66, 0);
    expect(after.prediction.notes.join('\n')).toContain(
      'measured on your cluster on 2026-12-06 (team-a/llama-3-1-8b-instruct)',
    );
    expect(before.prediction.notes.join('\n')).not.toContain('your cluster');
  });
});

let slack: SlackStandIn | null = null;
afterEach(async () => {
  await slack?.close();
  slack = null;
});

describe('the result in the thread', () => {
  it('uploads the chart with the summary as its comment, into the deploy’s thread (files.uploadV2)', async () => {
    slack = await startSlackStandIn();
    const client = new webApi.WebClient(slack.botToken, {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
    });
    const config = { ...L4_LLAMA, promptTokens: 512, outputTokens: 128 };
    const predicted = predictedCurve(config, knowledge);
    const measured = [{ requestsPerSec: 1.2, ttftP95Ms: 260, itlP95Ms: 131, outputTokensPerSec: 150 }];
    const summary = benchmarkSummaryText('team-a/llama', compareLevels(measured, predicted), {
      ttftP95Ms: 500,
      itlP95Ms: 120,
    });
    expect(summary).toMatch(/1\.20 req\/s\s+260 ms ✓ \(\d+ ms\)\s+131 ms ✗ \(\d+ ms\)\s+150 tok\/s/);
    const png = chartPng({
      title: 'Benchmark',
      subtitle: '',
      predicted,
      measured,
      slo: { ttftP95Ms: 500, itlP95Ms: 120 },
    });
    await postBenchmarkResult(
      client,
      { channel: 'C1', threadTs: '1700000000.000100' },
      { summary, chartPng: png, filename: 'benchmark.png', title: 'Benchmark of team-a/llama' },
    );
    expect(slack.callsOf('files.getUploadURLExternal')[0]!.args).toMatchObject({
      filename: 'benchmark.png',
      length: String(png.length),
    });
    const [file] = slack.files;
    expect(file).toMatchObject({
      channel: 'C1',
      threadTs: '1700000000.000100',
      title: 'Benchmark of team-a/llama',
      initialComment: summary,
    });
    const decoded = PNG.sync.read(file!.bytes);
    expect([decoded.width, decoded.height]).toEqual([1200, 440]);
    expect(slack.thread('C1', '1700000000.000100').map((message) => message.text)).toEqual([summary]);
  });

  it('refuses to share a file whose bytes never reached the upload URL, as Slack does', async () => {
    slack = await startSlackStandIn();
    const client = new webApi.WebClient(slack.botToken, {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
    });
    const reserved = await client.files.getUploadURLExternal({ filename: 'x.png', length: 10 });
    await expect(
      client.files.completeUploadExternal({ files: [{ id: reserved.file_id! }], channel_id: 'C1' }),
    ).rejects.toThrow(/file_not_found/);
    expect(slack.files).toEqual([]);
  });
});
