import { z } from 'zod';

/**
 * What a message is, read before acting on it: a request to plan, a change to the plan (a refinement, or a correction
 * of something said earlier), a question about the plan, a question for Compass itself (help, the deployments'
 * status), talk between people (chatter, acknowledgements), or something Compass does not do (off-topic).
 */
export const MessageKind = z.enum([
  'request',
  'refinement',
  'correction',
  'plan_question',
  'help',
  'status',
  'chatter',
  'off_topic',
]);
export type MessageKind = z.infer<typeof MessageKind>;

/** Kinds that change the conversation's intent: the dialogue engine plays them. */
export const PLANNING_KINDS: readonly MessageKind[] = ['request', 'refinement', 'correction'];

/** Where a message arrives: what the conversation holds so far, and whether the message is meant for Compass. */
export interface Situation {
  /** none: no conversation yet; collecting: questions asked, no spec; planned: a spec (and options) exist. */
  conversation: 'none' | 'collecting' | 'planned';
  /** A mention, a DM or a slash command: Compass was asked, so an unclear message still gets an answer. */
  addressed: boolean;
  /** The message states a fact of the request, or changes the conversation's intent (decided by the caller). */
  states: boolean;
}

/** The rules' reading; `sure` is false where a second opinion (the LLM) may decide instead. */
export interface Classification {
  kind: MessageKind;
  sure: boolean;
}
