import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parameterCounts as architectureParameterCounts } from '../../src/knowledge/architecture.js';
import type { Gpu, Model, UseCase, UseCaseId } from '../../src/knowledge/catalog.js';
import { USE_CASE_IDS } from '../../src/knowledge/catalog.js';
import { CATALOG_FILES, DataFileError, readCatalogFiles } from '../../src/knowledge/data-files.js';
import { dataDir } from '../../src/paths.js';

const catalog = readCatalogFiles();
const gpu = (id: string) => catalog.gpus.find((entry) => entry.id === id);
const model = (id: string) => catalog.models.find((entry) => entry.id === id);
const aliasOwner = new Map(
  [...catalog.gpus, ...catalog.models].flatMap(({ id, aliases }) =>
    aliases.map((alias) => [alias, id] as const),
  ),
);

describe('the shipped data files', () => {
  it('hold exactly the canonical GPUs, with FP8 only where the hardware has it', () => {
    expect(catalog.gpus.map(({ id }) => id).sort()).toEqual(
      ['A100-40GB', 'A100-80GB', 'A10G', 'B200', 'H100', 'H200', 'L4', 'L40S', 'MI300X'].sort(),
    );
    const withoutFp8 = catalog.gpus.filter(({ fp8Tflops }) => fp8Tflops === null).map(({ id }) => id);
    expect(withoutFp8.sort()).toEqual(['A100-40GB', 'A100-80GB', 'A10G']);
    // Dense FP8 tensor throughput is twice dense BF16 on every part that has it; a ratio far off is a typo.
    for (const { id, bf16Tflops, fp8Tflops } of catalog.gpus) {
      if (fp8Tflops !== null) expect(Math.abs(fp8Tflops / bf16Tflops - 2), id).toBeLessThan(0.05);
    }
    expect(gpu('H100')).toMatchObject({ memoryGb: 80, maxPerNode: 8, interconnect: { kind: 'nvlink' } });
    expect(gpu('L4')?.interconnect.kind).toBe('pcie');
  });

  it('price every GPU per GPU-hour with where and when the price was read', () => {
    for (const { id, price } of catalog.gpus) {
      expect(price.usdPerGpuHour, id).toBeGreaterThan(0.3);
      expect(price.usdPerGpuHour, id).toBeLessThan(30);
      expect(price.instanceType.length, id).toBeGreaterThan(0);
    }
    // Newer, larger parts cost more per hour than the ones they replace.
    const cost = (id: string) => gpu(id)?.price.usdPerGpuHour ?? Number.NaN;
    expect(cost('A100-80GB')).toBeGreaterThan(cost('A100-40GB'));
    expect(cost('H100')).toBeGreaterThan(cost('A100-80GB'));
    expect(cost('B200')).toBeGreaterThan(cost('H100'));
  });

  it("record every priced instance's GPUs, vCPUs and memory, with a source", () => {
    for (const { id, price, sources, maxPerNode } of catalog.gpus) {
      const sizes = [{ instanceType: price.instanceType, ...price.instance }, ...(price.nodeSizes ?? [])];
      for (const size of sizes) {
        expect(size.gpus, `${id} ${size.instanceType}`).toBeLessThanOrEqual(maxPerNode);
        // GPU instances carry at least 4 vCPUs and 4 GiB of memory per GPU.
        expect(size.vcpus! / size.gpus!, `${id} ${size.instanceType}`).toBeGreaterThanOrEqual(4);
        expect(size.memoryGib! / size.gpus!, `${id} ${size.instanceType}`).toBeGreaterThanOrEqual(4);
      }
      expect(
        sources.some((source) => source.covers?.includes('price.instance')),
        id,
      ).toBe(true);
    }
  });

  it('include the required models and at least 15 in all', () => {
    const required = [
      'meta-llama/Llama-3.1-8B-Instruct',
      'meta-llama/Llama-3.1-70B-Instruct',
      'meta-llama/Llama-3.3-70B-Instruct',
      'meta-llama/Llama-3.1-405B-Instruct',
      'mistralai/Mistral-7B-Instruct-v0.3',
      'mistralai/Mixtral-8x7B-Instruct-v0.1',
      'Qwen/Qwen2.5-7B-Instruct',
      'Qwen/Qwen2.5-72B-Instruct',
      'Qwen/Qwen3-14B',
      'ibm-granite/granite-3.1-8b-instruct',
    ];
    const ids = catalog.models.map(({ id }) => id);
    expect(ids).toEqual(expect.arrayContaining(required));
    expect(ids.length).toBeGreaterThanOrEqual(15);
  });

  it('hold every use case once, with a measured length spread and SLOs that its p95 reply can meet', () => {
    expect(catalog.useCases.map(({ id }) => id).sort()).toEqual([...USE_CASE_IDS].sort());
    for (const { id, traffic, slo, sources } of catalog.useCases) {
      expect(traffic.promptTokensCv, id).toBeGreaterThan(0);
      expect(traffic.outputTokensCv, id).toBeGreaterThan(0);
      // Every spread names the trace it was measured in.
      for (const field of ['traffic.promptTokensCv', 'traffic.outputTokensCv'])
        expect(
          sources.some((source) => source.covers?.includes(field)),
          `${id} ${field}`,
        ).toBe(true);
      // The reply 5% of replies exceed, log-normal: exp(μ + 1.645σ) with σ² = ln(1 + cv²), μ = ln(mean) − σ²/2.
      const sigma = Math.sqrt(Math.log(1 + traffic.outputTokensCv! ** 2));
      const p95Reply = traffic.outputTokens * Math.exp(-(sigma * sigma) / 2 + 1.6449 * sigma);
      expect(p95Reply, id).toBeGreaterThan(2 * traffic.outputTokens);
      expect(slo.e2eP95Ms, id).toBeGreaterThanOrEqual(slo.ttftP95Ms + p95Reply * slo.itlP95Ms);
    }
  });

  it('make interactive use cases stricter than batch-like ones', () => {
    const slo = (id: UseCaseId) => catalog.useCases.find((useCase) => useCase.id === id)?.slo;
    const completion = slo('code_completion');
    const chat = slo('chatbot_conversational');
    const longSummary = slo('long_document_summarization');
    expect(completion?.ttftP95Ms).toBeLessThan(chat?.ttftP95Ms ?? 0);
    expect(chat?.ttftP95Ms).toBeLessThan(longSummary?.ttftP95Ms ?? 0);
    expect(chat?.itlP95Ms).toBeLessThan(longSummary?.itlP95Ms ?? 0);
  });

  it('give a chatbot for 1000 users a load of a few requests per second', () => {
    const chat = catalog.useCases.find(({ id }) => id === 'chatbot_conversational');
    if (!chat) throw new Error('chatbot_conversational is missing');
    const { activeShare, requestsPerActiveUserPerMinute, burstiness } = chat.traffic;
    const averageQps = (1000 * activeShare * requestsPerActiveUserPerMinute) / 60;
    expect(averageQps).toBeGreaterThan(0.5);
    expect(averageQps * burstiness).toBeLessThan(10);
  });

  it('resolve the phrases users type to one GPU or model each', () => {
    const expected: Record<string, string> = {
      h100: 'H100',
      'h100 sxm': 'H100',
      h100s: 'H100',
      'nvidia h100': 'H100',
      a100: 'A100-80GB',
      'a100 80gb': 'A100-80GB',
      'a100-80g': 'A100-80GB',
      a100s: 'A100-80GB',
      'a100 40gb': 'A100-40GB',
      l40s: 'L40S',
      l40: 'L40S',
      mi300: 'MI300X',
      mi300x: 'MI300X',
      b200: 'B200',
      a10: 'A10G',
      a10g: 'A10G',
      'llama 3.1 8b': 'meta-llama/Llama-3.1-8B-Instruct',
      'llama-3.1-70b': 'meta-llama/Llama-3.1-70B-Instruct',
      'llama 3.3': 'meta-llama/Llama-3.3-70B-Instruct',
      mixtral: 'mistralai/Mixtral-8x7B-Instruct-v0.1',
      'qwen 2.5 72b': 'Qwen/Qwen2.5-72B-Instruct',
      granite: 'ibm-granite/granite-3.1-8b-instruct',
      'gpt-oss-120b': 'openai/gpt-oss-120b',
      'deepseek r1 distill': 'deepseek-ai/DeepSeek-R1-Distill-Llama-70B',
    };
    for (const [alias, id] of Object.entries(expected)) expect(aliasOwner.get(alias), alias).toBe(id);
    // Family words are left to the extractor: alone they do not pick one model.
    for (const family of ['llama', 'qwen', 'mistral', 'deepseek', 'gemma', 'phi']) {
      expect(aliasOwner.has(family), family).toBe(false);
    }
  });

  it('give mixture-of-experts models fewer active than total parameters, matching the routed experts', () => {
    const moeModels = catalog.models.filter(({ architecture }) => architecture.moe !== null);
    expect(moeModels.map(({ id }) => id)).toEqual(
      expect.arrayContaining([
        'mistralai/Mixtral-8x7B-Instruct-v0.1',
        'openai/gpt-oss-120b',
        'Qwen/Qwen3-30B-A3B',
      ]),
    );
    for (const entry of moeModels) {
      const { core, embeddings } = parameterCounts(entry);
      expect(entry.paramsActiveB, entry.id).toBeLessThan(entry.paramsTotalB);
      // Active parameters are the routed layers, with or without the embeddings counted.
      expect(entry.paramsActiveB, entry.id).toBeGreaterThanOrEqual(core.active * 0.97);
      expect(entry.paramsActiveB, entry.id).toBeLessThanOrEqual((core.active + embeddings) * 1.03);
    }
  });

  it('state parameter counts that agree with the architecture within 3%', () => {
    for (const entry of catalog.models) {
      const { core, embeddings } = parameterCounts(entry);
      const computed = core.total + embeddings;
      expect(Math.abs(computed / entry.paramsTotalB - 1), entry.id).toBeLessThan(0.03);
    }
  });

  it('serve bf16 or the release itself everywhere and name the checkpoint of every precision but fp8', () => {
    for (const { id, precisions } of catalog.models) {
      expect(
        precisions.some(({ precision, checkpoint }) => precision === 'bf16' || checkpoint === id),
        id,
      ).toBe(true);
      for (const { precision, checkpoint } of precisions) {
        if (precision !== 'fp8') expect(checkpoint, `${id} ${precision}`).not.toBeNull();
      }
    }
  });

  it('derive each quality score from its evidence as data/README.md describes', () => {
    for (const entry of catalog.models) {
      expect(Object.keys(entry.quality).sort(), entry.id).toEqual([...entry.tasks].sort());
      const derived = qualityFromEvidence(entry);
      for (const task of entry.tasks) {
        expect(
          Math.abs((entry.quality[task] ?? -1) - derived[task]),
          `${entry.id} ${task}`,
        ).toBeLessThanOrEqual(1);
      }
    }
  });

  it('score bigger models and code models higher where that is true', () => {
    const score = (id: string, task: UseCaseId) => model(id)?.quality[task] ?? Number.NaN;
    for (const task of [
      'chatbot_conversational',
      'document_analysis_rag',
      'research_legal_analysis',
    ] as const) {
      expect(score('meta-llama/Llama-3.1-70B-Instruct', task), task).toBeGreaterThan(
        score('meta-llama/Llama-3.1-8B-Instruct', task),
      );
      expect(score('Qwen/Qwen2.5-72B-Instruct', task), task).toBeGreaterThan(
        score('Qwen/Qwen2.5-7B-Instruct', task),
      );
    }
    expect(score('Qwen/Qwen2.5-Coder-32B-Instruct', 'code_generation_detailed')).toBeGreaterThan(
      score('Qwen/Qwen2.5-72B-Instruct', 'code_generation_detailed'),
    );
    expect(score('Qwen/Qwen2.5-Coder-7B-Instruct', 'code_completion')).toBeGreaterThan(
      score('Qwen/Qwen2.5-7B-Instruct', 'code_completion'),
    );
  });
});

