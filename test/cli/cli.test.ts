import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { cli } from '../support/cli.js';
import type { TestDatabase } from '../support/postgres.js';
import { createTestDatabase } from '../support/postgres.js';

const run = promisify(execFile);
const INTENT_KEYS = [
  'useCase',
  'users',
  'qps',
  'priority',
  'budgetMonthlyUsd',
  'gpuTypes',
  'models',
  'ttftP95Ms',
  'itlP95Ms',
  'e2eP95Ms',
  'missing',
];

describe('compass CLI against the real PostgreSQL', () => {
  let testDb: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    env = { DATABASE_URL: testDb.url, HOME: '/nonexistent' };
    const seeded = await cli(['db', 'seed'], env);
    expect(seeded.stderr).toBe('');
    expect(seeded.code).toBe(0);
  });
  afterAll(() => testDb.drop());

  it('extract --json prints the intent with every contract key', async () => {
    const result = await cli(
      ['extract', '--json', 'chatbot for 1000 users, low latency matters, under $5k/month'],
      env,
    );
    expect(result.code).toBe(0);
    const intent = JSON.parse(result.stdout);
    for (const key of INTENT_KEYS) expect(intent).toHaveProperty(key);
    expect(intent).toMatchObject({
      useCase: 'chatbot_conversational',
      users: 1000,
      priority: 'latency',
      budgetMonthlyUsd: 5000,
      qps: null,
      gpuTypes: [],
      missing: [],
    });
  });

  it('extract reads one text per stdin line and prints one JSON object per line', async () => {
    const result = await cli(
      ['extract', '--json'],
      env,
      'code completion for 150 developers on L40S\n\n  translate chat messages, 15 requests/s\n',
    );
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ useCase: 'code_completion', users: 150, gpuTypes: ['L40S'] });
    expect(lines[1]).toMatchObject({ useCase: 'translation', qps: 15, missing: [] });
  });

  it('extract without --json prints a readable summary', async () => {
    const result = await cli(['extract', 'legal research for 30 paralegals'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Use case:\s+research_legal_analysis/);
    expect(result.stdout).toMatch(/Users:\s+30/);
    expect(result.stdout).toMatch(/Priority:\s+balanced \(default\)/);
  });

  it('spec --json prints the spec with stated and defaulted fields', async () => {
    const result = await cli(['spec', '--json', 'chatbot for 1000 users, TTFT p95 under 800ms'], env);
    expect(result.code).toBe(0);
    const spec = JSON.parse(result.stdout);
    expect(spec.useCase).toEqual({ value: 'chatbot_conversational', source: 'stated' });
    expect(spec.users).toEqual({ value: 1000, source: 'stated' });
    expect(spec.slo.ttftP95Ms).toEqual({ value: 800, source: 'stated' });
    expect(spec.slo.itlP95Ms.source).toBe('default');
    expect(spec.traffic.peakQps.source).toBe('derived');
    expect(spec.traffic.peakQps.value).toBeGreaterThan(0);
  });

  it('spec without --json marks where each value came from', async () => {
    const result = await cli(['spec', 'summaries of customer calls for 3k agents'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Users:\s+3,000\s+\(stated\)/);
    expect(result.stdout).toMatch(/Peak QPS:.*\(derived\)/);
    expect(result.stdout).toMatch(/TTFT p95:.*\(default\)/);
  });

  it('plan --json prints the contract: spec, ranked recommendations, near misses, warnings', async () => {
    const result = await cli(['plan', '--json', 'chatbot for 1000 users, under $5k/month'], env);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(Object.keys(plan)).toEqual(
      expect.arrayContaining(['spec', 'recommendations', 'nearMisses', 'warnings']),
    );
    expect(plan.recommendations.length).toBeGreaterThan(0);
    for (const option of plan.recommendations) {
      expect(option).toMatchObject({
        meetsSlo: true,
        basis: expect.stringMatching(/measured|interpolated|estimated/),
      });
      expect(option.gpuCount).toBe(option.replicas * option.tensorParallel);
      expect(option.monthlyCostUsd).toBeLessThanOrEqual(5000);
      for (const key of ['ttftP95Ms', 'itlP95Ms', 'e2eP95Ms', 'maxRps'])
        expect(option.predicted[key]).toBeGreaterThan(0);
      expect(typeof option.model).toBe('string');
      expect(typeof option.gpu).toBe('string');
      expect(option.rationale.length).toBeGreaterThan(10);
    }
  });

  it('plan flags override what the text says', async () => {
    const result = await cli(
      [
        'plan',
        '--json',
        '--gpu',
        'l40s,A100 80GB',
        '--priority',
        'cost',
        '--qps',
        '12',
        '--budget',
        '20000',
        'chatbot on H100',
      ],
      env,
    );
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan.spec.gpuTypes.value).toEqual(['A100-80GB', 'L40S']);
    expect(plan.spec.priority).toEqual({ value: 'cost', source: 'stated' });
    expect(plan.spec.traffic.peakQps.value).toBe(12);
    const costs = plan.recommendations.map((option: { monthlyCostUsd: number }) => option.monthlyCostUsd);
    expect(costs).toEqual([...costs].sort((a, b) => a - b));
    for (const option of plan.recommendations) expect(['A100-80GB', 'L40S']).toContain(option.gpu);
    const table = await cli(['plan', 'chatbot for 1000 users'], env);
    expect(table.stdout).toMatch(
      /#\s+Model\s+GPUs\s+TP\s+Replicas\s+\$\/month\s+TTFT p95\s+ITL p95\s+E2E p95\s+Max req\/s \(total\)/,
    );
    // Latencies carry their unit; the GPU column follows the documented notation.
    expect(table.stdout).toMatch(
      /^1 .* \d+× \S+( \(TP\d+\))?( × \d+ replicas)? .* [\d.]+ (ms|s)( ±\d+%)? [✓✗]/m,
    );
    expect(table.stdout).toMatch(/^GPUs: GPUs per replica \(tensor parallel\) × replicas\./m);
    expect(table.stdout).toMatch(/✓/);
    const unknown = await cli(['plan', '--gpu', 'TPU', 'chatbot'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown GPU "TPU"; known: .*H100/);
  });

  it('plan says which figures it refused before what it assumed instead, in the table and in --json', async () => {
    const table = await cli(['plan', 'chatbot for -500 users'], env);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n').slice(1, 3)).toEqual([
      'Refused: −500 is not a number of users Compass can plan for (users: at least 1, at most 100,000,000), so I left it out.',
      'Assumed: No user count or request rate was given; assumed 100 users.',
    ]);
    const json = JSON.parse((await cli(['plan', '--json', 'chatbot for 0 users'], env)).stdout);
    expect(json.refused).toEqual([expect.stringMatching(/^0 is not a number of users/)]);
  });

  it('plan shows what it assumed before the options, in the table and in --json', async () => {
    const table = await cli(['plan', 'set something up for the team'], env);
    expect(table.code).toBe(0);
    const [header, ...rest] = table.stdout.split('\n');
    expect(header).toMatch(/^chatbot_conversational · 100 users/);
    expect(rest.slice(0, 6)).toEqual([
      'Assumed: No use case was named; assumed Chatbot / conversational assistant.',
      'Assumed: No user count or request rate was given; assumed 100 users.',
      expect.stringMatching(
        /^Assumed: Request shape is the use case's default: [\d,]+ prompt tokens and [\d,]+ output tokens\.$/,
      ),
      expect.stringMatching(
        /^Assumed: Request lengths vary as the use case's published trace does \(standard deviation ÷ mean: prompt [\d.]+, output [\d.]+\), so p95s are those of long requests\.$/,
      ),
      expect.stringMatching(
        /^Assumed: \d+% of each prompt is a prefix earlier requests sent .* the use case's default\.$/,
      ),
      expect.stringMatching(
        /^Assumed: p95 targets not stated are the use case's: TTFT [\d,]+ ms, ITL [\d,]+ ms, E2E [\d,]+ ms\.$/,
      ),
    ]);
    const stated = await cli(
      [
        'plan',
        '--json',
        'code completion for 50 developers, 2k token prompts, 100 output tokens, TTFT under 300 ms',
      ],
      env,
    );
    const plan = JSON.parse(stated.stdout);
    expect(plan.assumptions).toEqual([
      expect.stringMatching(
        /^Request lengths vary as the use case's published trace does .*prompt 0\.96, output 2\.15/,
      ),
      expect.stringMatching(/^40% of each prompt is a prefix earlier requests sent/),
      expect.stringMatching(/^p95 targets not stated are the use case's: ITL [\d,]+ ms, E2E [\d,]+ ms\.$/),
    ]);
    const prefixStated = JSON.parse(
      (
        await cli(
          [
            'plan',
            '--json',
            '--prefix-share',
            '0.2',
            'code completion for 50 developers, 2k token prompts, 100 output tokens, TTFT under 300 ms',
          ],
          env,
        )
      ).stdout,
    );
    expect(prefixStated.spec.traffic.prefixShare).toEqual({ value: 0.2, source: 'stated' });
    expect(prefixStated.assumptions).toHaveLength(2);
  });

  it('plan --prompt-cv/--output-cv replace the use case length spread, and the p95s follow', async () => {
    const text = 'chatbot for 1000 users on L40S';
    const spread = JSON.parse((await cli(['plan', '--json', text], env)).stdout);
    expect(spread.spec.traffic.outputTokensCv).toEqual({ value: 0.77, source: 'default' });
    const fixed = JSON.parse(
      (await cli(['plan', '--json', '--prompt-cv', '0', '--output-cv', '0', text], env)).stdout,
    );
    expect(fixed.spec.traffic.promptTokensCv).toEqual({ value: 0, source: 'stated' });
    expect(fixed.spec.traffic.outputTokensCv).toEqual({ value: 0, source: 'stated' });
    expect(fixed.assumptions.some((line: string) => line.startsWith('Request lengths vary'))).toBe(false);
    // Same option, mean-length requests: the p95 reply is the mean one, so E2E p95 falls.
    const [first] = spread.recommendations;
    const same = fixed.recommendations.find((option: { id: string }) => option.id === first.id);
    expect(same, first.id).toMatchObject({ replicas: first.replicas });
    expect(same.predicted.e2eP95Ms).toBeLessThan(first.predicted.e2eP95Ms);
    const bad = await cli(['plan', '--output-cv', '11', text], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--output-cv.*expected a decimal number from 0 to 10/);
  });

  it('predict --batch prints the makespan, throughput and TTFT distribution of a burst', async () => {
    const base = [
      'predict',
      '--model',
      'meta-llama/Llama-3.1-8B-Instruct',
      '--gpu',
      'H100',
      '--tp',
      '1',
      '--prompt-tokens',
      '512',
      '--output-tokens',
      '128',
      '--prompt-cv',
      '0.5',
      '--batch',
    ];
    const small = await cli([...base, '200', '--json'], env);
    expect(small.stderr).toBe('');
    const job = JSON.parse(small.stdout);
    expect(job.requests).toBe(200);
    expect(job.makespanSec).toBeCloseTo(200 / job.requestsPerSec, 6);
    expect(job.outputTokensPerSec).toBeCloseTo((200 * 128) / job.makespanSec, 0);
    expect(job.ttftMs.p99).toBeGreaterThan(job.ttftMs.p50);
    const large = JSON.parse((await cli([...base, '5000', '--json'], env)).stdout);
    expect(large.makespanSec).toBeGreaterThan(10 * job.makespanSec);
    expect(large.ttftMs.p50).toBeGreaterThan(job.ttftMs.p50);

    const text = await cli([...base, '1000', '--prefix-share', '0.5'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Makespan: [\d.]+ (s|min|h) for 1,000 requests$/m);
    expect(text.stdout).toMatch(/^TTFT {3}mean .* p99 /m);
    expect(text.stdout).toMatch(/256 prompt tokens per request come from the prefix cache/);

    // A rate sends the batch over time (predict-api.test); a concurrency is another load altogether.
    const both = await cli([...base, '10', '--concurrency', '4'], env);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/exactly one of --rate RPS, --concurrency N or --batch N/);
    const badShare = await cli([...base, '10', '--prefix-share', '1.5'], env);
    expect(badShare.code).not.toBe(0);
    expect(badShare.stderr).toMatch(/from 0 up to \(not including\) 1/);
  });

  it('plan --batch-per-day plans an offline job and says how long the items take', async () => {
    const result = await cli(
      [
        'plan',
        '--json',
        '--top',
        '2',
        '--batch-per-day',
        '300000',
        '--window-hours',
        '6',
        'summarize support tickets, 800 tokens in, 20 out',
      ],
      env,
    );
    expect(result.stderr).toBe('');
    const plan = JSON.parse(result.stdout);
    expect(plan.spec.batch.value).toEqual({ itemsPerDay: 300_000, windowHours: 6 });
    expect(plan.spec.traffic.peakQps.value).toBeCloseTo(300_000 / (6 * 3600), 2);
    expect(plan.recommendations.length).toBeGreaterThan(0);
    for (const option of plan.recommendations) {
      expect(option.batch.makespanHours).toBeLessThanOrEqual(6);
      expect(option.batch.itemsPerReplica * option.replicas).toBeGreaterThanOrEqual(300_000);
    }
    const alone = await cli(['plan', '--window-hours', '6', 'summarize support tickets'], env);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--window-hours needs a batch job/);
  });

  it('predict --json prints the contract and refuses what cannot run', async () => {
    const base = [
      'predict',
      '--json',
      '--gpu',
      'H100',
      '--tp',
      '1',
      '--prompt-tokens',
      '591.6',
      '--output-tokens',
      '200',
    ];
    const light = await cli([...base, '--model', 'meta-llama/Llama-3.1-8B-Instruct', '--rate', '1'], env);
    expect(light.code).toBe(0);
    const prediction = JSON.parse(light.stdout);
    for (const key of [
      'ttftP50Ms',
      'ttftP95Ms',
      'itlP50Ms',
      'itlP95Ms',
      'e2eP50Ms',
      'e2eP95Ms',
      'requestsPerSec',
      'outputTokensPerSec',
    ]) {
      expect(prediction[key], key).toBeGreaterThan(0);
    }
    expect(prediction.basis).toBe('estimated');
    const heavy = JSON.parse(
      (await cli([...base, '--model', 'meta-llama/Llama-3.1-8B-Instruct', '--concurrency', '64'], env))
        .stdout,
    );
    expect(heavy.ttftP95Ms).toBeGreaterThan(prediction.ttftP95Ms);
    const loose = JSON.parse(
      (
        await cli(
          [...base, '--model', 'meta-llama/Llama-3.1-8B-Instruct', '--rate', '1', '--slo-itl-ms', '60'],
          env,
        )
      ).stdout,
    );
    const tight = JSON.parse(
      (
        await cli(
          [...base, '--model', 'meta-llama/Llama-3.1-8B-Instruct', '--rate', '1', '--slo-itl-ms', '15'],
          env,
        )
      ).stdout,
    );
    expect(loose.maxRpsWithinSlo).toBeGreaterThan(tight.maxRpsWithinSlo);
    expect(prediction.maxRpsWithinSlo).toBeUndefined();
    expect(heavy.outputTokensPerSec).toBeGreaterThan(prediction.outputTokensPerSec);

    const unknown = await cli([...base, '--model', 'acme/nope', '--rate', '1'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown model "acme\/nope"; known: .*meta-llama\/Llama-3.1-8B-Instruct/);
    const tooBig = await cli(
      [
        'predict',
        '--json',
        '--model',
        'meta-llama/Llama-3.1-405B-Instruct',
        '--gpu',
        'L4',
        '--tp',
        '1',
        '--prompt-tokens',
        '100',
        '--output-tokens',
        '100',
        '--rate',
        '1',
      ],
      env,
    );
    expect(tooBig.code).toBe(1);
    expect(tooBig.stderr).toMatch(/cannot run: .*GB/);
    const both = await cli(
      [...base, '--model', 'meta-llama/Llama-3.1-8B-Instruct', '--rate', '1', '--concurrency', '2'],
      env,
    );
    expect(both.code).toBe(2);
  });

  it('predict without --tp or lengths takes the smallest TP the model fits at and the use case traffic', async () => {
    const { useCases } = JSON.parse(readFileSync(join(packageRoot, 'data', 'use-cases.json'), 'utf8'));
    const profile = (id: string) => useCases.find((entry: { id: string }) => entry.id === id).traffic;
    const base = ['predict', '--json', '--gpu', 'H100', '--rate', '1'];
    // 70B in bf16 (141 GB) does not fit one 80 GB H100; two do.
    const chat = await cli([...base, '--model', 'meta-llama/Llama-3.1-70B-Instruct'], env);
    expect(chat.stderr).toBe('');
    const chatbot = JSON.parse(chat.stdout);
    const talk = profile('chatbot_conversational');
    expect(chatbot).toMatchObject({
      tensorParallel: 2,
      promptTokens: talk.promptTokens,
      outputTokens: talk.outputTokens,
      promptTokensCv: talk.promptTokensCv,
      outputTokensCv: talk.outputTokensCv,
      prefixShare: talk.prefixShare,
    });
    expect(chatbot.assumed).toMatch(/--use-case chatbot_conversational/);
    // The same shape stated in full predicts the same.
    const stated = JSON.parse(
      (
        await cli(
          [
            ...base,
            '--model',
            'meta-llama/Llama-3.1-70B-Instruct',
            '--tp',
            '2',
            '--use-case',
            'chatbot_conversational',
            '--prompt-tokens',
            String(talk.promptTokens),
            '--output-tokens',
            String(talk.outputTokens),
          ],
          env,
        )
      ).stdout,
    );
    expect(stated.e2eP95Ms).toBeCloseTo(chatbot.e2eP95Ms, 6);
    expect(stated.assumed).toMatch(/prompt length spread/);
    expect(stated.assumed).not.toMatch(/prompt tokens/);

    // A stated figure wins over the use case's; the rest is still the use case's.
    const code = JSON.parse(
      (
        await cli(
          [
            ...base,
            '--model',
            'meta-llama/Llama-3.1-8B-Instruct',
            '--use-case',
            'code_completion',
            '--output-tokens',
            '64',
          ],
          env,
        )
      ).stdout,
    );
    expect(code).toMatchObject({
      tensorParallel: 1,
      promptTokens: profile('code_completion').promptTokens,
      outputTokens: 64,
      outputTokensCv: profile('code_completion').outputTokensCv,
    });
    // Both lengths stated without a use case: a fixed-length benchmark, as before.
    const fixed = JSON.parse(
      (
        await cli(
          [
            ...base,
            '--model',
            'meta-llama/Llama-3.1-8B-Instruct',
            '--prompt-tokens',
            '500',
            '--output-tokens',
            '100',
          ],
          env,
        )
      ).stdout,
    );
    expect(fixed).toMatchObject({ promptTokensCv: 0, outputTokensCv: 0, prefixShare: 0, assumed: null });

    const text = await cli(
      ['predict', '--model', 'meta-llama/Llama-3.1-70B-Instruct', '--gpu', 'H100', '--batch', '100'],
      env,
    );
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/on 2× H100, TP 2 \(the smallest it fits at\)/);
    expect(text.stdout).toMatch(/^Assumed: .*--use-case chatbot_conversational/m);

    const tooBig = await cli([...base, '--model', 'meta-llama/Llama-3.1-405B-Instruct', '--gpu', 'L4'], env);
    expect(tooBig.code).toBe(1);
    expect(tooBig.stderr).toMatch(/no tensor-parallel degree up to 8 fits: .*8× L4 has 192 GB/);
    const odd = await cli([...base, '--model', 'meta-llama/Llama-3.1-8B-Instruct', '--gpu-count', '3'], env);
    expect(odd.code).toBe(0);
    expect(JSON.parse(odd.stdout).tensorParallel).toBe(1);
    const badCase = await cli(
      [...base, '--model', 'meta-llama/Llama-3.1-8B-Instruct', '--use-case', 'poetry'],
      env,
    );
    expect(badCase.code).toBe(2);
    expect(badCase.stderr).toMatch(/--use-case.*chatbot_conversational/);
  });

  it('exits 2 with one line on bad usage', async () => {
    for (const argv of [
      ['extract', '--jsn', 'x'],
      ['extract'],
      ['frobnicate'],
      ['extract', '--json', '   '],
    ]) {
      const result = await cli(argv, env);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
    }
  });

  it('stops with the list of settings to fix when configuration is bad', async () => {
    const result = await cli(['extract', 'chatbot'], {
      ...env,
      DATABASE_URL: 'mysql://x',
      LOG_LEVEL: 'loud',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/DATABASE_URL/);
    expect(result.stderr).toMatch(/LOG_LEVEL/);
  });

  it('runs as the installed `compass` binary', async () => {
    const bin = join(packageRoot, 'bin', 'compass.js');
    const { stdout } = await run(
      'node',
      [bin, 'extract', '--json', 'internal chatbot for 20k employees on MI300X'],
      {
        env: { ...process.env, ...env },
      },
    );
    expect(JSON.parse(stdout)).toMatchObject({ users: 20000, gpuTypes: ['MI300X'] });
    const bad = await run('node', [bin, 'extract', '--nope'], { env: { ...process.env, ...env } }).catch(
      (e) => e,
    );
    expect(bad.code).toBe(2);
  });
});

