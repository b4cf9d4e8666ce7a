import { describe, expect, it } from 'vitest';
import type { Knowledge } from '../../src/knowledge/catalog.js';
import { readCatalogFiles } from '../../src/knowledge/data-files.js';
import { planDeployment } from '../../src/planner/index.js';
import { buildSpec } from '../../src/spec/index.js';
import { intentWith } from '../fixtures/intent.js';

const catalog = readCatalogFiles();
const knowledge: Knowledge = { ...catalog, benchmarks: [] };
const spec = buildSpec(
  intentWith({ useCase: 'chatbot_conversational', qps: 20, models: ['mistralai/Mistral-7B-Instruct-v0.3'] }),
  catalog.useCases,
);

describe('planning within the deploy policy', () => {
  it('keeps options beyond the GPU quota out of the top options, as near misses naming DEPLOY_GPU_QUOTA', () => {
    const free = planDeployment(spec, knowledge, { top: 10 });
    expect(free.recommendations.some((option) => option.gpuCount > 2)).toBe(true);
    const limited = planDeployment(spec, knowledge, {
      top: 10,
      policy: { gpuQuota: 2, placeableGpus: null },
    });
    expect(limited.recommendations.length).toBeGreaterThan(0);
    for (const option of limited.recommendations) expect(option.gpuCount).toBeLessThanOrEqual(2);
    const miss = limited.nearMisses.find((candidate) => candidate.failed === 'gpuQuota');
    expect(miss?.reason).toMatch(/meets the SLOs but needs \d+ GPUs; DEPLOY_GPU_QUOTA is 2$/);
    expect(miss?.relax).toBe(`raise DEPLOY_GPU_QUOTA to ${miss?.value}`);
  });

  it('keeps GPU types the cluster cannot place out, saying which setting would admit them', () => {
    const onlyL4 = planDeployment(spec, knowledge, {
      top: 10,
      policy: { gpuQuota: null, placeableGpus: ['L4'] },
    });
    for (const option of onlyL4.recommendations) expect(option.gpuId).toBe('L4');
    const unplaced = planDeployment(spec, knowledge, {
      top: 10,
      policy: { gpuQuota: null, placeableGpus: [] },
    });
    expect(unplaced.recommendations).toEqual([]);
    const miss = unplaced.nearMisses.find((candidate) => candidate.failed === 'gpuPlacement');
    expect(miss?.reason).toMatch(/meets the SLOs but the deploy policy cannot place \S+ pods on nodes$/);
    expect(miss?.relax).toMatch(/^give \S+ a placement in DEPLOY_GPU_NODE_LABELS$/);
  });
});
