import type { DeploymentSpec } from '../../spec/schema.js';
import { ACTION } from './actions.js';
import { count, list, ms, rps, SOURCE_LABEL, usdMonthly } from './format.js';
import type { Block, SlackMessage } from './kit.js';
import { actions, button, context, fieldSections, fitLines, header, LIMITS, message } from './kit.js';

type Field<T> = { value: T; source: DeploymentSpec['useCase']['source'] };

const tagged = <T>(label: string, field: Field<T>, show: (value: T) => string) =>
  `*${label}*\n${show(field.value)} · ${SOURCE_LABEL[field.source]}`;

/**
 * The spec's fields, each with where it came from (stated, derived or default), the notes behind them, and the Edit
 * spec button. The thread's card is edited in place whenever the spec changes.
 */
export function specCardBlocks(spec: DeploymentSpec, useCaseName: string): SlackMessage {
  const { traffic, slo } = spec;
  const fields = [
    tagged('Use case', spec.useCase, () => useCaseName),
    tagged('Users', spec.users, (value) => (value === null ? 'not given' : count(value))),
    tagged('Peak load', traffic.peakQps, (value) => `${rps(value)} (avg ${rps(traffic.avgQps.value)})`),
    tagged(
      'Tokens per request',
      traffic.promptTokens,
      (value) => `${count(value)} in / ${count(traffic.outputTokens.value)} out`,
    ),
    tagged('TTFT p95 target', slo.ttftP95Ms, (value) => `≤ ${ms(value)}`),
    tagged('ITL p95 target', slo.itlP95Ms, (value) => `≤ ${ms(value)}`),
    tagged('E2E p95 target', slo.e2eP95Ms, (value) => `≤ ${ms(value)}`),
    tagged('Priority', spec.priority, (value) => value),
    tagged('Budget', spec.budgetMonthlyUsd, (value) => (value === null ? 'none' : usdMonthly(value))),
    tagged('GPU types', spec.gpuTypes, (value) => list(value)),
    tagged('Models', spec.models, (value) => list(value)),
    tagged('Max GPUs', spec.maxGpus, (value) => (value === null ? 'no limit' : count(value))),
    ...(spec.precisions ? [tagged('Precisions', spec.precisions, (value) => list(value))] : []),
  ];
  const blocks: Block[] = [header('Deployment spec'), ...fieldSections(fields)];
  if (spec.notes.length > 0) blocks.push(context(fitLines(spec.notes, LIMITS.contextText)));
  blocks.push(
    context(
      'Change anything by saying so, e.g. “make it 3000 users” or “TTFT under 200 ms”, or with *Edit spec*.',
    ),
    actions(button('Edit spec', ACTION.editSpec)),
  );
  const text =
    `Deployment spec: ${useCaseName}, ` +
    `${spec.users.value === null ? '' : `${count(spec.users.value)} users, `}` +
    `peak ${rps(traffic.peakQps.value)}, p95 targets TTFT ${ms(slo.ttftP95Ms.value)} / ` +
    `ITL ${ms(slo.itlP95Ms.value)} / E2E ${ms(slo.e2eP95Ms.value)}, priority ${spec.priority.value}.`;
  return message(text, blocks);
}
