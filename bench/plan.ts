/**
 * Planner speed: p50/p95 of a full-catalog plan and of a single predict, on this machine.
 * Run: npx tsx bench/plan.ts [--rounds N]
 * Also plans over a catalog of ten copies of every model (hundreds of models × every GPU), the scale Slack's 3-second
 * acknowledgement window has to hold for; targets: full-catalog plan p95 ≤ 50 ms (20 models) and ≤ 400 ms (200 models).
 * A snapshot remembers each deployment's highest rate within the SLOs, so repeated plans of one spec reuse it; the
 * "new SLO targets each round" lines show plans the memo cannot serve.
 */
import { parseArgs } from 'node:util';
import { extractIntent } from '../src/intent/index.js';
import type { Knowledge } from '../src/knowledge/catalog.js';
import { readCatalogFiles } from '../src/knowledge/data-files.js';
import { planDeployment, predictPerformance } from '../src/planner/index.js';
import { buildSpec } from '../src/spec/index.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '30' } } });
const rounds = Number(values.rounds);

function percentile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function time(label: string, run: () => void, count = rounds): void {
  run(); // the first call pays for calibration and caches; report it apart
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    run();
    samples.push(performance.now() - started);
  }
  const fmt = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(1)} ms`);
  console.log(
    `${label.padEnd(58)} p50 ${fmt(percentile(samples, 0.5)).padStart(9)}   p95 ${fmt(percentile(samples, 0.95)).padStart(9)}`,
  );
}

const catalog = readCatalogFiles();
const knowledge: Knowledge = { ...catalog, benchmarks: [] };
const scaled: Knowledge = {
  ...knowledge,
  models: Array.from({ length: 10 }, (_, copy) =>
    knowledge.models.map((model) => ({
      ...model,
      id: `${model.id}-copy${copy}`,
      aliases: model.aliases.map((alias) => `${alias} copy${copy}`),
    })),
  ).flat(),
};

const texts = [
  'chatbot for 1000 users, low latency matters, under $5k/month',
  'code completion for 150 developers',
  'summarize 300-page technical manuals, quality is what matters',
  'document Q&A for 7k customers, $25k/month max',
];
console.log(
  `catalog: ${knowledge.models.length} models × ${knowledge.gpus.length} GPUs; scaled: ${scaled.models.length} models`,
);
for (const text of texts) {
  const spec = buildSpec(extractIntent(text, knowledge), knowledge.useCases);
  const plan = planDeployment(spec, knowledge);
  time(`plan (${plan.considered} shapes): ${text.slice(0, 30)}…`, () => planDeployment(spec, knowledge));
}
const spec = buildSpec(extractIntent(texts[0]!, knowledge), knowledge.useCases);
// A spec the snapshot's memo has not seen: every shape's highest rate within the SLOs is searched afresh.
let nudge = 0;
const unseen = () => {
  nudge += 1;
  return {
    ...spec,
    slo: { ...spec.slo, ttftP95Ms: { ...spec.slo.ttftP95Ms, value: spec.slo.ttftP95Ms.value + nudge } },
  };
};
time('plan, new SLO targets each round', () => planDeployment(unseen(), knowledge));
time('plan, scaled catalog, new SLO targets each round', () => planDeployment(unseen(), scaled), 5);
const scaledPlan = planDeployment(spec, scaled);
time(`plan, scaled catalog (${scaledPlan.considered} shapes)`, () => planDeployment(spec, scaled), 5);
let rate = 1;
time(
  'single predict (Llama 3.1 8B, 1× H100, varying rate)',
  () => {
    rate = (rate % 20) + 1;
    predictPerformance(
      {
        modelId: 'meta-llama/Llama-3.1-8B-Instruct',
        gpuId: 'H100',
        gpuCount: 1,
        tensorParallel: 1,
        precision: 'bf16',
        promptTokens: 1024,
        outputTokens: 256,
        load: { kind: 'rate', value: rate },
      },
      knowledge,
    );
  },
  2000,
);
