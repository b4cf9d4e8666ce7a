import { describe, expect, it } from 'vitest';
import { extractIntent } from '../../src/intent/index.js';
import type { Knowledge } from '../../src/knowledge/catalog.js';
import { readCatalogFiles } from '../../src/knowledge/data-files.js';
import { planDeployment } from '../../src/planner/index.js';
import {
  BALANCED_QUALITY_STEP,
  EXPENSIVE_COST_MULTIPLE,
  OVERPROVISIONED_GPU_MULTIPLE,
  type PrunableOption,
  pruneOptions,
  type StatedChoices,
} from '../../src/planner/prune.js';
import { buildSpec } from '../../src/spec/index.js';

let next = 0;
const option = (fields: Partial<PrunableOption>): PrunableOption => {
  next += 1;
  return {
    id: `option-${next}`,
    modelId: `model-${next}`,
    modelName: `Model ${next}`,
    gpuId: 'L4',
    precision: 'bf16',
    gpuCount: 1,
    monthlyCostUsd: 1000,
    quality: 70,
    latency: 1,
    ...fields,
  };
};
const balanced: StatedChoices = { priority: 'balanced', models: [], gpuTypes: [] };
const keptIds = (options: PrunableOption[], stated = balanced) =>
  pruneOptions(options, stated).kept.map((kept) => kept.id);

describe('pruneOptions', () => {
  it('drops an option another one beats or equals on cost, quality and latency', () => {
    const cheap = option({ monthlyCostUsd: 1000, quality: 80, latency: 1 });
    const dearerNoBetter = option({ monthlyCostUsd: 1500, quality: 80, latency: 1.2 });
    const dearerBetterQuality = option({ monthlyCostUsd: 1500, quality: 82, latency: 1.2 });
    const dearerFaster = option({ monthlyCostUsd: 1500, quality: 75, latency: 0.5 });
    const twin = option({ monthlyCostUsd: 1000, quality: 80, latency: 1 });
    expect(keptIds([cheap, dearerNoBetter, dearerBetterQuality, dearerFaster, twin])).toEqual([
      cheap.id,
      dearerBetterQuality.id,
      dearerFaster.id,
      twin.id,
    ]);
  });

  it('never weighs an unknown quality against a known one', () => {
    const rated = option({ monthlyCostUsd: 1000, quality: 60, latency: 1 });
    const unratedTwin = option({ monthlyCostUsd: 1000, quality: null, latency: 1 });
    const unratedDearer = option({ monthlyCostUsd: 1200, quality: null, latency: 1.1 });
    expect(keptIds([rated, unratedTwin, unratedDearer])).toEqual([rated.id, unratedTwin.id]);
  });

  it('keeps an unrated model at a precision that keeps more of it, however cheap and fast its int4 twin', () => {
    const int4 = option({
      modelId: 'm',
      precision: 'int4',
      quality: null,
      monthlyCostUsd: 1000,
      latency: 0.5,
    });
    const fp8 = option({ modelId: 'm', precision: 'fp8', quality: null, monthlyCostUsd: 2000, latency: 0.8 });
    const bf16 = option({
      modelId: 'm',
      precision: 'bf16',
      quality: null,
      monthlyCostUsd: 2500,
      latency: 0.9,
    });
    // The same precision is still dominated; another unrated model's options compare as before.
    const fp8Dearer = option({
      modelId: 'm',
      precision: 'fp8',
      quality: null,
      monthlyCostUsd: 2100,
      latency: 0.9,
    });
    const other = option({
      modelId: 'n',
      precision: 'bf16',
      quality: null,
      monthlyCostUsd: 1100,
      latency: 0.6,
    });
    expect(keptIds([int4, fp8, bf16, fp8Dearer, other])).toEqual([int4.id, fp8.id, bf16.id]);
  });

  it("lets a named model's options compete only on their own GPU type", () => {
    const onH200 = option({ modelId: 'm', gpuId: 'H200', monthlyCostUsd: 1000, latency: 0.5 });
    const onH100 = option({ modelId: 'm', gpuId: 'H100', monthlyCostUsd: 1700, latency: 0.7 });
    const onH100Worse = option({ modelId: 'm', gpuId: 'H100', monthlyCostUsd: 1800, latency: 0.8 });
    const named: StatedChoices = { ...balanced, models: ['m'] };
    expect(keptIds([onH200, onH100, onH100Worse], named)).toEqual([onH200.id, onH100.id]);
    // Unnamed, the H200 option beats both: which model to run is still open, so the cheaper one wins.
    expect(keptIds([onH200, onH100, onH100Worse])).toEqual([onH200.id]);
  });

  it('drops options holding more than the over-provisioning multiple of the GPUs the same model needs there', () => {
    const lean = option({ modelId: 'm', gpuId: 'H100', gpuCount: 1, monthlyCostUsd: 1000, latency: 1 });
    const within = option({
      modelId: 'm',
      gpuId: 'H100',
      gpuCount: OVERPROVISIONED_GPU_MULTIPLE,
      monthlyCostUsd: 2000,
      latency: 0.6,
    });
    const beyond = option({
      modelId: 'm',
      gpuId: 'H100',
      gpuCount: OVERPROVISIONED_GPU_MULTIPLE * 2,
      monthlyCostUsd: 2500,
      latency: 0.4,
    });
    // Another GPU type is sized on its own.
    const elsewhere = option({ modelId: 'm', gpuId: 'L4', gpuCount: 8, monthlyCostUsd: 2900, latency: 0.3 });
    expect(keptIds([lean, within, beyond, elsewhere])).toEqual([lean.id, within.id, elsewhere.id]);
  });

  it('drops an option dearer than the cost multiple unless there is a reason, and says the reason', () => {
    const cheapest = option({ monthlyCostUsd: 1000, quality: 70, latency: 1 });
    const dear = option({ monthlyCostUsd: EXPENSIVE_COST_MULTIPLE * 1000 + 1, quality: 72, latency: 0.5 });
    expect(keptIds([cheapest, dear])).toEqual([cheapest.id]);

    const asked = pruneOptions([cheapest, dear], { ...balanced, models: [dear.modelId] });
    expect(asked.kept.map((kept) => kept.id)).toEqual([cheapest.id, dear.id]);
    expect(asked.shownBecause.get(dear.id)).toBe(
      `Shown although it costs 3× the cheapest option: you asked for ${dear.modelName}, and this is its cheapest bf16 option on L4.`,
    );

    const onGpu = option({ gpuId: 'H200', monthlyCostUsd: 5000, quality: 71, latency: 0.4 });
    const pricierOnSameGpu = option({ gpuId: 'H200', monthlyCostUsd: 6000, quality: 73, latency: 0.3 });
    const gpuAsked = pruneOptions([cheapest, onGpu, pricierOnSameGpu], { ...balanced, gpuTypes: ['H200'] });
    expect(gpuAsked.kept.map((kept) => kept.id)).toEqual([cheapest.id, onGpu.id]);
    expect(gpuAsked.shownBecause.get(onGpu.id)).toMatch(
      /costs 5× the cheapest option: you asked for H200\.$/,
    );

    const fastest = pruneOptions([cheapest, dear], { ...balanced, priority: 'latency' });
    expect(fastest.shownBecause.get(dear.id)).toMatch(/it has the lowest predicted latency of all\.$/);
    expect(keptIds([cheapest, dear], { ...balanced, priority: 'cost' })).toEqual([cheapest.id]);
  });

  it('shows a dearer quality tier when quality is weighed: any gain for accuracy, a real step for balanced', () => {
    const cheapest = option({ monthlyCostUsd: 1000, quality: 70 });
    const slightlyBetter = option({ monthlyCostUsd: 8000, quality: 70 + BALANCED_QUALITY_STEP - 1 });
    const muchBetter = option({ monthlyCostUsd: 9000, quality: 70 + BALANCED_QUALITY_STEP + 5 });
    expect(keptIds([cheapest, slightlyBetter, muchBetter])).toEqual([cheapest.id, muchBetter.id]);
    const accuracy = pruneOptions([cheapest, slightlyBetter, muchBetter], {
      ...balanced,
      priority: 'accuracy',
    });
    expect(accuracy.kept.map((kept) => kept.id)).toEqual([cheapest.id, slightlyBetter.id, muchBetter.id]);
    expect(accuracy.shownBecause.get(muchBetter.id)).toBe(
      'Shown although it costs 9× the cheapest option: no cheaper option reaches its quality (80 vs 70).',
    );
  });
});

