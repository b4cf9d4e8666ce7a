import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInboxStore } from '../../src/inbox/index.js';
import type { OpenTestDatabase } from '../support/postgres.js';
import { openTestDatabase } from '../support/postgres.js';

describe('the inbox store records arrivals in batches', () => {
  let testDb: OpenTestDatabase;
  beforeAll(async () => {
    testDb = await openTestDatabase();
  });
  afterAll(async () => {
    await testDb.close();
  });

  const arrival = (eventId: string, leaseMs = 30_000) => ({
    eventId,
    body: { type: 'event_callback', eventId },
    leaseMs,
  });

  it('answers per arrival: new, taken (lease ran out), skip (held, done, or twice in the batch)', async () => {
    const store = createInboxStore(testDb.database.db);
    expect(await store.record([arrival('E1'), arrival('E2', 0), arrival('E3')], 'bot-a')).toEqual([
      'new',
      'new',
      'new',
    ]);
    await store.finish('E3', 'bot-a');
    // E1 is bot-a's (its lease runs), E2's lease ran out, E3 is done, E4 is new but arrives twice.
    expect(
      await store.record(
        [arrival('E1'), arrival('E2'), arrival('E3'), arrival('E4'), arrival('E4')],
        'bot-b',
      ),
    ).toEqual(['skip', 'taken', 'skip', 'new', 'skip']);
    // A try of bot-b's whose connection was lost after its insert committed: the next try takes its events again.
    expect(await store.record([arrival('E4')], 'bot-b')).toEqual(['taken']);
    const { rows } = (await testDb.database.db.execute(
      sql`select event_id, lease_owner, attempts from inbox_events order by event_id`,
    )) as unknown as { rows: { event_id: string; lease_owner: string; attempts: number }[] };
    expect(rows).toEqual([
      { event_id: 'E1', lease_owner: 'bot-a', attempts: 1 },
      { event_id: 'E2', lease_owner: 'bot-b', attempts: 2 },
      { event_id: 'E3', lease_owner: 'bot-a', attempts: 1 },
      { event_id: 'E4', lease_owner: 'bot-b', attempts: 2 },
    ]);
  });

  it('records a slash command: a parsed form body has no prototype', async () => {
    const store = createInboxStore(testDb.database.db);
    const body = Object.assign(Object.create(null) as Record<string, unknown>, {
      command: '/compass',
      text: 'plan',
    });
    expect(await store.record([{ eventId: 'command:T1', body, leaseMs: 30_000 }], 'bot-a')).toEqual(['new']);
  });

  it('keeps a body as Slack sent it: NUL, emoji and quotes included', async () => {
    const store = createInboxStore(testDb.database.db);
    const body = { type: 'event_callback', event: { text: 'a\u0000b 🚀 "quoted" \\ back\nslash', n: 1.5 } };
    expect(await store.record([{ eventId: 'E-text', body, leaseMs: 30_000 }], 'bot-a')).toEqual(['new']);
    const { rows } = (await testDb.database.db.execute(
      sql`select body, lease_until > now() + interval '20 seconds' as leased from inbox_events where event_id = 'E-text'`,
    )) as unknown as { rows: { body: unknown; leased: boolean }[] };
    expect(rows).toEqual([{ body, leased: true }]);
  });
});
