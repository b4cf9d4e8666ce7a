import { readFileSync } from 'node:fs';
import { readCatalogFiles } from './src/knowledge/data-files.js';
import { predictBatch } from './src/planner/index.js';
import { gpusWithVariants, PublicMeasurements } from './src/planner/public-measurements.js';
const files = readCatalogFiles();
const m = PublicMeasurements.parse(JSON.parse(readFileSync('data/benchmarks/public-measurements.json', 'utf8')));
const knowledge = { ...files, gpus: gpusWithVariants(files.gpus, m), benchmarks: [] } as any;
const cases: [string, string, number, number, any, number, number, number, number][] = [
  ['Qwen/Qwen3-32B', 'H100', 1, 1, 'bf16', 217.4, 201.4, 1131.55, 1000],
  ['Qwen/Qwen3-32B', 'A100-80GB', 1, 1, 'bf16', 217.4, 201.4, 832.43, 1000],
  ['Qwen/Qwen3-32B', 'A100-80GB', 1, 1, 'fp8', 217.4, 201.2, 751.46, 1000],
  ['meta-llama/Llama-3.3-70B-Instruct', 'A100-80GB-PCIe', 4, 2, 'bf16', 213.3, 213.5, 585.5, 200],
  ['zai-org/GLM-4.5', 'H200', 8, 8, 'bf16', 214.5, 199.7, 2907.97, 1000],
];
for (const [modelId, gpuId, count, tp, precision, P, O, real, n] of cases) for (const cv of [0.7, 1]) {
  const t0 = performance.now();
  const r = predictBatch({ modelId, gpuId, gpuCount: count, tensorParallel: tp, precision, promptTokens: P, outputTokens: O, promptTokensCv: cv, outputTokensCv: cv, requests: n }, knowledge);
  if (!r.ok) { console.log(r.reason); continue; }
  const p = r.prediction;
  console.log(modelId, gpuId, precision, n, cv, p.outputTokensPerSec.toFixed(0), 'vs', real, ((p.outputTokensPerSec / real - 1) * 100).toFixed(1) + '%', 'makespan', p.makespanSec.toFixed(1), 'ttft mean', p.ttftMs.mean.toFixed(0), 'peak', p.peakRunning, p.limitedBy, 'pre', p.preemptions, (performance.now() - t0).toFixed(0) + 'ms');
}
