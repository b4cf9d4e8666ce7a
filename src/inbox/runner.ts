import { randomUUID } from 'node:crypto';
import type { ReceiverEvent } from '@slack/bolt';
import type { Database } from '../db/client.js';
import { retryOnConnectionLoss } from '../db/connection.js';
import type { Logger } from '../log/index.js';
import { createTurnSlots } from './slots.js';
import type { Arrival, Claim, InboxStore } from './store.js';
import type { InboxAnswer } from './tables.js';

export interface InboxSettings {
  /** How long a held event stays this process's without renewal; a dead process's events resume after about this. */
  leaseMs: number;
  /** How long stop() waits for turns in flight before handing them back. */
  stopGraceMs: number;
  /**
   * How many turns run past their acknowledgement at once; the rest wait their turn, so the intake of a burst (each
   * request waiting for its acknowledgement) is never starved by the work of the requests before it.
   */
  turnsAtOnce: number;
}

/** The defaults of INBOX_LEASE_MS and BOT_STOP_GRACE_MS, and of how many turns run at once. */
export const INBOX_DEFAULTS: InboxSettings = { leaseMs: 30_000, stopGraceMs: 20_000, turnsAtOnce: 8 };

/** Hands an event to Bolt's listeners (the App's own processEvent) and resolves when they are done. */
export type Dispatch = (event: ReceiverEvent) => Promise<void>;

/** Most expired events one look takes: a restarted bot resumes a backlog a batch at a time. */
const RESUME_BATCH = 20;

/**
 * Waits between tries of recording a batch whose connection was lost: a burst of cuts (a failover) outlasts one quick
 * retry, and every try must end inside Slack's 3 seconds for the acknowledgement.
 */
const RECORD_RETRY_DELAYS_MS = [250, 500, 1000];

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
  /**
   * Records, then dispatches one delivery: an event is acknowledged first; a slash command or a view submission is
   * acknowledged by its handler, whose answer may be in the acknowledgement. Other deliveries pass straight through.
   */
  admit(event: ReceiverEvent, dispatch: Dispatch): Promise<void>;
  /** Starts resuming expired events (now, then every half lease) and renewing this process's leases. */
  start(dispatch: Dispatch): void;
  /** Stops admitting and resuming; waits up to stopGraceMs for turns in flight, then hands back the rest. */
  stop(): Promise<void>;
  /** The answer a turn saved and how many of its replies were posted; undefined for an event never answered. */
  progress(eventId: string): Promise<{ answer: InboxAnswer; posted: number } | undefined>;
  /** Saves a turn's answer in the transaction that saves the turn, or on its own (`tx` undefined) when none does. */
  saveAnswer(tx: Database | undefined, eventId: string, answer: InboxAnswer): Promise<void>;
  markPosted(eventId: string, posted: number): Promise<void>;
  claimMessage(eventId: string, messageKey: string): Promise<boolean>;
  /** Forgets finished events received before `before`; returns how many. */
  prune(before: Date): Promise<number>;
}

const noAck = async () => {};

/**
 * The inbox's id of a delivery: an event's event_id; a slash command's or a view submission's trigger_id (each
 * invocation has its own, and Slack sends neither again); none for what the inbox does not hold (button presses).
 */
export function inboxIdOf(body: Record<string, unknown>): string | undefined {
  if (body.type === 'event_callback') return typeof body.event_id === 'string' ? body.event_id : undefined;
  if (typeof body.trigger_id !== 'string') return undefined;
  if (typeof body.command === 'string') return `command:${body.trigger_id}`;
  if (body.type === 'view_submission') return `view:${body.trigger_id}`;
  return undefined;
}

/** Deliveries whose handler acknowledges them (its answer can be the acknowledgement); events are acknowledged first. */
const acksItself = (body: Record<string, unknown>) => body.type !== 'event_callback';

/**
 * Records arrivals in batches: the requests parsed in one turn of the event loop go in one statement, and those that
 * arrive while it runs go in the next. A burst then costs a few round trips to the database instead of one per
 * request, each waiting for a pooled connection.
 */
