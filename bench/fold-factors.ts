/**
 * Per-GPU factors of leave-one-source-out folds: `npx tsx bench/fold-factors.ts inferencemax [gpustack/...]` prints,
 * for each source whose URL contains an argument, the factors `calibrate` fits without it (the ones its held-out
 * predictions use), and each remaining sample's log residuals (predicted / measured, per fitted statistic) on the GPU
 * types in GPUS (default H200) under those factors and under the in-sample ones.
 */
import { calibrate, sampleResiduals } from '../src/planner/calibrate.js';
import { foldWithout, gpus, models, samples } from './held-out-fold.js';

const full = calibrate(samples, models, gpus);
const shown = (process.env.GPUS ?? 'H200').split(',');
for (const wanted of process.argv.slice(2)) {
  const found = foldWithout(wanted);
  if (!found) continue;
  const { source, fold, calibration: held } = found;
  console.log(`without ${source} (${samples.length - fold.length} samples)`);
  for (const [gpu, fit] of Object.entries(held.perGpu)) {
    const f = fit.factors;
    console.log(
      `  ${gpu.padEnd(16)} bandwidth ${f.bandwidth.toFixed(3)} compute ${f.compute.toFixed(3)} step ${f.stepOverheadMs.toFixed(2)} ms request ${f.requestOverheadMs.toFixed(1)} ms (${fit.points} points)`,
    );
  }
  for (const gpu of shown) {
    const heldFit = held.perGpu[gpu];
    const fullFit = full.perGpu[gpu];
    if (!heldFit || !fullFit) continue;
    console.log(`  ${gpu} samples: log(predicted / measured) under the fold's factors | the in-sample ones`);
    for (const s of fold.filter((x) => x.point.gpuId === gpu)) {
      const fmt = (r: number[] | null) => (r ?? []).map((x) => x.toFixed(2)).join(' ');
      console.log(
        `    ${s.seriesId.slice(0, 58).padEnd(58)} async ${s.engine?.asyncScheduling ? 'on ' : 'off'}  ${fmt(sampleResiduals(s, heldFit.factors, models, gpus))} | ${fmt(sampleResiduals(s, fullFit.factors, models, gpus))}`,
      );
    }
  }
}
