import { createMonitorStore, type Outcome } from '../monitor/index.js';
import type { CliContext } from './context.js';
import { withKnowledgeBase } from './context.js';
import { columns, compact } from './format.js';
import { writeLine } from './io.js';

const P95S = [
  ['TTFT p95', 'ttftP95Ms'],
  ['ITL p95', 'itlP95Ms'],
  ['E2E p95', 'e2eP95Ms'],
] as const;

const significant = (value: number) => String(Number(value.toPrecision(3)));

/** "312 ms (pred 280, +11%)": observed, then predicted for the same traffic and the gap. */
function versus(outcome: Outcome, key: (typeof P95S)[number][1]): string {
  const observed = outcome.observed[key];
  const predicted = outcome.predicted?.[key];
  if (predicted === undefined) return `${compact(observed)} ms`;
  const gap = ((observed - predicted) / predicted) * 100;
  return `${compact(observed)} ms (pred ${compact(predicted)}, ${gap >= 0 ? '+' : '−'}${Math.round(Math.abs(gap))}%)`;
}

export function formatOutcomes(outcomes: Outcome[]): string {
  if (outcomes.length === 0)
    return (
      'No outcomes yet. `compass worker` stores one per deployment at most every 10 minutes while it serves ' +
      'enough requests, when PROMETHEUS_URL is set.'
    );
  const header = [
    'Deployment',
    'When (UTC)',
    'Configuration',
    'Traffic',
    ...P95S.map(([label]) => label),
    'Basis',
  ];
  const rows = outcomes.map((outcome) => [
    outcome.deployment,
    outcome.at.slice(0, 16).replace('T', ' '),
    `${outcome.modelId} ${outcome.precision} · ${outcome.replicas}× TP${outcome.tensorParallel} ${outcome.gpuId}`,
    `${significant(outcome.requestsPerSec)} req/s · ${Math.round(outcome.promptTokens)} → ${Math.round(outcome.outputTokens)} tokens`,
    ...P95S.map(([, key]) => versus(outcome, key)),
    outcome.predicted?.basis ?? '—',
  ]);
  return [
    'Observed p95s of each deployment against what the planner predicts for the same traffic:',
    '',
    columns([header, ...rows]),
  ].join('\n');
}

/** `compass outcomes [--json]`: every stored outcome, predicted vs. observed, oldest first. */
export async function outcomesCommand(context: CliContext, options: { json?: boolean }): Promise<void> {
  const outcomes = await withKnowledgeBase(context, ({ database }) =>
    createMonitorStore(database.db).outcomes(),
  );
  writeLine(context.io.stdout, options.json ? JSON.stringify(outcomes) : formatOutcomes(outcomes));
}
