import type { Question } from '../../conversation/schema.js';
import { isConnectionLost } from '../../db/connection.js';
import type { Plan } from '../../planner/plan.js';
import { assumptionsOf } from '../../spec/build.js';
import { ACTION } from './actions.js';
import { count, ms, rps } from './format.js';
import type { Block, SlackMessage } from './kit.js';
import { button, clip, context, escapeMrkdwn, fitLines, LIMITS, message, section } from './kit.js';
import { recommendationsBlocks } from './recommendations.js';

const QUESTION_TEXT: Record<Question, string> = {
  useCase:
    '*What will the model do?* For example a chat assistant, code completion, document Q&A (RAG), ' +
    'summarization, translation or content generation.',
  audience:
    '*How many people will use it* — or, if you know it, the peak request rate? ' +
    '(“about 2000 users”, “peak 30 requests/s”)',
};

/** One or two follow-up questions, after what was understood so far. */
export function questionBlocks(questions: Question[], understood: string[]): SlackMessage {
  const lead = questions.length === 1 ? 'One question so the plan fits:' : 'Two questions so the plan fits:';
  const got = understood.length > 0 ? `Got it: ${understood.join(', ')}.\n` : '';
  const asked = questions.map((question, index) =>
    questions.length === 1 ? QUESTION_TEXT[question] : `${index + 1}. ${QUESTION_TEXT[question]}`,
  );
  return message(
    `${got}${lead} ${questions.map((question) => QUESTION_TEXT[question].replace(/\*/g, '')).join(' ')}`,
    [
      section(`${got}${lead}\n${asked.join('\n')}`),
      context('Not sure? Say “I don’t know” and I’ll use typical values and tell you which.'),
    ],
  );
}

/** A short message in the thread. */
export function noticeBlocks(text: string): SlackMessage {
  return message(text, [section(text)]);
}

/** What a refinement changed in the spec and in the top option; `by` names who changed it with a form. */
export function changesBlocks(changes: string[], topOption: string | null, by?: string): SlackMessage {
  const lines = [`*Updated${by ? ` by <@${by}>` : ''}:* ${changes.join(' · ')}`];
  if (topOption) lines.push(topOption);
  const text = lines.join('\n');
  return message(text.replace(/\*/g, ''), [section(fitLines(lines, LIMITS.sectionText))]);
}

/** Shown when something failed on Compass's side; the reference finds the details in the logs. */
export function failureBlocks(reference: string): SlackMessage {
  const text = `Sorry, something went wrong on my side (reference ${reference}). Please try again in a moment.`;
  return message(text, [section(`⚠️ ${text}`)]);
}

/** What a failed turn or interaction tells its user: to try again when the database connection broke. */
export function turnFailureBlocks(error: unknown, reference: string): SlackMessage {
  if (!isConnectionLost(error)) return failureBlocks(reference);
  const text =
    `I lost my connection to the database while answering (reference ${reference}), so nothing was saved. ` +
    'Please try again in a moment.';
  return message(text, [section(`⚠️ ${text}`)]);
}

/** How to use Compass, a line each: the help message and the Home tab both say it. */
export const USAGE_LINES = [
  '• `/compass plan chatbot for 1000 users, low latency matters` — a quick plan only you see, with a button to discuss it in the channel.',
  '• Mention me with what you need to start a conversation in a thread (in a thread that already says it, “@Compass plan this” is enough), or send me a direct message: the DM is the conversation. Every later message refines it: “make it 3000 users”, “we only have H100s”, “cheaper?”, “what if TTFT must be under 200 ms?”.',
  '• `/compass status` — deployments with their state, monthly cost and endpoint.',
  '• `/compass slo [deployment]` — SLOs of running deployments: p95s against target and prediction, load, cost.',
  '• `/compass digest daily 09:00`, `/compass digest weekly mon 09:00` (UTC) or `/compass digest off` — a status digest in this channel.',
  '• `/compass help` — how to use Compass.',
];

