import { and, asc, count, eq, min, or } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { benchmarks, models } from './tables.js';

/** The points one import brought for one configuration: what `compass benchmarks list` shows. */
export interface ImportedBenchmarks {
  importId: string;
  source: string;
  modelId: string;
  gpuId: string;
  gpuCount: number;
  tensorParallel: number;
  precision: string;
  points: number;
  importedAt: Date;
}

/** Imported measured points (not the catalog's), one row per import and configuration, oldest first. */
export async function listImportedBenchmarks(db: Database): Promise<ImportedBenchmarks[]> {
  const rows = await db
    .select({
      importId: benchmarks.importId,
      source: benchmarks.source,
      modelId: benchmarks.modelId,
      gpuId: benchmarks.gpuId,
      gpuCount: benchmarks.gpuCount,
      tensorParallel: benchmarks.tensorParallel,
      precision: benchmarks.precision,
      points: count(),
      importedAt: min(benchmarks.importedAt),
    })
    .from(benchmarks)
    .where(eq(benchmarks.origin, 'imported'))
    .groupBy(
      benchmarks.importId,
      benchmarks.source,
      benchmarks.modelId,
      benchmarks.gpuId,
      benchmarks.gpuCount,
      benchmarks.tensorParallel,
      benchmarks.precision,
    )
    .orderBy(asc(min(benchmarks.importedAt)), asc(benchmarks.modelId));
  return rows.map((row) => ({ ...row, importedAt: new Date(row.importedAt ?? 0) }));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Removes the imported points of one import (its id) or of one source; the catalog's stay. Returns how many. */
export async function removeImportedBenchmarks(db: Database, importIdOrSource: string): Promise<number> {
  const removed = await db
    .delete(benchmarks)
    .where(
      and(
        eq(benchmarks.origin, 'imported'),
        UUID.test(importIdOrSource)
          ? or(eq(benchmarks.importId, importIdOrSource), eq(benchmarks.source, importIdOrSource))
          : eq(benchmarks.source, importIdOrSource),
      ),
    )
    .returning({ id: benchmarks.id });
  return removed.length;
}

export interface ModelEntry {
  id: string;
  name: string;
  origin: 'catalog' | 'imported';
  paramsTotalB: number;
  /** Imported measured points of the model. */
  points: number;
}

/** Every model of the knowledge base, catalog and imported, with its imported points. */
export async function listModels(db: Database): Promise<ModelEntry[]> {
  const rows = await db
    .select({
      id: models.id,
      name: models.name,
      origin: models.origin,
      paramsTotalB: models.paramsTotalB,
      points: count(benchmarks.id),
    })
    .from(models)
    .leftJoin(benchmarks, and(eq(benchmarks.modelId, models.id), eq(benchmarks.origin, 'imported')))
    .groupBy(models.id, models.name, models.origin, models.paramsTotalB)
    .orderBy(asc(models.origin), asc(models.id));
  return rows.map((row) => ({ ...row, points: Number(row.points) }));
}

export type ModelRemoval =
  | { removed: true; points: number }
  | { removed: false; reason: 'not_found' | 'catalog' };

/**
 * Removes an imported model and its imported measured points (they describe nothing else), in one transaction. The
 * catalog's models ship with Compass and are refused: seeding would bring them back.
 */
export async function removeImportedModel(db: Database, id: string): Promise<ModelRemoval> {
  return db.transaction(async (tx) => {
    const [model] = await tx.select({ origin: models.origin }).from(models).where(eq(models.id, id));
    if (!model) return { removed: false, reason: 'not_found' } as const;
    if (model.origin !== 'imported') return { removed: false, reason: 'catalog' } as const;
    const points = await tx
      .delete(benchmarks)
      .where(and(eq(benchmarks.modelId, id), eq(benchmarks.origin, 'imported')))
      .returning({ id: benchmarks.id });
    await tx.delete(models).where(eq(models.id, id));
    return { removed: true, points: points.length } as const;
  });
}
