import { randomUUID } from 'node:crypto';
import type { ReceiverEvent } from '@slack/bolt';
import type { Database } from '../db/client.js';
import { retryOnConnectionLoss } from '../db/connection.js';
import type { Logger } from '../log/index.js';
import type { InboxStore } from './store.js';
import type { InboxAnswer } from './tables.js';

export interface InboxSettings {
  /** How long a held event stays this process's without renewal; a dead process's events resume after about this. */
  leaseMs: number;
  /** How long stop() waits for turns in flight before handing them back. */
  stopGraceMs: number;
}

/** The defaults of INBOX_LEASE_MS and BOT_STOP_GRACE_MS. */
export const INBOX_DEFAULTS: InboxSettings = { leaseMs: 30_000, stopGraceMs: 20_000 };

/** Hands an event to Bolt's listeners (the App's own processEvent) and resolves when they are done. */
export type Dispatch = (event: ReceiverEvent) => Promise<void>;

/** Most expired events one look takes: a restarted bot resumes a backlog a batch at a time. */
const RESUME_BATCH = 20;

/**
 * The bot's durable turns. An event is recorded (and leased to this process) before Slack's acknowledgement; its turn
 * saves its answer with the conversation, posts the replies counting each, and is marked done. A process that dies
 * leaves its events pending; when their lease runs out this process or another takes them and dispatches them again:
 * an answered turn posts only the replies not yet posted, an unanswered one plays. SIGTERM stops admitting, waits
 * for turns in flight, and hands back the rest.
 */
export interface Inbox {
  /** This process's identity in leases. */
  readonly owner: string;
  /** Records, acknowledges, then dispatches one delivery (non-events pass straight through). */
  admit(event: ReceiverEvent, dispatch: Dispatch): Promise<void>;
  /** Starts resuming expired events (now, then every half lease) and renewing this process's leases. */
  start(dispatch: Dispatch): void;
  /** Stops admitting and resuming; waits up to stopGraceMs for turns in flight, then hands back the rest. */
  stop(): Promise<void>;
  /** The answer a turn saved and how many of its replies were posted; undefined for an event never answered. */
  progress(eventId: string): Promise<{ answer: InboxAnswer; posted: number } | undefined>;
  saveAnswer(tx: Database, eventId: string, answer: InboxAnswer): Promise<void>;
  markPosted(eventId: string, posted: number): Promise<void>;
  claimMessage(eventId: string, messageKey: string): Promise<boolean>;
  /** Forgets finished events received before `before`; returns how many. */
  prune(before: Date): Promise<number>;
}

const noAck = async () => {};

function eventIdOf(body: Record<string, unknown>): string | undefined {
  return body.type === 'event_callback' && typeof body.event_id === 'string' ? body.event_id : undefined;
}

export function createInbox({
  store,
  settings,
  log,
}: {
  store: InboxStore;
  settings: InboxSettings;
  log: Logger;
}): Inbox {
  const owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  const inFlight = new Map<string, Promise<void>>();
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;

  /** Runs one held event's turn, then marks it done; a turn that throws is logged and done (it answered already). */
  function run(eventId: string, body: Record<string, unknown>, dispatch: Dispatch): Promise<void> {
    const running = dispatch({ body, ack: noAck })
      .catch((error: unknown) =>
        log.error({ event: 'inbox.dispatch_failed', eventId, err: error }, 'a Slack event failed'),
      )
      // Only while this process still holds it: one handed back and taken over is the new holder's to finish.
      .then(() => retryOnConnectionLoss(() => store.finish(eventId, owner)))
      .catch((error: unknown) =>
        log.error({ event: 'inbox.finish_failed', eventId, err: error }, 'marking an event done failed'),
      )
      .finally(() => inFlight.delete(eventId));
    inFlight.set(eventId, running);
    return running;
  }

  let ticking = false;
  async function tick(dispatch: Dispatch) {
    if (ticking) return;
    ticking = true;
    try {
      await store.renew(owner, [...inFlight.keys()], settings.leaseMs);
      if (stopping) return;
      const held = await store.takeExpired(owner, settings.leaseMs, RESUME_BATCH);
      for (const event of held) {
        log.info(
          {
            event: 'inbox.resumed',
            eventId: event.eventId,
            posted: event.posted,
            answered: event.answer !== null,
          },
          'resuming an unfinished Slack event',
        );
        void run(event.eventId, event.body, dispatch);
      }
    } catch (error) {
      log.warn({ event: 'inbox.tick_failed', err: error }, 'looking for unfinished events failed');
    } finally {
      ticking = false;
    }
  }

  return {
    owner,

    async admit(event, dispatch) {
      const eventId = eventIdOf(event.body);
      if (!eventId) return dispatch(event);
      // Recorded before the acknowledgement, or Slack is told to deliver it again: a lost connection gets one retry.
      const claim = await retryOnConnectionLoss(() =>
        store.record(eventId, event.body, owner, stopping ? 0 : settings.leaseMs),
      );
      await event.ack();
      if (claim === 'skip' || stopping) return;
      await run(eventId, event.body, (held) => dispatch({ ...event, ...held }));
    },

    start(dispatch) {
      void tick(dispatch);
      timer = setInterval(() => void tick(dispatch), Math.max(100, settings.leaseMs / 2));
      timer.unref();
    },

    async stop() {
      stopping = true;
      clearInterval(timer);
      const pending = [...inFlight.values()];
      let graceTimer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        graceTimer = setTimeout(resolve, settings.stopGraceMs);
      });
      await Promise.race([Promise.allSettled(pending), grace]);
      clearTimeout(graceTimer);
      const unfinished = [...inFlight.keys()];
      inFlight.clear();
      if (unfinished.length > 0) {
        log.warn({ event: 'inbox.handed_back', events: unfinished.length }, 'handing back unfinished turns');
        await store.release(owner, unfinished);
      }
    },

    async progress(eventId) {
      const row = await store.answerOf(eventId);
      return row?.answer ? { answer: row.answer, posted: row.posted } : undefined;
    },
    saveAnswer: (tx, eventId, answer) => store.saveAnswer(tx, eventId, owner, answer),
    markPosted: (eventId, posted) => retryOnConnectionLoss(() => store.markPosted(eventId, posted)),
    claimMessage: (eventId, messageKey) => store.claimMessage(eventId, messageKey),
    prune: (before) => store.prune(before),
  };
}
