/** The load generator's pure parts (schedule, report) and the CLI's bounds, without a server doing real work. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadtestSettings } from '../../src/cli/loadtest.js';
import { parseGuidellmReport } from '../../src/knowledge/guidellm.js';
import {
  arrivalOffsetsMs,
  completionsClient,
  type LoadtestSettings,
  loadtestReport,
  type PointResult,
  type RequestSample,
  requestShapes,
  summarize,
} from '../../src/loadtest/index.js';
import { cli } from '../support/cli.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('arrival schedules', () => {
  it('spaces constant arrivals evenly and stops at the request or time bound, whichever comes first', () => {
    expect(arrivalOffsetsMs({ kind: 'constant', rate: 4 }, 5, 60, 1)).toEqual([0, 250, 500, 750, 1000]);
    expect(arrivalOffsetsMs({ kind: 'constant', rate: 4 }, 100, 1, 1)).toEqual([0, 250, 500, 750, 1000]);
  });

  it('draws Poisson gaps with the requested mean rate, repeatably per seed', () => {
    const offsets = arrivalOffsetsMs({ kind: 'poisson', rate: 10 }, 4000, 10_000, 7);
    const achieved = (offsets.length - 1) / (offsets.at(-1)! / 1000);
    expect(achieved).toBeGreaterThan(9.5);
    expect(achieved).toBeLessThan(10.5);
    const gaps = offsets.slice(1).map((at, i) => at - offsets[i]!);
    // Exponential gaps: the standard deviation equals the mean (constant gaps would have none).
    const stats = summarize(gaps)!;
    expect(stats.std_dev / stats.mean).toBeGreaterThan(0.9);
    expect(stats.std_dev / stats.mean).toBeLessThan(1.1);
    expect(arrivalOffsetsMs({ kind: 'poisson', rate: 10 }, 50, 100, 7)).toEqual(offsets.slice(0, 50));
  });

  it('varies token lengths log-normally around the profile’s means, or not at all with CV 0', () => {
    const fixed = requestShapes({ promptTokens: 300, outputTokens: 80, lengthCv: 0 }, 1);
    expect([fixed(), fixed()]).toEqual([
      { promptTokens: 300, outputTokens: 80 },
      { promptTokens: 300, outputTokens: 80 },
    ]);
    const varied = requestShapes({ promptTokens: 300, outputTokens: 80, lengthCv: 0.5 }, 1);
    const shapes = Array.from({ length: 4000 }, varied);
    const prompts = summarize(shapes.map((shape) => shape.promptTokens))!;
    expect(prompts.mean).toBeGreaterThan(285);
    expect(prompts.mean).toBeLessThan(315);
    expect(prompts.std_dev / prompts.mean).toBeGreaterThan(0.45);
    expect(prompts.std_dev / prompts.mean).toBeLessThan(0.55);
    expect(Math.min(...shapes.map((shape) => shape.outputTokens))).toBeGreaterThanOrEqual(1);
  });
});

const settings: LoadtestSettings = loadtestSettings('http://127.0.0.1:9', {
  promptTokens: '100',
  outputTokens: '20',
  rate: '2,4',
});

const sample = (ttftMs: number, itlMs: number, error: string | null = null): RequestSample => ({
  startedMs: 0,
  promptTokens: 100,
  outputTokens: 20,
  ttftMs,
  itlMs,
  e2eMs: ttftMs + 19 * itlMs,
  error,
});

describe('the GuideLLM report', () => {
  it('is read back by the importer: one point per load, percentiles of the successful requests', () => {
    const results: PointResult[] = [
      {
        point: { kind: 'constant', rate: 2 },
        startedAt: new Date('2026-01-01T00:00:00Z'),
        durationSec: 10,
        samples: [sample(100, 10), sample(200, 20), sample(300, 30), sample(5, 5, 'HTTP 500: boom')],
        incomplete: 1,
      },
      {
        point: { kind: 'concurrent', streams: 8 },
        startedAt: new Date('2026-01-01T00:01:00Z'),
        durationSec: 5,
        samples: [sample(400, 40)],
        incomplete: 0,
      },
    ];
    const report = loadtestReport(settings, 'served', results);
    expect(report.benchmarks[0]!.run_stats.requests_made).toEqual({
      successful: 3,
      errored: 1,
      incomplete: 1,
      total: 5,
    });
    expect(report.benchmarks[0]!.errors).toEqual(['HTTP 500: boom']);
    const points = parseGuidellmReport(JSON.parse(JSON.stringify(report)), {
      modelId: 'm',
      gpuId: 'L4',
      tensorParallel: 1,
      source: 'test',
    });
    expect(points.map((point) => point.load)).toEqual([
      { kind: 'rate', value: 2 },
      { kind: 'concurrency', value: 8 },
    ]);
    expect(points[0]!.ttftMs).toMatchObject({ mean: 200, p50: 200, p95: 290 });
    expect(points[0]!.itlMs.p50).toBe(20);
    expect(points[0]!.e2eMs.p50).toBe(200 + 19 * 20);
    expect(points[0]!.requestsPerSec).toBeCloseTo(0.3);
    expect(points[0]!.outputTokensPerSec).toBeCloseTo(6);
  });

  it('lists a point without one successful request instead of reporting latencies it does not have', () => {
    const report = loadtestReport(settings, 'served', [
      {
        point: { kind: 'poisson', rate: 50 },
        startedAt: new Date(),
        durationSec: 3,
        samples: [sample(1, 1, 'ECONNREFUSED')],
        incomplete: 0,
      },
    ]);
    expect(report.benchmarks).toEqual([]);
    expect(report.metadata.points_without_success).toEqual([{ type_: 'poisson', rate: 50 }]);
  });
});

describe('compass loadtest', () => {
  it('sweeps around a planned capacity, from light load to just past it', () => {
    const sweep = loadtestSettings('http://svc:8000', {
      promptTokens: '1',
      outputTokens: '1',
      capacity: '10',
      arrivals: 'poisson',
    });
    expect(sweep.points.map((point) => point.kind === 'poisson' && point.rate)).toEqual([
      2.5, 5, 7.5, 9, 10, 11,
    ]);
  });

  it('refuses a run without exactly one kind of load, or an endpoint that is not http(s)', async () => {
    const base = ['loadtest', '--prompt-tokens', '10', '--output-tokens', '5'];
    const none = await cli([...base, 'http://127.0.0.1:9'], {});
    expect(none).toMatchObject({ code: 2 });
    expect(none.stderr).toContain('give exactly one of --rate');
    const both = await cli([...base, 'http://127.0.0.1:9', '--rate', '1', '--concurrency', '2'], {});
    expect(both.code).toBe(2);
    const file = await cli([...base, 'file:///etc/passwd', '--rate', '1'], {});
    expect(file.code).toBe(2);
    expect(file.stderr).toContain('ENDPOINT must be an http(s) URL');
  });

  it('never follows a redirect away from the endpoint it was given', async () => {
    let elsewhere = 0;
    const other = await listen((_request, response) => {
      elsewhere++;
      response.end('{}');
    });
    const endpoint = await listen((_request, response) => {
      response.writeHead(307, { location: `${other}/v1/completions` }).end();
    });
    const send = completionsClient(endpoint, 'served');
    const result = await send({ promptTokens: 4, outputTokens: 2 }, new AbortController().signal);
    expect(result.error).not.toBeNull();
    expect(elsewhere).toBe(0);
  });

  it('sends its warm-up requests first and leaves them out of the report', async () => {
    let received = 0;
    const endpoint = await listen((_request, response) => {
      received++;
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (body: unknown) => response.write(`data: ${JSON.stringify(body)}\n\n`);
      chunk({ choices: [{ text: ' one' }] });
      chunk({ choices: [{ text: ' two' }] });
      chunk({ choices: [], usage: { prompt_tokens: 4, completion_tokens: 2 } });
      response.end('data: [DONE]\n\n');
    });
    const base = ['loadtest', endpoint, '--model', 'served', '--prompt-tokens', '4', '--output-tokens', '2'];
    const run = await cli([...base, '--concurrency', '1', '--max-requests', '3', '--warmup', '2'], {});
    expect(run.code, run.stderr).toBe(0);
    expect(received).toBe(5);
    const report = JSON.parse(run.stdout.trim());
    expect(report.benchmarks[0].run_stats.requests_made).toMatchObject({ successful: 3, total: 3 });
    expect(report.benchmarks[0].metrics.output_token_count.successful.mean).toBe(2);
  });

  it('ends a point at its time bound and cancels requests still running after the drain time', async () => {
    // A server that accepts and never answers.
    const endpoint = await listen(() => {});
    const run = await cli(
      [
        'loadtest',
        endpoint,
        '--model',
        'served',
        '--prompt-tokens',
        '4',
        '--output-tokens',
        '2',
        '--concurrency',
        '3',
        '--max-seconds',
        '0.3',
        '--drain-seconds',
        '0.3',
      ],
      {},
    );
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout.trim());
    expect(report.benchmarks).toEqual([]);
    expect(report.metadata.points_without_success).toEqual([{ type_: 'concurrent', streams: 3 }]);
    expect(run.stderr).toMatch(/point 1\/1 \(3 concurrent\): 0\/3 done/);
  });
});