describe('readCatalogFiles on a broken copy', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  interface FileContents {
    gpus: { gpus: Gpu[] };
    models: { models: Model[] };
    useCases: { useCases: UseCase[] };
  }

  /** A copy of data/ with one file's JSON changed by `edit`. */
  function brokenCopy<K extends keyof FileContents>(key: K, edit: (json: FileContents[K]) => void): string {
    const dir = mkdtempSync(join(tmpdir(), 'compass-data-'));
    dirs.push(dir);
    for (const name of Object.values(CATALOG_FILES)) copyFileSync(join(dataDir, name), join(dir, name));
    const file = join(dir, CATALOG_FILES[key]);
    const json = JSON.parse(readFileSync(file, 'utf8')) as FileContents[K];
    edit(json);
    writeFileSync(file, JSON.stringify(json));
    return dir;
  }

  function problemsOf(dir: string): string {
    try {
      readCatalogFiles(dir);
    } catch (error) {
      expect(error).toBeInstanceOf(DataFileError);
      return (error as DataFileError).message;
    }
    throw new Error('the broken copy was accepted');
  }

  function byId<T extends { id: string }>(list: T[], id: string): T {
    const found = list.find((entry) => entry.id === id);
    if (!found) throw new Error(`${id} is not in the shipped data`);
    return found;
  }

  it('names the file, model and field when KV heads do not divide attention heads', () => {
    const dir = brokenCopy('models', (json) => {
      byId(json.models, 'meta-llama/Llama-3.1-8B-Instruct').architecture.kvHeads = 7;
    });
    expect(problemsOf(dir)).toContain(
      'models.json: meta-llama/Llama-3.1-8B-Instruct: architecture.kvHeads: 7 does not divide attentionHeads 32',
    );
  });

  it('names the field path of a schema violation', () => {
    const dir = brokenCopy('gpus', (json) => {
      byId(json.gpus, 'L4').price.asOf = 'last week';
      byId(json.gpus, 'H100').sources.splice(0, 1, { url: 'not a url', title: 'broken' });
    });
    const message = problemsOf(dir);
    expect(message).toContain('gpus.json: L4: price.asOf:');
    expect(message).toContain('gpus.json: H100: sources[0].url:');
  });

  it('rejects an alias claimed by two entries', () => {
    const dir = brokenCopy('gpus', (json) => {
      byId(json.gpus, 'H200').aliases.push('h100');
    });
    expect(problemsOf(dir)).toMatch(/gpus\.json: H200: aliases\[\d+\]: "h100" is already an alias of H100/);
  });

  it('rejects SLOs a default-length response cannot meet and a missing use case, together', () => {
    const dir = brokenCopy('useCases', (json) => {
      byId(json.useCases, 'chatbot_conversational').slo.e2eP95Ms = 1000;
      json.useCases = json.useCases.filter((entry) => entry.id !== 'translation');
    });
    const message = problemsOf(dir);
    expect(message).toContain('use-cases.json: chatbot_conversational: slo.e2eP95Ms: 1000 ms is below');
    expect(message).toContain('use-cases.json: translation: id: is missing');
  });

  it('rejects an E2E target the mean reply meets and the p95 reply does not, and a spread beyond the bound', () => {
    const dir = brokenCopy('useCases', (json) => {
      // 500 ms + 256 tokens × 40 ms = 10,740 ms fits; 624 tokens (the p95 reply at spread 0.77) need 25,460 ms.
      byId(json.useCases, 'chatbot_conversational').slo.e2eP95Ms = 12_000;
      byId(json.useCases, 'translation').traffic.promptTokensCv = 11;
    });
    const message = problemsOf(dir);
    expect(message).toContain(
      'use-cases.json: chatbot_conversational: slo.e2eP95Ms: 12000 ms is below ttftP95Ms + 624 output tokens (the p95 reply) × itlP95Ms = 25460 ms',
    );
    expect(message).toMatch(/use-cases\.json: translation: traffic\.promptTokensCv: /);
  });

  it('rejects quality scored for a use case the model does not support, and a model without bf16', () => {
    const dir = brokenCopy('models', (json) => {
      const mistral = byId(json.models, 'mistralai/Mixtral-8x7B-Instruct-v0.1');
      mistral.quality.code_completion = 50;
      mistral.precisions = mistral.precisions.filter(({ precision }) => precision !== 'bf16');
    });
    const message = problemsOf(dir);
    expect(message).toContain(
      'models.json: mistralai/Mixtral-8x7B-Instruct-v0.1: quality.code_completion: is scored but not listed in tasks',
    );
    expect(message).toContain(
      'models.json: mistralai/Mixtral-8x7B-Instruct-v0.1: precisions: bf16 must be served',
    );
  });

  it('names a file that is not JSON', () => {
    const dir = brokenCopy('useCases', () => {});
    writeFileSync(join(dir, 'use-cases.json'), '{ "useCases": [');
    expect(problemsOf(dir)).toContain('use-cases.json: (file): (file): cannot be read as JSON');
  });
});

