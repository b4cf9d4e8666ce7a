/**
 * `compass simulator` as scripts outside the project use it: settings from flags and SIMULATOR_* variables, usage
 * errors with exit code 2, and the real process (`node bin/compass.js simulator …`, built by `npm run build`) serving
 * until SIGTERM, then draining the requests in flight and exiting 0 — or exiting 1 when a crash fault fires.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/io.js';
import { simulatorSettings } from '../../src/cli/simulator.js';
import { packageRoot } from '../../src/paths.js';
import { cli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { client } from './load.js';

describe('simulator settings', () => {
  it('takes flags over SIMULATOR_* variables over defaults', () => {
    const settings = simulatorSettings(
      { model: 'meta-llama/Llama-3.1-8B-Instruct', timeScale: '0.5' },
      { SIMULATOR_GPU: 'L4', SIMULATOR_TIME_SCALE: '0.1', SIMULATOR_MAX_CONCURRENCY: '8', SIMULATOR_TP: '' },
    );
    expect(settings).toMatchObject({
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      gpu: 'L4',
      timeScale: 0.5,
      maxConcurrency: 8,
      tp: 1,
      port: 8000,
      quantization: 'bf16',
      failFraction: 0,
    });
  });

  it('names both spellings of every bad or missing setting at once', () => {
    const attempt = () =>
      simulatorSettings({ timeScale: '-1', quantization: 'fp4' }, { SIMULATOR_FAIL_FRACTION: '2' });
    expect(attempt).toThrow(UsageError);
    const message = (() => {
      try {
        attempt();
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toContain('--model (or SIMULATOR_MODEL) is required');
    expect(message).toContain('--gpu (or SIMULATOR_GPU) is required');
    expect(message).toContain('--time-scale (or SIMULATOR_TIME_SCALE)');
    expect(message).toContain('--quantization (or SIMULATOR_QUANTIZATION)');
    expect(message).toContain('--fail-fraction (or SIMULATOR_FAIL_FRACTION)');
  });
});

describe('compass simulator', () => {
  let testDb: TestDatabase;
  let env: Record<string, string>;
  /** HOME and npm's cache of the spawned processes: nothing a test runs writes outside temp dirs. */
  let home: string;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    home = mkdtempSync(join(tmpdir(), 'compass-simulator-cli-'));
    env = { DATABASE_URL: testDb.url, HOME: home };
  });
  afterAll(async () => {
    await testDb.drop();
    rmSync(home, { recursive: true, force: true });
  });

  it('exits 2 with a one-line usage error when the model is missing', async () => {
    const result = await cli(['simulator', '--gpu', 'L4'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^compass: --model \(or SIMULATOR_MODEL\) is required\n$/);
  });

  it('exits 2 naming the catalog when the model or GPU is unknown', async () => {
    const result = await cli(['simulator', '--model', 'acme/NotAModel', '--gpu', 'L4'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^compass: unknown model "acme\/NotAModel"; known: .*meta-llama\/Llama-3\.1-8B-Instruct/,
    );
  });

  it('exits 1 when the configuration cannot run, as vLLM would fail to start', async () => {
    const result = await cli(
      ['simulator', '--model', 'meta-llama/Llama-3.1-70B-Instruct', '--gpu', 'L4'],
      env,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/this configuration cannot run: .*weights/);
  });

  describe('the real process', () => {
    const bin = join(packageRoot, 'bin', 'compass.js');
    type Simulator = {
      child: ChildProcessByStdio<null, Readable, Readable>;
      url: string;
      output: () => string;
    };

    /** `node bin/compass.js simulator …`, or `npx compass simulator …` in the package as the contract writes it. */
    async function launch(
      args: string[],
      extraEnv: Record<string, string> = {},
      via: 'node' | 'npx' = 'node',
    ): Promise<Simulator> {
      expect(
        existsSync(join(packageRoot, 'dist', 'src', 'cli', 'main.js')),
        'run `npm run build` first',
      ).toBe(true);
      const command = ['simulator', '--host', '127.0.0.1', '--port', '0', ...args];
      const child = spawn(
        via === 'node' ? process.execPath : 'npx',
        via === 'node' ? [bin, ...command] : ['compass', ...command],
        {
          cwd: packageRoot,
          env: {
            PATH: process.env.PATH ?? '',
            // A private npm cache: npx neither reads nor writes the developer's, and needs no writable real HOME.
            npm_config_cache: join(home, 'npm-cache'),
            npm_config_update_notifier: 'false',
            ...env,
            ...extraEnv,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
      });
      const url = await new Promise<string>((resolve, reject) => {
        const check = () => {
          const match = out.match(/at (http:\/\/\S+);/);
          if (match) resolve(match[1]!);
        };
        child.stdout.on('data', check);
        child.once('exit', (code) => reject(new Error(`simulator exited with ${code}: ${err}`)));
      });
      return { child, url, output: () => out + err };
    }

    const exitOf = (child: Simulator['child']) =>
      new Promise<number | null>((resolve) => {
        if (child.exitCode !== null) resolve(child.exitCode);
        else child.once('exit', (code) => resolve(code));
      });

    it('serves until SIGTERM, then finishes the streams in flight, refuses new connections and exits 0', async () => {
      // Model and GPU from the environment, the rest from flags: the deploy manifests may use either.
      const sim = await launch(['--time-scale', '0.2', '--served-model-name', 'sim'], {
        SIMULATOR_MODEL: 'meta-llama/Llama-3.1-8B-Instruct',
        SIMULATOR_GPU: 'L4',
      });
      const openai = client(sim.url);
      const stream = await openai.chat.completions.create({
        model: 'sim',
        messages: [{ role: 'user', content: 'Tell me a long story.' }],
        max_tokens: 30,
        stream: true,
        stream_options: { include_usage: true },
      });
      const exit = exitOf(sim.child);
      let tokens = 0;
      let usage: OpenAI.CompletionUsage | undefined;
      let refusedDuringDrain: unknown = null;
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) tokens += 1;
        if (chunk.usage) usage = chunk.usage;
        if (tokens === 1 && refusedDuringDrain === null) {
          sim.child.kill('SIGTERM');
          await new Promise((resolve) => setTimeout(resolve, 100));
          refusedDuringDrain = await fetch(`${sim.url}/health`).then(
            () => 'accepted',
            (error: Error) => error,
          );
        }
      }
      expect(tokens).toBe(30);
      expect(usage).toMatchObject({ completion_tokens: 30 });
      expect(refusedDuringDrain).toBeInstanceOf(Error);
      expect(await exit).toBe(0);
      expect(sim.output()).toContain('drained');
    });

    it('keeps draining when the stop signal comes twice (npm exec forwards it; Ctrl+C reaches the whole group)', async () => {
      const sim = await launch([
        '--model',
        'meta-llama/Llama-3.1-8B-Instruct',
        '--gpu',
        'L4',
        '--time-scale',
        '0.2',
        '--served-model-name',
        'sim',
      ]);
      const stream = await client(sim.url).chat.completions.create({
        model: 'sim',
        messages: [{ role: 'user', content: 'Tell me a long story.' }],
        max_tokens: 30,
        stream: true,
      });
      const exit = exitOf(sim.child);
      let tokens = 0;
      for await (const chunk of stream) {
        if (!chunk.choices[0]?.delta.content) continue;
        tokens += 1;
        if (tokens === 1) {
          sim.child.kill('SIGTERM');
          await new Promise((resolve) => setTimeout(resolve, 100));
          sim.child.kill('SIGINT');
        }
      }
      expect(tokens).toBe(30);
      expect(await exit, sim.output()).toBe(0);
      expect(sim.output()).toContain('drained');
    });

    it('run as `npx compass simulator …`, exits 0 once drained when the npx process gets SIGTERM', async () => {
      const sim = await launch(
        ['--model', 'meta-llama/Llama-3.1-8B-Instruct', '--gpu', 'L4', '--time-scale', '0.2'],
        {},
        'npx',
      );
      const exit = exitOf(sim.child);
      sim.child.kill('SIGTERM');
      expect(await exit, sim.output()).toBe(0);
      expect(sim.output()).toContain('drained');
    });

    it('exits 1 when a crash fault fires', async () => {
      const sim = await launch([
        '--model',
        'meta-llama/Llama-3.1-8B-Instruct',
        '--gpu',
        'L4',
        '--crash-after-requests',
        '1',
      ]);
      const exit = exitOf(sim.child);
      const failure = await client(sim.url)
        .completions.create({ model: 'meta-llama/Llama-3.1-8B-Instruct', prompt: 'hi', max_tokens: 3 })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(OpenAI.APIConnectionError);
      expect(await exit).toBe(1);
      expect(sim.output()).toContain('simulated crash');
    });
  });
});
