import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { checkManifests, deployPolicy, ManifestSettings, renderManifests } from '../../src/deploy/index.js';
import { extractIntent } from '../../src/intent/extract.js';
import type { Knowledge, Precision } from '../../src/knowledge/catalog.js';
import { readCatalogFiles } from '../../src/knowledge/data-files.js';
import { planDeployment } from '../../src/planner/index.js';
import { buildSpec } from '../../src/spec/index.js';
import { catalogVocabulary } from './vocabulary.js';

const extract = (text: string) => extractIntent(text, catalogVocabulary);
const knowledge: Knowledge = { ...readCatalogFiles(), benchmarks: [] };

describe('precision stated in text', () => {
  it('reads formats, quantization methods and bit widths into the intent', () => {
    const cases: [string, Precision[] | undefined][] = [
      ['Llama 3.1 405B in bf16 on H100s', ['bf16']],
      ['an unquantized Qwen 2.5 72B chatbot', ['bf16']],
      ['DeepSeek R1 FP8 on H200', ['fp8']],
      ['Llama 3.1 70B AWQ for 300 users', ['int4']],
      ['a GPTQ or W8A8 Mistral', ['w8a8', 'int4']],
      ['gpt-oss-120b mxfp4 on one H100', ['mxfp4']],
      ['Llama 3.3 70B NVFP4 on B200', ['nvfp4']],
      ['anything 8-bit is fine', ['fp8', 'w8a8']],
      ['4 bit weights for 200 users', ['int4', 'mxfp4', 'nvfp4']],
      // Ruling one out allows every other.
      ['no int4, we need full quality', ['bf16', 'fp8', 'w8a8', 'mxfp4', 'nvfp4']],
      ['Llama 70B but avoid AWQ and GPTQ', ['bf16', 'fp8', 'w8a8', 'mxfp4', 'nvfp4']],
      ['fp8, not int4', ['fp8']],
      ['a chatbot for 200 users', undefined],
    ];
    for (const [text, precisions] of cases) expect(extract(text).precisions, text).toEqual(precisions);
  });

  it('does not read bit widths as figures', () => {
    const intent = extract('Llama 3.1 70B 4-bit chatbot for 300 users');
    expect(intent.users).toBe(300);
    expect(intent.maxGpus).toBeNull();
    expect(extract('Llama 3.1 405B in bf16 on H100s').users).toBeNull();
  });

  it('plans only the stated precision, and says so when a named model ships none of it', () => {
    const spec = buildSpec(extract('Llama 3.1 70B in fp8 for 500 users'), knowledge.useCases);
    expect(spec.precisions).toEqual({ value: ['fp8'], source: 'stated' });
    const plan = planDeployment(spec, knowledge);
    expect(plan.recommendations.length).toBeGreaterThan(0);
    expect(new Set(plan.recommendations.map((option) => option.precision))).toEqual(new Set(['fp8']));
    // Without the word, the cheapest options are int4 ones.
    const free = planDeployment(
      buildSpec(extract('Llama 3.1 70B for 500 users'), knowledge.useCases),
      knowledge,
    );
    expect(free.recommendations.some((option) => option.precision !== 'fp8')).toBe(true);

    const missing = planDeployment(
      buildSpec(extract('Kimi K2 in bf16 for 100 users'), knowledge.useCases),
      knowledge,
    );
    expect(missing.recommendations).toEqual([]);
    expect(missing.warnings.join(' ')).toMatch(/Kimi K2 Instruct has no bf16 weights \(available: fp8\)/);
  });

  it('"Llama 3.1 405B in bf16 on H100s" is planned across H100 nodes, and its manifests pass a quota of two nodes', () => {
    // Legal research tolerates the pipeline's extra stage per token; a 40 ms chat ITL does not (plan.test.ts). Its
    // p95 prompt (~32k tokens at the long-context trace's spread) takes ~6 s to prefill on two nodes: the team says
    // how long a first token may take.
    const text =
      'Llama 3.1 405B in bf16 on H100s for legal research, 200 users, first token within 10 seconds';
    const intent = extract(text);
    expect(intent).toMatchObject({
      precisions: ['bf16'],
      gpuTypes: ['H100'],
      models: ['meta-llama/Llama-3.1-405B-Instruct'],
    });
    const spec = buildSpec(intent, knowledge.useCases);
    const policy = (gpuQuota: number) => ({ gpuQuota, placeableGpus: null });
    const plan = planDeployment(spec, knowledge, { policy: policy(16) });
    const [option] = plan.recommendations;
    expect(option, plan.warnings.join(' ')).toMatchObject({
      precision: 'bf16',
      gpuId: 'H100',
      tensorParallel: 8,
      pipelineParallel: 2,
      gpusPerReplica: 16,
    });
    expect(plan.recommendations.every((other) => other.precision === 'bf16')).toBe(true);
    const result = renderManifests({
      deployId: 'd-0f3a9c',
      name: 'llama-405b',
      namespace: 'compass',
      conversationId: 'C024BE91L:1712345678.000100',
      spec,
      option: option!,
      settings: ManifestSettings.parse({}),
    });
    if (!result.ok) throw new Error(result.reason);
    const quota = deployPolicy(loadConfig({ HOME: '/h', DEPLOY_GPU_QUOTA: String(option!.gpuCount) }));
    expect(checkManifests(result.objects, quota)).toEqual([]);
    // Under one node's quota the same shape is a near miss naming the setting that admits it.
    const oneNode = planDeployment(spec, knowledge, { policy: policy(8) });
    expect(oneNode.recommendations).toEqual([]);
    expect(oneNode.nearMisses[0]).toMatchObject({ id: option!.id, failed: 'gpuQuota' });
    expect(oneNode.nearMisses[0]!.relax).toBe(`raise DEPLOY_GPU_QUOTA to ${option!.gpuCount}`);
  });
});
