import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../../src/cli/context.js';
import { cliContext, withKnowledgeBase } from '../../src/cli/context.js';
import { UsageError } from '../../src/cli/io.js';
import { defaultModelId, modelIdOption, modelsImportCommand } from '../../src/cli/models.js';
import type { PlanCommandOptions } from '../../src/cli/plan.js';
import { planCommand } from '../../src/cli/plan.js';
import type { PredictCommandOptions } from '../../src/cli/predict.js';
import { predictCommand } from '../../src/cli/predict.js';
import type { Knowledge } from '../../src/knowledge/catalog.js';
import { HfConfigError, readHfConfig } from '../../src/knowledge/hf-config.js';
import { packageRoot } from '../../src/paths.js';
import { cli } from '../support/cli.js';
import type { TestDatabase } from '../support/postgres.js';
import { createTestDatabase } from '../support/postgres.js';

const FIXTURES = join(packageRoot, 'test', 'fixtures', 'hf-configs');
const fixture = (name: string) => join(FIXTURES, `${name}.json`);

describe('compass models import and predict --model-config against the real PostgreSQL', () => {
  let testDb: TestDatabase;
  let env: Record<string, string>;
  let scratch: string;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    env = { DATABASE_URL: testDb.url, HOME: '/nonexistent' };
    scratch = mkdtempSync(join(tmpdir(), 'compass-hf-'));
  });
  afterAll(async () => {
    rmSync(scratch, { recursive: true, force: true });
    await testDb.drop();
  });

  /** Runs a command the way main.ts does, returning what it printed and what it threw. */
  async function run(command: (context: CliContext) => Promise<void>) {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (chunk) => {
      out += chunk.toString();
    });
    const stdin = Object.assign(Readable.from([]), { isTTY: true });
    const context = cliContext({ stdin, stdout, stderr: new PassThrough(), env });
    const error = await command(context).then(
      () => null,
      (thrown: unknown) => thrown,
    );
    return { stdout: out, error };
  }

  const snapshot = async (): Promise<Knowledge> => {
    let knowledge: Knowledge | undefined;
    const { error } = await run((context) =>
      withKnowledgeBase(context, async (kb) => {
        knowledge = kb.knowledge;
      }),
    );
    if (error || !knowledge) throw error ?? new Error('no knowledge');
    return knowledge;
  };

  const importConfig = (
    hfConfig: string,
    options: { id?: string; license?: string; tasks?: string[] } = {},
  ) => run((context) => modelsImportCommand(context, { hfConfig, ...options }));

  const plan = async (text: string, options: Partial<PlanCommandOptions>) => {
    const { stdout, error } = await run((context) =>
      planCommand(context, [text], { json: true, top: 20, ...options }),
    );
    if (error) throw error;
    return JSON.parse(stdout) as {
      recommendations: { model: string; quality: number | null; rationale: string }[];
    };
  };

  it('stores an imported model that later plans consider, with its quality unknown', async () => {
    const before = await snapshot();
    const imported = await importConfig(fixture('Llama-3.1-8B-Instruct'), {
      id: 'acme/llama-8b-copy',
      license: 'llama3.1',
    });
    expect(imported.error).toBeNull();
    expect(imported.stdout).toMatch(/^Imported acme\/llama-8b-copy \(llama, served at bf16\):/);
    expect(imported.stdout).toMatch(/8\.03B parameters \(8\.03B active per token/);
    expect(imported.stdout).toMatch(/KV cache 131,072 bytes \(128 KiB\) per token/);
    expect(imported.stdout).toMatch(/quality: unknown/);

    const after = await snapshot();
    expect(after.models).toHaveLength(before.models.length + 1);
    const model = after.models.find(({ id }) => id === 'acme/llama-8b-copy');
    const catalogued = after.models.find(({ id }) => id === 'meta-llama/Llama-3.1-8B-Instruct');
    expect(model).toMatchObject({
      family: 'llama',
      license: 'llama3.1',
      quality: {},
      precisions: [{ precision: 'bf16', checkpoint: 'acme/llama-8b-copy' }],
      architecture: catalogued?.architecture,
      contextWindow: 131_072,
    });
    // No --tasks and a 128k context: every use case's default request fits.
    expect(model?.tasks).toHaveLength(9);

    const own = await plan('chatbot for 300 users', { model: ['acme/llama-8b-copy'] });
    expect(own.recommendations.length).toBeGreaterThan(0);
    for (const option of own.recommendations) {
      expect(option.model).toBe('acme/llama-8b-copy');
      expect(option.quality).toBeNull();
      expect(option.rationale).toMatch(/quality unknown/);
    }
    // Accuracy first: the scored catalog twin ranks above every option of the unscored import.
    const ranked = await plan('chatbot for 300 users', {
      model: ['acme/llama-8b-copy', 'meta-llama/Llama-3.1-8B-Instruct'],
      priority: 'accuracy',
    });
    const models = ranked.recommendations.map((option) => option.model);
    expect(models).toContain('acme/llama-8b-copy');
    expect(models).toContain('meta-llama/Llama-3.1-8B-Instruct');
    expect(models.lastIndexOf('meta-llama/Llama-3.1-8B-Instruct')).toBeLessThan(
      models.indexOf('acme/llama-8b-copy'),
    );
  });

  it('takes a quality score the user vouches for through the real command line', async () => {
    const result = await cli(
      [
        'models',
        'import',
        '--hf-config',
        fixture('phi-4'),
        '--id',
        'acme/phi4-rated',
        '--quality',
        '72',
        '--tasks',
        'translation',
      ],
      env,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/quality: 72 for every use case/);
    const model = (await snapshot()).models.find((candidate) => candidate.id === 'acme/phi4-rated')!;
    expect(model.quality).toEqual({ translation: 72 });
    const refused = await cli(['models', 'import', '--hf-config', fixture('phi-4'), '--quality', '140'], env);
    expect(refused.code).toBe(2);
  });

  it('re-imports under the same id in place and refuses a catalog id, changing nothing', async () => {
    const again = await importConfig(fixture('Llama-3.1-8B-Instruct'), {
      id: 'acme/llama-8b-copy',
      tasks: ['chatbot_conversational'],
    });
    expect(again.error).toBeNull();
    expect(again.stdout).toMatch(/^Re-imported acme\/llama-8b-copy/);
    const knowledge = await snapshot();
    expect(knowledge.models.filter(({ id }) => id === 'acme/llama-8b-copy').map((m) => m.tasks)).toEqual([
      ['chatbot_conversational'],
    ]);

    const catalogId = await importConfig(fixture('Qwen3-14B'), { id: 'meta-llama/Llama-3.1-8B-Instruct' });
    expect(catalogId.error).toBeInstanceOf(UsageError);
    expect(String(catalogId.error)).toMatch(/is a catalog model; import it under another --id/);
    const catalogued = (await snapshot()).models.find(({ id }) => id === 'meta-llama/Llama-3.1-8B-Instruct');
    expect(catalogued?.architecture.hiddenSize).toBe(4096);
    expect(Object.keys(catalogued?.quality ?? {}).length).toBeGreaterThan(0);
  });

  it('imports a config of each supported family, MoE and quantized ones included', async () => {
    const cases: [string, string, string][] = [
      ['Mixtral-8x7B-Instruct-v0.1', 'mixtral', 'bf16'],
      ['Qwen1.5-MoE-A2.7B-Chat', 'qwen2_moe', 'bf16'],
      ['Qwen2.5-72B-Instruct-AWQ', 'qwen2', 'int4'],
      ['Qwen3-14B-FP8', 'qwen3', 'fp8'],
      ['Qwen3-30B-A3B', 'qwen3_moe', 'bf16'],
      ['gemma-2-9b-it', 'gemma2', 'bf16'],
      ['gemma-3-27b-it', 'gemma3', 'bf16'],
      ['granite-3.1-3b-a800m-instruct', 'granitemoe', 'bf16'],
      ['Phi-3-mini-4k-instruct', 'phi3', 'bf16'],
      ['gpt-oss-20b', 'gpt_oss', 'mxfp4'],
      ['DeepSeek-V3', 'deepseek_v3', 'fp8'],
      ['Kimi-K2-Instruct', 'kimi_k2', 'fp8'],
      ['GLM-4.5-Air', 'glm4_moe', 'bf16'],
      ['Llama-4-Scout-17B-16E-Instruct', 'llama4', 'bf16'],
      ['Qwen3-Next-80B-A3B-Instruct', 'qwen3_next', 'bf16'],
      ['Qwen3.5-35B-A3B', 'qwen3_5_moe', 'bf16'],
      ['Mistral-Small-3.2-24B-Instruct-2506', 'mistral3', 'bf16'],
      ['Ministral-3-8B-Instruct-2512', 'mistral3', 'fp8'],
      ['NVIDIA-Nemotron-Nano-9B-v2', 'nemotron_h', 'bf16'],
    ];
    for (const [file, modelType, precision] of cases) {
      const result = await importConfig(fixture(file), { id: `acme/${file}` });
      expect(result.error, file).toBeNull();
      expect(result.stdout, file).toContain(`(${modelType}, served at ${precision})`);
    }
    const knowledge = await snapshot();
    const phi3 = knowledge.models.find(({ id }) => id === 'acme/Phi-3-mini-4k-instruct');
    // A 4k context holds the short use cases only.
    expect(phi3?.tasks).toContain('chatbot_conversational');
    expect(phi3?.tasks).not.toContain('long_document_summarization');
    const gemma = await importConfig(fixture('gemma-3-27b-it'), { id: 'acme/gemma-3-27b-it' });
    expect(gemma.stdout).toMatch(/assumed: text_config.vocab_size is absent: 262208/);
    const mixtral = knowledge.models.find(({ id }) => id === 'acme/Mixtral-8x7B-Instruct-v0.1');
    expect(mixtral?.paramsActiveB).toBeLessThan(mixtral?.paramsTotalB ?? 0);
    const nemotron = await importConfig(fixture('NVIDIA-Nemotron-Nano-9B-v2'), { id: 'acme/nemotron' });
    expect(nemotron.stdout).toMatch(/KV cache 16,384 bytes \(16 KiB\) per token at 16 bits/);
    expect(nemotron.stdout).toMatch(/plus 72\.8 MB of Mamba-2 state per sequence \(27 layers\)/);
    const deepseek = knowledge.models.find(({ id }) => id === 'acme/DeepSeek-V3');
    expect(deepseek?.architecture.latentAttention?.kvLoraRank).toBe(512);
  });

  it('refuses a broken config with a message naming the fields, importing nothing', async () => {
    const before = (await snapshot()).models.length;
    const {
      hidden_size: _h,
      num_attention_heads: _a,
      ...broken
    } = JSON.parse(readFileSync(fixture('Llama-3.1-8B-Instruct'), 'utf8'));
    const path = join(scratch, 'broken.json');
    writeFileSync(path, JSON.stringify({ ...broken, num_key_value_heads: 8 }));
    const missing = await importConfig(path, { id: 'acme/broken' });
    expect(missing.error).toBeInstanceOf(HfConfigError);
    expect(String(missing.error)).toContain(`${path}: hidden_size is missing`);
    expect(String(missing.error)).toContain(`${path}: num_attention_heads is missing`);

    const deepseekV2 = join(scratch, 'deepseek-v2.json');
    writeFileSync(
      deepseekV2,
      JSON.stringify({
        ...JSON.parse(readFileSync(fixture('DeepSeek-V3'), 'utf8')),
        model_type: 'deepseek_v2',
      }),
    );
    const refused = await importConfig(deepseekV2, { id: 'acme/deepseek' });
    expect(String(refused.error)).toMatch(
      /model_type "deepseek_v2" .* not an architecture Compass understands.*multi-head latent attention/s,
    );

    const notJson = join(scratch, 'not.json');
    writeFileSync(notJson, '{ "model_type": ');
    expect(String((await importConfig(notJson)).error)).toMatch(/is not JSON/);
    expect(String((await importConfig(join(scratch, 'absent.json'))).error)).toMatch(/Cannot read .*ENOENT/);

    const unknownTask = await importConfig(fixture('Qwen3-14B'), { id: 'acme/q', tasks: ['poetry'] });
    expect(unknownTask.error).toBeInstanceOf(UsageError);
    expect(String(unknownTask.error)).toMatch(/task "poetry" is not a use case/);
    const tooLong = await importConfig(fixture('Phi-3-mini-4k-instruct'), {
      id: 'acme/phi',
      tasks: ['long_document_summarization'],
    });
    expect(String(tooLong.error)).toMatch(
      /long_document_summarization needs \d+ tokens of context but the context window is 4096/,
    );
    expect((await importConfig(fixture('Qwen3-14B'), { id: 'bad id!' })).error).toBeInstanceOf(UsageError);

    expect((await snapshot()).models).toHaveLength(before);
  });

  const predictOptions = (options: Partial<PredictCommandOptions>): PredictCommandOptions => ({
    json: true,
    gpu: 'H100',
    tp: 1,
    promptTokens: 591.6,
    outputTokens: 200,
    rate: 1,
    ...options,
  });
  const predict = async (options: Partial<PredictCommandOptions>) => {
    const { stdout, error } = await run((context) => predictCommand(context, predictOptions(options)));
    if (error) throw error;
    return JSON.parse(stdout);
  };

  it('predicts for a config.json without importing it, as it would for the catalogued model', async () => {
    const unknownArchitecture = join(scratch, 'falcon-h1.json');
    writeFileSync(
      unknownArchitecture,
      JSON.stringify({ ...JSON.parse(readFileSync(fixture('phi-4'), 'utf8')), model_type: 'falcon_h1' }),
    );
    const before = (await snapshot()).models.map(({ id }) => id);
    const fromConfig = await predict({ modelConfig: fixture('Llama-3.1-8B-Instruct') });
    const fromCatalog = await predict({ model: 'meta-llama/Llama-3.1-8B-Instruct' });
    for (const key of ['ttftP95Ms', 'itlP95Ms', 'e2eP95Ms', 'capacityRequestsPerSec']) {
      expect(Math.abs(fromConfig[key] / fromCatalog[key] - 1), key).toBeLessThan(0.01);
    }
    // gpt-oss ships MXFP4 weights: without --quantization the config's own precision is predicted.
    const gptOss = await predict({ modelConfig: fixture('gpt-oss-20b') });
    expect(gptOss.notes[0]).toMatch(/gpt-oss-20b mxfp4 on 1× H100/);
    const fp8 = await run((context) =>
      predictCommand(context, predictOptions({ modelConfig: fixture('gpt-oss-20b'), quantization: 'fp8' })),
    );
    expect(String(fp8.error)).toMatch(/has no fp8 checkpoint \(available: mxfp4\)/);
    expect((await snapshot()).models.map(({ id }) => id)).toEqual(before);

    const both = await run((context) =>
      predictCommand(
        context,
        predictOptions({ model: 'meta-llama/Llama-3.1-8B-Instruct', modelConfig: fixture('phi-4') }),
      ),
    );
    expect(both.error).toBeInstanceOf(UsageError);
    expect(String(both.error)).toMatch(/exactly one of --model HF_ID or --model-config PATH/);
    const broken = await run((context) =>
      predictCommand(context, predictOptions({ modelConfig: unknownArchitecture })),
    );
    expect(broken.error).toBeInstanceOf(HfConfigError);
  });

  it('predict --json prints mean and p99 latencies and takes non-integer token means', async () => {
    const result = await cli(
      [
        'predict',
        '--json',
        '--model',
        'meta-llama/Llama-3.1-8B-Instruct',
        '--gpu',
        'H100',
        '--tp',
        '1',
        '--prompt-tokens',
        '591.6',
        '--output-tokens',
        '201.4',
        '--concurrency',
        '16',
      ],
      env,
    );
    expect(result.stderr).toBe('');
    const prediction = JSON.parse(result.stdout);
    for (const stat of ['ttft', 'itl', 'e2e']) {
      const mean = prediction[`${stat}MeanMs`];
      const p50 = prediction[`${stat}P50Ms`];
      const p95 = prediction[`${stat}P95Ms`];
      const p99 = prediction[`${stat}P99Ms`];
      expect(mean, stat).toBeGreaterThan(0);
      expect(p99, stat).toBeGreaterThanOrEqual(p95);
      expect(p95, stat).toBeGreaterThanOrEqual(p50);
      expect(p99, stat).toBeGreaterThan(mean);
    }
    // 201.4 output tokens at the predicted rate: throughput follows the fractional mean.
    expect(prediction.outputTokensPerSec).toBeCloseTo(prediction.requestsPerSec * 201.4, 6);
  });
});

describe('ids for imported configs', () => {
  const facts = readHfConfig(JSON.parse(readFileSync(fixture('Qwen3-14B'), 'utf8')));

  it('uses the recorded Hugging Face id, a cache path or the file name', () => {
    expect(defaultModelId('/x/config.json', { ...facts, hubId: 'Qwen/Qwen3-14B' })).toBe('Qwen/Qwen3-14B');
    expect(
      defaultModelId(
        '/home/u/.cache/huggingface/hub/models--Qwen--Qwen3-14B/snapshots/abc123/config.json',
        facts,
      ),
    ).toBe('Qwen/Qwen3-14B');
    expect(defaultModelId('/models/my model/config.json', facts)).toBe('local/my-model');
    expect(defaultModelId('/configs/Qwen3-14B.json', facts)).toBe('local/Qwen3-14B');
  });

  it('files a bare --id under local/ and refuses one that is not a model id', () => {
    expect(modelIdOption('acme/qwen-ft')).toBe('acme/qwen-ft');
    expect(modelIdOption('qwen-ft')).toBe('local/qwen-ft');
    expect(() => modelIdOption('a/b/c')).toThrow(UsageError);
  });
});
