import type { PlannedOption, WhatIfResult } from '../../planner/plan.js';
import type { DeploymentSpec } from '../../spec/schema.js';
import { ACTION, VIEW } from './actions.js';
import type { FormField } from './form.js';
import { inputBlocks } from './form.js';
import { check, ms, rps, usd, usdMonthly } from './format.js';
import type { SlackMessage, SlackView, ViewBlock } from './kit.js';
import { actions, button, context, divider, fieldSections, header, message, modal, section } from './kit.js';
import { gpuLabel, modelLabel, optionButtons, optionSummary, sloLine } from './recommendations.js';

/** Where the scenario part of the what-if modal stands. */
export type ScenarioState =
  | { kind: 'pending' }
  | { kind: 'loading' }
  | { kind: 'result'; result: WhatIfResult }
  /** A refusal (e.g. Use this on an infeasible scenario), shown above the last result if any. */
  | { kind: 'notice'; text: string; result: WhatIfResult | null };

/** block_id of the section that shows the scenario's prediction. */
export const SCENARIO_BLOCK = 'scenario';

const describe = (option: PlannedOption) => `${modelLabel(option)} on ${gpuLabel(option)}`;

/** +12 ms, −$300, ±0: a difference with its sign. */
export function signed(value: number, show: (magnitude: number) => string): string {
  if (value === 0) return '±0';
  return `${value > 0 ? '+' : '−'}${show(Math.abs(value))}`;
}

/** "Cost +$1,200/month · TTFT −35 ms · …": the scenario minus the baseline. */
export function differenceLine(difference: NonNullable<WhatIfResult['difference']>): string {
  return [
    `Cost ${signed(difference.monthlyCostUsd, (value) => `${usd(value)}/month`)}`,
    `TTFT ${signed(difference.ttftP95Ms, ms)}`,
    `ITL ${signed(difference.itlP95Ms, ms)}`,
    `E2E ${signed(difference.e2eP95Ms, ms)}`,
    `max load ${signed(difference.maxRps, rps)}`,
    `quality ${difference.quality === null ? 'n/a' : signed(difference.quality, String)}`,
  ].join(' · ');
}

/** The scenario in words: its prediction and the differences, or why it cannot run. */
export function scenarioText(result: WhatIfResult): string {
  const { scenario } = result;
  switch (scenario.kind) {
    case 'planned':
      return (
        `${optionSummary(scenario.option, result.spec, `Scenario: ${describe(scenario.option)}`)}\n` +
        `vs baseline: ${differenceLine(result.difference!)}`
      );
    case 'slo-miss':
      return `*Scenario*\n⚠️ ${scenario.miss.reason}; to admit it, ${scenario.miss.relax}.`;
    case 'infeasible':
      return `*Scenario*\n⚠️ Not feasible: ${scenario.reason}.`;
  }
}

function stateText(state: ScenarioState): string {
  switch (state.kind) {
    case 'pending':
      return '*Scenario*\nChange anything above and press *Update* to see the prediction and the cost.';
    case 'loading':
      return '*Scenario*\n⏳ Predicting…';
    case 'result':
      return scenarioText(state.result);
    case 'notice':
      return state.result ? `⚠️ ${state.text}\n\n${scenarioText(state.result)}` : `⚠️ ${state.text}`;
  }
}

/**
 * The what-if modal: the baseline, the changes as inputs, and the scenario's prediction, updated in place by
 * Update; Compare and Use this act on the last prediction. private_metadata is the what-if's id.
 */
export function whatIfView(
  whatIfId: string,
  baseline: PlannedOption,
  spec: DeploymentSpec,
  fields: FormField[],
  state: ScenarioState,
): SlackView {
  const blocks: ViewBlock[] = [
    section(
      `*Baseline*: ${describe(baseline)} · ${usdMonthly(baseline.monthlyCostUsd)}\np95 ${sloLine(baseline, spec)}`,
    ),
    divider(),
    ...inputBlocks(fields),
    divider(),
    section(stateText(state), undefined, SCENARIO_BLOCK),
    actions(
      button('Compare', ACTION.compareScenario, whatIfId),
      button('Use this', ACTION.useScenario, whatIfId, 'primary'),
    ),
  ];
  return modal({
    callbackId: VIEW.whatIf,
    title: 'What if…',
    submit: 'Update',
    close: 'Close',
    privateMetadata: whatIfId,
    blocks,
  });
}

/** One side of the comparison, as field texts in the order of COMPARED. */
function column(option: PlannedOption, spec: DeploymentSpec): string[] {
  const { predicted, sloChecks } = option;
  const { slo } = spec;
  return [
    `*Model*\n${modelLabel(option)}`,
    `*GPUs*\n${gpuLabel(option)}`,
    `*Cost*\n${usdMonthly(option.monthlyCostUsd)}`,
    `*TTFT p95*\n${ms(predicted.ttftP95Ms)} ${check(sloChecks.ttft)} ≤ ${ms(slo.ttftP95Ms.value)}`,
    `*ITL p95*\n${ms(predicted.itlP95Ms)} ${check(sloChecks.itl)} ≤ ${ms(slo.itlP95Ms.value)}`,
    `*E2E p95*\n${ms(predicted.e2eP95Ms)} ${check(sloChecks.e2e)} ≤ ${ms(slo.e2eP95Ms.value)}`,
    `*Max load*\n${rps(predicted.maxRps)} (peak ${rps(spec.traffic.peakQps.value)})`,
    `*Quality*\n${option.quality === null ? 'unknown' : `${option.quality}/100`}`,
  ];
}

/** Baseline and scenario side by side, with the differences and ✓/✗ against each one's targets. */
export function compareView(whatIfId: string, result: WhatIfResult, baselineSpec: DeploymentSpec): SlackView {
  const left = column(result.baseline, baselineSpec);
  const { scenario } = result;
  const right = scenario.kind === 'planned' ? column(scenario.option, result.spec) : left.map(() => '—');
  const rows = left.flatMap((field, index) => [field, right[index]!]);
  const blocks: ViewBlock[] = [
    header('Baseline vs scenario'),
    ...fieldSections(['*Baseline*', '*Scenario*', ...rows]),
    divider(),
    section(
      scenario.kind === 'planned'
        ? `*Differences* (scenario − baseline)\n${differenceLine(result.difference!)}`
        : scenarioText(result),
    ),
  ];
  if (scenario.kind === 'planned')
    blocks.push(actions(button('Use this', ACTION.useScenario, whatIfId, 'primary')));
  return modal({
    callbackId: VIEW.compare,
    title: 'Compare',
    close: 'Back',
    privateMetadata: whatIfId,
    blocks,
  });
}

/** The option a what-if made the thread's choice, with the buttons to go on from it. */
export function chosenOptionBlocks(
  option: PlannedOption,
  spec: DeploymentSpec,
  userId: string,
  baseline: PlannedOption,
): SlackMessage {
  const title = describe(option);
  return message(`<@${userId}> chose ${title}: ${usdMonthly(option.monthlyCostUsd)}.`, [
    header('Chosen option'),
    section(optionSummary(option, spec, title)),
    context(`Chosen by <@${userId}> in a what-if on ${describe(baseline)}. ${option.rationale}`),
    actions(...optionButtons(option)),
  ]);
}