describe('plans show no option an engineer would reject', () => {
  const knowledge: Knowledge = { ...readCatalogFiles(), benchmarks: [] };
  const planFor = (text: string) =>
    planDeployment(buildSpec(extractIntent(text, knowledge), knowledge.useCases), knowledge);

  it.each([
    'internal chatbot, 3 users',
    'chatbot for 200 users, we only have A100s, 5 req/s',
    'code completion at 17 req/s',
    'code completion for 150 developers',
    'document Q&A for 7k customers',
    'summarize 300-page technical manuals, quality is what matters',
    'chatbot for 5000 users, latency is critical',
    'translation service, 40 req/s, cheapest possible',
  ])('%s: within the cost multiple of the cheapest shown, or says why', (text) => {
    const plan = planFor(text);
    expect(plan.recommendations.length).toBeGreaterThan(0);
    const cheapest = Math.min(...plan.recommendations.map((option) => option.monthlyCostUsd));
    for (const option of plan.recommendations) {
      if (option.monthlyCostUsd > EXPENSIVE_COST_MULTIPLE * cheapest) {
        expect(option.rationale, option.id).toMatch(
          /Shown although it costs [\d.]+× the cheapest option: .+\.$/,
        );
      }
    }
  });

  it('gives three users one replica per option, never a node of eight GPUs', () => {
    const plan = planFor('internal chatbot, 3 users');
    for (const option of plan.recommendations) {
      expect(option.replicas, option.id).toBe(1);
      expect(option.gpuCount, option.id).toBeLessThan(8);
    }
  });

  it('sizes A100-only plans at 5 req/s with eight-GPU replicas only for weights that need them', () => {
    const plan = planFor('chatbot for 200 users, we only have A100s, 5 req/s');
    for (const option of plan.recommendations) {
      expect(option.gpuId).toMatch(/^A100/);
      const memoryGb = knowledge.gpus.find((gpu) => gpu.id === option.gpuId)!.memoryGb;
      // Weights a quarter of the GPUs could hold do not need eight.
      if (option.gpusPerReplica >= 8)
        expect(option.engine.weightsGb, option.id).toBeGreaterThan(2 * memoryGb);
    }
  });
});
