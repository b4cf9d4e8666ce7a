import { BATCH_APIS, type BatchApi, callsChat } from '../intent/batch-api.js';
import { FIGURE_MAX } from '../intent/bounds.js';
import type { BatchJob, Intent } from '../intent/schema.js';
import { missingFacts, Priority } from '../intent/schema.js';
import type { Knowledge, UseCase } from '../knowledge/catalog.js';
import type { FormField, FormValues } from '../slack/blocks/form.js';
import { buildSpec, checkSpec } from '../spec/build.js';
import type { DeploymentSpec } from '../spec/schema.js';
import type { FormResult } from './form.js';
import { formReader } from './form.js';
import type { ConversationData } from './schema.js';

/** The spec form's fields by name (block ids in Slack, keys in `compass chat`). */
export const SPEC_FIELD = {
  useCase: 'use_case',
  users: 'users',
  avgQps: 'avg_qps',
  peakQps: 'peak_qps',
  batchItems: 'batch_items',
  batchWindow: 'batch_window',
  batchApi: 'batch_api',
  promptTokens: 'prompt_tokens',
  outputTokens: 'output_tokens',
  prefixShare: 'prefix_share',
  promptCv: 'prompt_cv',
  outputCv: 'output_cv',
  ttft: 'ttft',
  itl: 'itl',
  e2e: 'e2e',
  priority: 'priority',
  budget: 'budget',
  gpus: 'gpus',
  models: 'models',
  maxGpus: 'max_gpus',
} as const;

const PRIORITY_LABEL: Record<Priority, string> = {
  balanced: 'Balanced (quality, cost, latency)',
  latency: 'Latency',
  cost: 'Cost',
  accuracy: 'Accuracy (quality)',
};

/** Sanity bounds: far beyond any real deployment, so a typo (an extra 0 or three) is caught, not planned. */
const MAX = {
  users: FIGURE_MAX.users,
  qps: FIGURE_MAX.qps,
  tokens: FIGURE_MAX.tokens,
  ttftMs: FIGURE_MAX.ttftP95Ms,
  itlMs: FIGURE_MAX.itlP95Ms,
  e2eMs: FIGURE_MAX.e2eP95Ms,
  budget: FIGURE_MAX.budgetMonthlyUsd,
  gpus: FIGURE_MAX.gpus,
} as const;

const BATCH_API_LABEL: Record<BatchApi, string> = {
  completions: 'Completions (as vllm bench serve sends)',
  chat: 'Chat completions (templates rendered on the API server)',
};

/** Most of a prompt the form lets repeat earlier requests (%): a prompt always has some text of its own. */
const MAX_PREFIX_PERCENT = 99;

/** The spec's shared prompt prefix in percent, to one decimal (as the form shows and compares it). */
export const prefixPercent = (spec: DeploymentSpec) =>
  Math.round((spec.traffic.prefixShare?.value ?? 0) * 1000) / 10;

/**
 * The spec with an average rate set in the form: buildSpec derives the average from the peak, the form may state it.
 * Ignored when above the peak (a later change of the peak overrules an older average).
 */
export function specOf(intent: Intent, avgQps: number | null, useCases: readonly UseCase[]): DeploymentSpec {
  const spec = buildSpec(intent, useCases);
  if (avgQps === null || avgQps > spec.traffic.peakQps.value) return spec;
  return {
    ...spec,
    traffic: { ...spec.traffic, avgQps: { value: avgQps, source: 'stated' } },
    notes: [...spec.notes, `Average load set to ${avgQps} requests/s in the spec form.`],
  };
}

