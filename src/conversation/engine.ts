import { isDeepStrictEqual } from 'node:util';
import { discussedFigure } from '../intent/refinement.js';
import type { Intent } from '../intent/schema.js';
import { missingFacts } from '../intent/schema.js';
import type { Knowledge } from '../knowledge/catalog.js';
import type { PlannedOption, PlanPolicy, WhatIfOverrides } from '../planner/plan.js';
import { planDeployment, whatIf } from '../planner/plan.js';
import { changesBlocks, noticeBlocks, questionBlocks, quickPlanBlocks } from '../slack/blocks/dialogue.js';
import { count, list, ms, rps, usdMonthly } from '../slack/blocks/format.js';
import type { SlackMessage } from '../slack/blocks/kit.js';
import { gpuLabel, modelLabel, recommendationsBlocks } from '../slack/blocks/recommendations.js';
import { specCardBlocks } from '../slack/blocks/spec-card.js';
import { chosenOptionBlocks, differenceLine, signed } from '../slack/blocks/what-if.js';
import { buildSpec, FALLBACK_USE_CASE, FALLBACK_USERS } from '../spec/build.js';
import type { DeploymentSpec } from '../spec/schema.js';
import { refineIntent, specChanges } from './refine.js';
import type {
  ConversationData,
  ConversationState,
  Dialogue,
  Question,
  StoredMessage,
  TurnRecord,
  WhatIfSession,
} from './schema.js';
import { canTransition } from './schema.js';
import type { SpecEdit } from './spec-form.js';
import { specOf } from './spec-form.js';

export interface UserMessage {
  text: string;
  userId: string;
  /** Slack ts of the message; absent in `compass chat`. */
  ts?: string;
}

/** A message for the thread, or (ephemeral) for the person who asked only. */
export interface Reply {
  message: SlackMessage;
  ephemeral?: boolean;
  /** The thread's spec card: its ts is remembered so the card can be edited when the spec changes. */
  specCard?: boolean;
  /** The thread's plan (the options): posted once, then edited in place by each re-plan. */
  plan?: boolean;
}

/** The outcome of one user message: the conversation's next data, what to store, and what to post. */
export interface Turn extends TurnRecord {
  replies: Reply[];
  /** Present when the turn changed the spec: the card to show in place of the thread's. */
  specCard?: SlackMessage;
}

/** Options shown per recommendations message. */
export const SHOWN_OPTIONS = 5;

