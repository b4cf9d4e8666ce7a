import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conversation, ThreadKey } from '../../src/conversation/schema.js';
import type { ConversationStore } from '../../src/conversation/store.js';
import { createConversationStore } from '../../src/conversation/store.js';
import type { DatabaseHandle } from '../../src/db/client.js';
import { processedEvents } from '../../src/db/schema.js';
import { whatIf } from '../../src/planner/plan.js';
import { intentWith } from '../fixtures/intent.js';
import { type OpenTestDatabase, openTestDatabase } from '../support/postgres.js';
import { catalogKnowledge, play } from './dialogue.js';

let threads = 0;
const newThread = (): ThreadKey => ({ teamId: 'T1', channelId: 'C1', threadTs: `1700000000.${++threads}` });

/** A turn that marks the conversation (so lost updates show) and stores one message each way. */
const markTurn = (text: string) => (conversation: Conversation) => ({
  data: {
    ...conversation,
    dialogue: { ...conversation.dialogue, assumed: [...conversation.dialogue.assumed, 'audience' as const] },
  },
  messages: [
    { role: 'user' as const, userId: 'U1', ts: text, text },
    { role: 'bot' as const, text: `re: ${text}`, blocks: [{ type: 'divider' }] },
  ],
});

describe('conversation store on the real PostgreSQL', () => {
  let testDb: OpenTestDatabase;
  let database: DatabaseHandle;
  let store: ConversationStore;

  beforeAll(async () => {
    testDb = await openTestDatabase();
    database = testDb.database;
    store = createConversationStore(database.db);
  });
  afterAll(async () => {
    await testDb.close();
  });

  it('starts a conversation only when asked to, and keeps its data and messages', async () => {
    const key = newThread();
    expect(await store.runTurn(key, undefined, markTurn('ignored'))).toBeUndefined();
    expect(await store.find(key)).toBeUndefined();

    const intent = intentWith({ useCase: 'translation', users: 20 });
    const first = await store.runTurn(key, { startedBy: 'U1' }, (conversation) => {
      expect(conversation).toMatchObject({ state: 'collecting', intent: null, version: 1, startedBy: 'U1' });
      return {
        data: { ...conversation, state: 'options_shown' as const, intent },
        messages: markTurn('hi')(conversation).messages,
      };
    });
    expect(first!.conversation).toMatchObject({ ...key, state: 'options_shown', intent, version: 2 });

    const found = await store.find(key);
    expect(found).toEqual(first!.conversation);
    expect(await store.messages(found!.id)).toEqual([
      { role: 'user', userId: 'U1', ts: 'hi', text: 'hi', blocks: null },
      { role: 'bot', userId: null, ts: null, text: 're: hi', blocks: [{ type: 'divider' }] },
    ]);
  });

  it('applies concurrent turns of one thread one after another: no update is lost', async () => {
    const key = newThread();
    await store.runTurn(key, { startedBy: 'U1' }, markTurn('first'));
    await Promise.all(
      Array.from({ length: 8 }, (_, index) => store.runTurn(key, undefined, markTurn(`m${index}`))),
    );
    const conversation = (await store.find(key))!;
    expect(conversation.version).toBe(10);
    expect(conversation.dialogue.assumed).toHaveLength(9);
    expect(await store.messages(conversation.id)).toHaveLength(18);
  });

  it('holds no transaction while a turn plays: reads, planning and the write are apart', async () => {
    const key = newThread();
    await store.runTurn(key, { startedBy: 'U1' }, markTurn('first'));
    let release!: () => void;
    const planning = new Promise<void>((resolve) => {
      release = resolve;
    });
    let playing!: () => void;
    const started = new Promise<void>((resolve) => {
      playing = resolve;
    });
    const turn = store.runTurn(key, undefined, async (conversation) => {
      playing();
      await planning;
      return markTurn('slow')(conversation);
    });
    await started;
    const open = await database.db.execute(
      sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`,
    );
    release();
    await turn;
    expect((open as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(0);
    expect((await store.find(key))!.version).toBe(3);
  });

  it('plays a turn again on the newer version when another bot process saved the thread meanwhile', async () => {
    const key = newThread();
    await store.runTurn(key, { startedBy: 'U1' }, markTurn('first'));
    const otherBot = createConversationStore(database.db);
    const plays: number[] = [];
    const result = await store.runTurn(key, undefined, async (conversation) => {
      plays.push(conversation.version);
      // The other process writes while this one plans (only during the first play).
      if (plays.length === 1) await otherBot.runTurn(key, undefined, markTurn('other'));
      return markTurn('mine')(conversation);
    });
    expect(plays).toEqual([2, 3]);
    expect(result!.conversation.version).toBe(4);
    expect(result!.conversation.dialogue.assumed).toHaveLength(3);
    expect(await store.messages(result!.conversation.id)).toHaveLength(6);
  });

  it('concurrent first messages of one thread start one conversation', async () => {
    const key = newThread();
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, index) =>
        store.runTurn(key, { startedBy: `U${index}` }, markTurn(`m${index}`)),
      ),
    );
    const ids = new Set(results.map((result) => result!.conversation.id));
    expect(ids.size).toBe(1);
    const conversation = (await store.find(key))!;
    expect(conversation.version).toBe(6);
    expect(await store.messages(conversation.id)).toHaveLength(10);
  });

  it('a turn that throws changes nothing', async () => {
    const key = newThread();
    await store.runTurn(key, { startedBy: 'U1' }, markTurn('first'));
    await expect(
      store.runTurn(key, undefined, () => {
        throw new Error('planner exploded');
      }),
    ).rejects.toThrow('planner exploded');
    const conversation = (await store.find(key))!;
    expect(conversation.version).toBe(2);
    expect(await store.messages(conversation.id)).toHaveLength(2);
  });

  it('claims each delivery once, even when claims race', async () => {
    expect(await store.claimEvent('Ev1')).toBe(true);
    expect(await store.claimEvent('Ev1')).toBe(false);
    const claims = await Promise.all(Array.from({ length: 6 }, () => store.claimEvent('Ev-race')));
    expect(claims.filter(Boolean)).toHaveLength(1);
  });

  it('forgets deliveries older than a cutoff', async () => {
    await database.db
      .insert(processedEvents)
      .values({ eventId: 'Ev-old', receivedAt: new Date('2020-01-01') });
    expect(await store.pruneEvents(new Date('2021-01-01'))).toBe(1);
    expect(await store.claimEvent('Ev-old')).toBe(true);
    expect(await store.claimEvent('Ev1')).toBe(false);
  });

  it('keeps what a later turn needs besides the dialogue: the card’s ts, a chosen option, a stated average', async () => {
    const key = newThread();
    const planned = play(['chatbot for 1000 users'])[0]!.data;
    const chosen = { ...planned.options[0]!, id: `${planned.options[0]!.id}|x4` };
    const { conversation } = (await store.runTurn(key, { startedBy: 'U1' }, () => ({
      data: { ...planned, chosen, avgQps: 1.5 },
      messages: [],
    })))!;
    expect(conversation).toMatchObject({ chosen, avgQps: 1.5, specCardTs: null });
    await store.setSpecCard(conversation.id, '1700000000.000900');
    expect(await store.findById(conversation.id)).toMatchObject({
      ...key,
      specCardTs: '1700000000.000900',
      chosen,
    });
    expect(await store.findById('not-a-uuid')).toBeUndefined();
  });

  it('stores a what-if by id: baseline, spec, the last changes and their prediction; old ones are forgotten', async () => {
    const key = newThread();
    const planned = play(['chatbot for 1000 users'])[0]!.data;
    const { conversation } = (await store.runTurn(key, { startedBy: 'U1' }, () => ({
      data: planned,
      messages: [],
    })))!;
    const session = await store.startWhatIf(conversation.id, planned.options[0]!, planned.spec!);
    expect(session).toMatchObject({ conversationId: conversation.id, overrides: {}, result: null });
    const overrides = { peakQps: 20 };
    const result = whatIf(planned.spec!, planned.options[0]!, overrides, catalogKnowledge());
    await store.saveWhatIf(session.id, overrides, result);
    expect(await store.findWhatIf(session.id)).toEqual({ ...session, overrides, result });
    expect(await store.findWhatIf('nope')).toBeUndefined();
    expect(await store.pruneWhatIfs(new Date(Date.now() + 60_000))).toBeGreaterThanOrEqual(1);
    expect(await store.findWhatIf(session.id)).toBeUndefined();
  });
});
