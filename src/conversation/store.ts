import { and, asc, eq, lt, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import type { PlannedOption, WhatIfOverrides, WhatIfResult } from '../planner/plan.js';
import type { DeploymentSpec } from '../spec/schema.js';
import type { Conversation, StoredMessage, ThreadKey, TurnRecord, WhatIfSession } from './schema.js';
import { newConversationData } from './schema.js';
import { conversationMessages, conversations, processedEvents, whatIfSessions } from './tables.js';

export interface ConversationStore {
  /** Records a delivery; false when it was recorded before (Slack retried it, or two events carry one message). */
  claimEvent(eventId: string): Promise<boolean>;
  find(key: ThreadKey): Promise<Conversation | undefined>;
  findById(id: string): Promise<Conversation | undefined>;
  /**
   * Runs one turn with the conversation locked, so concurrent messages of one thread apply one after another (also
   * across bot processes): loads it — creating it when `start` is given and the thread has none — applies `turn`
   * (no I/O; it may wait for CPU) and saves its data and messages. Undefined when the thread is no conversation and
   * `start` is absent.
   */
  runTurn<T extends TurnRecord>(
    key: ThreadKey,
    start: { startedBy: string } | undefined,
    turn: (conversation: Conversation) => T | Promise<T>,
  ): Promise<{ conversation: Conversation; outcome: T } | undefined>;
  messages(conversationId: string): Promise<StoredMessage[]>;
  /** Forgets deliveries older than `before` (Slack retries within minutes); returns how many. */
  pruneEvents(before: Date): Promise<number>;
  /** Remembers the ts of the thread's spec card, to edit it when the spec changes. */
  setSpecCard(conversationId: string, ts: string): Promise<void>;
  startWhatIf(conversationId: string, baseline: PlannedOption, spec: DeploymentSpec): Promise<WhatIfSession>;
  findWhatIf(id: string): Promise<WhatIfSession | undefined>;
  saveWhatIf(id: string, overrides: WhatIfOverrides, result: WhatIfResult): Promise<void>;
  /** Forgets what-ifs last touched before `before`; returns how many. */
  pruneWhatIfs(before: Date): Promise<number>;
}

type ConversationRow = typeof conversations.$inferSelect;

function toConversation(row: ConversationRow): Conversation {
  return {
    id: row.id,
    teamId: row.teamId,
    channelId: row.channelId,
    threadTs: row.threadTs,
    startedBy: row.startedBy,
    state: row.state,
    intent: row.intent,
    spec: row.spec,
    options: row.options,
    chosen: row.chosen,
    avgQps: row.avgQps,
    dialogue: row.dialogue,
    specCardTs: row.specCardTs,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const threadIs = (key: ThreadKey) =>
  and(
    eq(conversations.teamId, key.teamId),
    eq(conversations.channelId, key.channelId),
    eq(conversations.threadTs, key.threadTs),
  );

/** The store on PostgreSQL or PGlite (one drizzle type for both). */
export function createConversationStore(db: Database): ConversationStore {
  return {
    async claimEvent(eventId) {
      const inserted = await db
        .insert(processedEvents)
        .values({ eventId })
        .onConflictDoNothing()
        .returning({ eventId: processedEvents.eventId });
      return inserted.length === 1;
    },

    async find(key) {
      const [row] = await db.select().from(conversations).where(threadIs(key));
      return row && toConversation(row);
    },

    async findById(id) {
      if (!UUID.test(id)) return undefined;
      const [row] = await db.select().from(conversations).where(eq(conversations.id, id));
      return row && toConversation(row);
    },

    runTurn(key, start, turn) {
      return db.transaction(async (tx) => {
        const lock = () => tx.select().from(conversations).where(threadIs(key)).for('update');
        let [row] = await lock();
        if (!row) {
          if (!start) return undefined;
          const initial = newConversationData();
          // A concurrent first message may create the row first; then this waits for it and locks that row.
          await tx
            .insert(conversations)
            .values({ ...key, startedBy: start.startedBy, ...initial })
            .onConflictDoNothing();
          [row] = await lock();
          if (!row) throw new Error(`conversation of thread ${key.threadTs} vanished while starting it`);
        }
        const outcome = await turn(toConversation(row));
        const { state, intent, spec, options, chosen, avgQps, dialogue } = outcome.data;
        const [saved] = await tx
          .update(conversations)
          .set({
            state,
            intent,
            spec,
            options,
            chosen,
            avgQps,
            dialogue,
            version: sql`${conversations.version} + 1`,
            updatedAt: sql`now()`,
          })
          .where(eq(conversations.id, row.id))
          .returning();
        if (outcome.messages.length > 0) {
          await tx
            .insert(conversationMessages)
            .values(outcome.messages.map((message) => ({ ...message, conversationId: row.id })));
        }
        return { conversation: toConversation(saved!), outcome };
      });
    },

    async messages(conversationId) {
      const rows = await db
        .select()
        .from(conversationMessages)
        .where(eq(conversationMessages.conversationId, conversationId))
        .orderBy(asc(conversationMessages.id));
      return rows.map(({ role, userId, ts, text, blocks }) => ({ role, userId, ts, text, blocks }));
    },

    async pruneEvents(before) {
      const deleted = await db
        .delete(processedEvents)
        .where(lt(processedEvents.receivedAt, before))
        .returning({ eventId: processedEvents.eventId });
      return deleted.length;
    },

    async setSpecCard(conversationId, ts) {
      await db.update(conversations).set({ specCardTs: ts }).where(eq(conversations.id, conversationId));
    },

    async startWhatIf(conversationId, baseline, spec) {
      const [row] = await db.insert(whatIfSessions).values({ conversationId, baseline, spec }).returning();
      return toWhatIf(row!);
    },

    async findWhatIf(id) {
      if (!UUID.test(id)) return undefined;
      const [row] = await db.select().from(whatIfSessions).where(eq(whatIfSessions.id, id));
      return row && toWhatIf(row);
    },

    async saveWhatIf(id, overrides, result) {
      await db
        .update(whatIfSessions)
        .set({ overrides, result, updatedAt: sql`now()` })
        .where(eq(whatIfSessions.id, id));
    },

    async pruneWhatIfs(before) {
      const deleted = await db
        .delete(whatIfSessions)
        .where(lt(whatIfSessions.updatedAt, before))
        .returning({ id: whatIfSessions.id });
      return deleted.length;
    },
  };
}

/** Keys come back from Slack (private_metadata, button values): anything but a uuid finds nothing. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toWhatIf(row: typeof whatIfSessions.$inferSelect): WhatIfSession {
  const { id, conversationId, baseline, spec, overrides, result } = row;
  return { id, conversationId, baseline, spec, overrides, result };
}
