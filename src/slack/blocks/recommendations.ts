import { gpuNotation, nodeShare } from '../../planner/notation.js';
import type { Plan, PlannedOption } from '../../planner/plan.js';
import type { DeploymentSpec } from '../../spec/schema.js';
import { ACTION } from './actions.js';
import { check, ms, rps, usdMonthly } from './format.js';
import type { Block, ButtonElement, SlackMessage } from './kit.js';
import { actions, button, context, divider, fitLines, header, LIMITS, message, section } from './kit.js';

/** "Llama 3.1 8B Instruct (fp8)": the model as served. */
export function modelLabel(option: Pick<PlannedOption, 'modelName' | 'precision'>): string {
  return option.precision === 'bf16' ? option.modelName : `${option.modelName} (${option.precision})`;
}

/** "4× H100 (TP4) × 3 replicas": the plan notation (src/planner/notation.ts), as the CLI writes it. */
export function gpuLabel(
  option: Pick<
    PlannedOption,
    'gpuId' | 'replicas' | 'tensorParallel' | 'pipelineParallel' | 'dataParallel' | 'expertParallel'
  >,
): string {
  return gpuNotation(option);
}

/** "TTFT 120 ms ✓ ≤ 500 ms · ITL … · E2E …": the p95s against the spec's targets. */
export function sloLine(option: PlannedOption, spec: DeploymentSpec): string {
  const { predicted, sloChecks } = option;
  const { slo } = spec;
  return [
    `TTFT ${ms(predicted.ttftP95Ms)} ${check(sloChecks.ttft)} ≤ ${ms(slo.ttftP95Ms.value)}`,
    `ITL ${ms(predicted.itlP95Ms)} ${check(sloChecks.itl)} ≤ ${ms(slo.itlP95Ms.value)}`,
    `E2E ${ms(predicted.e2eP95Ms)} ${check(sloChecks.e2e)} ≤ ${ms(slo.e2eP95Ms.value)}`,
  ].join(' · ');
}

/** " (each replica billed as 2 of an 8-GPU p5.48xlarge)" when the price is a share of a larger instance. */
function billedShare(option: PlannedOption): string {
  const share = nodeShare(option.gpusPerReplica, option.node);
  return share ? ` (each replica billed as ${share})` : '';
}

/** An option in four lines: what it is, what it costs, its p95s against the targets, the prediction's basis. */
export function optionSummary(option: PlannedOption, spec: DeploymentSpec, title: string): string {
  return [
    `*${title}*`,
    `*${usdMonthly(option.monthlyCostUsd)}*${billedShare(option)}${option.quality === null ? '' : ` · quality ${option.quality}/100`}`,
    `p95 ${sloLine(option, spec)}`,
    `Basis: ${option.basis} · carries up to ${rps(option.predicted.maxRps)} in all (${rps(option.predicted.maxRpsPerReplica)} per replica)`,
  ].join('\n');
}

/** What can be done with one option; each button carries the option's id. */
export const optionButtons = (option: Pick<PlannedOption, 'id'>): ButtonElement[] => [
  button('Details', ACTION.details, option.id),
  button('What if…', ACTION.whatIf, option.id),
  button('Request deploy', ACTION.requestDeploy, option.id, 'primary'),
];

/** One option: its summary, why it ranks here, and (in a conversation) its buttons. */
function optionBlocks(
  option: PlannedOption,
  rank: number,
  spec: DeploymentSpec,
  withButtons: boolean,
): Block[] {
  const blocks: Block[] = [
    section(optionSummary(option, spec, `${rank}. ${modelLabel(option)} on ${gpuLabel(option)}`)),
    context(option.rationale),
  ];
  if (withButtons) blocks.push(actions(...optionButtons(option)));
  return blocks;
}

function fallbackText(plan: Plan, top: number): string {
  if (plan.recommendations.length === 0) return 'No option meets every constraint; see the near misses.';
  const options = plan.recommendations
    .slice(0, top)
    .map(
      (option, index) =>
        `${index + 1}. ${modelLabel(option)} on ${gpuLabel(option)}, ${usdMonthly(option.monthlyCostUsd)}` +
        `${option.meetsSlo ? '' : ' (misses a target)'}`,
    );
  return `Top options: ${options.join('; ')}.`;
}

/** Near misses and warnings: what to change when nothing (or little) fits. */
function caveatBlocks(plan: Plan): Block[] {
  const blocks: Block[] = [];
  if (plan.nearMisses.length > 0) {
    const lines = plan.nearMisses.map((miss) => `• ${miss.reason}; to admit it, ${miss.relax}.`);
    blocks.push(section(`*Near misses*\n${fitLines(lines, LIMITS.sectionText - 20)}`));
  }
  // Warnings and the engine release the predictions assume share one context block (one slot of the block limit).
  const notes = [
    ...plan.warnings.map((warning) => `⚠️ ${warning}`),
    ...(plan.vllmVersion ? [`Predictions assume vLLM ${plan.vllmVersion}, the release deploys run.`] : []),
  ];
  if (notes.length > 0) blocks.push(context(fitLines(notes, LIMITS.contextText)));
  return blocks;
}

export interface RecommendationsOptions {
  /** How many options to show (the plan may hold more). */
  top?: number;
  /** Buttons under the options; the conversation's by default. */
  buttons?: ButtonElement[];
  /** Whether each option gets its Details / What if… / Request deploy buttons (a conversation's do). */
  optionButtons?: boolean;
}

/** The buttons under a conversation's recommendations. */
export const conversationButtons = (): ButtonElement[] => [button('Edit spec', ACTION.editSpec)];

/** The ranked options of a plan, with near misses and warnings, inside Slack's limits. */
export function recommendationsBlocks(plan: Plan, options: RecommendationsOptions = {}): SlackMessage {
  const withButtons = options.optionButtons ?? true;
  // Two or three blocks per option; the header, near misses, warnings, divider and buttons keep their place.
  const room = Math.floor((LIMITS.blocksPerMessage - 5) / (withButtons ? 3 : 2));
  const top = Math.min(options.top ?? plan.recommendations.length, room);
  const shown = plan.recommendations.slice(0, top);
  const title =
    shown.length === 0
      ? 'No option meets every constraint'
      : `Top ${shown.length === 1 ? 'option' : `${shown.length} options`} · priority ${plan.spec.priority.value}`;
  const blocks: Block[] = [header(title)];
  for (const [index, option] of shown.entries())
    blocks.push(...optionBlocks(option, index + 1, plan.spec, withButtons));
  blocks.push(...caveatBlocks(plan));
  const buttons = options.buttons ?? conversationButtons();
  if (buttons.length > 0) blocks.push(divider(), actions(...buttons));
  return message(fallbackText(plan, top), blocks);
}