/** Every field of the spec as a form field, prefilled with the spec's values. */
export function specFormFields(spec: DeploymentSpec, knowledge: Knowledge): FormField[] {
  const { traffic, slo } = spec;
  return [
    {
      kind: 'select',
      name: SPEC_FIELD.useCase,
      label: 'Use case',
      value: spec.useCase.value,
      options: knowledge.useCases.map((useCase) => ({ value: useCase.id, label: useCase.name })),
    },
    {
      kind: 'number',
      name: SPEC_FIELD.users,
      label: 'Users',
      value: spec.users.value,
      decimals: false,
      optional: true,
      hint: 'A new user count re-derives the load from the use case, unless you change the load too.',
    },
    {
      kind: 'number',
      name: SPEC_FIELD.avgQps,
      label: 'Average load (requests/s)',
      value: traffic.avgQps.value,
      decimals: true,
    },
    {
      kind: 'number',
      name: SPEC_FIELD.peakQps,
      label: 'Peak load (requests/s)',
      value: traffic.peakQps.value,
      decimals: true,
      hint: 'The deployment is sized for this rate.',
    },
    {
      kind: 'number',
      name: SPEC_FIELD.batchItems,
      label: 'Batch job: items a day',
      value: spec.batch?.value.itemsPerDay ?? null,
      decimals: false,
      optional: true,
      hint: 'An offline job of this many requests a day: the load is the items over the window. Empty: interactive traffic.',
    },
    {
      kind: 'number',
      name: SPEC_FIELD.batchWindow,
      label: 'Batch window (hours a day)',
      value: spec.batch?.value.windowHours ?? null,
      decimals: true,
      optional: true,
      hint: 'Hours of each day the batch job may run. Empty: 24.',
    },
    {
      kind: 'select',
      name: SPEC_FIELD.batchApi,
      label: "Batch job's API",
      value: callsChat(spec.batch?.value.api) ? 'chat' : 'completions',
      options: BATCH_APIS.map((api) => ({ value: api, label: BATCH_API_LABEL[api] })),
      hint: 'Chat requests have their templates rendered on the API server first, which lengthens a batch.',
    },
    {
      kind: 'number',
      name: SPEC_FIELD.promptTokens,
      label: 'Prompt tokens per request',
      value: traffic.promptTokens.value,
      decimals: false,
    },
    {
      kind: 'number',
      name: SPEC_FIELD.outputTokens,
      label: 'Output tokens per request',
      value: traffic.outputTokens.value,
      decimals: false,
    },
    {
      kind: 'number',
      name: SPEC_FIELD.prefixShare,
      label: 'Shared prompt prefix (%)',
      value: prefixPercent(spec) || null,
      decimals: true,
      optional: true,
      hint: "Share of each prompt earlier requests already sent (system prompt, history), served from vLLM's prefix cache. Empty: none.",
    },
    {
      kind: 'number',
      name: SPEC_FIELD.promptCv,
      label: 'Prompt length spread (sd ÷ mean)',
      value: traffic.promptTokensCv?.value || null,
      decimals: true,
      optional: true,
      hint: "How much prompt lengths vary between requests; long ones set TTFT p95. The default is the use case's published trace. Empty: every prompt has the mean length.",
    },
    {
      kind: 'number',
      name: SPEC_FIELD.outputCv,
      label: 'Output length spread (sd ÷ mean)',
      value: traffic.outputTokensCv?.value || null,
      decimals: true,
      optional: true,
      hint: 'How much reply lengths vary between requests; long replies set E2E p95. Empty: every reply has the mean length.',
    },
    {
      kind: 'number',
      name: SPEC_FIELD.ttft,
      label: 'TTFT p95 target (ms)',
      value: slo.ttftP95Ms.value,
      decimals: true,
    },
    {
      kind: 'number',
      name: SPEC_FIELD.itl,
      label: 'ITL p95 target (ms)',
      value: slo.itlP95Ms.value,
      decimals: true,
    },
    {
      kind: 'number',
      name: SPEC_FIELD.e2e,
      label: 'E2E p95 target (ms)',
      value: slo.e2eP95Ms.value,
      decimals: true,
      hint: 'At least TTFT + output tokens × ITL.',
    },
    {
      kind: 'select',
      name: SPEC_FIELD.priority,
      label: 'Priority',
      value: spec.priority.value,
      options: Priority.options.map((priority) => ({ value: priority, label: PRIORITY_LABEL[priority] })),
    },
    {
      kind: 'number',
      name: SPEC_FIELD.budget,
      label: 'Monthly budget (USD)',
      value: spec.budgetMonthlyUsd.value,
      decimals: false,
      optional: true,
      hint: 'Empty: no budget.',
    },
    {
      kind: 'multiselect',
      name: SPEC_FIELD.gpus,
      label: 'Allowed GPU types',
      value: spec.gpuTypes.value,
      options: knowledge.gpus.map((gpu) => ({ value: gpu.id, label: `${gpu.id} (${gpu.memoryGb} GB)` })),
      optional: true,
      placeholder: 'Any GPU',
      hint: 'None selected: any GPU in the catalog.',
    },
    {
      kind: 'multiselect',
      name: SPEC_FIELD.models,
      label: 'Preferred models',
      value: spec.models.value,
      options: knowledge.models.map((model) => ({ value: model.id, label: model.name, group: model.family })),
      optional: true,
      placeholder: 'Any model',
      hint: 'None selected: any model rated for the use case.',
    },
    {
      kind: 'number',
      name: SPEC_FIELD.maxGpus,
      label: 'Max GPUs in total',
      value: spec.maxGpus.value,
      decimals: false,
      optional: true,
      hint: 'Empty: no limit.',
    },
  ];
}

