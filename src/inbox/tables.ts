import {
  bigserial,
  index,
  integer,
  json,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { AnsweredTurn } from '../conversation/service.js';
import { now } from '../db/columns.js';

/**
 * What a turn answered, saved in the transaction that saved the turn, so a resumed turn posts it without re-planning
 * (deploy requests it superseded were edited by the first attempt, or stay as they were).
 */
export type InboxAnswer = AnsweredTurn;

/**
 * Every Slack event the bot acknowledged, recorded before the acknowledgement: pending until its turn has posted every
 * reply (`posted` counts them), held by one bot process at a time through a lease that process renews.
 */
export const inboxEvents = pgTable(
  'inbox_events',
  {
    eventId: text().primaryKey(),
    seq: bigserial({ mode: 'number' }).notNull(),
    // json, not jsonb: Slack delivers what users type, NUL included, and jsonb cannot hold \u0000 (json keeps the text).
    body: json().$type<Record<string, unknown>>().notNull(),
    state: text().$type<'pending' | 'done'>().notNull().default('pending'),
    leaseOwner: text(),
    leaseUntil: timestamp({ withTimezone: true }),
    attempts: integer().notNull().default(1),
    /** `message:TEAM:CHANNEL:TS`: a message seen through two events (a mention in a thread) is one turn. */
    messageClaim: text(),
    answer: jsonb().$type<InboxAnswer>(),
    posted: integer().notNull().default(0),
    receivedAt: now(),
    doneAt: timestamp({ withTimezone: true }),
  },
  (table) => [
    index('inbox_events_pending_idx').on(table.state, table.seq),
    uniqueIndex('inbox_events_message_claim_idx').on(table.messageClaim),
    index('inbox_events_received_idx').on(table.receivedAt),
  ],
);