describe('compass benchmarks import', () => {
  let testDb: TestDatabase;
  let env: Record<string, string>;
  const reportPath = join(packageRoot, 'test', 'fixtures', 'guidellm');

  beforeAll(async () => {
    testDb = await createTestDatabase();
    env = { DATABASE_URL: testDb.url, HOME: '/nonexistent' };
  });
  afterAll(() => testDb.drop());

  it('imports every point of a report, and a re-import replaces instead of duplicating', async () => {
    const file = join(reportPath, 'llama-3.1-8b-h100-sweep.json');
    const args = [
      'benchmarks',
      'import',
      file,
      '--model',
      'meta-llama/Llama-3.1-8B-Instruct',
      '--gpu',
      'h100',
      '--tp',
      '1',
    ];
    const first = await cli(args, env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /Imported (\d+) measured points .* on 1× H100 \(TP 1, bf16\): \1 new, 0 replaced/,
    );
    const again = await cli(args, env);
    expect(again.stdout).toMatch(/0 new, (\d+) replaced/);
  });

  it('rejects a malformed report naming what is wrong, importing nothing', async () => {
    const broken = join(tmpdir(), `broken-${Date.now()}.json`);
    writeFileSync(broken, JSON.stringify({ benchmarks: [{ metrics: { time_to_first_token_ms: 'fast' } }] }));
    const args = [
      'benchmarks',
      'import',
      broken,
      '--model',
      'meta-llama/Llama-3.1-8B-Instruct',
      '--gpu',
      'L4',
      '--tp',
      '1',
    ];
    const result = await cli(args, env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/benchmarks\[0\]/);
  });

  it('rejects a file that is not JSON and an unknown model or GPU', async () => {
    const notJson = join(tmpdir(), `not-json-${Date.now()}.json`);
    writeFileSync(notJson, 'hello');
    const base = ['benchmarks', 'import', notJson, '--tp', '1'];
    const notJsonResult = await cli(
      [...base, '--model', 'meta-llama/Llama-3.1-8B-Instruct', '--gpu', 'L4'],
      env,
    );
    expect(notJsonResult.code).toBe(1);
    expect(notJsonResult.stderr).toMatch(/is not JSON/);
    const file = join(reportPath, 'llama-3.1-8b-h100-sweep.json');
    const unknownModel = await cli(
      ['benchmarks', 'import', file, '--tp', '1', '--model', 'acme/x', '--gpu', 'L4'],
      env,
    );
    expect(unknownModel.code).toBe(2);
    expect(unknownModel.stderr).toMatch(
      /unknown model "acme\/x"; known: .*meta-llama\/Llama-3.1-8B-Instruct/,
    );
    const unknownGpu = await cli(
      [
        'benchmarks',
        'import',
        file,
        '--tp',
        '1',
        '--model',
        'meta-llama/Llama-3.1-8B-Instruct',
        '--gpu',
        'TPU',
      ],
      env,
    );
    expect(unknownGpu.code).toBe(2);
    expect(unknownGpu.stderr).toMatch(/unknown GPU "TPU"; known: .*H100/);
  });
});
