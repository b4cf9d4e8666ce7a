/**
 * `compass plan --batch-per-day N --api chat|completions`, on the catalog kept as the CLI's knowledge snapshot (no
 * database): the API a batch job's requests call prices its makespan as `predict --batch --api` does (chat
 * completions queue on the API server's template rendering before the engine sees them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeKnowledgeSnapshot } from '../../src/knowledge/snapshot.js';
import { catalog } from '../planner/catalog-knowledge.js';
import { cli } from '../support/cli.js';

const dataDir = mkdtempSync(join(tmpdir(), 'compass-plan-batch-api-'));
writeKnowledgeSnapshot(dataDir, { ...catalog, benchmarks: [] });
const env = { HOME: '/nonexistent', COMPASS_DATA_DIR: dataDir };
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const job = [
  'plan',
  '--top',
  '2',
  '--model',
  'Qwen/Qwen3-32B',
  '--gpu',
  'A100-80GB',
  '--batch-per-day',
  '20000',
  'summarize support tickets, 217 tokens in, 201 out',
];
const planned = async (flags: string[]) => {
  const result = await cli([...job, '--json', ...flags], env);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout);
};

describe('plan --batch-per-day --api', () => {
  it('chat lengthens each option’s makespan by the templates the API server renders; completions is the default', async () => {
    const chat = await planned(['--api', 'chat']);
    const completions = await planned(['--api', 'completions']);
    expect(await planned([])).toEqual({
      ...completions,
      spec: {
        ...completions.spec,
        batch: { ...completions.spec.batch, value: { itemsPerDay: 20_000, windowHours: 24 } },
      },
    });
    expect(chat.spec.batch.value).toEqual({ itemsPerDay: 20_000, windowHours: 24, api: 'chat' });
    expect(completions.recommendations.length).toBeGreaterThan(0);
    // The options are sized by the window's rate alike; only how long the day's items take differs.
    expect(chat.recommendations.map((option: { id: string }) => option.id)).toEqual(
      completions.recommendations.map((option: { id: string }) => option.id),
    );
    chat.recommendations.forEach((option: { batch: { makespanHours: number } }, i: number) => {
      expect(option.batch.makespanHours).toBeGreaterThan(completions.recommendations[i].batch.makespanHours);
    });
    const text = await cli([...job, '--api', 'chat'], env);
    expect(text.stdout).toMatch(/batch job of 20,000 items a day in 24 h over chat completions/);
  });

  it('shapes a batch job the text states, and refuses --api without one', async () => {
    const stated = await cli(
      ['plan', '--json', '--api', 'chat', 'classify 2 million support tickets overnight in 8 hours'],
      env,
    );
    expect(stated.stderr).toBe('');
    expect(JSON.parse(stated.stdout).spec.batch.value).toMatchObject({ itemsPerDay: 2_000_000, api: 'chat' });
    const widened = await cli(
      ['plan', '--json', '--window-hours', '12', 'classify 2 million support tickets overnight in 8 hours'],
      env,
    );
    expect(JSON.parse(widened.stdout).spec.batch.value).toEqual({ itemsPerDay: 2_000_000, windowHours: 12 });

    const interactive = await cli(['plan', '--api', 'chat', 'summarize support tickets'], env);
    expect(interactive.code).toBe(2);
    expect(interactive.stderr).toMatch(/--api needs a batch job: give --batch-per-day N/);
    const unknown = await cli([...job, '--api', 'responses'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--api.*responses.*chat, completions/);
  });
});