/**
 * Parameters in billions from config.json figures, split into the transformer core and the vocabulary matrices
 * (embedding and, when untied, LM head). The layer arithmetic (latent attention, dense/MoE and recurrent layers) is
 * src/knowledge/architecture.ts; what this checks is the data: that the figures publishers state agree with it.
 */
function parameterCounts({ architecture: a }: Model) {
  const counts = architectureParameterCounts(a);
  const vocabulary = a.vocabSize * a.hiddenSize * (a.tiedEmbeddings ? 1 : 2);
  return {
    core: { total: (counts.total - vocabulary) / 1e9, active: (counts.active - vocabulary) / 1e9 },
    embeddings: vocabulary / 1e9,
  };
}

/** The data/README.md method: benchmark → axis on a 0–100 scale, weighted per use case. */
const AXES: Record<string, [benchmark: string, floor: number, ceiling: number][]> = {
  instructionFollowing: [['IFEval', 40, 95]],
  knowledge: [
    ['MMLU-Pro', 20, 85],
    ['MMLU-Redux', 50, 95],
    ['MMLU', 50, 95],
  ],
  reasoning: [['GPQA Diamond', 25, 85]],
  code: [
    ['HumanEval', 30, 95],
    ['LiveCodeBench v5', -77, 44],
  ],
  chat: [['LMArena text Elo', 1000, 1450]],
};
const WEIGHTS: Record<UseCaseId, Record<string, number>> = {
  chatbot_conversational: { chat: 0.4, instructionFollowing: 0.3, knowledge: 0.3 },
  content_generation: { chat: 0.4, instructionFollowing: 0.4, knowledge: 0.2 },
  translation: { knowledge: 0.4, chat: 0.3, instructionFollowing: 0.3 },
  summarization_short: { instructionFollowing: 0.5, knowledge: 0.3, chat: 0.2 },
  document_analysis_rag: { instructionFollowing: 0.4, knowledge: 0.3, reasoning: 0.3 },
  long_document_summarization: { instructionFollowing: 0.5, knowledge: 0.3, reasoning: 0.2 },
  research_legal_analysis: { reasoning: 0.45, knowledge: 0.35, instructionFollowing: 0.2 },
  code_completion: { code: 1 },
  code_generation_detailed: { code: 0.85, reasoning: 0.15 },
};

function qualityFromEvidence(entry: Model): Record<UseCaseId, number> {
  const axes: Record<string, number> = {};
  for (const [axis, options] of Object.entries(AXES)) {
    for (const [benchmark, floor, ceiling] of options) {
      const hit = entry.qualityEvidence.find(
        (evidence) => evidence.benchmark === benchmark || evidence.benchmark.startsWith(`${benchmark} `),
      );
      if (hit) {
        axes[axis] = Math.min(100, Math.max(0, (100 * (hit.score - floor)) / (ceiling - floor)));
        break;
      }
    }
  }
  const general = ['chat', 'instructionFollowing', 'knowledge', 'reasoning'].filter((axis) => axis in axes);
  const derived = {} as Record<UseCaseId, number>;
  for (const useCase of USE_CASE_IDS) {
    const weights = Object.entries(WEIGHTS[useCase]).filter(([axis]) => axis in axes);
    const total = weights.reduce((sum, [, weight]) => sum + weight, 0);
    derived[useCase] =
      total > 0
        ? weights.reduce((sum, [axis, weight]) => sum + (axes[axis] ?? 0) * weight, 0) / total
        : general.reduce((sum, axis) => sum + (axes[axis] ?? 0), 0) / general.length;
  }
  return derived;
}
