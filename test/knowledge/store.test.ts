import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/client.js';
import { openDatabase } from '../../src/db/client.js';
import { benchmarks, models } from '../../src/db/schema.js';
import { ensureSeeded, importBenchmarks, loadKnowledge, seedKnowledge } from '../../src/knowledge/store.js';
import { fixtureCatalog, fixtureGpu, fixtureModel, fixturePoint } from '../fixtures/catalog.js';
import { type OpenTestDatabase, openTestDatabase } from '../support/postgres.js';

describe('knowledge store on the real PostgreSQL', () => {
  let testDb: OpenTestDatabase;
  let database: DatabaseHandle;

  beforeAll(async () => {
    testDb = await openTestDatabase();
    database = testDb.database;
  });
  afterAll(async () => {
    await testDb.close();
  });

  it('round-trips the catalog through the tables', async () => {
    await seedKnowledge(database.db, fixtureCatalog());
    const knowledge = await loadKnowledge(database.db);
    expect(knowledge.gpus).toEqual([fixtureGpu]);
    expect(knowledge.models).toEqual([fixtureModel]);
    expect(knowledge.useCases).toEqual(fixtureCatalog().useCases);
    expect(knowledge.benchmarks).toEqual([fixturePoint({ source: 'catalog fixture' })]);
  });

  it('seeds idempotently and only when data/ changed', async () => {
    await seedKnowledge(database.db, fixtureCatalog());
    expect(await ensureSeeded(database.db, fixtureCatalog())).toBe(false);
    expect((await loadKnowledge(database.db)).models).toHaveLength(1);
    const changed = fixtureCatalog({ gpus: [{ ...fixtureGpu, memoryGb: 81 }] });
    expect(await ensureSeeded(database.db, changed)).toBe(true);
    expect((await loadKnowledge(database.db)).gpus[0]!.memoryGb).toBe(81);
  });

  it('drops catalog entries data/ no longer has but keeps what users imported', async () => {
    const imported = { ...fixtureModel, id: 'acme/private-7b', name: 'Private 7B' };
    await database.db.insert(models).values({ ...imported, origin: 'imported' });
    await importBenchmarks(database.db, [fixturePoint({ modelId: imported.id, source: 'user report' })]);
    await seedKnowledge(database.db, fixtureCatalog({ models: [], benchmarks: [] }));
    const knowledge = await loadKnowledge(database.db);
    expect(knowledge.models.map((m) => m.id)).toEqual(['acme/private-7b']);
    expect(knowledge.benchmarks.map((b) => b.source)).toEqual(['user report']);
    await seedKnowledge(database.db, fixtureCatalog());
  });

  it('imports measured points and replaces a re-measured point instead of duplicating it', async () => {
    const first = await importBenchmarks(database.db, [
      fixturePoint({ load: { kind: 'rate', value: 8 } }),
      fixturePoint({ load: { kind: 'concurrency', value: 16 } }),
      fixturePoint({ load: { kind: 'max' }, source: 'sweep' }),
    ]);
    expect(first).toMatchObject({ inserted: 3, replaced: 0 });
    const again = await importBenchmarks(database.db, [
      fixturePoint({ load: { kind: 'rate', value: 8 }, ttftMs: { mean: 1, p50: 1, p90: 1, p95: 1, p99: 1 } }),
    ]);
    expect(again).toMatchObject({ inserted: 0, replaced: 1 });
    const points = (await loadKnowledge(database.db)).benchmarks.filter(
      (p) => p.source !== 'catalog fixture',
    );
    const rate8 = points.filter((p) => p.load.kind === 'rate' && p.load.value === 8);
    expect(rate8).toHaveLength(1);
    expect(rate8[0]!.ttftMs.p95).toBe(1);
    expect(points.find((p) => p.load.kind === 'max')?.load).toEqual({ kind: 'max' });
  });

  it('imports nothing when one point cannot be stored', async () => {
    const before = await database.db.select().from(benchmarks);
    const broken = fixturePoint({
      load: { kind: 'rate', value: 99 },
      promptTokens: null as unknown as number,
    });
    await expect(
      importBenchmarks(database.db, [fixturePoint({ load: { kind: 'rate', value: 98 } }), broken]),
    ).rejects.toThrow();
    expect(await database.db.select().from(benchmarks)).toHaveLength(before.length);
  });
});

describe('embedded PGlite default', () => {
  it('migrates, seeds and loads with no DATABASE_URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'compass-pglite-'));
    try {
      const database = await openDatabase({ dataDir: dir });
      expect(database.engine).toBe('pglite');
      await database.migrate();
      await seedKnowledge(database.db, fixtureCatalog());
      expect((await loadKnowledge(database.db)).gpus).toEqual([fixtureGpu]);
      await database.close();
      // A second process start finds the same data.
      const reopened = await openDatabase({ dataDir: dir });
      await reopened.migrate();
      expect(await ensureSeeded(reopened.db, fixtureCatalog())).toBe(false);
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Two cold starts of PGlite's WASM Postgres (initdb on the first): seconds each on a calm machine, far more beside
    // a CPU hog.
  }, 180_000);
});
