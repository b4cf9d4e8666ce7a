/** The repository's catalog (data/) with the GPU variants public measurements ran on, and the published burst runs. */
import { readFileSync } from 'node:fs';
import type { Knowledge } from '../../src/knowledge/catalog.js';
import { readCatalogFiles } from '../../src/knowledge/data-files.js';
import { readMeasurementFiles } from '../../src/knowledge/measurements.js';
import { BurstRuns } from '../../src/planner/burst-runs.js';
import { gpusWithVariants } from '../../src/planner/public-measurements.js';

export const catalog = readCatalogFiles();

/** A catalogued model by id; a test naming one the catalog lacks fails saying so. */
export function catalogModel(id: string) {
  const found = catalog.models.find((m) => m.id === id);
  if (!found) throw new Error(`${id} is not in data/models.json`);
  return found;
}

/** A catalogued GPU type by id; a test naming one the catalog lacks fails saying so. */
export function catalogGpu(id: string) {
  const found = catalog.gpus.find((g) => g.id === id);
  if (!found) throw new Error(`${id} is not in data/gpus.json`);
  return found;
}
export const catalogKnowledge: Knowledge = {
  ...catalog,
  gpus: gpusWithVariants(catalog.gpus, readMeasurementFiles()),
  benchmarks: [],
};
export const burstRuns = BurstRuns.parse(
  JSON.parse(readFileSync('data/benchmarks/burst-runs.json', 'utf8')),
).runs;
