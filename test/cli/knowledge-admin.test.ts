/**
 * `compass benchmarks list | remove` and `compass models list | remove` against a real PostgreSQL: imported points
 * are listed per import and removed by import id or source (the catalog's stay), an imported model goes with its
 * points, a catalog model is refused, and an impossible report is refused whole with the reason.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

let database: TestDatabase;
let env: Record<string, string>;
const dir = mkdtempSync(join(tmpdir(), 'compass-admin-'));

const report = (itl: { p50: number; p95: number }, rates = [1, 2]) => ({
  benchmarks: rates.map((rate) => ({
    config: { strategy: { type_: 'poisson', rate } },
    metrics: {
      time_to_first_token_ms: { successful: { mean: 150, percentiles: { p50: 140, p95: 210 } } },
      inter_token_latency_ms: { successful: { mean: itl.p50, percentiles: itl } },
      request_latency: { successful: { mean: 7.8, percentiles: { p50: 7.7, p95: 8.6 } } },
      prompt_token_count: { successful: { mean: 512 } },
      output_token_count: { successful: { mean: 128 } },
    },
  })),
});
const write = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
};
const LLAMA = ['--model', 'meta-llama/Llama-3.1-8B-Instruct', '--gpu', 'L4', '--tp', '1'];

beforeAll(async () => {
  database = await createTestDatabase();
  env = { DATABASE_URL: database.url, HOME: dir };
}, 60_000);
afterAll(async () => {
  await database?.drop();
});

describe('compass benchmarks list | remove', () => {
  it('lists imports and removes one by import id and another by source; an unknown one is an error', async () => {
    const sane = write('l4.json', report({ p50: 58, p95: 66 }));
    expect((await cli(['benchmarks', 'import', sane, ...LLAMA], env)).code).toBe(0);
    const other = write('l4-again.json', report({ p50: 60, p95: 70 }, [3, 4]));
    expect((await cli(['benchmarks', 'import', other, ...LLAMA], env)).code).toBe(0);

    const listed = await cli(['benchmarks', 'list', '--json'], env);
    const groups = JSON.parse(listed.stdout) as { importId: string; source: string; points: number }[];
    expect(groups.map((g) => [g.source, g.points])).toEqual([
      [sane, 2],
      [other, 2],
    ]);
    const table = await cli(['benchmarks', 'list'], env);
    expect(table.stdout).toMatch(/import\s+source\s+model\s+GPUs\s+TP/);
    expect(table.stdout).toContain('1× L4');

    const byId = await cli(['benchmarks', 'remove', groups[0]!.importId], env);
    expect(byId).toMatchObject({ code: 0, stdout: `Removed 2 measured points (${groups[0]!.importId}).\n` });
    expect((await cli(['benchmarks', 'remove', other], env)).code).toBe(0);
    expect((await cli(['benchmarks', 'list'], env)).stdout).toMatch(/^No imported measured points/);
    const unknown = await cli(['benchmarks', 'remove', 'nothing.json'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no imported points have import id or source "nothing.json"/);
  }, 60_000);

  it('refuses a report that cannot be right, naming the point and why, and imports none of it', async () => {
    const impossible = write('70b-on-l4.json', report({ p50: 58, p95: 66 }));
    const result = await cli(
      [
        'benchmarks',
        'import',
        impossible,
        '--model',
        'meta-llama/Llama-3.1-70B-Instruct',
        '--gpu',
        'L4',
        '--tp',
        '1',
      ],
      env,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /nothing imported; 2 of its 2 points cannot be right:\npoint 1 \(1 req\/s\): .*cannot run/,
    );
    const fast = write('too-fast.json', report({ p50: 2, p95: 3 }));
    const tooFast = await cli(['benchmarks', 'import', fast, ...LLAMA], env);
    expect(tooFast.stderr).toMatch(/ITL of 2\.0 ms is below/);
    const disordered = write('p50-above-p95.json', report({ p50: 90, p95: 66 }));
    expect((await cli(['benchmarks', 'import', disordered, ...LLAMA], env)).stderr).toMatch(
      /p95 66 is below p50 90; percentiles cannot decrease/,
    );
    expect((await cli(['benchmarks', 'list'], env)).stdout).toMatch(/^No imported measured points/);
  }, 60_000);
});

describe('compass models list | remove', () => {
  it('lists catalog models, refuses to remove one, and removes an imported model with its points', async () => {
    const config = write('config.json', {
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_size: 2048,
      intermediate_size: 8192,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      num_hidden_layers: 16,
      vocab_size: 128256,
      max_position_embeddings: 131072,
      tie_word_embeddings: true,
      torch_dtype: 'bfloat16',
    });
    const imported = await cli(['models', 'import', '--hf-config', config, '--id', 'acme/tiny-llama'], env);
    expect(imported.stderr).toBe('');
    const points = write('tiny.json', report({ p50: 20, p95: 24 }));
    expect(
      (
        await cli(
          ['benchmarks', 'import', points, '--model', 'acme/tiny-llama', '--gpu', 'L4', '--tp', '1'],
          env,
        )
      ).code,
    ).toBe(0);

    const listed = JSON.parse((await cli(['models', 'list', '--json'], env)).stdout) as {
      id: string;
      origin: string;
      points: number;
    }[];
    expect(listed.find((m) => m.id === 'acme/tiny-llama')).toMatchObject({ origin: 'imported', points: 2 });
    expect(listed.find((m) => m.id === 'meta-llama/Llama-3.1-8B-Instruct')).toMatchObject({
      origin: 'catalog',
    });
    expect((await cli(['models', 'list'], env)).stdout).toMatch(/acme\/tiny-llama\s+.+\s+imported\s+2/);

    const refused = await cli(['models', 'remove', 'meta-llama/Llama-3.1-8B-Instruct'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ships with Compass's catalog and cannot be removed/);
    const removed = await cli(['models', 'remove', 'acme/tiny-llama'], env);
    expect(removed).toMatchObject({
      code: 0,
      stdout: 'Removed acme/tiny-llama and its 2 imported measured points.\n',
    });
    const after = JSON.parse((await cli(['models', 'list', '--json'], env)).stdout) as { id: string }[];
    expect(after.some((m) => m.id === 'acme/tiny-llama')).toBe(false);
    expect((await cli(['benchmarks', 'list'], env)).stdout).toMatch(/^No imported measured points/);
    expect((await cli(['models', 'remove', 'acme/tiny-llama'], env)).stderr).toMatch(/no model has the id/);
  }, 60_000);
});
