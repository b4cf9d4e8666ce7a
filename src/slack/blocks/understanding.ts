import type { PlannedOption } from '../../planner/plan.js';
import type { DeploymentSpec } from '../../spec/schema.js';
import { usdMonthly } from './format.js';
import type { SlackMessage } from './kit.js';
import { clip, escapeMrkdwn, message, section } from './kit.js';
import { gpuLabel, modelLabel, sloLine } from './recommendations.js';

/** What Compass does, in one line: the answer to anything it does not do. */
export const WHAT_COMPASS_DOES =
  'I plan and deploy self-hosted LLMs: tell me what the model will do and for how many people (“support chatbot ' +
  'for 2000 agents, p95 under 1 s”) and I answer with models, GPUs, monthly cost and predicted latency.';

/** Off-topic: one short line saying what Compass does. */
export const offTopicBlocks = (): SlackMessage =>
  message(WHAT_COMPASS_DOES, [section(`I can’t help with that. ${WHAT_COMPASS_DOES}`)]);

/** "what can you do?": a short capabilities answer (`/compass help` has the full list of commands). */
export function capabilitiesBlocks(): SlackMessage {
  const text = [
    WHAT_COMPASS_DOES,
    '• Refine by saying so in the thread: “make it 3000 users”, “no H100s”, “cheaper?”, “TTFT under 200 ms”.',
    '• Press *Details* or *What if…* on an option to dig in, *Request deploy* to ship it after an approval.',
    '• Ask “status of my deployments?” or “are we meeting our SLOs?” any time; `/compass help` lists the commands.',
  ].join('\n');
  return message(WHAT_COMPASS_DOES, [section(text)]);
}

/** A slash command or message with nothing to plan with: say what is missing rather than guess a plan. */
export function nothingToPlanBlocks(request: string): SlackMessage {
  const text =
    `I found nothing to plan with in “${escapeMrkdwn(clip(request, 200))}”: say what the model will do and for ` +
    'how many people, e.g. `/compass plan chatbot for 500 users, p95 under 1 s`.';
  return message(text, [section(text)]);
}

/** `/compass stauts`: the command it probably meant, instead of a plan for the word. */
export function didYouMeanBlocks(typed: string, meant: string): SlackMessage {
  const text =
    `There is no \`/compass ${escapeMrkdwn(clip(typed, 40))}\` command. Did you mean \`/compass ${meant}\`? ` +
    '`/compass help` lists them all.';
  return message(text, [section(text)]);
}

/** A question about the plan: the current top option in figures, and where the rest of the answer is. */
export function planAnswerBlocks(top: PlannedOption | undefined, spec: DeploymentSpec): SlackMessage {
  const lead = top
    ? `The current plan’s top option is *${modelLabel(top)} on ${gpuLabel(top)}*, ${usdMonthly(top.monthlyCostUsd)}; ` +
      `p95 ${sloLine(top, spec)}. ${top.rationale}`
    : 'No option meets every constraint of the current spec; the near misses above say what would.';
  const text =
    `${lead}\nPress *Details* on an option for its memory, cost and latency breakdown, *What if…* to try another ` +
    'shape, or tell me what to change.';
  return message(clip(lead, 300), [section(text)]);
}
