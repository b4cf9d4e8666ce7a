import { createHash, randomUUID } from 'node:crypto';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { loadObservedPoints } from '../monitor/store.js';
import type { BenchmarkPoint, Gpu, Knowledge, LatencyStats, Model, UseCase } from './catalog.js';
import { benchmarks, gpus, knowledgeMeta, models, useCases } from './tables.js';

/** The catalog as shipped in data/: what `compass db seed` loads. */
export interface CatalogData {
  gpus: Gpu[];
  models: Model[];
  useCases: UseCase[];
  /** Measured points shipped with the catalog, if any. */
  benchmarks?: BenchmarkPoint[];
}

const CATALOG_HASH_KEY = 'catalog_hash';

export function catalogHash(catalog: CatalogData): string {
  return createHash('sha256').update(JSON.stringify(catalog)).digest('hex');
}

/** Identity of a measured point: a new measurement of the same configuration and traffic replaces the old one. */
export function benchmarkPointKey(point: BenchmarkPoint): string {
  const { modelId, gpuId, gpuCount, tensorParallel, precision, promptTokens, outputTokens, load } = point;
  const identity = [modelId, gpuId, gpuCount, tensorParallel, precision, promptTokens, outputTokens, load];
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32);
}

const statColumns = (prefix: 'ttft' | 'itl' | 'e2e', stats: LatencyStats) => ({
  [`${prefix}MeanMs`]: stats.mean,
  [`${prefix}P50Ms`]: stats.p50,
  [`${prefix}P90Ms`]: stats.p90,
  [`${prefix}P95Ms`]: stats.p95,
  [`${prefix}P99Ms`]: stats.p99,
});

function benchmarkRow(point: BenchmarkPoint, importId: string, origin: 'catalog' | 'imported') {
  return {
    pointKey: benchmarkPointKey(point),
    importId,
    modelId: point.modelId,
    gpuId: point.gpuId,
    gpuCount: point.gpuCount,
    tensorParallel: point.tensorParallel,
    precision: point.precision,
    promptTokens: point.promptTokens,
    outputTokens: point.outputTokens,
    loadKind: point.load.kind,
    loadValue: point.load.kind === 'max' ? null : point.load.value,
    ...statColumns('ttft', point.ttftMs),
    ...statColumns('itl', point.itlMs),
    ...statColumns('e2e', point.e2eMs),
    requestsPerSec: point.requestsPerSec,
    outputTokensPerSec: point.outputTokensPerSec,
    source: point.source,
    origin,
  } as typeof benchmarks.$inferInsert;
}

type BenchmarkRow = typeof benchmarks.$inferSelect;

function pointFromRow(row: BenchmarkRow): BenchmarkPoint {
  const stats = (prefix: 'ttft' | 'itl' | 'e2e'): LatencyStats => ({
    mean: row[`${prefix}MeanMs`],
    p50: row[`${prefix}P50Ms`],
    p90: row[`${prefix}P90Ms`],
    p95: row[`${prefix}P95Ms`],
    p99: row[`${prefix}P99Ms`],
  });
  return {
    modelId: row.modelId,
    gpuId: row.gpuId,
    gpuCount: row.gpuCount,
    tensorParallel: row.tensorParallel,
    precision: row.precision,
    promptTokens: row.promptTokens,
    outputTokens: row.outputTokens,
    load:
      row.loadKind === 'max' || row.loadValue === null
        ? { kind: 'max' }
        : { kind: row.loadKind, value: row.loadValue },
    ttftMs: stats('ttft'),
    itlMs: stats('itl'),
    e2eMs: stats('e2e'),
    requestsPerSec: row.requestsPerSec,
    outputTokensPerSec: row.outputTokensPerSec,
    source: row.source,
  };
}

/**
 * Loads the shipped catalog into the database in one transaction: replaces every catalog entry with what data/
 * holds now. Entries a user imported are left alone and win over a catalog entry with the same id. Idempotent.
 */
