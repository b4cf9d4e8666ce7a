import type { BatchJob, Intent } from '../intent/index.js';
import {
  gpuNotation,
  latency,
  nodeShare,
  nodesOf,
  type Plan,
  parallelLabel,
  plusMinusPercent,
} from '../planner/index.js';
import type { DeploymentSpec, FieldSource } from '../spec/index.js';
import { assumptionsOf } from '../spec/index.js';

const dash = '—';
const number = (value: number | null, unit = '') =>
  value === null
    ? dash
    : `${Number.isInteger(value) ? value.toLocaleString('en-US') : Number(value.toFixed(2))}${unit}`;
const list = (values: readonly string[]) => (values.length ? values.join(', ') : 'any');
const usd = (value: number | null) =>
  value === null ? dash : `$${Math.round(value).toLocaleString('en-US')}/month`;

/** A batch job in words; the API only when it is chat, which the planner prices (completions is the default). */
const batchWords = (job: BatchJob) =>
  `${number(job.itemsPerDay)} items a day in ${number(job.windowHours)} h${job.api === 'chat' ? ' over chat completions' : ''}`;

function table(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`).join('\n');
}

/** The intent as a person reads it. */
export function formatIntent(intent: Intent): string {
  return table([
    ['Use case', intent.useCase ?? dash],
    ['Users', number(intent.users)],
    ['Peak QPS', number(intent.qps)],
    ['Priority', `${intent.priority}${intent.priorityStated ? '' : ' (default)'}`],
    ['Budget', usd(intent.budgetMonthlyUsd)],
    ['GPU types', list(intent.gpuTypes)],
    ['Models', list(intent.models)],
    ['Max GPUs', number(intent.maxGpus)],
    ...(intent.precisions?.length ? [['Precisions', list(intent.precisions)] as [string, string]] : []),
    ...(intent.batch ? [['Batch job', batchWords(intent.batch)] as [string, string]] : []),
    ['Prompt tokens', number(intent.promptTokens)],
    ['Output tokens', number(intent.outputTokens)],
    ['TTFT p95', number(intent.ttftP95Ms, ' ms')],
    ['ITL p95', number(intent.itlP95Ms, ' ms')],
    ['E2E p95', number(intent.e2eP95Ms, ' ms')],
    ['Missing', intent.missing.length ? intent.missing.join(', ') : 'nothing'],
    ...(intent.refused ?? []).map((reason): [string, string] => ['Refused', reason]),
  ]);
}

const SOURCE_LABEL: Record<FieldSource, string> = {
  stated: 'stated',
  derived: 'derived',
  default: 'default',
};
const tagged = (text: string, source: FieldSource) => `${text}  (${SOURCE_LABEL[source]})`;

/** The spec as a person reads it: every value with where it came from, then the notes. */
export function formatSpec(spec: DeploymentSpec): string {
  const { traffic, slo } = spec;
  const rows: [string, string][] = [
    ['Use case', tagged(spec.useCase.value, spec.useCase.source)],
    ['Users', tagged(number(spec.users.value), spec.users.source)],
    ['Average QPS', tagged(number(traffic.avgQps.value), traffic.avgQps.source)],
    ['Peak QPS', tagged(number(traffic.peakQps.value), traffic.peakQps.source)],
    ['Prompt tokens', tagged(number(traffic.promptTokens.value), traffic.promptTokens.source)],
    ['Output tokens', tagged(number(traffic.outputTokens.value), traffic.outputTokens.source)],
    ...(traffic.prefixShare
      ? [
          [
            'Prefix cached',
            tagged(
              `${Math.round(traffic.prefixShare.value * 100)}% of the prompt`,
              traffic.prefixShare.source,
            ),
          ] as [string, string],
        ]
      : []),
    ...(
      [
        ['Prompt spread', traffic.promptTokensCv],
        ['Output spread', traffic.outputTokensCv],
      ] as const
    ).flatMap(([label, cv]): [string, string][] =>
      cv ? [[label, tagged(`${cv.value} (sd ÷ mean)`, cv.source)]] : [],
    ),
    ['TTFT p95', tagged(number(slo.ttftP95Ms.value, ' ms'), slo.ttftP95Ms.source)],
    ['ITL p95', tagged(number(slo.itlP95Ms.value, ' ms'), slo.itlP95Ms.source)],
    ['E2E p95', tagged(number(slo.e2eP95Ms.value, ' ms'), slo.e2eP95Ms.source)],
    ['Priority', tagged(spec.priority.value, spec.priority.source)],
    ['Budget', tagged(usd(spec.budgetMonthlyUsd.value), spec.budgetMonthlyUsd.source)],
    ['GPU types', tagged(list(spec.gpuTypes.value), spec.gpuTypes.source)],
    ['Models', tagged(list(spec.models.value), spec.models.source)],
    ['Max GPUs', tagged(number(spec.maxGpus.value), spec.maxGpus.source)],
    ...(spec.precisions
      ? [['Precisions', tagged(list(spec.precisions.value), spec.precisions.source)] as [string, string]]
      : []),
    ...(spec.batch
      ? [['Batch job', tagged(batchWords(spec.batch.value), spec.batch.source)] as [string, string]]
      : []),
  ];
  const notes = spec.notes.map((note) => `  - ${note}`).join('\n');
  return notes ? `${table(rows)}\nNotes:\n${notes}` : table(rows);
}

const check = (ok: boolean) => (ok ? '✓' : '✗');
/** A figure in few characters; below 1, two significant digits, so a small rate ("0.012 req/s") never reads 0. */
export const compact = (value: number) =>
  value >= 100
    ? Math.round(value).toLocaleString('en-US')
    : value >= 1 || value === 0
      ? String(Number(value.toFixed(1)))
      : String(Number(value.toPrecision(2)));

export function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, index) => Math.max(...rows.map((row) => row[index]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, index) => cell.padEnd(widths[index]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * A plan as a person reads it: the spec in one line, the figures of the request refused (each with why) and what was
 * assumed, a table of options with ✓/✗ per SLO, then misses and warnings.
 */
export function formatPlan(plan: Plan, refused: readonly string[] = []): string {
  const { spec } = plan;
  const slo = spec.slo;
  const lines = [
    `${spec.useCase.value} · ${spec.users.value === null ? '' : `${number(spec.users.value)} users · `}${spec.batch ? `batch job of ${batchWords(spec.batch.value)} · ` : ''}peak ${number(spec.traffic.peakQps.value)} req/s · ` +
      `${number(spec.traffic.promptTokens.value)} prompt / ${number(spec.traffic.outputTokens.value)} output tokens · ` +
      `p95 targets TTFT ${number(slo.ttftP95Ms.value)} ms, ITL ${number(slo.itlP95Ms.value)} ms, E2E ${number(slo.e2eP95Ms.value)} ms · ` +
      `priority ${spec.priority.value}${spec.budgetMonthlyUsd.value === null ? '' : ` · budget ${usd(spec.budgetMonthlyUsd.value)}`}`,
    ...refused.map((reason) => `Refused: ${reason}`),
    ...assumptionsOf(spec).map((assumption) => `Assumed: ${assumption}`),
    '',
  ];
  if (plan.recommendations.length > 0) {
    const header = [
      '#',
      'Model',
      'GPUs',
      'TP',
      'Replicas',
      '$/month',
      'TTFT p95',
      'ITL p95',
      'E2E p95',
      'Max req/s (total)',
      'Basis',
    ];
    const shares = plan.recommendations.map((option) => nodeShare(option.gpusPerReplica, option.node));
    const rows = plan.recommendations.map((option, index) => [
      String(index + 1),
      `${option.modelName}${option.precision === 'bf16' ? '' : ` (${option.precision})`}`,
      gpuNotation(option),
      nodesOf(option) > 1
        ? `${option.tensorParallel} × PP${nodesOf(option)}`
        : option.expertParallel
          ? parallelLabel(option)
          : String(option.tensorParallel),
      String(option.replicas),
      `${Math.round(option.monthlyCostUsd).toLocaleString('en-US')}${shares[index] ? ' †' : ''}`,
      `${latency(option.predicted.ttftP95Ms)}${plusMinusPercent(option.predicted.errorPct?.ttft)} ${check(option.sloChecks.ttft)}`,
      `${latency(option.predicted.itlP95Ms)}${plusMinusPercent(option.predicted.errorPct?.itl)} ${check(option.sloChecks.itl)}`,
      `${latency(option.predicted.e2eP95Ms)}${plusMinusPercent(option.predicted.errorPct?.e2e)} ${check(option.sloChecks.e2e)}`,
      compact(option.predicted.maxRps),
      option.basis,
    ]);
    lines.push(
      columns([header, ...rows]),
      'GPUs: GPUs per replica (tensor parallel) × replicas. Max req/s: all replicas together within the p95 targets.',
      ...(plan.vllmVersion
        ? [`Predictions assume vLLM ${plan.vllmVersion}, the release the manifests run (VLLM_IMAGE).`]
        : []),
      ...(plan.recommendations.some((option) => option.expertParallel)
        ? [
            'EP: experts placed whole over the GPUs (--enable-expert-parallel); DP: data-parallel attention ranks.',
          ]
        : []),
      ...[...new Set(shares.filter((share) => share !== null))].map((share) => {
        const ranks = shares.flatMap((other, index) => (other === share ? [`#${index + 1}`] : []));
        return `† ${ranks.join(', ')}: each replica is billed per GPU as ${share}, a share of a larger node.`;
      }),
      '',
    );
    for (const [index, option] of plan.recommendations.entries())
      lines.push(`${index + 1}. ${option.rationale}`);
  } else {
    lines.push('No option meets every constraint.');
  }
  if (plan.nearMisses.length > 0) {
    lines.push('', 'Near misses:', ...plan.nearMisses.map((miss) => `  - ${miss.reason}; ${miss.relax}.`));
  }
  if (plan.warnings.length > 0)
    lines.push('', 'Warnings:', ...plan.warnings.map((warning) => `  - ${warning}`));
  return lines.join('\n');
}
