import { z } from 'zod';
import { FocusFigure } from '../intent/refinement.js';
import type { Intent } from '../intent/schema.js';
import type { PlannedOption, WhatIfOverrides, WhatIfResult } from '../planner/plan.js';
import type { DeploymentSpec } from '../spec/schema.js';

/**
 * Where a conversation stands: the dialogue (collecting, spec_ready, options_shown), the deploy request and its
 * approval, then the deploy the workers run.
 */
export const ConversationState = z.enum([
  'collecting',
  'spec_ready',
  'options_shown',
  'approval_requested',
  'approved',
  'deploying',
  'deployed',
  'deploy_failed',
  'closed',
]);
export type ConversationState = z.infer<typeof ConversationState>;

/** The moves the state machine allows; anything else is a bug, not a user error. */
export const TRANSITIONS: Record<ConversationState, readonly ConversationState[]> = {
  collecting: ['collecting', 'spec_ready', 'options_shown', 'closed'],
  spec_ready: ['spec_ready', 'options_shown', 'closed'],
  options_shown: ['spec_ready', 'options_shown', 'approval_requested', 'closed'],
  // A new request supersedes the open one; a changed spec or a rejection goes back to the options.
  approval_requested: ['spec_ready', 'options_shown', 'approval_requested', 'approved', 'closed'],
  // Until the deploy starts, a changed spec or a new request supersedes the approval.
  approved: ['spec_ready', 'options_shown', 'approval_requested', 'deploying', 'closed'],
  // A retried job deploys again; a deployed or failed conversation can be refined and deployed again (a new
  // revision of the same target), or retried.
  deploying: ['deploying', 'deployed', 'deploy_failed'],
  deployed: ['spec_ready', 'options_shown', 'approval_requested', 'deploying', 'closed'],
  deploy_failed: ['spec_ready', 'options_shown', 'approval_requested', 'deploying', 'closed'],
  closed: [],
};

export function canTransition(from: ConversationState, to: ConversationState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Facts worth a follow-up question because they change the answer. `audience` is users or a request rate. */
export const Question = z.enum(['useCase', 'audience']);
export type Question = z.infer<typeof Question>;

/** Where the dialogue is: what was asked, what awaits an answer, what fell back to defaults. */
export const Dialogue = z.object({
  /** Every question asked so far; none is asked twice. */
  asked: z.array(Question),
  /** Questions of the bot's last message still awaiting an answer. */
  pending: z.array(Question),
  /** Questions the user could not answer; their facts are defaults, and the user was told. */
  assumed: z.array(Question),
  /** The figure last discussed, which a bare "make it 1200" changes; absent before any. */
  focus: FocusFigure.optional(),
});
export type Dialogue = z.infer<typeof Dialogue>;

/** A thread: Slack's team, channel and the ts of the thread's first message. */
export const ThreadKey = z.object({
  teamId: z.string(),
  channelId: z.string().min(1),
  threadTs: z.string().min(1),
});
export type ThreadKey = z.infer<typeof ThreadKey>;

/**
 * The threadTs of a direct message's conversation: the DM itself, not one of its threads, so a message typed in the
 * DM pane continues the conversation the last one started.
 */
export const DM_PANE = 'dm';

/** The thread_ts to post a conversation's messages with: none for a DM's own conversation (the DM pane itself). */
export const replyThreadTs = (threadTs: string): string | undefined =>
  threadTs === DM_PANE ? undefined : threadTs;

/**
 * The part of a conversation the dialogue engine reads and writes. Options are the planner's output as shown, kept
 * whole so a later Details, What-if or deploy request refers to exactly what the user saw.
 */
export interface ConversationData {
  state: ConversationState;
  /** Everything the user has said so far, merged; null before the first message. */
  intent: Intent | null;
  spec: DeploymentSpec | null;
  options: PlannedOption[];
  /** The option a what-if made the thread's choice; cleared when the spec changes otherwise. */
  chosen: PlannedOption | null;
  /** An average request rate set in the spec form (the intent only knows the peak); null = derived from the peak. */
  avgQps: number | null;
  dialogue: Dialogue;
}

export interface Conversation extends ConversationData, ThreadKey {
  id: string;
  /** Slack user who started it. */
  startedBy: string;
  /** ts of the spec card in the thread, edited in place when the spec changes; null before there is one. */
  specCardTs: string | null;
  /** ts of the plan message (the options), edited in place by each re-plan; null before there is one. */
  planTs: string | null;
  /** Incremented by every saved turn. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export function newConversationData(): ConversationData {
  return {
    state: 'collecting',
    intent: null,
    spec: null,
    options: [],
    chosen: null,
    avgQps: null,
    dialogue: { asked: [], pending: [], assumed: [] },
  };
}

/** An option of the conversation by id: one of the plan's, or the what-if's choice. */
export function findOption(
  conversation: Pick<ConversationData, 'options' | 'chosen'>,
  optionId: string | undefined,
): PlannedOption | undefined {
  if (optionId !== undefined && conversation.chosen?.id === optionId) return conversation.chosen;
  return conversation.options.find((option) => option.id === optionId);
}

/** A message as the store keeps it: the user's words, or Compass's Block Kit with its text. */
export interface StoredMessage {
  role: 'user' | 'bot';
  userId?: string | null;
  ts?: string | null;
  text: string;
  blocks?: unknown[] | null;
}

/** What one turn changes: the conversation's new data and the messages it adds. */
export interface TurnRecord {
  data: ConversationData;
  messages: StoredMessage[];
}

/** A what-if modal's state: its baseline and the spec then, the changes last asked for and their prediction. */
export interface WhatIfSession {
  id: string;
  conversationId: string;
  baseline: PlannedOption;
  spec: DeploymentSpec;
  overrides: WhatIfOverrides;
  result: WhatIfResult | null;
}
