// Conversations: the thread state machine, the pure dialogue engine, its forms (spec, what-if), and the
// PostgreSQL/PGlite store.
export { detailsOf, memoryBreakdown } from './details.js';
export type { Reply, ScenarioChoice, Turn, UserMessage } from './engine.js';
export {
  bareCount,
  canEditSpec,
  chooseScenario,
  converse,
  OPTION_GONE,
  openQuestions,
  quickPlan,
  SHOWN_OPTIONS,
  saysNotSure,
  submitSpecEdit,
} from './engine.js';
export type { FieldErrors, FormResult } from './form.js';
export { formReader } from './form.js';
export type { PruningOptions } from './pruning.js';
export { startPruning } from './pruning.js';
export { refineIntent, specChanges } from './refine.js';
export type {
  Conversation,
  ConversationData,
  Dialogue,
  StoredMessage,
  ThreadKey,
  TurnRecord,
  WhatIfSession,
} from './schema.js';
export {
  ConversationState,
  canTransition,
  DM_PANE,
  findOption,
  newConversationData,
  Question,
  replyThreadTs,
  TRANSITIONS,
} from './schema.js';
export type {
  ConversationService,
  ConversationServiceDeps,
  ExtractIntent,
  TurnOutcome,
  ViewAnswer,
  WhatIfCheck,
} from './service.js';
export { createConversationService } from './service.js';
export type { SpecEdit } from './spec-form.js';
export { readSpecForm, SPEC_FIELD, specFormFields, specOf } from './spec-form.js';
export type { ConversationStore } from './store.js';
export { createConversationStore } from './store.js';
export { readWhatIfForm, WHAT_IF_FIELD, whatIfFields } from './what-if.js';
