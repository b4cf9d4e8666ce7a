import { optionChart } from '../chart/option.js';
import type { Intent } from '../intent/schema.js';
import type { Knowledge } from '../knowledge/catalog.js';
import type { PlannedOption, PlanPolicy, WhatIfOverrides } from '../planner/plan.js';
import { whatIf } from '../planner/plan.js';
import { noticeBlocks } from '../slack/blocks/dialogue.js';
import type { FormValues } from '../slack/blocks/form.js';
import type { DeploymentSpec } from '../spec/schema.js';
import { detailsOf } from './details.js';
import type { Turn, UserMessage } from './engine.js';
import { chooseScenario, converse, quickPlan, submitSpecEdit } from './engine.js';
import type { Conversation, ConversationData, WhatIfSession } from './schema.js';
import { readSpecForm } from './spec-form.js';

/**
 * The CPU-bound work of a conversation (each plans or predicts), by name: pure functions of plain data with the
 * knowledge snapshot first, so a worker thread can run them from a message.
 */
export const planningTasks = {
  converse: (
    knowledge: Knowledge,
    conversation: ConversationData,
    message: UserMessage,
    said: Intent,
    policy?: PlanPolicy,
  ) => converse(conversation, message, knowledge, said, policy),
  quickPlan: (knowledge: Knowledge, text: string, said: Intent, policy?: PlanPolicy) =>
    quickPlan(text, knowledge, said, policy),
  /** A spec form checked again on the conversation as it is now (a message may have changed it), then applied. */
  submitSpecForm(
    knowledge: Knowledge,
    current: Conversation,
    values: FormValues,
    userId: string,
    policy?: PlanPolicy,
  ): Turn {
    const edit = readSpecForm(current, values, knowledge);
    if (edit.ok) return submitSpecEdit(current, edit.value, userId, knowledge, policy);
    const problems = Object.entries(edit.errors).map(([field, problem]) => `${field}: ${problem}`);
    const notice = `The spec changed meanwhile and the form no longer fits: ${problems.join(' ')}`;
    return { data: current, messages: [], replies: [{ message: noticeBlocks(notice), ephemeral: true }] };
  },
  chart: (knowledge: Knowledge, option: PlannedOption, spec: DeploymentSpec) =>
    optionChart(option, spec, knowledge),
  details: (knowledge: Knowledge, option: PlannedOption, spec: DeploymentSpec, ranked: PlannedOption[]) =>
    detailsOf(option, spec, ranked, knowledge),
  whatIf: (knowledge: Knowledge, spec: DeploymentSpec, baseline: PlannedOption, overrides: WhatIfOverrides) =>
    whatIf(spec, baseline, overrides, knowledge),
  chooseScenario: (
    knowledge: Knowledge,
    current: Conversation,
    session: WhatIfSession,
    userId: string,
    policy?: PlanPolicy,
  ) => chooseScenario(current, session, userId, knowledge, policy),
};

export type PlanningTasks = typeof planningTasks;
export type TaskName = keyof PlanningTasks;
/** A task's arguments after the knowledge snapshot. */
export type TaskArgs<K extends TaskName> = PlanningTasks[K] extends (
  knowledge: Knowledge,
  ...args: infer A
) => unknown
  ? A
  : never;
export type TaskResult<K extends TaskName> = ReturnType<PlanningTasks[K]>;

export function runTask<K extends TaskName>(task: K, knowledge: Knowledge, args: TaskArgs<K>): TaskResult<K> {
  const run = planningTasks[task] as (knowledge: Knowledge, ...args: unknown[]) => TaskResult<K>;
  return run(knowledge, ...(args as unknown[]));
}
