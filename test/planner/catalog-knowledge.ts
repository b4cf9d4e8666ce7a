/** The repository's catalog (data/) with the GPU variants public measurements ran on, and the published burst runs. */
import { readFileSync } from 'node:fs';
import type { Knowledge } from '../../src/knowledge/catalog.js';
import { readCatalogFiles } from '../../src/knowledge/data-files.js';
import { BurstRuns } from '../../src/planner/burst-runs.js';
import { gpusWithVariants, PublicMeasurements } from '../../src/planner/public-measurements.js';

export const catalog = readCatalogFiles();
const measurements = PublicMeasurements.parse(
  JSON.parse(readFileSync('data/benchmarks/public-measurements.json', 'utf8')),
);
export const catalogKnowledge: Knowledge = {
  ...catalog,
  gpus: gpusWithVariants(catalog.gpus, measurements),
  benchmarks: [],
};
export const burstRuns = BurstRuns.parse(
  JSON.parse(readFileSync('data/benchmarks/burst-runs.json', 'utf8')),
).runs;
