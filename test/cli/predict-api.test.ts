/**
 * `compass predict --batch --api chat|completions`, on the catalog kept as the CLI's knowledge snapshot (no database).
 * The README's burst example is the gpustack Qwen3-32B A100 page's run of 1000 ShareGPT requests at once, measured
 * with `vllm bench serve --backend openai-chat`: its requests queue on the API server's chat-template rendering
 * before the engine sees them, which `--api chat` predicts and the completions default (what `vllm bench serve`
 * sends without `--backend`) leaves out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeKnowledgeSnapshot } from '../../src/knowledge/snapshot.js';
import { API_SERVER_SEC_PER_CHAT_REQUEST } from '../../src/planner/assumptions.js';
import { batchInputOf } from '../../src/planner/burst-runs.js';
import { predictBatch } from '../../src/planner/index.js';
import { burstRuns, catalog } from '../planner/catalog-knowledge.js';
import { cli } from '../support/cli.js';

// The catalog as a seeded database holds it (no GPU variants of public measurements: A100-80GB names one GPU).
const knowledge = { ...catalog, benchmarks: [] };
const dataDir = mkdtempSync(join(tmpdir(), 'compass-predict-api-'));
writeKnowledgeSnapshot(dataDir, knowledge);
const env = { HOME: '/nonexistent', COMPASS_DATA_DIR: dataDir };
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const run = burstRuns.find((r) => r.id === 'gpustack-qwen3-32b-a100-burst-1000')!;
// The README's example, word for word.
const readmeExample = [
  'predict',
  '--model',
  'Qwen/Qwen3-32B',
  '--gpu',
  'A100-80GB',
  '--tp',
  '1',
  '--prompt-tokens',
  '217',
  '--output-tokens',
  '201',
  '--prompt-cv',
  '1',
  '--output-cv',
  '0.8',
  '--batch',
  '1000',
  '--json',
];
const job = async (flags: string[]) => {
  const result = await cli([...readmeExample, ...flags], env);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout);
};
const planned = (chatStream: boolean) => {
  const result = predictBatch(
    // The CLI draws log-normal lengths (--prompt-cv, --output-cv); the bench draws this run's ShareGPT replies from
    // their published shape.
    {
      ...batchInputOf(run),
      promptTokens: 217,
      outputTokens: 201,
      chatStream,
      outputTokensShape: 'lognormal',
    },
    knowledge,
  );
  if (!result.ok) throw new Error(result.reason);
  return result.prediction;
};

describe('predict --batch --api', () => {
  it('chat predicts the published chat burst: the API server renders every template before the engine sees one', async () => {
    expect(run.chatStream).toBe(true);
    const chat = await job(['--api', 'chat']);
    expect(chat.ttftMs).toEqual(planned(true).ttftMs);
    const error = (predicted: number, measured: number) => Math.abs(predicted / measured - 1);
    expect(error(chat.ttftMs.mean, run.measured.ttftMeanMs)).toBeLessThan(0.15);
    expect(error(chat.ttftMs.p50, run.measured.ttftP50Ms)).toBeLessThan(0.15);

    const completions = await job(['--api', 'completions']);
    expect(await job([])).toEqual(completions);
    expect(completions.ttftMs).toEqual(planned(false).ttftMs);
    expect(error(completions.ttftMs.mean, run.measured.ttftMeanMs)).toBeGreaterThan(
      error(chat.ttftMs.mean, run.measured.ttftMeanMs),
    );
    // The other 999 requests' rendering, on one API server process, delays every request of the chat burst.
    expect(chat.ttftMs.p50 - completions.ttftMs.p50).toBeCloseTo(
      999 * API_SERVER_SEC_PER_CHAT_REQUEST * 1e3,
      3,
    );
    expect(chat.makespanSec - completions.makespanSec).toBeCloseTo(999 * API_SERVER_SEC_PER_CHAT_REQUEST, 6);
  });

  it('--batch N --rate R sends the job over time, as predictBatch plays a finite open loop', async () => {
    const sent = await job(['--rate', '2']);
    const expected = predictBatch(
      {
        ...batchInputOf(run),
        promptTokens: 217,
        outputTokens: 201,
        chatStream: false,
        outputTokensShape: 'lognormal',
        arrivalRatePerSec: 2,
      },
      knowledge,
    );
    if (!expected.ok) throw new Error(expected.reason);
    expect(sent.makespanSec).toBe(expected.prediction.makespanSec);
    expect(sent.limitedBy).toBe('arrivals');
    // 1000 sends at 2 req/s take ~500 s; the burst of the same job is over long before.
    expect(sent.makespanSec).toBeGreaterThan(450);
    expect(sent.makespanSec).toBeGreaterThan((await job([])).makespanSec * 2);
    const both = await cli([...readmeExample, '--rate', '2', '--concurrency', '4'], env);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give exactly one of/);
  });

  it('refuses --api on a steady load and an API it does not know', async () => {
    const steady = readmeExample.filter((flag) => flag !== '--batch' && flag !== '1000');
    const rate = await cli([...steady, '--rate', '1', '--api', 'chat'], env);
    expect(rate.code).toBe(2);
    expect(rate.stderr).toMatch(/--api shapes a burst \(--batch N\)/);
    const unknown = await cli([...readmeExample, '--api', 'responses'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--api.*responses.*chat, completions/);
  });
});