const NOT_SURE =
  /\b(?:(?:i\s+)?(?:do\s*n[o']?t|dont)\s+know|no idea|not sure|unsure|dunno|no clue|idk|not yet known|hard to say|whatever|you (?:decide|choose|pick)|(?:use|go with|take|pick) (?:the |your |typical )?(?:defaults?|typical values)|skip(?: it| that| this)?)\b/i;

/** Whether the user says they cannot answer ("I don't know", "not sure", "use the defaults"). */
export function saysNotSure(text: string): boolean {
  return NOT_SURE.test(text.replace(/[\u2018\u2019]/g, "'"));
}

const FIGURE = /(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s*(k|thousand|m|million)?\b/gi;

/**
 * A short answer that is just a number ("about 500", "~2k") read as a user count: the extractor needs a noun to
 * know what a figure counts, the question supplies it.
 */
export function bareCount(text: string): number | null {
  if (text.length > 60) return null;
  const figures = [...text.matchAll(FIGURE)];
  if (figures.length !== 1) return null;
  const [, digits, scale] = figures[0]!;
  // A fraction without a scale ("3.1") is a version or a rate, never a head count.
  if (digits!.includes('.') && !scale) return null;
  const base = Number(digits!.replace(/,/g, ''));
  const factor = !scale ? 1 : /^(k|thousand)$/i.test(scale) ? 1e3 : 1e6;
  const value = Math.round(base * factor);
  return Number.isFinite(value) && value >= 1 ? value : null;
}

export const useCaseNameIn = (knowledge: Knowledge) => (id: string) =>
  knowledge.useCases.find((useCase) => useCase.id === id)?.name ?? id;

/** The questions whose facts the intent still lacks. */
export function openQuestions(intent: Intent): Question[] {
  const open: Question[] = [];
  if (intent.useCase === null) open.push('useCase');
  if (intent.users === null && intent.qps === null) open.push('audience');
  return open;
}

/** The stated facts of an intent in a few words, to show the user what was understood. */
function understood(intent: Intent, knowledge: Knowledge): string[] {
  const name = useCaseNameIn(knowledge);
  const facts: string[] = [];
  if (intent.useCase) facts.push(name(intent.useCase).toLowerCase());
  if (intent.users !== null) facts.push(`${count(intent.users)} users`);
  if (intent.qps !== null) facts.push(`peak ${rps(intent.qps)}`);
  if (intent.priorityStated) facts.push(`priority ${intent.priority}`);
  if (intent.budgetMonthlyUsd !== null) facts.push(`budget ${usdMonthly(intent.budgetMonthlyUsd)}`);
  if (intent.gpuTypes.length > 0) facts.push(`GPUs ${list(intent.gpuTypes)}`);
  if (intent.models.length > 0) facts.push(`models ${list(intent.models)}`);
  if (intent.ttftP95Ms !== null) facts.push(`TTFT p95 ≤ ${ms(intent.ttftP95Ms)}`);
  return facts;
}

/** Says which facts fell back to typical values, so a default never passes for something the user said. */
function assumptionNotice(questions: Question[], notSure: boolean, knowledge: Knowledge): string {
  const name = useCaseNameIn(knowledge);
  const assumed = questions.map((question) =>
    question === 'useCase'
      ? `the use case is ${name(FALLBACK_USE_CASE).toLowerCase()}`
      : `${FALLBACK_USERS} users`,
  );
  return (
    `${notSure ? 'No problem — I' : 'I'} assumed ${assumed.join(' and ')}: typical values, ` +
    'which you can change any time by saying so.'
  );
}

function moveTo(from: ConversationState, to: ConversationState): ConversationState {
  if (!canTransition(from, to)) throw new Error(`conversation cannot move from ${from} to ${to}`);
  return to;
}

const botRecord = (reply: Reply): StoredMessage => ({
  role: 'bot',
  text: reply.message.text,
  blocks: reply.message.blocks,
});

function turnOf(data: ConversationData, user: StoredMessage, replies: Reply[]): Turn {
  return { data, messages: [user, ...replies.filter((reply) => !reply.ephemeral).map(botRecord)], replies };
}

const cardOf = (spec: DeploymentSpec, knowledge: Knowledge) =>
  specCardBlocks(spec, useCaseNameIn(knowledge)(spec.useCase.value));

/**
 * The options of a spec within the deploy policy (beyond it they are near misses naming the setting), and the state
 * showing them puts the conversation in.
 */
function planned(
  conversation: ConversationData,
  spec: DeploymentSpec,
  knowledge: Knowledge,
  policy: PlanPolicy | undefined,
) {
  const plan = planDeployment(spec, knowledge, { top: SHOWN_OPTIONS, ...(policy && { policy }) });
  const state = moveTo(conversation.state, plan.recommendations.length > 0 ? 'options_shown' : 'spec_ready');
  return { plan, state };
}

/** Collecting: ask for the facts that change the answer, once each; then show the spec and the options. */
function collect(
  conversation: ConversationData,
  said: Intent,
  text: string,
  knowledge: Knowledge,
  user: StoredMessage,
  policy: PlanPolicy | undefined,
): Turn {
  const { dialogue } = conversation;
  const focus = dialogue.pending.includes('audience') ? 'users' : (dialogue.focus ?? null);
  let intent = conversation.intent ? refineIntent(conversation.intent, said, text, knowledge, focus) : said;
  if (dialogue.pending.includes('audience') && intent.users === null && intent.qps === null) {
    const users = bareCount(text);
    if (users !== null) {
      const withUsers = { ...intent, users };
      intent = { ...withUsers, missing: missingFacts(withUsers) };
    }
  }
  const open = openQuestions(intent);
  const notSure = saysNotSure(text);
  const toAsk = notSure ? [] : open.filter((question) => !dialogue.asked.includes(question));
  const discussed = withFocus(dialogue, conversation.intent, intent);
  if (toAsk.length > 0) {
    const data: ConversationData = {
      ...conversation,
      state: moveTo(conversation.state, 'collecting'),
      intent,
      dialogue: { ...discussed, asked: [...dialogue.asked, ...toAsk], pending: toAsk },
    };
    return turnOf(data, user, [
      ...refusalReplies(intent),
      { message: questionBlocks(toAsk, understood(intent, knowledge)) },
    ]);
  }
  const spec = buildSpec(intent, knowledge.useCases);
  const { plan, state } = planned(conversation, spec, knowledge, policy);
  const replies: Reply[] = refusalReplies(intent);
  if (open.length > 0) replies.push({ message: noticeBlocks(assumptionNotice(open, notSure, knowledge)) });
  replies.push(
    { message: cardOf(spec, knowledge), specCard: true },
    { message: recommendationsBlocks(plan), plan: true },
  );
  const data: ConversationData = {
    state,
    intent,
    spec,
    options: plan.recommendations,
    chosen: null,
    avgQps: null,
    dialogue: { ...discussed, pending: [], assumed: [...new Set([...dialogue.assumed, ...open])] },
  };
  return turnOf(data, user, replies);
}

/** Figures the message stated that Compass will not plan with, said before anything else. */
function refusalReplies(intent: Intent): Reply[] {
  return intent.refused?.length ? [{ message: noticeBlocks(intent.refused.join(' ')) }] : [];
}

/** The dialogue with the figure this turn discussed as its focus (the earlier focus when it discussed none). */
function withFocus(dialogue: Dialogue, before: Intent | null, after: Intent): Dialogue {
  const focus = discussedFigure(before, after) ?? dialogue.focus;
  return focus ? { ...dialogue, focus } : dialogue;
}

/** "cost −$1,200/month · p95 TTFT +12 ms · ITL ±0 · E2E −0.3 s": what the refinement did to the top option. */
function deltaLine(before: PlannedOption, after: PlannedOption): string {
  // Rounded as shown first, so a difference too small to print reads ±0 rather than "+0 ms".
  const latency = (pick: (option: PlannedOption) => number) =>
    signed(Math.round((pick(after) - pick(before)) * 10) / 10, ms);
  return (
    `Change: cost ${signed(Math.round(after.monthlyCostUsd - before.monthlyCostUsd), usdMonthly)} · ` +
    `p95 TTFT ${latency((option) => option.predicted.ttftP95Ms)} · ` +
    `ITL ${latency((option) => option.predicted.itlP95Ms)} · ` +
    `E2E ${latency((option) => option.predicted.e2eP95Ms)}.`
  );
}

/** The top option after a refinement against the one before it, with the price and latency delta. */
function topOptionLine(before: PlannedOption | undefined, after: PlannedOption | undefined): string {
  const describe = (option: PlannedOption) =>
    `${modelLabel(option)} on ${gpuLabel(option)} (${usdMonthly(option.monthlyCostUsd)})`;
  if (!after) return 'No option meets every constraint now; the near misses below say what would.';
  if (!before) return `Top option now: ${describe(after)}.`;
  const delta = deltaLine(before, after);
  if (before.id !== after.id) return `Top option now: ${describe(after)}; was ${describe(before)}. ${delta}`;
  return before.monthlyCostUsd === after.monthlyCostUsd && before.gpuCount === after.gpuCount
    ? `Top option unchanged: ${describe(after)}. ${delta}`
    : `Top option stays ${modelLabel(after)}, now on ${gpuLabel(after)} for ${usdMonthly(after.monthlyCostUsd)} ` +
        `(was ${gpuLabel(before)}, ${usdMonthly(before.monthlyCostUsd)}). ${delta}`;
}

const NOTHING_TO_CHANGE =
  'I found nothing to change in that. You can say things like “make it 3000 users”, “we only have H100s”, ' +
  '“cheaper?” or “what if TTFT must be under 200 ms?”.';

/**
 * A new intent (and stated average) for a conversation with a spec: what changed, the re-plan, the updated card.
 * Undefined when nothing in the spec changed. A what-if's choice was sized for the old spec and is dropped.
 */
function respecify(
  conversation: ConversationData,
  edit: SpecEdit,
  knowledge: Knowledge,
  policy: PlanPolicy | undefined,
  by?: string,
): { data: ConversationData; replies: Reply[]; specCard: SlackMessage } | undefined {
  const changes = specChanges(conversation.spec!, edit.spec, useCaseNameIn(knowledge));
  if (changes.length === 0) return undefined;
  const { plan, state } = planned(conversation, edit.spec, knowledge, policy);
  const replies: Reply[] = [
    { message: changesBlocks(changes, topOptionLine(conversation.options[0], plan.recommendations[0]), by) },
    { message: recommendationsBlocks(plan), plan: true },
  ];
  const data: ConversationData = {
    ...conversation,
    state,
    intent: edit.intent,
    spec: edit.spec,
    avgQps: edit.avgQps,
    options: plan.recommendations,
    chosen: null,
  };
  return { data, replies, specCard: cardOf(edit.spec, knowledge) };
}

/** After the spec: merge what the message states, re-plan, and say what changed. */
function refine(
  conversation: ConversationData,
  said: Intent,
  text: string,
  knowledge: Knowledge,
  user: StoredMessage,
  policy: PlanPolicy | undefined,
): Turn {
  const intent = refineIntent(
    conversation.intent!,
    said,
    text,
    knowledge,
    conversation.dialogue.focus ?? null,
  );
  const dialogue = withFocus(conversation.dialogue, conversation.intent, intent);
  // An average set in the spec form holds while the peak it was set against does.
  const peakKept =
    buildSpec(intent, knowledge.useCases).traffic.peakQps.value === conversation.spec!.traffic.peakQps.value;
  const avgQps = peakKept ? conversation.avgQps : null;
  const changed = respecify(
    { ...conversation, dialogue },
    { intent, avgQps, spec: specOf(intent, avgQps, knowledge.useCases) },
    knowledge,
    policy,
  );
  if (!changed) {
    const refusals = refusalReplies(intent);
    return turnOf(
      { ...conversation, intent, dialogue },
      user,
      refusals.length > 0 ? refusals : [{ message: noticeBlocks(NOTHING_TO_CHANGE) }],
    );
  }
  return {
    ...turnOf(changed.data, user, [...refusalReplies(intent), ...changed.replies]),
    specCard: changed.specCard,
  };
}

/**
 * States in which the spec can change: the dialogue, a deploy requested or approved but not started, and a deploy
 * that ran (a refined spec, once approved, becomes the next revision of the same deployment).
 */
const EDITABLE: readonly ConversationState[] = [
  'spec_ready',
  'options_shown',
  'approval_requested',
  'approved',
  'deployed',
  'deploy_failed',
];

export const canEditSpec = (conversation: Pick<ConversationData, 'state' | 'spec'>) =>
  conversation.spec !== null && EDITABLE.includes(conversation.state);

const movedOn = (state: ConversationState) =>
  noticeBlocks(
    `This conversation has moved on (${state.replace(/_/g, ' ')}); start a new thread to plan something else.`,
  );

/**
 * One user message through the dialogue. Pure: `said` is the message's intent, extracted beforehand (with the
 * optional LLM pass, the one slow step) by the caller.
 */
export function converse(
  conversation: ConversationData,
  message: UserMessage,
  knowledge: Knowledge,
  said: Intent,
  policy?: PlanPolicy,
): Turn {
  const user: StoredMessage = {
    role: 'user',
    userId: message.userId,
    ts: message.ts ?? null,
    text: message.text,
  };
  if (conversation.state === 'collecting')
    return collect(conversation, said, message.text, knowledge, user, policy);
  if (canEditSpec(conversation)) return refine(conversation, said, message.text, knowledge, user, policy);
  return turnOf(conversation, user, [{ message: movedOn(conversation.state) }]);
}

export const OPTION_GONE =
  'That option is not in the current plan any more (the spec changed); the latest options are further down the thread.';

/** The spec form, submitted: the edit already read and checked (readSpecForm) against this conversation. */
export function submitSpecEdit(
  conversation: ConversationData,
  edit: SpecEdit,
  userId: string,
  knowledge: Knowledge,
  policy?: PlanPolicy,
): Turn {
  const user: StoredMessage = { role: 'user', userId, text: 'Edit spec (form)' };
  if (!canEditSpec(conversation))
    return turnOf(conversation, user, [{ message: movedOn(conversation.state), ephemeral: true }]);
  const changed = respecify(conversation, edit, knowledge, policy, userId);
  if (!changed)
    return turnOf(conversation, user, [
      { message: noticeBlocks('Nothing in the spec changed.'), ephemeral: true },
    ]);
  return { ...turnOf(changed.data, user, changed.replies), specCard: changed.specCard };
}

/** The option a what-if gives with the shape overrides only (what the planner sizes), for a spec. */
function scenarioOption(
  session: WhatIfSession,
  overrides: WhatIfOverrides,
  spec: DeploymentSpec,
  knowledge: Knowledge,
) {
  const { modelId, gpuId, tensorParallel, precision, gpuCount } = overrides;
  const result = whatIf(
    spec,
    session.baseline,
    { modelId, gpuId, tensorParallel, precision, gpuCount },
    knowledge,
  );
  return result.scenario.kind === 'planned' ? { option: result.scenario.option, result } : undefined;
}

export type ScenarioChoice = { ok: true; turn: Turn; option: PlannedOption } | { ok: false; reason: string };

/**
 * Use this: the what-if's scenario becomes the thread's chosen option. When the scenario changed the peak load or the
 * SLO targets, they become the spec's (stated), the plan follows, and the scenario is sized again for that spec.
 */
export function chooseScenario(
  conversation: ConversationData,
  session: WhatIfSession,
  userId: string,
  knowledge: Knowledge,
  policy?: PlanPolicy,
): ScenarioChoice {
  if (session.result?.scenario.kind !== 'planned')
    return {
      ok: false,
      reason: 'There is no feasible scenario to use yet: change something and press Update.',
    };
  if (!canEditSpec(conversation))
    return {
      ok: false,
      reason: `This conversation has moved on (${conversation.state.replace(/_/g, ' ')}).`,
    };
  if (!isDeepStrictEqual(conversation.spec, session.spec))
    return {
      ok: false,
      reason: 'The spec changed since this what-if started; open What if… again on the new options.',
    };
  const { overrides } = session;
  const next: Omit<Intent, 'missing'> = { ...conversation.intent! };
  if (overrides.peakQps !== undefined) next.qps = overrides.peakQps;
  if (overrides.slo?.ttftP95Ms !== undefined) next.ttftP95Ms = overrides.slo.ttftP95Ms;
  if (overrides.slo?.itlP95Ms !== undefined) next.itlP95Ms = overrides.slo.itlP95Ms;
  if (overrides.slo?.e2eP95Ms !== undefined) next.e2eP95Ms = overrides.slo.e2eP95Ms;
  const intent: Intent = { ...next, missing: missingFacts(next) };
  const avgQps = overrides.peakQps === undefined ? conversation.avgQps : null;
  const edit = { intent, avgQps, spec: specOf(intent, avgQps, knowledge.useCases) };
  const changed = respecify(conversation, edit, knowledge, policy, userId);
  const base = changed?.data ?? conversation;
  const sized = scenarioOption(session, overrides, base.spec!, knowledge);
  if (!sized)
    return {
      ok: false,
      reason: 'The scenario stops being feasible with the spec it changes; adjust it and press Update.',
    };
  const option: PlannedOption = {
    ...sized.option,
    // The planner names a shape; a chosen replica count makes it another option.
    id: `${sized.option.id}|x${sized.option.replicas}`,
    rationale: sized.result.difference ? `vs the baseline: ${differenceLine(sized.result.difference)}.` : '',
  };
  const replies: Reply[] = [
    ...(changed ? [changed.replies[0]!] : []),
    { message: chosenOptionBlocks(option, base.spec!, userId, session.baseline) },
  ];
  const data: ConversationData = { ...base, chosen: option };
  const user: StoredMessage = { role: 'user', userId, text: 'What if… Use this' };
  const turn: Turn = turnOf(data, user, replies);
  if (changed) turn.specCard = changed.specCard;
  return { ok: true, turn, option };
}

/** The answer to `/compass plan TEXT`: a plan on what the text says, defaults for the rest, no conversation. */
export function quickPlan(
  text: string,
  knowledge: Knowledge,
  said: Intent,
  policy?: PlanPolicy,
): SlackMessage {
  const spec = buildSpec(said, knowledge.useCases);
  const plan = planDeployment(spec, knowledge, { top: 3, ...(policy && { policy }) });
  return quickPlanBlocks(plan, text, useCaseNameIn(knowledge)(spec.useCase.value));
}
