import { predictBatch } from '../src/planner/batch.js';
import { batchInputOf } from '../src/planner/burst-runs.js';
import { burstRuns, catalogKnowledge } from '../test/planner/catalog-knowledge.js';

const knowledge = catalogKnowledge;
const runs = burstRuns;
const signed = (predicted: number, measured: number) =>
  `${predicted >= measured ? '+' : ''}${((predicted / measured - 1) * 100).toFixed(1)}%`;

for (const run of runs) {
  const started = performance.now();
  const result = predictBatch(batchInputOf(run), knowledge);
  const ms = performance.now() - started;
  if (!result.ok) {
    console.log(`${run.id}: cannot predict: ${result.reason}`);
    continue;
  }
  const p = result.prediction;
  const m = run.measured;
  console.log(
    `${run.id}${run.knownGap ? ' (known gap)' : ''}\n` +
      `  output tok/s ${p.outputTokensPerSec.toFixed(0)} vs ${m.outputTokensPerSec} (${signed(p.outputTokensPerSec, m.outputTokensPerSec)})` +
      `  TTFT mean ${(p.ttftMs.mean / 1e3).toFixed(1)} s vs ${(m.ttftMeanMs / 1e3).toFixed(1)} s (${signed(p.ttftMs.mean, m.ttftMeanMs)})` +
      `  TTFT p99 ${(p.ttftMs.p99 / 1e3).toFixed(1)} s vs ${(m.ttftP99Ms / 1e3).toFixed(1)} s (${signed(p.ttftMs.p99, m.ttftP99Ms)})` +
      `  peak running ${p.peakRunning} (${p.limitedBy}), ${p.preemptions} preemptions, ${ms.toFixed(0)} ms`,
  );
}
