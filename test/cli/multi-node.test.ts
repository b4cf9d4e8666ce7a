import { describe, expect, it } from 'vitest';
import { formatPlan } from '../../src/cli/format.js';
import { planJson } from '../../src/cli/plan.js';
import { memoryBreakdown } from '../../src/conversation/details.js';
import type { Knowledge } from '../../src/knowledge/catalog.js';
import { readCatalogFiles } from '../../src/knowledge/data-files.js';
import { planDeployment } from '../../src/planner/index.js';
import { gpuLabel } from '../../src/slack/blocks/recommendations.js';
import { buildSpec } from '../../src/spec/index.js';
import { intentWith } from '../fixtures/intent.js';

const knowledge: Knowledge = { ...readCatalogFiles(), benchmarks: [] };

describe('a multi-node option as users see it', () => {
  const spec = buildSpec(
    intentWith({
      useCase: 'research_legal_analysis',
      users: 200,
      models: ['deepseek-ai/DeepSeek-R1'],
      gpuTypes: ['H200'],
      priority: 'accuracy',
    }),
    knowledge.useCases,
  );
  const plan = planDeployment(spec, knowledge);
  const option = plan.recommendations.find((candidate) => candidate.pipelineParallel === 2)!;

  it('names the nodes in the CLI table, the JSON and the Slack GPU label', () => {
    expect(option).toMatchObject({ precision: 'bf16', tensorParallel: 8, gpusPerReplica: 16 });
    expect(formatPlan(plan)).toContain('16× H200 (TP8 × PP2 over 2 nodes)');
    const json = planJson(plan).recommendations.find((entry) => entry.id === option.id);
    expect(json).toMatchObject({ pipelineParallel: 2, tensorParallel: 8, gpuCount: 16 * option.replicas });
    expect(gpuLabel(option)).toBe(
      `16× H200 (TP8 × PP2 over 2 nodes)${option.replicas > 1 ? ` × ${option.replicas} replicas` : ''}`,
    );
  });

  it('breaks memory down per GPU of the whole replica, not of one node', () => {
    const memory = memoryBreakdown(option, spec, knowledge);
    expect(memory).not.toBeNull();
    // bf16 DeepSeek R1 (~1.34 TB) over 16 GPUs: ~84 GB each, which one node's 8 GPUs could not hold.
    expect(memory!.weightsGb).toBeGreaterThan(80);
    expect(memory!.weightsGb).toBeLessThan(memory!.gpuMemoryGb);
  });
});
