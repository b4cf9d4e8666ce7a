import { plusMinusPercent } from '../../planner/error-bands.js';
import { describeNode } from '../../planner/node-fit.js';
import { expertParallelWords } from '../../planner/notation.js';
import type { PlannedOption } from '../../planner/plan.js';
import type { DeploymentSpec } from '../../spec/schema.js';
import { ACTION, VIEW } from './actions.js';
import { BASIS_LABEL, check, count, ms, rps, usdHourly, usdMonthly } from './format.js';
import type { SlackView, ViewBlock } from './kit.js';
import {
  actions,
  button,
  clip,
  context,
  divider,
  fieldSections,
  header,
  image,
  LIMITS,
  modal,
  section,
} from './kit.js';
import { gpuLabel, modelLabel } from './recommendations.js';

const LIMIT_WORDS: Record<PlannedOption['limitedBy'], string> = {
  ttft: 'TTFT',
  itl: 'ITL',
  e2e: 'E2E latency',
  capacity: 'throughput',
};

/** GPU memory of one replica's GPUs as vLLM lays it out (per GPU, GB). */
export interface MemoryBreakdown {
  gpuMemoryGb: number;
  weightsGb: number;
  kvCacheGb: number;
  /** The start-up profile's activation peak plus CUDA context, NCCL and other non-torch memory. */
  runtimeGb: number;
  /** What vLLM leaves free: outside gpu_memory_utilization, and what the driver reserves. */
  headroomGb: number;
  gpuMemoryUtilization: number;
  /** Tokens the replica's KV cache holds. */
  kvTokens: number;
  /** Requests of the spec's length that fit in the KV cache at once. */
  concurrentRequests: number;
}

export interface OptionDetails {
  option: PlannedOption;
  spec: DeploymentSpec;
  /** 1-based rank among the plan's options; null for an option chosen in a what-if. */
  rank: number | null;
  /** How many options the plan shows. */
  ranked: number;
  /** Null when the prediction could not be repeated (the catalog changed since the plan). */
  memory: MemoryBreakdown | null;
}

/** block_id of the section where a later release shows the Kubernetes manifest this option would deploy. */
export const MANIFEST_PREVIEW_BLOCK = 'manifest_preview';

const gb = (value: number) => `${value.toFixed(1)} GB`;

function memoryLines(memory: MemoryBreakdown): string {
  const share = (value: number) => `${Math.round((value / memory.gpuMemoryGb) * 100)}%`;
  return [
    `*Memory per GPU* (${gb(memory.gpuMemoryGb)})`,
    `• Weights ${gb(memory.weightsGb)} (${share(memory.weightsGb)})`,
    `• KV cache ${gb(memory.kvCacheGb)} (${share(memory.kvCacheGb)}): ${count(memory.kvTokens)} tokens, ` +
      `${count(memory.concurrentRequests)} requests of this length at once`,
    `• Activations and runtime ${gb(memory.runtimeGb)} (${share(memory.runtimeGb)})`,
    `• Headroom ${gb(memory.headroomGb)} (${share(memory.headroomGb)}): outside gpu_memory_utilization ` +
      `${memory.gpuMemoryUtilization}, and what the driver keeps`,
  ].join('\n');
}

/** What the chart shows, for screen readers and wherever the image cannot load. */
export const CHART_ALT_TEXT =
  'TTFT p95, ITL p95 and throughput against the request rate: predicted line, measured points, SLO bands';

/** The Details modal's chart: the image where the bot serves it publicly, and always a button to post it. */
function chartBlocks(optionId: string, chartUrl: string | undefined): ViewBlock[] {
  const post = actions(button('Post chart in thread', ACTION.postChart, optionId));
  if (chartUrl === undefined)
    return [section('*Latency and throughput against load*\nPost the chart in the thread to see it.'), post];
  return [
    image(chartUrl, CHART_ALT_TEXT, 'Latency and throughput against load (one replica)'),
    context(`<${chartUrl}|Open the chart full size> (the link works for an hour)`),
    post,
  ];
}

/**
 * Everything the planner knows about one option: the full prediction and its basis, costs per hour, month and
 * million tokens, the memory breakdown, why it ranks where it does, and its latency-against-load chart. The modal's
 * private_metadata is the conversation (the chart button's thread). `manifestPreview` fills the slot for the
 * rendered manifest; `chartUrl` is the chart's public link, when the bot has one.
 */
