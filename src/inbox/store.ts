import { and, asc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import type { InboxAnswer } from './tables.js';
import { inboxEvents } from './tables.js';

/** A pending event a bot process now holds: its body to dispatch again, and how far its answer got. */
export interface HeldEvent {
  eventId: string;
  body: Record<string, unknown>;
  answer: InboxAnswer | null;
  posted: number;
}

export interface InboxStore {
  /**
   * Records a batch of events (one statement for the lot, whatever their number) and leases each to `owner` for its
   * `leaseMs`; answers per event, in order: `new` for a first delivery, `taken` for a redelivery of an unfinished
   * event whose holder's lease ran out or whose holder is `owner`, `skip` when it is done or another live process
   * holds it. (The caller tells a delivery it is still answering from one it recorded and lost.)
   */
  record(arrivals: readonly Arrival[], owner: string): Promise<Claim[]>;
  /** Leases up to `limit` pending events whose lease ran out (their holder died or handed them back), oldest first. */
  takeExpired(owner: string, leaseMs: number, limit: number): Promise<HeldEvent[]>;
  /** Extends the leases `owner` holds on these events. */
  renew(owner: string, eventIds: string[], leaseMs: number): Promise<void>;
  /** Hands events back: their lease ends now, so another process (or this one's next look) resumes them. */
  release(owner: string, eventIds: string[]): Promise<void>;
  /** Marks a message (`message:TEAM:CHANNEL:TS`) as this event's; false when another event owns it. */
  claimMessage(eventId: string, messageKey: string): Promise<boolean>;
  /**
   * Saves a turn's answer inside the turn's own transaction (or on its own when `tx` is undefined); throws
   * LeaseLostError when `owner` no longer holds it.
   */
  saveAnswer(tx: Database | undefined, eventId: string, owner: string, answer: InboxAnswer): Promise<void>;
  answerOf(eventId: string): Promise<{ answer: InboxAnswer | null; posted: number } | undefined>;
  markPosted(eventId: string, posted: number): Promise<void>;
  finish(eventId: string, owner: string): Promise<void>;
  /** Forgets finished events received before `before`; returns how many. */
  prune(before: Date): Promise<number>;
}

/** An event to record: its id in the inbox, what Slack sent, and how long its lease runs (0: handed back at once). */
export interface Arrival {
  eventId: string;
  body: Record<string, unknown>;
  leaseMs: number;
}

export type Claim = 'new' | 'taken' | 'skip';

export class LeaseLostError extends Error {
  constructor(eventId: string) {
    super(
      `event ${eventId} was taken over by another bot process (this one's lease ran out); its turn is not saved`,
    );
    this.name = 'LeaseLostError';
  }
}

const leaseEnd = (leaseMs: number) => sql`now() + ${`${leaseMs} milliseconds`}::interval`;

export function createInboxStore(db: Database): InboxStore {
  return {
    async record(arrivals, owner) {
      if (arrivals.length === 0) return [];
      // One statement whose text does not grow with the batch: the arrivals travel as two JSON parameters, zipped by
      // position. Building a multi-row insert costs the bot's event loop, the one that acknowledges, time per value of
      // a burst. The bodies are json array elements, never fields read out of them: PostgreSQL then keeps each body's
      // escapes as sent, a NUL included (reading a field unescapes every string it passes, and NUL fails).
      const heads = JSON.stringify(
        arrivals.map(({ eventId, leaseMs }) => ({ event_id: eventId, lease_ms: leaseMs })),
      );
      const bodies = JSON.stringify(arrivals.map(({ body }) => body));
      const { rows: inserted } = (await db.execute(sql`
        insert into ${inboxEvents} (event_id, body, lease_owner, lease_until)
        select arrival.event_id, arrival.body, ${owner}, now() + arrival.lease_ms * interval '1 millisecond'
        from rows from (
          json_to_recordset(${heads}::json) as (event_id text, lease_ms integer),
          json_array_elements(${bodies}::json)
        ) as arrival(event_id, lease_ms, body)
        on conflict do nothing
        returning event_id as "eventId"`)) as unknown as { rows: { eventId: string }[] };
      const claims = new Map<string, Claim>(inserted.map(({ eventId }) => [eventId, 'new']));
      const redelivered = arrivals.filter(({ eventId }) => !claims.has(eventId));
      // A redelivery is taken over only when its holder's lease ran out, or when its holder is this process (a try whose
      // connection was lost after its insert committed); the lease it gets is its batch's longest.
      if (redelivered.length > 0) {
        const leaseMs = Math.max(...redelivered.map((arrival) => arrival.leaseMs));
        const taken = await db
          .update(inboxEvents)
          .set({
            leaseOwner: owner,
            leaseUntil: leaseEnd(leaseMs),
            attempts: sql`${inboxEvents.attempts} + 1`,
          })
          .where(
            and(
              inArray(
                inboxEvents.eventId,
                redelivered.map(({ eventId }) => eventId),
              ),
              eq(inboxEvents.state, 'pending'),
              or(lt(inboxEvents.leaseUntil, sql`now()`), eq(inboxEvents.leaseOwner, owner)),
            ),
          )
          .returning({ eventId: inboxEvents.eventId });
        for (const { eventId } of taken) claims.set(eventId, 'taken');
      }
      // The same event twice in one batch (Slack's retry on the heels of its first delivery) is one turn.
      const answered = new Set<string>();
      return arrivals.map(({ eventId }) => {
        const claim = answered.has(eventId) ? 'skip' : (claims.get(eventId) ?? 'skip');
        answered.add(eventId);
        return claim;
      });
    },

    async takeExpired(owner, leaseMs, limit) {
      // SKIP LOCKED: two processes looking at once take different events.
      const expired = db
        .select({ eventId: inboxEvents.eventId })
        .from(inboxEvents)
        .where(and(eq(inboxEvents.state, 'pending'), lt(inboxEvents.leaseUntil, sql`now()`)))
        .orderBy(asc(inboxEvents.seq))
        .limit(limit)
        .for('update', { skipLocked: true });
      const rows = await db
        .update(inboxEvents)
        .set({ leaseOwner: owner, leaseUntil: leaseEnd(leaseMs), attempts: sql`${inboxEvents.attempts} + 1` })
        .where(inArray(inboxEvents.eventId, expired))
        .returning();
      return rows
        .sort((a, b) => a.seq - b.seq)
        .map(({ eventId, body, answer, posted }) => ({ eventId, body, answer, posted }));
    },

    async renew(owner, eventIds, leaseMs) {
      if (eventIds.length === 0) return;
      await db
        .update(inboxEvents)
        .set({ leaseUntil: leaseEnd(leaseMs) })
        .where(and(inArray(inboxEvents.eventId, eventIds), eq(inboxEvents.leaseOwner, owner)));
    },

    async release(owner, eventIds) {
      if (eventIds.length === 0) return;
      await db
        .update(inboxEvents)
        // No owner: a turn of this process that still ends cannot finish the event or save its answer.
        .set({ leaseOwner: null, leaseUntil: sql`now()` })
        .where(
          and(
            inArray(inboxEvents.eventId, eventIds),
            eq(inboxEvents.leaseOwner, owner),
            eq(inboxEvents.state, 'pending'),
          ),
        );
    },

    async claimMessage(eventId, messageKey) {
      try {
        const claimed = await db
          .update(inboxEvents)
          .set({ messageClaim: messageKey })
          .where(eq(inboxEvents.eventId, eventId))
          .returning({ eventId: inboxEvents.eventId });
        return claimed.length === 1;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },

    async saveAnswer(tx, eventId, owner, answer) {
      const saved = await (tx ?? db)
        .update(inboxEvents)
        .set({ answer })
        .where(
          and(
            eq(inboxEvents.eventId, eventId),
            eq(inboxEvents.leaseOwner, owner),
            eq(inboxEvents.state, 'pending'),
          ),
        )
        .returning({ eventId: inboxEvents.eventId });
      if (saved.length === 0) throw new LeaseLostError(eventId);
    },

    async answerOf(eventId) {
      const [row] = await db
        .select({ answer: inboxEvents.answer, posted: inboxEvents.posted })
        .from(inboxEvents)
        .where(eq(inboxEvents.eventId, eventId));
      return row;
    },

    async markPosted(eventId, posted) {
      await db.update(inboxEvents).set({ posted }).where(eq(inboxEvents.eventId, eventId));
    },

    async finish(eventId, owner) {
      await db
        .update(inboxEvents)
        .set({ state: 'done', doneAt: sql`now()`, leaseUntil: null })
        .where(and(eq(inboxEvents.eventId, eventId), eq(inboxEvents.leaseOwner, owner)));
    },

    async prune(before) {
      const deleted = await db
        .delete(inboxEvents)
        .where(and(eq(inboxEvents.state, 'done'), lt(inboxEvents.receivedAt, before)))
        .returning({ eventId: inboxEvents.eventId });
      return deleted.length;
    },
  };
}

/** PostgreSQL's unique_violation, wherever the driver puts the code (pg puts it on the error, drizzle on its cause). */
function isUniqueViolation(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if ((current as { code?: string }).code === '23505') return true;
  }
  return false;
}