export async function seedKnowledge(db: Database, catalog: CatalogData): Promise<void> {
  const hash = catalogHash(catalog);
  await db.transaction(async (tx) => {
    await tx.delete(gpus).where(eq(gpus.origin, 'catalog'));
    await tx.delete(models).where(eq(models.origin, 'catalog'));
    await tx.delete(useCases);
    await tx.delete(benchmarks).where(eq(benchmarks.origin, 'catalog'));
    if (catalog.gpus.length > 0) await tx.insert(gpus).values(catalog.gpus).onConflictDoNothing();
    if (catalog.models.length > 0) await tx.insert(models).values(catalog.models).onConflictDoNothing();
    if (catalog.useCases.length > 0) await tx.insert(useCases).values(catalog.useCases);
    if (catalog.benchmarks?.length) {
      const importId = randomUUID();
      const rows = catalog.benchmarks.map((point) => benchmarkRow(point, importId, 'catalog'));
      await tx.insert(benchmarks).values(rows).onConflictDoNothing();
    }
    await tx
      .insert(knowledgeMeta)
      .values({ key: CATALOG_HASH_KEY, value: hash })
      .onConflictDoUpdate({ target: knowledgeMeta.key, set: { value: hash, updatedAt: sql`now()` } });
  });
}

/** Seeds only when data/ differs from what the database last loaded, so every command can call it cheaply. */
export async function ensureSeeded(db: Database, catalog: CatalogData): Promise<boolean> {
  const [stored] = await db.select().from(knowledgeMeta).where(eq(knowledgeMeta.key, CATALOG_HASH_KEY));
  if (stored?.value === catalogHash(catalog)) return false;
  await seedKnowledge(db, catalog);
  return true;
}

export interface BenchmarkImportResult {
  importId: string;
  inserted: number;
  replaced: number;
}

/** Stores measured points all-or-nothing; a point measured again replaces the earlier measurement. */
export async function importBenchmarks(
  db: Database,
  points: BenchmarkPoint[],
): Promise<BenchmarkImportResult> {
  const importId = randomUUID();
  const rows = points.map((point) => benchmarkRow(point, importId, 'imported'));
  const keys = [...new Set(rows.map((row) => row.pointKey))];
  return db.transaction(async (tx) => {
    const replaced = keys.length
      ? await tx.delete(benchmarks).where(inArray(benchmarks.pointKey, keys)).returning({ id: benchmarks.id })
      : [];
    // The last row wins when one report measures the same point twice.
    const unique = [...new Map(rows.map((row) => [row.pointKey, row])).values()];
    if (unique.length > 0) await tx.insert(benchmarks).values(unique);
    return { importId, inserted: unique.length - replaced.length, replaced: replaced.length };
  });
}

const withoutMeta = <T extends { origin?: unknown; updatedAt?: unknown }>({
  origin: _origin,
  updatedAt: _updatedAt,
  ...rest
}: T) => rest;

/**
 * A plain in-memory snapshot of the knowledge base for the pure core (planner, extractor, spec). Its measured points
 * include what Compass observed on its own deployments (the feedback loop), so plans are calibrated by them too.
 */
export async function loadKnowledge(db: Database): Promise<Knowledge> {
  const [gpuRows, modelRows, useCaseRows, benchmarkRows, observed] = await Promise.all([
    db.select().from(gpus).orderBy(asc(gpus.id)),
    db.select().from(models).orderBy(asc(models.id)),
    db.select().from(useCases).orderBy(asc(useCases.id)),
    db.select().from(benchmarks).orderBy(asc(benchmarks.id)),
    loadObservedPoints(db),
  ]);
  return {
    gpus: gpuRows.map(withoutMeta) as Gpu[],
    models: modelRows.map(withoutMeta) as Model[],
    useCases: useCaseRows.map(withoutMeta) as UseCase[],
    benchmarks: [...benchmarkRows.map(pointFromRow), ...observed],
  };
}

/**
 * Stores a model a user imported, in one transaction: a re-import of the same id replaces the earlier one, and a
 * catalog model's id is refused (its scored entry would be lost), leaving the database as it was.
 */
export async function importModel(
  db: Database,
  model: Model,
): Promise<{ ok: true; replaced: boolean } | { ok: false; reason: string }> {
  return db.transaction(async (tx) => {
    const [existing] = await tx.select({ origin: models.origin }).from(models).where(eq(models.id, model.id));
    if (existing?.origin === 'catalog') {
      return { ok: false, reason: `${model.id} is a catalog model; import it under another --id` };
    }
    if (existing) await tx.delete(models).where(eq(models.id, model.id));
    await tx.insert(models).values({ ...model, origin: 'imported' });
    return { ok: true, replaced: existing !== undefined };
  });
}
