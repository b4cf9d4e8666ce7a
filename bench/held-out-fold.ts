/**
 * What the fold scripts (fold-factors.ts, step-breakdown.ts) share: the catalog and public measurements as
 * bench/accuracy.ts scores them (with the GPU variants and models only the measurements ran), their calibration
 * samples, and the factors `calibrate` fits without one source (the ones that source's held-out predictions use).
 */
import { readCatalogFiles } from '../src/knowledge/data-files.js';
import { readMeasurementFiles, sourceKeyOf } from '../src/knowledge/measurements.js';
import { type Calibration, calibrate } from '../src/planner/calibrate.js';
import { samplesOf, withMeasuredCatalog } from '../src/planner/public-measurements.js';

const measurements = readMeasurementFiles();
export const { models, gpus } = withMeasuredCatalog(readCatalogFiles(), measurements);
export const samples = samplesOf(measurements, gpus);
const sourceOf = new Map(measurements.series.map((s) => [s.id, sourceKeyOf(s)]));
const sources = [...new Set(samples.map((s) => sourceOf.get(s.seriesId)!))];

/** The first source whose key (its URL) contains `wanted`, its fold's samples and the fold's calibration. */
export function foldWithout(
  wanted: string,
): { source: string; fold: typeof samples; calibration: Calibration } | null {
  const source = sources.find((k) => k.includes(wanted));
  if (!source) return null;
  const fold = samples.filter((s) => sourceOf.get(s.seriesId) !== source);
  return { source, fold, calibration: calibrate(fold, models, gpus) };
}
