/**
 * Planner speed: p50/p95 of a full-catalog plan and of a single predict, on this machine.
 * Run: npx tsx bench/plan.ts [--rounds N]
 * Issue #16's targets, each printed beside its figure: a full-catalog plan p95 ≤ 50 ms over 20 models and ≤ 400 ms
 * over 200 (the scale Slack's 3-second acknowledgement window has to hold for). A snapshot remembers each deployment's
 * probes of its rate search, whatever the targets, so repeated plans of one spec only reread them; the "new SLO
 * targets each round" lines also probe rates no plan probed before, the honest case the targets apply to. The
 * whole catalog and ten copies of it are planned as well.
 */
import { parseArgs } from 'node:util';
import { extractIntent } from '../src/intent/index.js';
import type { Knowledge } from '../src/knowledge/catalog.js';
import { readCatalogFiles } from '../src/knowledge/data-files.js';
import { readMeasurementFiles } from '../src/knowledge/measurements.js';
import { calibrationOf, planDeployment, predictPerformance } from '../src/planner/index.js';
import { buildSpec, type DeploymentSpec } from '../src/spec/index.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '30' } } });
const rounds = Number(values.rounds);

function percentile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Wall-time percentiles of `run`, and its CPU time (this process, all threads): on a loaded machine the wall time
 * measures the neighbours too.
 */
function time(label: string, run: () => void, count = rounds, target?: number): void {
  run(); // the first call pays for calibration and caches; report it apart
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    run();
    samples.push(performance.now() - started);
    const used = process.cpuUsage(cpuStarted);
    cpu.push((used.user + used.system) / 1000);
  }
  const fmt = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(1)} ms`);
  const p95 = percentile(samples, 0.95);
  const verdict =
    target === undefined ? '' : `   (target p95 ≤ ${target} ms: ${p95 <= target ? 'met' : 'MISSED'})`;
  console.log(
    `${label.padEnd(66)} p50 ${fmt(percentile(samples, 0.5)).padStart(9)}   p95 ${fmt(p95).padStart(9)}   cpu p50 ${fmt(percentile(cpu, 0.5)).padStart(9)}${verdict}`,
  );
}

const catalog = readCatalogFiles();
// As a process opens it: the catalog and the public measurements the planner calibrates on.
const knowledge: Knowledge = { ...catalog, benchmarks: [], measurements: readMeasurementFiles() };
/** A catalog of `count` models: the catalog's models in order, renamed copies of them past its end. */
function catalogOf(count: number): Knowledge {
  const models = Array.from({ length: count }, (_, i) => {
    const model = knowledge.models[i % knowledge.models.length]!;
    const copy = Math.floor(i / knowledge.models.length);
    if (copy === 0) return model;
    return {
      ...model,
      id: `${model.id}-copy${copy}`,
      aliases: model.aliases.map((alias) => `${alias} copy${copy}`),
    };
  });
  return { ...knowledge, models };
}
const tenfold = catalogOf(10 * knowledge.models.length);

const texts = [
  'chatbot for 1000 users, low latency matters, under $5k/month',
  'code completion for 150 developers',
  'summarize 300-page technical manuals, quality is what matters',
  'document Q&A for 7k customers, $25k/month max',
];
console.log(
  `catalog: ${knowledge.models.length} models × ${knowledge.gpus.length} GPUs; scaled: ${tenfold.models.length} models`,
);
// Paid once per snapshot (the bot before it swaps one in, the CLI once per command), never by a plan below.
const calibrationStarted = performance.now();
const calibration = calibrationOf(knowledge);
console.log(
  `calibration on ${calibration.global?.points ?? 0} measured points: ${(performance.now() - calibrationStarted).toFixed(0)} ms, once per snapshot`,
);
for (const text of texts) {
  const spec = buildSpec(extractIntent(text, knowledge), knowledge.useCases);
  const plan = planDeployment(spec, knowledge);
  time(`plan (${plan.considered} shapes): ${text.slice(0, 30)}…`, () => planDeployment(spec, knowledge));
}
const spec = buildSpec(extractIntent(texts[0]!, knowledge), knowledge.useCases);
// Specs the snapshot's memo has not seen. New targets (all three scaled by a factor in [0.5, 2) that never repeats):
// every shape's highest rate within them is searched afresh, reusing only the probes of the performance model, which
// do not depend on the targets. New traffic (a prompt one token longer each round): nothing is reused but the
// calibration and the deployments' memory layouts — the cost of a plan in a fresh process, as the CLI runs it.
let round = 0;
const newTargets = (): DeploymentSpec => {
  round += 1;
  const scale = 0.5 + ((round * 0.618034) % 1) * 1.5;
  const scaled = (figure: DeploymentSpec['slo']['ttftP95Ms']) => ({ ...figure, value: figure.value * scale });
  return {
    ...spec,
    slo: {
      ttftP95Ms: scaled(spec.slo.ttftP95Ms),
      itlP95Ms: scaled(spec.slo.itlP95Ms),
      e2eP95Ms: scaled(spec.slo.e2eP95Ms),
    },
  };
};
const newTraffic = (): DeploymentSpec => {
  round += 1;
  const prompt = spec.traffic.promptTokens;
  return { ...spec, traffic: { ...spec.traffic, promptTokens: { ...prompt, value: prompt.value + round } } };
};
time('plan, new SLO targets each round', () => planDeployment(newTargets(), knowledge));
time('plan, new traffic each round', () => planDeployment(newTraffic(), knowledge));
// Issue #16's two catalog sizes, with the targets beside the figures.
for (const [count, target] of [
  [20, 50],
  [200, 400],
] as const) {
  const sized = catalogOf(count);
  const considered = planDeployment(spec, sized).considered;
  const samples = count > 50 ? Math.max(5, Math.round(rounds / 3)) : rounds;
  const label = `plan, ${count} models (${considered} shapes)`;
  time(`${label}, new SLO targets each round`, () => planDeployment(newTargets(), sized), samples, target);
  time(`${label}, new traffic each round`, () => planDeployment(newTraffic(), sized), samples, target);
}
time('plan, 450 models, new SLO targets each round', () => planDeployment(newTargets(), tenfold), 5);
time('plan, 450 models, new traffic each round', () => planDeployment(newTraffic(), tenfold), 5);
const scaledPlan = planDeployment(spec, tenfold);
time(`plan, 450 models (${scaledPlan.considered} shapes)`, () => planDeployment(spec, tenfold), 5);
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