export interface SpecEdit {
  intent: Intent;
  avgQps: number | null;
  spec: DeploymentSpec;
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  [...a].sort().join('\n') === [...b].sort().join('\n');

/** Two batch jobs alike as the planner reads them (no API means completions). */
const sameJob = (a: BatchJob | null, b: BatchJob | null) =>
  a === null || b === null
    ? a === b
    : a.itemsPerDay === b.itemsPerDay &&
      a.windowHours === b.windowHours &&
      callsChat(a.api) === callsChat(b.api);

/**
 * A submitted spec form as the conversation's next intent and spec, or a message per bad field. Values the form
 * leaves as they were keep their source (a default stays a default and follows a new use case); changed values
 * become stated. Cross-field rules: the average load cannot exceed the peak; the E2E target must leave room for
 * TTFT + output tokens × ITL (checkSpec).
 */
export function readSpecForm(
  conversation: Pick<ConversationData, 'intent' | 'spec' | 'avgQps'>,
  values: FormValues,
  knowledge: Knowledge,
): FormResult<SpecEdit> {
  const { intent: previous, spec } = conversation;
  if (!previous || !spec)
    return { ok: false, errors: { [SPEC_FIELD.useCase]: 'There is no spec to edit yet.' } };
  const read = formReader(values);
  const useCase = read.choice(
    SPEC_FIELD.useCase,
    knowledge.useCases.map((candidate) => candidate.id),
  );
  const users = read.number(SPEC_FIELD.users, { integer: true, min: 1, max: MAX.users, optional: true });
  const avgQps = read.number(SPEC_FIELD.avgQps, { max: MAX.qps });
  const peakQps = read.number(SPEC_FIELD.peakQps, { max: MAX.qps });
  const promptTokens = read.number(SPEC_FIELD.promptTokens, { integer: true, min: 1, max: MAX.tokens });
  const outputTokens = read.number(SPEC_FIELD.outputTokens, { integer: true, min: 1, max: MAX.tokens });
  const prefix = read.number(SPEC_FIELD.prefixShare, { max: MAX_PREFIX_PERCENT, optional: true });
  const promptCv = read.number(SPEC_FIELD.promptCv, { max: FIGURE_MAX.lengthCv, optional: true });
  const outputCv = read.number(SPEC_FIELD.outputCv, { max: FIGURE_MAX.lengthCv, optional: true });
  const ttft = read.number(SPEC_FIELD.ttft, { max: MAX.ttftMs });
  const itl = read.number(SPEC_FIELD.itl, { max: MAX.itlMs });
  const e2e = read.number(SPEC_FIELD.e2e, { max: MAX.e2eMs });
  const priority = read.choice(SPEC_FIELD.priority, Priority.options);
  const budget = read.number(SPEC_FIELD.budget, { min: 1, max: MAX.budget, optional: true });
  const gpus = read.choices(
    SPEC_FIELD.gpus,
    knowledge.gpus.map((gpu) => gpu.id),
  );
  const models = read.choices(
    SPEC_FIELD.models,
    knowledge.models.map((model) => model.id),
  );
  const maxGpus = read.number(SPEC_FIELD.maxGpus, { integer: true, min: 1, max: MAX.gpus, optional: true });
  const batchItems = read.number(SPEC_FIELD.batchItems, {
    integer: true,
    min: 1,
    max: FIGURE_MAX.itemsPerDay,
    optional: true,
  });
  const batchWindow = read.number(SPEC_FIELD.batchWindow, { max: 24, optional: true });
  const batchApi = read.choice(SPEC_FIELD.batchApi, BATCH_APIS);
  if (avgQps !== undefined && peakQps !== undefined && avgQps > peakQps)
    read.fail(SPEC_FIELD.avgQps, `The average cannot exceed the peak (${peakQps} requests/s).`);
  if (
    useCase === undefined ||
    users === undefined ||
    avgQps === undefined ||
    peakQps === undefined ||
    promptTokens === undefined ||
    outputTokens === undefined ||
    prefix === undefined ||
    promptCv === undefined ||
    outputCv === undefined ||
    ttft === undefined ||
    itl === undefined ||
    e2e === undefined ||
    priority === undefined ||
    budget === undefined ||
    gpus === undefined ||
    models === undefined ||
    maxGpus === undefined ||
    batchItems === undefined ||
    batchWindow === undefined ||
    batchApi === undefined
  )
    return read.result(() => undefined as never);

  const next: Omit<Intent, 'missing'> = { ...previous };
  const { traffic, slo } = spec;
  if (useCase !== spec.useCase.value) next.useCase = useCase;
  const peakChanged = peakQps !== traffic.peakQps.value;
  const usersChanged = users !== spec.users.value;
  if (peakChanged) next.qps = peakQps;
  if (usersChanged) {
    next.users = users;
    // A new head count re-derives the load, unless the load was changed with it (or no count is left).
    if (!peakChanged) next.qps = users === null ? traffic.peakQps.value : null;
  }
  if (promptTokens !== traffic.promptTokens.value) next.promptTokens = promptTokens;
  if (outputTokens !== traffic.outputTokens.value) next.outputTokens = outputTokens;
  if ((prefix ?? 0) !== prefixPercent(spec)) next.prefixShare = (prefix ?? 0) / 100;
  if ((promptCv ?? 0) !== (traffic.promptTokensCv?.value ?? 0)) next.promptTokensCv = promptCv ?? 0;
  if ((outputCv ?? 0) !== (traffic.outputTokensCv?.value ?? 0)) next.outputTokensCv = outputCv ?? 0;
  if (ttft !== slo.ttftP95Ms.value) next.ttftP95Ms = ttft;
  if (itl !== slo.itlP95Ms.value) next.itlP95Ms = itl;
  if (e2e !== slo.e2eP95Ms.value) next.e2eP95Ms = e2e;
  if (priority !== spec.priority.value) {
    next.priority = priority;
    next.priorityStated = true;
  }
  if (budget !== spec.budgetMonthlyUsd.value) next.budgetMonthlyUsd = budget;
  if (!sameList(gpus, spec.gpuTypes.value)) next.gpuTypes = gpus;
  if (!sameList(models, spec.models.value)) next.models = models;
  if (maxGpus !== spec.maxGpus.value) next.maxGpus = maxGpus;
  const job: BatchJob | null =
    batchItems === null
      ? null
      : {
          itemsPerDay: batchItems,
          windowHours: batchWindow ?? 24,
          ...(batchApi === 'chat' && { api: batchApi }),
        };
  const previousJob = spec.batch?.value ?? null;
  if (!sameJob(job, previousJob)) {
    next.batch = job;
    // The text's volume would otherwise come back as a job (batchOfText).
    if (job === null) delete next.batchItemsPerDay;
  }
  // A batch job's load is its items over its window: a peak typed beside one would be silently overruled.
  if (job !== null && peakChanged)
    read.fail(
      SPEC_FIELD.peakQps,
      'A batch job is sized by its items a day over its window: change those, or empty the items for interactive traffic.',
    );
  const intent: Intent = { ...next, missing: missingFacts(next) };

  const average =
    avgQps !== traffic.avgQps.value ? avgQps : peakChanged || usersChanged ? null : conversation.avgQps;
  const edited = specOf(intent, average, knowledge.useCases);
  if (average !== null && average > edited.traffic.peakQps.value)
    read.fail(
      SPEC_FIELD.avgQps,
      `The average cannot exceed the peak (${edited.traffic.peakQps.value} requests/s).`,
    );
  for (const problem of checkSpec(edited))
    if (problem.field === 'slo.e2eP95Ms') read.fail(SPEC_FIELD.e2e, problem.message);
  return read.result(() => ({ intent, avgQps: average, spec: edited }));
}
