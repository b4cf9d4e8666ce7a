import { planPolicy } from '../deploy/policy.js';
import type { BatchApi } from '../intent/batch-api.js';
import type { Intent, Priority } from '../intent/index.js';
import { missingFacts } from '../intent/index.js';
import { findGpuMentions, findModelMentions } from '../knowledge/aliases.js';
import type { Knowledge } from '../knowledge/catalog.js';
import type { Plan, PlannedOption } from '../planner/index.js';
import { describeNode, nodesOf, planDeployment } from '../planner/index.js';
import { assumptionsOf, batchOfText, buildSpec } from '../spec/index.js';
import type { CliContext } from './context.js';
import { withKnowledge } from './context.js';
import { intentOf, texts } from './extract.js';
import { formatPlan } from './format.js';
import { UsageError, writeLine } from './io.js';

export interface PlanCommandOptions {
  json?: boolean;
  gpu?: string[];
  model?: string[];
  qps?: number;
  budget?: number;
  priority?: Priority;
  /** A batch job: items a day, and the hours of the day it may run (default 24). */
  batchPerDay?: number;
  windowHours?: number;
  /** The OpenAI API the batch job's requests call (default completions, as `vllm bench serve` sends). */
  api?: BatchApi;
  /** Share of each prompt served from the prefix cache, instead of the use case's default. */
  prefixShare?: number;
  /** Spread of prompt and output lengths (standard deviation ÷ mean), instead of the use case's. */
  promptCv?: number;
  outputCv?: number;
  top: number;
}

/** Resolves each flag value to catalog ids; a value naming nothing known is a usage error listing what is known. */
function resolveAll(
  values: string[],
  find: (text: string) => string[],
  what: string,
  known: readonly { id: string }[],
): string[] {
  return [
    ...new Set(
      values.flatMap((value) => {
        const ids = known.some((entry) => entry.id === value) ? [value] : find(value);
        if (ids.length === 0) {
          throw new UsageError(
            `unknown ${what} "${value}"; known: ${known.map((entry) => entry.id).join(', ')}`,
          );
        }
        return ids;
      }),
    ),
  ].sort();
}

/** Flags win over what the text says. */
export function applyOverrides(intent: Intent, options: PlanCommandOptions, knowledge: Knowledge): Intent {
  const next: Omit<Intent, 'missing'> = { ...intent };
  if (options.gpu?.length) {
    next.gpuTypes = resolveAll(
      options.gpu,
      (text) => findGpuMentions(text, knowledge.gpus),
      'GPU',
      knowledge.gpus,
    );
  }
  if (options.model?.length) {
    next.models = resolveAll(
      options.model,
      (text) => findModelMentions(text, knowledge.models),
      'model',
      knowledge.models,
    );
  }
  if (options.qps !== undefined) next.qps = options.qps;
  if (options.budget !== undefined) next.budgetMonthlyUsd = options.budget;
  const api = options.api === undefined ? {} : { api: options.api };
  if (options.batchPerDay !== undefined) {
    next.batch = { itemsPerDay: options.batchPerDay, windowHours: options.windowHours ?? 24, ...api };
  } else if (options.windowHours !== undefined || options.api !== undefined) {
    // The flags shape the batch job the text states ("2 million tickets overnight in 8 hours") as they do their own.
    const job = intent.batch ?? batchOfText(intent);
    if (!job) {
      const flag = options.windowHours !== undefined ? '--window-hours' : '--api';
      throw new UsageError(`${flag} needs a batch job: give --batch-per-day N`);
    }
    next.batch = {
      ...job,
      ...(options.windowHours !== undefined && { windowHours: options.windowHours }),
      ...api,
    };
  }
  if (options.priority !== undefined) {
    next.priority = options.priority;
    next.priorityStated = true;
  }
  if (options.prefixShare !== undefined) next.prefixShare = options.prefixShare;
  if (options.promptCv !== undefined) next.promptTokensCv = options.promptCv;
  if (options.outputCv !== undefined) next.outputTokensCv = options.outputCv;
  return { ...next, missing: missingFacts(next) };
}

/** The `plan --json` contract: stable names scripts rely on, plus the figures behind them. */
export function recommendationJson(option: PlannedOption) {
  return {
    id: option.id,
    model: option.modelId,
    gpu: option.gpuId,
    gpuCount: option.gpuCount,
    tensorParallel: option.tensorParallel,
    pipelineParallel: nodesOf(option),
    dataParallel: option.dataParallel ?? 1,
    expertParallel: option.expertParallel ?? false,
    replicas: option.replicas,
    precision: option.precision,
    monthlyCostUsd: option.monthlyCostUsd,
    hourlyCostUsd: option.hourlyCostUsd,
    costPerMillionOutputTokensUsd: option.costPerMillionOutputTokensUsd,
    quality: option.quality,
    predicted: option.predicted,
    limitedBy: option.limitedBy,
    meetsSlo: option.meetsSlo,
    basis: option.basis,
    ...(option.batch ? { batch: option.batch } : {}),
    rationale: option.rationale,
    ...(option.node ? { node: { ...option.node, why: describeNode(option.node) } } : {}),
  };
}

export function planJson(plan: Plan) {
  return {
    spec: plan.spec,
    assumptions: assumptionsOf(plan.spec),
    ...(plan.vllmVersion && { vllmVersion: plan.vllmVersion }),
    recommendations: plan.recommendations.map(recommendationJson),
    nearMisses: plan.nearMisses.map((miss) => ({
      id: miss.id,
      model: miss.modelId,
      gpu: miss.gpuId,
      gpuCount: miss.replicas === null ? miss.gpusPerReplica : miss.replicas * miss.gpusPerReplica,
      tensorParallel: miss.tensorParallel,
      pipelineParallel: nodesOf(miss),
      dataParallel: miss.dataParallel ?? 1,
      expertParallel: miss.expertParallel ?? false,
      precision: miss.precision,
      monthlyCostUsd: miss.monthlyCostUsd,
      failed: miss.failed,
      alsoFailed: (miss.alsoBroken ?? []).map((breach) => breach.failed),
      relaxedSlo: miss.relaxedSlo ?? null,
      reason: miss.reason,
      relax: miss.relax,
    })),
    warnings: plan.warnings,
  };
}

export async function planCommand(context: CliContext, words: string[], options: PlanCommandOptions) {
  await withKnowledge(context, async (knowledge) => {
    let first = true;
    for await (const text of texts(context, words)) {
      const intent = applyOverrides(await intentOf(context, knowledge, text), options, knowledge);
      const plan = planDeployment(buildSpec(intent, knowledge.useCases), knowledge, {
        top: options.top,
        policy: planPolicy(context.config),
      });
      // Figures beyond their bounds were left out of the spec: the plan says so rather than plan on a default quietly.
      const refused = intent.refused ?? [];
      if (options.json) writeLine(context.io.stdout, JSON.stringify({ ...planJson(plan), refused }));
      else {
        if (!first) writeLine(context.io.stdout, '');
        writeLine(context.io.stdout, formatPlan(plan, refused));
      }
      first = false;
    }
  });
}