export function optionDetailsView(
  details: OptionDetails,
  slots: { conversationId: string; manifestPreview?: string; chartUrl?: string },
): SlackView {
  const { option, spec } = details;
  const { predicted } = option;
  const fields = [
    `*Model*\n${modelLabel(option)}\n\`${option.modelId}\``,
    `*GPUs*\n${gpuLabel(option)}, ${option.gpusPerReplica} per replica`,
    ...(expertParallelWords(option) ? [`*Parallelism*\n${expertParallelWords(option)}`] : []),
    `*Cost*\n${usdMonthly(option.monthlyCostUsd)} (${usdHourly(option.hourlyCostUsd)})\n$${option.costPerMillionOutputTokensUsd} per million output tokens at the average load${option.node ? `; ${describeNode(option.node)}` : ''}`,
    `*Quality*\n${option.quality === null ? 'no score in the catalog' : `${option.quality}/100 for this use case`}`,
    `*TTFT p50 / p95*\n${ms(predicted.ttftP50Ms)} / ${ms(predicted.ttftP95Ms)}${plusMinusPercent(predicted.errorPct?.ttft)} ${check(option.sloChecks.ttft)} target ${ms(spec.slo.ttftP95Ms.value)}`,
    `*ITL p50 / p95*\n${ms(predicted.itlP50Ms)} / ${ms(predicted.itlP95Ms)}${plusMinusPercent(predicted.errorPct?.itl)} ${check(option.sloChecks.itl)} target ${ms(spec.slo.itlP95Ms.value)}`,
    `*E2E p50 / p95*\n${ms(predicted.e2eP50Ms)} / ${ms(predicted.e2eP95Ms)}${plusMinusPercent(predicted.errorPct?.e2e)} ${check(option.sloChecks.e2e)} target ${ms(spec.slo.e2eP95Ms.value)}`,
    `*Capacity*\nup to ${rps(predicted.maxRps)} in total, ${rps(predicted.maxRpsPerReplica)} per replica, limited by ${LIMIT_WORDS[option.limitedBy]}`,
    `*Load at peak*\n${rps(predicted.loadPerReplicaRps)} per replica (${count(option.replicas)} replica${option.replicas === 1 ? '' : 's'})`,
    `*Basis*\n${BASIS_LABEL[option.basis]}`,
    ...(predicted.errorPct
      ? [
          `*Expected error (±)*\n9 in 10 predictions of public vLLM measurements the model was not calibrated on landed within TTFT ±${predicted.errorPct.ttft}%, ITL ±${predicted.errorPct.itl}%, E2E ±${predicted.errorPct.e2e}%: ${predicted.errorPct.scope}.`,
        ]
      : []),
  ];
  const standing =
    details.rank === null
      ? '*Why this option*\nChosen in a what-if rather than ranked by the planner.'
      : `*Why it ranks #${details.rank} of ${details.ranked}* (priority ${spec.priority.value})`;
  const blocks: ViewBlock[] = [
    header(`${modelLabel(option)} on ${gpuLabel(option)}`),
    ...fieldSections(fields),
    section(
      details.memory ? memoryLines(details.memory) : '*Memory per GPU*\nNot available for this option.',
    ),
    section(`${standing}\n${option.rationale || 'No rationale recorded.'}`),
    divider(),
    ...chartBlocks(option.id, slots.chartUrl),
  ];
  if (slots.manifestPreview !== undefined) {
    blocks.push(
      divider(),
      section(
        `*Manifest preview*\n\`\`\`${clip(slots.manifestPreview, LIMITS.sectionText - 40)}\`\`\``,
        undefined,
        MANIFEST_PREVIEW_BLOCK,
      ),
    );
  }
  blocks.push(context(`Option id \`${option.id}\``));
  return modal({
    callbackId: VIEW.info,
    title: 'Option details',
    close: 'Close',
    privateMetadata: slots.conversationId,
    blocks,
  });
}

/** The view without its image blocks (for when Slack cannot fetch them); the same view when it has none. */
export function withoutImages(view: SlackView): SlackView {
  const blocks = view.blocks.filter((block) => block.type !== 'image');
  return blocks.length === view.blocks.length ? view : { ...view, blocks };
}

/** A view without inputs: a loading placeholder, a refusal, a confirmation. */
export function noticeView(title: string, text: string): SlackView {
  return modal({ callbackId: VIEW.info, title, close: 'Close', blocks: [section(text)] });
}

/** Opened at once when the answer needs the planner, then replaced (views.update) by the answer. */
export const loadingView = (title: string) => noticeView(title, '⏳ Working it out…');
