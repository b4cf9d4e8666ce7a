import type { ReceiverEvent } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboxStore } from '../../src/inbox/index.js';
import { createInbox, createInboxStore, INBOX_DEFAULTS } from '../../src/inbox/index.js';
import { createLogger } from '../../src/log/index.js';
import type { OpenTestDatabase } from '../support/postgres.js';
import { openTestDatabase } from '../support/postgres.js';

/** What pg says of a statement whose backend was terminated mid-flight. */
const lostConnection = () => new Error('Connection terminated unexpectedly');

/** A Slack event delivery whose acknowledgements are counted. */
function delivery(eventId: string) {
  const acks: unknown[] = [];
  const event: ReceiverEvent = {
    body: { type: 'event_callback', event_id: eventId, event: { type: 'app_mention', text: 'hi' } },
    ack: async (response?: unknown) => {
      acks.push(response);
    },
  };
  return { event, acks };
}

describe('the inbox admits deliveries through lost connections', () => {
  let testDb: OpenTestDatabase;
  beforeAll(async () => {
    testDb = await openTestDatabase();
  });
  afterAll(async () => {
    await testDb.close();
  });

  /** The real store, whose record loses its connection `failures` times: after committing when `committed`. */
  function flakyStore(failures: number, committed: boolean): InboxStore & { tries: () => number } {
    const store = createInboxStore(testDb.database.db);
    let tries = 0;
    return {
      ...store,
      async record(arrivals, owner) {
        tries += 1;
        if (tries > failures) return store.record(arrivals, owner);
        if (committed) await store.record(arrivals, owner);
        throw lostConnection();
      },
      tries: () => tries,
    };
  }

  const inboxOver = (store: InboxStore) =>
    createInbox({ store, settings: INBOX_DEFAULTS, log: createLogger('silent') });

  /** Admits one delivery of `eventId` through `store`: how often it was acknowledged, which turns ran. */
  async function admitted(store: InboxStore, eventId: string) {
    const { event, acks } = delivery(eventId);
    const dispatched: string[] = [];
    await inboxOver(store).admit(event, async (held) => {
      dispatched.push(String(held.body.event_id));
    });
    return { acks: acks.length, dispatched };
  }

  it('runs a turn at once when the insert committed but its answer was lost (not 30 s later, as held)', async () => {
    const store = flakyStore(1, true);
    expect(await admitted(store, 'Ev-committed-then-lost')).toEqual({
      acks: 1,
      dispatched: ['Ev-committed-then-lost'],
    });
    expect(store.tries()).toBe(2);
    // The turn is marked done, so its lease ending resumes nothing.
    expect(
      await store.record([{ eventId: 'Ev-committed-then-lost', body: {}, leaseMs: 0 }], 'other'),
    ).toEqual(['skip']);
  });

  it('keeps trying through a burst of cuts longer than one quick retry', async () => {
    const store = flakyStore(3, false);
    expect(await admitted(store, 'Ev-burst')).toEqual({ acks: 1, dispatched: ['Ev-burst'] });
    expect(store.tries()).toBe(4);
  });

  it('acknowledges a redelivery of a turn it is still answering without running the turn twice', async () => {
    const inbox = inboxOver(createInboxStore(testDb.database.db));
    const first = delivery('Ev-slow');
    const retry = delivery('Ev-slow');
    let runs = 0;
    let finishTurn = () => {};
    const turnHeld = new Promise<void>((resolve) => {
      finishTurn = resolve;
    });
    let turnStarted = () => {};
    const started = new Promise<void>((resolve) => {
      turnStarted = resolve;
    });
    const slow = inbox.admit(first.event, async () => {
      runs += 1;
      turnStarted();
      await turnHeld;
    });
    await started;
    // This process recorded it, so the store would take it again: the inbox knows the turn is still running.
    await inbox.admit(retry.event, async () => {
      runs += 1;
    });
    expect(retry.acks).toHaveLength(1);
    finishTurn();
    await slow;
    expect(runs).toBe(1);
  });
});
