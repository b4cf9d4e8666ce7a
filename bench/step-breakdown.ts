/**
 * Per-term breakdown of the model's decode step: `npx tsx bench/step-breakdown.ts` prints, for a few TP8 H200
 * deployments (DeepSeek-R1 FP8, GLM-4.6 BF16, DeepSeek-V3.2 FP8, gpt-oss-120b), the step time under the factors the
 * held-out fold of gpustack's DeepSeek-R1 H200 page fits (HELD=<source substring> picks another fold) and what zeroing each geometry
 * term takes off it.
 */
import { buildDeployment } from '../src/planner/deployment.js';
import { decodeStepSec } from '../src/planner/step-time.js';
import { foldWithout, gpus, models } from './held-out-fold.js';

const held = process.env.HELD ?? 'deepseek-r1/h200';
const found = foldWithout(held);
if (!found) throw new Error(`no source matches ${held}`);
const { source, calibration: fit } = found;
console.log(`factors of the fold without ${source}`);
const cases: [string, string, number, string, number, number, boolean][] = [
  ['deepseek-ai/DeepSeek-R1', 'H200', 8, 'fp8', 4, 400, false],
  ['zai-org/GLM-4.6', 'H200', 8, 'bf16', 4, 400, false],
  ['deepseek-ai/DeepSeek-V3.2', 'H200', 8, 'fp8', 100, 2000, false],
  ['openai/gpt-oss-120b', 'H200', 8, 'mxfp4', 4, 1500, true],
];
for (const [mid, gid, n, prec, batch, ctx, asyncS] of cases) {
  const model = models.find((x) => x.id === mid)!;
  const gpu = gpus.find((x) => x.id === gid)!;
  const r = buildDeployment(model, gpu, n, n, prec as never, { asyncScheduling: asyncS });
  if (!r.ok) {
    console.log(mid, r.reason);
    continue;
  }
  const g = r.deployment.geometry;
  const f = fit.perGpu[gid]!.factors;
  const total = decodeStepSec(g, f, batch, ctx);
  console.log(
    `${mid} ${gid} TP${n} ${prec} B=${batch} ctx=${ctx}: ${(total * 1e3).toFixed(2)} ms  (bw ${f.bandwidth.toFixed(3)} step ${f.stepOverheadMs.toFixed(2)} ms)`,
  );
  const zero: (keyof typeof g)[] = [
    'fixedWeightBytes',
    'expertWeightBytes',
    'fusedMoeFixedSec',
    'layerKernelsSec',
    'kvBytesPerToken',
    'activationBytesPerToken',
    'allReduceLatencySec',
    'allReduceSecPerToken',
    'hostSecPerSequence',
    'linearFlopsPerToken',
    'expertFlopsPerToken',
    'attentionFlopsPerContextToken',
    'indexerKeyBytesPerToken',
    'indexerFlopsPerContextToken',
    'lmHeadFlopsPerSample',
  ];
  for (const k of zero) {
    const g2 = { ...g, [k]: 0 };
    const d = total - decodeStepSec(g2, f, batch, ctx);
    if (Math.abs(d) > 1e-6) console.log(`  ${k.padEnd(30)} ${(d * 1e3).toFixed(3)} ms   (value ${g[k]})`);
  }
  console.log(
    `  stepFixed ${(g.hostShare * f.stepOverheadMs).toFixed(3)} ms  allReduces/step ${g.allReducesPerStageStep}`,
  );
}
