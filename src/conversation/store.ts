import { and, asc, desc, eq, lt, notInArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import type { PlannedOption, WhatIfOverrides, WhatIfResult } from '../planner/plan.js';
import type { DeploymentSpec } from '../spec/schema.js';
import { createKeyedQueue } from './queue.js';
import type { Conversation, StoredMessage, ThreadKey, TurnRecord, WhatIfSession } from './schema.js';
import { newConversationData } from './schema.js';
import {
  conversationMessages,
  conversations,
  greetedUsers,
  processedEvents,
  whatIfSessions,
} from './tables.js';

export interface ConversationStore {
  /** Records a delivery; false when it was recorded before (Slack retried it, or two events carry one message). */
  claimEvent(eventId: string): Promise<boolean>;
  /** Records that Compass introduced itself to the user; false when it had before. */
  claimGreeting(teamId: string, userId: string): Promise<boolean>;
  find(key: ThreadKey): Promise<Conversation | undefined>;
  findById(id: string): Promise<Conversation | undefined>;
  /** The conversations `userId` started that are neither deployed nor closed, most recently touched first. */
  openPlans(teamId: string, userId: string): Promise<Conversation[]>;
  /**
   * Runs one turn: loads the conversation — creating it when `start` is given and the thread has none — applies `turn`
   * (no I/O; it may wait for CPU) with no connection held, then saves its data and messages in one short transaction
   * if the conversation is still the version it read; otherwise (another bot process wrote meanwhile) it plays the
   * turn again on the newer version. Turns of one thread in this process run one after another, in arrival order.
   * `alsoSave` writes more in the saving transaction (what the turn answered, for the inbox). Undefined when the
   * thread is no conversation and `start` is absent.
   */
  runTurn<T extends TurnRecord>(
    key: ThreadKey,
    start: { startedBy: string } | undefined,
    turn: (conversation: Conversation) => T | Promise<T>,
    alsoSave?: (tx: Database, conversation: Conversation, outcome: T) => Promise<void>,
  ): Promise<{ conversation: Conversation; outcome: T } | undefined>;
  messages(conversationId: string): Promise<StoredMessage[]>;
  /** Forgets deliveries older than `before` (Slack retries within minutes); returns how many. */
  pruneEvents(before: Date): Promise<number>;
  /** Remembers the ts of the thread's spec card, to edit it when the spec changes. */
  setSpecCard(conversationId: string, ts: string): Promise<void>;
  /** Remembers the ts of the thread's plan message, to edit it when the plan changes. */
  setPlanMessage(conversationId: string, ts: string): Promise<void>;
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
    planTs: row.planTs,
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

/** How often a turn is played again when other bot processes keep writing the conversation first. */
const TURN_ATTEMPTS = 5;

export class TurnConflictError extends Error {
  constructor(key: ThreadKey, attempts: number) {
    super(
      `thread ${key.channelId}/${key.threadTs} changed under ${attempts} attempts of one turn; other bot processes keep writing it`,
    );
    this.name = 'TurnConflictError';
  }
}

/** The store on PostgreSQL or PGlite (one drizzle type for both). */
export function createConversationStore(db: Database): ConversationStore {
  const turns = createKeyedQueue();

  /** The thread's conversation, created when `start` is given and there is none; no lock is taken. */
  async function load(key: ThreadKey, start: { startedBy: string } | undefined) {
    const [row] = await db.select().from(conversations).where(threadIs(key));
    if (row || !start) return row;
    // A concurrent first message (another bot process) may create the row first; then this reads that one.
    await db
      .insert(conversations)
      .values({ ...key, startedBy: start.startedBy, ...newConversationData() })
      .onConflictDoNothing();
    const [created] = await db.select().from(conversations).where(threadIs(key));
    if (!created) throw new Error(`conversation of thread ${key.threadTs} vanished while starting it`);
    return created;
  }

  /** Saves a turn played on `read`, unless the conversation moved past that version meanwhile (then undefined). */
  function save<T extends TurnRecord>(
    read: ConversationRow,
    outcome: T,
    alsoSave: ((tx: Database, conversation: Conversation, outcome: T) => Promise<void>) | undefined,
  ): Promise<Conversation | undefined> {
    const { state, intent, spec, options, chosen, avgQps, dialogue } = outcome.data;
    return db.transaction(async (tx) => {
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
        .where(and(eq(conversations.id, read.id), eq(conversations.version, read.version)))
        .returning();
      if (!saved) return undefined;
      if (outcome.messages.length > 0) {
        await tx
          .insert(conversationMessages)
          .values(outcome.messages.map((message) => ({ ...message, conversationId: read.id })));
      }
      const conversation = toConversation(saved);
      await alsoSave?.(tx as unknown as Database, conversation, outcome);
      return conversation;
    });
  }

  return {
    async claimEvent(eventId) {
      const inserted = await db
        .insert(processedEvents)
        .values({ eventId })
        .onConflictDoNothing()
        .returning({ eventId: processedEvents.eventId });
      return inserted.length === 1;
    },

    async claimGreeting(teamId, userId) {
      const inserted = await db
        .insert(greetedUsers)
        .values({ teamId, userId })
        .onConflictDoNothing()
        .returning({ userId: greetedUsers.userId });
      return inserted.length === 1;
    },

    async find(key) {
      const [row] = await db.select().from(conversations).where(threadIs(key));
      return row && toConversation(row);
    },

    async openPlans(teamId, userId) {
      const rows = await db
        .select()
        .from(conversations)
        .where(
          and(
            eq(conversations.teamId, teamId),
            eq(conversations.startedBy, userId),
            notInArray(conversations.state, ['deployed', 'closed']),
          ),
        )
        .orderBy(desc(conversations.updatedAt));
      return rows.map(toConversation);
    },

    async findById(id) {
      if (!UUID.test(id)) return undefined;
      const [row] = await db.select().from(conversations).where(eq(conversations.id, id));
      return row && toConversation(row);
    },

    runTurn(key, start, turn, alsoSave) {
      return turns.run(`${key.teamId}/${key.channelId}/${key.threadTs}`, async () => {
        for (let attempt = 1; ; attempt++) {
          const row = await load(key, start);
          if (!row) return undefined;
          const outcome = await turn(toConversation(row));
          const saved = await save(row, outcome, alsoSave);
          if (saved) return { conversation: saved, outcome };
          if (attempt === TURN_ATTEMPTS) throw new TurnConflictError(key, attempt);
        }
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

    async setPlanMessage(conversationId, ts) {
      await db.update(conversations).set({ planTs: ts }).where(eq(conversations.id, conversationId));
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
