import { sql } from 'drizzle-orm';
import {
  bigserial,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { now } from '../db/columns.js';
import type { Intent } from '../intent/schema.js';
import type { PlannedOption, WhatIfOverrides, WhatIfResult } from '../planner/plan.js';
import type { DeploymentSpec } from '../spec/schema.js';
import type { ConversationState, Dialogue } from './schema.js';

/** One row per Slack thread (or `compass chat` session) that talks with Compass. */
export const conversations = pgTable(
  'conversations',
  {
    id: uuid().primaryKey().defaultRandom(),
    teamId: text().notNull(),
    channelId: text().notNull(),
    threadTs: text().notNull(),
    startedBy: text().notNull(),
    state: text().$type<ConversationState>().notNull(),
    intent: jsonb().$type<Intent>(),
    spec: jsonb().$type<DeploymentSpec>(),
    options: jsonb().$type<PlannedOption[]>().notNull().default(sql`'[]'::jsonb`),
    chosen: jsonb().$type<PlannedOption>(),
    avgQps: doublePrecision(),
    dialogue: jsonb().$type<Dialogue>().notNull(),
    specCardTs: text(),
    planTs: text(),
    version: integer().notNull().default(1),
    createdAt: now(),
    updatedAt: now(),
  },
  (table) => [uniqueIndex('conversations_thread_idx').on(table.teamId, table.channelId, table.threadTs)],
);

/** Every message of a conversation, the user's and Compass's, in order. */
export const conversationMessages = pgTable(
  'conversation_messages',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    role: text().$type<'user' | 'bot'>().notNull(),
    /** Slack user of a user message. */
    userId: text(),
    /** Slack ts of a user message. */
    ts: text(),
    text: text().notNull(),
    /** Block Kit of a bot message. */
    blocks: jsonb().$type<unknown[]>(),
    createdAt: now(),
  },
  (table) => [index('conversation_messages_conversation_idx').on(table.conversationId, table.id)],
);

/** Slack deliveries already handled: an event retried by Slack, or one message seen through two events, runs once. */
export const processedEvents = pgTable(
  'processed_events',
  {
    eventId: text().primaryKey(),
    receivedAt: now(),
  },
  (table) => [index('processed_events_received_idx').on(table.receivedAt)],
);

/** People Compass has introduced itself to in a DM: the introduction comes once per person, not per message. */
export const greetedUsers = pgTable(
  'greeted_users',
  {
    teamId: text().notNull(),
    userId: text().notNull(),
    greetedAt: now(),
  },
  (table) => [primaryKey({ columns: [table.teamId, table.userId] })],
);

/**
 * One what-if modal: the option it started from and the spec then, the changes last asked for and their prediction.
 * The modal's private_metadata is this row's id.
 */
export const whatIfSessions = pgTable(
  'what_if_sessions',
  {
    id: uuid().primaryKey().defaultRandom(),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    baseline: jsonb().$type<PlannedOption>().notNull(),
    spec: jsonb().$type<DeploymentSpec>().notNull(),
    overrides: jsonb().$type<WhatIfOverrides>().notNull().default(sql`'{}'::jsonb`),
    result: jsonb().$type<WhatIfResult>(),
    createdAt: now(),
    updatedAt: now(),
  },
  (table) => [index('what_if_sessions_updated_idx').on(table.updatedAt)],
);