export function helpBlocks(): SlackMessage {
  const text = [
    '*Compass* plans LLM deployments: model, GPUs, replicas, monthly cost and predicted latency against your targets.',
    ...USAGE_LINES,
  ].join('\n');
  return message(
    'Compass plans LLM deployments. Try /compass plan chatbot for 1000 users, or mention me in a channel.',
    [section(text)],
  );
}

/** Compass introducing itself in a person's first DM: what it does, how to ask, where to look later. */
export function onboardingBlocks(userId: string): SlackMessage {
  const lead =
    `Hi <@${userId}>, I’m *Compass*. Tell me what you need an LLM for — “a support chatbot for 2000 agents, under ` +
    '$10k/month” — and I’ll plan it: model, GPUs, replicas, monthly cost and predicted latency against your targets. ' +
    'Then we refine it together, and with an approver’s OK I deploy and watch it.';
  return message(`Hi, I’m Compass: tell me what you need an LLM for and I’ll plan it.`, [
    section(lead),
    section(USAGE_LINES.join('\n')),
    context(
      'My Home tab (top of this DM) lists your open plans, requests awaiting approval and running deployments.',
    ),
  ]);
}

/** "the <link|current plan>", or the words alone when Slack gave no link. */
const currentPlan = (link: string | undefined) => (link ? `the <${link}|current plan>` : 'the current plan');

/** The answer to a press on an older plan's option button: where the current plan is, instead of acting. */
export function stalePressBlocks(link: string | undefined): SlackMessage {
  const text =
    `That button is on an older plan; the plan has changed since. Use ${currentPlan(link)} in this thread ` +
    '(it is kept up to date in place).';
  return message(text.replace(/<[^|>]+\|([^>]+)>/g, '$1'), [section(text)]);
}

/**
 * An older plan message without its buttons, pointing to the current plan: pressing them would act on options that no
 * longer stand. `blocks` are the message's own, as Slack sent them with the press.
 */
export function retiredPlanBlocks(
  old: { text?: string; blocks?: Record<string, unknown>[] },
  link: string | undefined,
): SlackMessage {
  const kept = (old.blocks ?? []).filter((block) => block.type !== 'actions') as unknown as Block[];
  const note = `Older plan: superseded by ${currentPlan(link)}; its buttons are gone.`;
  return message(old.text || 'An older plan.', [
    ...kept.slice(0, LIMITS.blocksPerMessage - 1),
    context(note),
  ]);
}

/** The answer to `/compass plan …`: a one-line spec, the top options, and a button to discuss it in a thread. */
export function quickPlanBlocks(plan: Plan, request: string, useCaseName: string): SlackMessage {
  const { spec } = plan;
  const summary =
    `${useCaseName}${spec.users.value === null ? '' : ` · ${count(spec.users.value)} users`} · ` +
    `peak ${rps(spec.traffic.peakQps.value)} · p95 targets TTFT ${ms(spec.slo.ttftP95Ms.value)}, ` +
    `ITL ${ms(spec.slo.itlP95Ms.value)}, E2E ${ms(spec.slo.e2eP95Ms.value)}`;
  const assumed = assumptionsOf(spec);
  const options = recommendationsBlocks(plan, {
    top: 3,
    optionButtons: false,
    buttons: [button('Discuss in a thread', ACTION.startThread, request, 'primary')],
  });
  const blocks = [
    section(`*Quick plan for* “${escapeMrkdwn(clip(request, 500))}”\n${summary}`),
    ...(assumed.length > 0 ? [context(`Assumed: ${assumed.join(' ')}`)] : []),
    ...options.blocks,
  ];
  return message(`Quick plan for “${clip(request, 200)}”: ${options.text}`, blocks);
}

/** The channel message a thread started from a quick plan hangs under. */
export function threadStarterBlocks(userId: string, request: string): SlackMessage {
  const text = `<@${userId}> asked Compass to plan: “${escapeMrkdwn(clip(request, 2500))}”`;
  return message(text, [section(text), context('Reply in this thread to refine the plan.')]);
}
