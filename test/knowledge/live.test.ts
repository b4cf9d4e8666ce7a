import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/client.js';
import { openDatabase } from '../../src/db/client.js';
import type { Knowledge } from '../../src/knowledge/catalog.js';
import { liveKnowledge } from '../../src/knowledge/live.js';
import { readMeasurementFiles } from '../../src/knowledge/measurements.js';
import { importBenchmarks, loadKnowledge, seedKnowledge } from '../../src/knowledge/store.js';
import { fixtureCatalog, fixturePoint } from '../fixtures/catalog.js';
import { capturedLogger } from '../support/log.js';
import { type OpenTestDatabase, openTestDatabase } from '../support/postgres.js';
import { until } from '../support/until.js';

describe('liveKnowledge on the real PostgreSQL', () => {
  let testDb: OpenTestDatabase;
  let database: DatabaseHandle;

  beforeAll(async () => {
    testDb = await openTestDatabase();
    database = testDb.database;
    await seedKnowledge(database.db, fixtureCatalog());
  });
  afterAll(async () => {
    await testDb.close();
  });

  it('keeps its snapshot while nothing changed, and prepares and swaps in a changed one', async () => {
    // As openKnowledgeBase opens it: the public measurements come from files, beside the database's rows.
    const initial = { ...(await loadKnowledge(database.db)), measurements: readMeasurementFiles() };
    const prepared: Knowledge[] = [];
    const { log, lines } = capturedLogger();
    const live = liveKnowledge({
      db: database.db,
      initial,
      everyMs: 3_600_000,
      log,
      prepare: async (next) => {
        // While preparing, plans still get the old snapshot.
        expect(live.current()).toBe(initial);
        prepared.push(next);
      },
    });
    try {
      expect(await live.refresh()).toBe(false);
      expect(live.current()).toBe(initial);

      await importBenchmarks(database.db, [fixturePoint({ source: 'user report', promptTokens: 777 })]);
      expect(await live.refresh()).toBe(true);
      expect(prepared).toHaveLength(1);
      expect(live.current()).toBe(prepared[0]);
      expect(live.current().benchmarks.map((point) => point.promptTokens)).toContain(777);
      expect(live.current().measurements).toBe(initial.measurements);
      expect(lines().filter((line) => line.event === 'knowledge.reloaded')).toHaveLength(1);

      expect(await live.refresh()).toBe(false);
      expect(prepared).toHaveLength(1);
    } finally {
      live.stop();
    }
  });

  it('looks by itself every `everyMs`, and two refreshes at once load once', async () => {
    const initial = await loadKnowledge(database.db);
    let preparations = 0;
    const live = liveKnowledge({
      db: database.db,
      initial,
      everyMs: 50,
      log: capturedLogger().log,
      prepare: async () => {
        preparations += 1;
      },
    });
    try {
      await importBenchmarks(database.db, [fixturePoint({ source: 'user report', promptTokens: 888 })]);
      await until(() => live.current() !== initial, 5000, 'the timer’s reload');
      expect(live.current().benchmarks.map((point) => point.promptTokens)).toContain(888);

      // Stop the timer and let a tick already under way finish before the next import, so no tick can load it
      // before the two refreshes below (on a busy machine one did: both then found nothing new).
      live.stop();
      await live.refresh();
      await importBenchmarks(database.db, [fixturePoint({ source: 'user report', promptTokens: 999 })]);
      const [a, b] = await Promise.all([live.refresh(), live.refresh()]);
      expect([a, b]).toEqual([true, true]);
      expect(preparations).toBe(2);
    } finally {
      live.stop();
    }
  });

  it('keeps the last snapshot and says so when a reload fails', async () => {
    const other = await openDatabase({ databaseUrl: testDb.url, dataDir: '/nonexistent' });
    const initial = await loadKnowledge(other.db);
    const { log, lines } = capturedLogger();
    const live = liveKnowledge({ db: other.db, initial, everyMs: 50, log });
    try {
      await other.close();
      await until(
        () => lines().some((line) => line.event === 'knowledge.reload_failed'),
        5000,
        'the failed reload’s warning',
      );
      expect(live.current()).toBe(initial);
      expect(lines().find((line) => line.event === 'knowledge.reload_failed')?.level).toBe(40);
    } finally {
      live.stop();
    }
  });
});
