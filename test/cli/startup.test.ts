/**
 * What a command loads: `compass --help` and `--version` load neither zod nor a database, a warm `compass plan` on
 * the embedded database does not start PGlite (the snapshot serves it) nor, without OLLAMA_HOST, the LLM client, and
 * no CLI command but bot and worker loads Slack, Kubernetes or BullMQ. Spawns the built CLI (`npm run build`) with a
 * module-resolution hook that records every module it loads.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';

const run = promisify(execFile);
const BIN = join(packageRoot, 'bin', 'compass.js');
const SERVER_STACKS = ['@slack/', 'bullmq', 'ioredis', '@kubernetes/client-node', 'prom-client'];

describe('compass start-up', () => {
  let scratch: string;
  let env: Record<string, string>;
  let hooks: string;
  let loadedFile: string;

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'compass-startup-'));
    loadedFile = join(scratch, 'loaded.txt');
    const resolveHook = join(scratch, 'record-hook.mjs');
    writeFileSync(
      resolveHook,
      `import { appendFileSync } from 'node:fs';
       export async function resolve(specifier, context, next) {
         const resolved = await next(specifier, context);
         appendFileSync(${JSON.stringify(loadedFile)}, resolved.url + '\\n');
         return resolved;
       }`,
    );
    hooks = `data:text/javascript,${encodeURIComponent(
      `import { register } from 'node:module'; register(${JSON.stringify(`file://${resolveHook}`)});`,
    )}`;
    env = { PATH: process.env.PATH ?? '', HOME: scratch, COMPASS_DATA_DIR: join(scratch, 'data') };
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** Runs the built CLI and returns its output with every module URL it resolved. */
  async function compass(args: string[]) {
    writeFileSync(loadedFile, '');
    const { stdout, stderr } = await run(process.execPath, ['--import', hooks, BIN, ...args], {
      env,
      timeout: 120_000,
    });
    return { stdout, stderr, loaded: readFileSync(loadedFile, 'utf8').split('\n').filter(Boolean) };
  }

  const loading = (loaded: string[], names: string[]) =>
    loaded.filter((url) => names.some((name) => url.includes(`/node_modules/${name}`)));

  it('--version prints the package version, and --help the commands, loading only commander', async () => {
    const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
    const versionRun = await compass(['--version']);
    expect(versionRun.stdout.trim()).toBe(version);
    const help = await compass(['--help']);
    expect(help.stdout).toMatch(/plan \[options\] \[text\.\.\.\]/);
    expect(help.stdout).toMatch(/-V, --version/);
    for (const { loaded } of [versionRun, help]) {
      const packages = new Set(
        loaded.flatMap((url) => url.match(/\/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? []),
      );
      expect([...packages]).toEqual(['commander']);
    }
  });

  it('creates the embedded database once with a notice, then plans from its snapshot without PGlite', async () => {
    const request = ['plan', '--json', 'chatbot for 1000 users, low latency matters'];
    const first = await compass(request);
    expect(first.stderr).toMatch(/^compass: creating the embedded database in .*\(first run only/);
    expect(loading(first.loaded, ['@electric-sql/pglite'])).not.toEqual([]);

    const warm = await compass(request);
    expect(warm.stderr).toBe('');
    expect(loading(warm.loaded, ['@electric-sql/pglite', 'pg/', 'drizzle-orm'])).toEqual([]);
    expect(loading(warm.loaded, SERVER_STACKS)).toEqual([]);
    // Without OLLAMA_HOST the rules read the text alone: the LLM client library stays unloaded.
    expect(loading(warm.loaded, ['ollama'])).toEqual([]);
    expect(JSON.parse(warm.stdout)).toEqual(JSON.parse(first.stdout));
  }, 180_000);

  it('opens the database again once something wrote to it (an imported model is planned with)', async () => {
    const configPath = join(packageRoot, 'test', 'fixtures', 'hf-configs', 'Llama-3.1-8B-Instruct.json');
    await compass(['models', 'import', '--hf-config', configPath, '--id', 'acme/llama-tuned']);
    const after = await compass([
      'predict',
      '--model',
      'acme/llama-tuned',
      '--gpu',
      'H100',
      '--tp',
      '1',
      '--prompt-tokens',
      '500',
      '--output-tokens',
      '200',
      '--rate',
      '1',
    ]);
    expect(loading(after.loaded, ['@electric-sql/pglite'])).not.toEqual([]);
    expect(after.stdout).toMatch(/^acme\/llama-tuned \(bf16\) on 1× H100/);
  }, 180_000);
});