function batchedRecorder(store: InboxStore, owner: string): (arrival: Arrival) => Promise<Claim> {
  let waiting: { arrival: Arrival; resolve: (claim: Claim) => void; reject: (error: unknown) => void }[] = [];
  let flushing = false;
  async function flush() {
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      try {
        // A try that committed before its connection was lost leaves its events this process's: the next try takes
        // them again instead of skipping them as held.
        const claims = await retryOnConnectionLoss(
          () =>
            store.record(
              batch.map(({ arrival }) => arrival),
              owner,
            ),
          { delaysMs: RECORD_RETRY_DELAYS_MS },
        );
        for (const [index, { resolve }] of batch.entries()) resolve(claims[index]!);
      } catch (error) {
        for (const { reject } of batch) reject(error);
      }
    }
    flushing = false;
  }
  return (arrival) =>
    new Promise((resolve, reject) => {
      waiting.push({ arrival, resolve, reject });
      if (flushing) return;
      flushing = true;
      // After the poll phase: every request already received joins this batch.
      setImmediate(flush);
    });
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
  /** Events between their arrival and their turn's start (inFlight): a second delivery meanwhile is the same turn. */
  const admitting = new Set<string>();
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;

  const slots = createTurnSlots(settings.turnsAtOnce);
  const record = batchedRecorder(store, owner);

  /**
   * Runs one held event's turn in a slot, then marks it done; a turn that throws is logged and done (it answered
   * already). With `ack`, the handler acknowledges first and takes its slot after; otherwise the slot comes first.
   */
  function run(
    eventId: string,
    body: Record<string, unknown>,
    dispatch: Dispatch,
    ack?: { ack: ReceiverEvent['ack']; acknowledged: () => void },
  ): Promise<void> {
    let holding = false;
    const takeSlot = async () => {
      if (holding) return;
      holding = true;
      await slots.acquire();
    };
    const event: ReceiverEvent = {
      body,
      ack: ack
        ? async (response) => {
            try {
              await ack.ack(response);
            } finally {
              ack.acknowledged();
            }
            await takeSlot();
          }
        : noAck,
    };
    const running = (ack ? Promise.resolve() : takeSlot())
      .then(() => dispatch(event))
      .catch((error: unknown) =>
        log.error({ event: 'inbox.dispatch_failed', eventId, err: error }, 'a Slack event failed'),
      )
      // Only while this process still holds it: one handed back and taken over is the new holder's to finish.
      .then(() => retryOnConnectionLoss(() => store.finish(eventId, owner)))
      .catch((error: unknown) =>
        log.error({ event: 'inbox.finish_failed', eventId, err: error }, 'marking an event done failed'),
      )
      .finally(() => {
        ack?.acknowledged();
        if (holding) slots.release();
        inFlight.delete(eventId);
      });
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

  /** Records one delivery, acknowledges it, and runs its turn unless another delivery or process has it. */
  async function admitOnce(eventId: string, event: ReceiverEvent, dispatch: Dispatch): Promise<void> {
    // Until it is acknowledged, no other turn starts.
    const acknowledged = slots.arriving();
    let claim: Claim;
    try {
      // Recorded before the acknowledgement, or Slack is told to deliver it again.
      claim = await record({ eventId, body: event.body, leaseMs: stopping ? 0 : settings.leaseMs });
      if (claim === 'skip' || stopping || !acksItself(event.body)) await event.ack();
    } catch (error) {
      acknowledged();
      throw error;
    }
    if (!acksItself(event.body)) acknowledged();
    if (claim === 'skip' || stopping) return acknowledged();
    const redispatch: Dispatch = (held) => dispatch({ ...event, ...held });
    await run(
      eventId,
      event.body,
      redispatch,
      acksItself(event.body) ? { ack: event.ack, acknowledged } : undefined,
    );
  }

  return {
    owner,

    async admit(event, dispatch) {
      const eventId = inboxIdOf(event.body);
      if (!eventId) return dispatch(event);
      // Slack's retry of a delivery this process is still recording or answering: the record would take it as this
      // process's own, and the turn would run twice.
      if (admitting.has(eventId) || inFlight.has(eventId)) return event.ack();
      admitting.add(eventId);
      try {
        await admitOnce(eventId, event, dispatch);
      } finally {
        admitting.delete(eventId);
      }
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
    saveAnswer: (tx, eventId, answer) =>
      tx
        ? store.saveAnswer(tx, eventId, owner, answer)
        : retryOnConnectionLoss(() => store.saveAnswer(undefined, eventId, owner, answer)),
    markPosted: (eventId, posted) => retryOnConnectionLoss(() => store.markPosted(eventId, posted)),
    claimMessage: (eventId, messageKey) => store.claimMessage(eventId, messageKey),
    prune: (before) => store.prune(before),
  };
}
