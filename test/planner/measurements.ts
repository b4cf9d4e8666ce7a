/** Every public measurement file in data/benchmarks/, merged: what bench/accuracy.ts and the accuracy tests score. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';
import { mergeMeasurements, PublicMeasurements } from '../../src/planner/public-measurements.js';

export const MEASUREMENT_FILES = [
  'public-measurements.json',
  'serving-2026-12.json',
  'gpustack-performance-lab.json',
  'inferencemax-gpt-oss-120b.json',
  'dstack-llama-3.1-405b.json',
  'other-public-runs.json',
  'rocm-vllm-mi300x.json',
];

export function allMeasurements(): PublicMeasurements {
  return mergeMeasurements(
    MEASUREMENT_FILES.map((file) =>
      PublicMeasurements.parse(
        JSON.parse(readFileSync(join(packageRoot, 'data', 'benchmarks', file), 'utf8')),
      ),
    ),
  );
}
