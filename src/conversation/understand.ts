import { isDeepStrictEqual } from 'node:util';
import type { MessageKind, Situation, UnavailableModel } from '../classify/index.js';
import { classifyMessage, unavailableModelNotice, unavailableModels } from '../classify/index.js';
import type { Intent } from '../intent/schema.js';
import { findGpuMentions, locateModelMentions } from '../knowledge/aliases.js';
import type { Knowledge } from '../knowledge/catalog.js';
import type { SlackMessage } from '../slack/blocks/kit.js';
import { capabilitiesBlocks, offTopicBlocks, planAnswerBlocks } from '../slack/blocks/understanding.js';
import { bareCount, saysNotSure } from './engine.js';
import { refineIntent } from './refine.js';
import type { ConversationData } from './schema.js';

/** Whether an intent states any fact at all (the default priority is no fact). */
export function statesFacts(intent: Intent): boolean {
  const {
    useCase,
    users,
    qps,
    priorityStated,
    gpuTypes,
    models,
    missing: _missing,
    refused,
    priority: _p,
    ...rest
  } = intent;
  return (
    useCase !== null ||
    users !== null ||
    qps !== null ||
    priorityStated ||
    gpuTypes.length > 0 ||
    models.length > 0 ||
    (refused?.length ?? 0) > 0 ||
    // Figures (and whatever facts the intent grows): null, false or an empty list state nothing.
    Object.values(rest as Record<string, unknown>).some(
      (value) => value !== null && value !== false && !(Array.isArray(value) && value.length === 0),
    )
  );
}

/** Where a conversation stands, as the classifier sees it. */
export const stageOf = (conversation: ConversationData | undefined): Situation['conversation'] =>
  !conversation?.intent ? 'none' : conversation.spec ? 'planned' : 'collecting';

/**
 * Whether the message says something the dialogue engine can use: a fact, a GPU or model named (even to rule it
 * out), a change to the conversation's intent, or in the questions' stage a bare number or "I don't know".
 */
function usable(
  conversation: ConversationData | undefined,
  said: Intent,
  text: string,
  knowledge: Pick<Knowledge, 'gpus' | 'models'>,
): boolean {
  if (statesFacts(said)) return true;
  if (findGpuMentions(text, knowledge.gpus).length > 0) return true;
  if (locateModelMentions(text, knowledge.models).length > 0) return true;
  const previous = conversation?.intent;
  if (!previous) return false;
  if (conversation.state === 'collecting' && (bareCount(text) !== null || saysNotSure(text))) return true;
  const { refused: _refused, ...before } = previous;
  const { refused: _after, ...after } = refineIntent(previous, said, text, knowledge);
  return !isDeepStrictEqual(before, after);
}

export interface Understanding {
  kind: MessageKind;
  /** The rules were sure; otherwise a second opinion may replace `kind`. */
  sure: boolean;
  /** Models the message names that the catalog cannot plan. */
  unavailable: UnavailableModel[];
  /** Whether the message changes or states something (a planning kind with nothing in it only names a model). */
  usable: boolean;
}

/** What a message is, in its conversation. Pure. */
export function understand(
  text: string,
  said: Intent,
  conversation: ConversationData | undefined,
  addressed: boolean,
  knowledge: Pick<Knowledge, 'gpus' | 'models'>,
): Understanding {
  const unavailable = unavailableModels(text, knowledge.models, knowledge.gpus);
  const states = usable(conversation, said, text, knowledge);
  const { kind, sure } = classifyMessage(text, {
    conversation: stageOf(conversation),
    addressed,
    states: states || unavailable.length > 0,
  });
  return { kind, sure, unavailable, usable: states };
}

/** The notices for models the catalog cannot plan, with the closest ones it can. */
export const unavailableNotices = (
  understanding: Understanding,
  knowledge: Knowledge,
  intent: Intent | null,
) =>
  understanding.unavailable.map((model) =>
    unavailableModelNotice(model, knowledge.models, intent?.useCase ?? null),
  );

/**
 * The answer to a message that plays no turn: help, off-topic, a question about the plan; null for chatter (no
 * reply) and for the kinds the dialogue engine or a lookup (status) answers.
 */
export function directAnswer(
  kind: MessageKind,
  conversation: ConversationData | undefined,
): SlackMessage | null {
  switch (kind) {
    case 'help':
      return capabilitiesBlocks();
    case 'off_topic':
      return offTopicBlocks();
    case 'plan_question':
      // Without a plan yet (the LLM's reading may say so), what Compass needs to make one.
      return conversation?.spec
        ? planAnswerBlocks(conversation.options[0], conversation.spec)
        : capabilitiesBlocks();
    default:
      return null;
  }
}
