import { describe, expect, it } from 'vitest';
import type { BenchmarkPoint, Knowledge } from '../../src/knowledge/catalog.js';
import { readMeasurementFiles } from '../../src/knowledge/measurements.js';
import { VENDOR_BANDWIDTH_SHARE, VENDOR_COMPUTE_SHARE } from '../../src/planner/assumptions.js';
import {
  type Calibration,
  calibrate,
  DEFAULT_FACTORS,
  factorsFor,
  familyPoolingWeight,
  type GpuFactor,
  poolingWeight,
  runsV1Engine,
  sampleResiduals,
  vendorPoolingWeight,
} from '../../src/planner/calibrate.js';
import { calibrationOf, predictPerformance } from '../../src/planner/predict.js';
import { gpusWithVariants, samplesOf } from '../../src/planner/public-measurements.js';
import type { DeploymentConfig } from '../../src/planner/schema.js';
import type { EfficiencyFactors } from '../../src/planner/step-time.js';
import { catalog } from './catalog-knowledge.js';
import {
  FIXTURE_GPUS,
  FIXTURE_MODELS,
  H100,
  H200,
  knowledgeWith,
  L4,
  L40S,
  LLAMA_8B,
  LLAMA_70B,
  PHI_4,
  QWEN3_06B,
} from './fixtures.js';
import { calibrationOfFactors, syntheticReport } from './synthetic.js';

const knowledge = knowledgeWith();

const truth: EfficiencyFactors = {
  bandwidth: 0.58,
  compute: 0.38,
  stepOverheadMs: 3.2,
  requestOverheadMs: 24,
  tokenizeUsPerToken: DEFAULT_FACTORS.tokenizeUsPerToken,
  expertGemmShare: DEFAULT_FACTORS.expertGemmShare,
};

const configs: DeploymentConfig[] = [
  {
    modelId: LLAMA_8B.id,
    gpuId: H100.id,
    gpuCount: 1,
    tensorParallel: 1,
    precision: 'bf16',
    promptTokens: 1500,
    outputTokens: 300,
  },
  {
    modelId: LLAMA_70B.id,
    gpuId: H100.id,
    gpuCount: 2,
    tensorParallel: 2,
    precision: 'fp8',
    promptTokens: 400,
    outputTokens: 800,
  },
  {
    modelId: PHI_4.id,
    gpuId: L40S.id,
    gpuCount: 1,
    tensorParallel: 1,
    precision: 'fp8',
    promptTokens: 3000,
    outputTokens: 150,
  },
  // A tiny model: its steps are mostly fixed overhead, which tells overhead and bandwidth apart.
  {
    modelId: QWEN3_06B.id,
    gpuId: H100.id,
    gpuCount: 1,
    tensorParallel: 1,
    precision: 'bf16',
    promptTokens: 200,
    outputTokens: 200,
  },
];

function pointsFrom(factors: Calibration, list: DeploymentConfig[], source: string): BenchmarkPoint[] {
  return list.flatMap((config) => syntheticReport(knowledge, config, factors, source));
}

/** Every (predicted, measured) statistic of the points' predictions with `calibration`: mean, p50, p95 of each latency. */
function predictedVsMeasured(points: BenchmarkPoint[], calibration: Calibration): [number, number][] {
  const pairs: [number, number][] = [];
  for (const point of points) {
    if (point.load.kind === 'max') continue;
    const result = predictPerformance({ ...point, load: point.load }, knowledge, { calibration });
    if (!result.ok) throw new Error(result.reason);
    const p = result.prediction;
    for (const [measured, predicted] of [
      [point.ttftMs, p.ttftMs],
      [point.itlMs, p.itlMs],
      [point.e2eMs, p.e2eMs],
    ] as const) {
      for (const stat of ['mean', 'p50', 'p95'] as const) {
        const value = measured[stat];
        if (value !== null) pairs.push([predicted[stat], value]);
      }
    }
  }
  return pairs;
}

/** Median absolute percentage error of predictions (with `calibration`) against points, over every statistic. */
function medianError(points: BenchmarkPoint[], calibration: Calibration): number {
  const errors = predictedVsMeasured(points, calibration)
    .map(([predicted, measured]) => Math.abs(predicted - measured) / measured)
    .sort((x, y) => x - y);
  return errors[Math.floor(errors.length / 2)]!;
}

describe('calibrate', () => {
  const points = pointsFrom(calibrationOfFactors(truth), configs, 'synthetic');
  const samples = points.map((point) => ({ point }));

  it('recovers the factors that generated the points, as far as the points can tell them apart', () => {
    const fitted = calibrate(samples, FIXTURE_MODELS, FIXTURE_GPUS);
    const near = (value: number, target: number, share: number) => {
      expect(value / target).toBeGreaterThan(1 - share);
      expect(value / target).toBeLessThan(1 + share);
    };
    for (const gpu of [H100.id, L40S.id]) {
      const f = fitted.perGpu[gpu]!.factors;
      near(f.bandwidth, truth.bandwidth, 0.06);
      near(f.compute, truth.compute, 0.06);
      expect(fitted.perGpu[gpu]!.rmsLogError).toBeLessThan(0.02);
    }
    // Overheads are a GPU type's own too; only the H100's points (a tiny model among them, whose steps are mostly
    // overhead) tell them apart from the efficiencies. The L40S's one deployment leaves its overheads near the
    // population's, and its fit is just as close.
    const h100 = fitted.perGpu[H100.id]!.factors;
    // Per-step overhead trades off against bandwidth (both add to every step): a looser match.
    near(h100.stepOverheadMs, truth.stepOverheadMs, 0.25);
    near(h100.requestOverheadMs, truth.requestOverheadMs, 0.15);
  });

  it("fits the API server's tokenization: one value for every GPU type, pulled from its prior by the points", () => {
    // Tokenization is TTFT's share that grows with the prompt whatever the GPU, model size and TP, which tells it
    // apart from the prefill (compute) and the fixed request overhead. Truth twice the prior: the fit moves most of
    // the way (the prior, ×2 per standard deviation, holds a little back) and every GPU type gets the same value.
    const slowTokenizer = { ...truth, tokenizeUsPerToken: 2 * DEFAULT_FACTORS.tokenizeUsPerToken };
    const fitted = calibrate(
      pointsFrom(calibrationOfFactors(slowTokenizer), configs, 'synthetic').map((point) => ({ point })),
      FIXTURE_MODELS,
      FIXTURE_GPUS,
    );
    const values = [fitted.global!, ...Object.values(fitted.perGpu)].map(
      (fit) => fit.factors.tokenizeUsPerToken,
    );
    expect(new Set(values).size).toBe(1);
    expect(values[0]! / slowTokenizer.tokenizeUsPerToken).toBeGreaterThan(0.7);
    expect(values[0]! / slowTokenizer.tokenizeUsPerToken).toBeLessThan(1.05);
  });

  it('cuts the error of predictions against those points', () => {
    const before = medianError(points, { global: null, perGpu: {} });
    const after = medianError(points, calibrate(samples, FIXTURE_MODELS, FIXTURE_GPUS));
    expect(before).toBeGreaterThan(0.1);
    expect(after).toBeLessThan(0.02);
  });

  it('falls back to the defaults without usable points, and is deterministic with them', () => {
    expect(calibrate([], FIXTURE_MODELS, FIXTURE_GPUS)).toEqual({ global: null, perGpu: {} });
    const unknownModel = { point: { ...points[0]!, modelId: 'nobody/none' } };
    expect(calibrate([unknownModel], FIXTURE_MODELS, FIXTURE_GPUS).global).toBeNull();
    expect(calibrate(samples, FIXTURE_MODELS, FIXTURE_GPUS)).toEqual(
      calibrate(samples, FIXTURE_MODELS, FIXTURE_GPUS),
    );
    const prediction = predictPerformance({ ...configs[0]!, load: { kind: 'rate', value: 1 } }, knowledge);
    if (!prediction.ok) throw new Error(prediction.reason);
    expect(prediction.prediction.evidence.factors).toMatchObject({ ...DEFAULT_FACTORS, basis: 'default' });
  });

  it('gives a GPU with enough points its own bandwidth and compute efficiency', () => {
    const l40s: EfficiencyFactors = { ...truth, bandwidth: 0.8, compute: 0.6 };
    const mixed = [
      ...pointsFrom(calibrationOfFactors(truth), [configs[0]!, configs[1]!, configs[3]!], 'h100 report'),
      ...pointsFrom(calibrationOfFactors(l40s), [configs[2]!], 'l40s report'),
    ];
    const fitted = calibrate(
      mixed.map((point) => ({ point })),
      FIXTURE_MODELS,
      FIXTURE_GPUS,
    );
    expect(fitted.perGpu.L40S!.factors.bandwidth / 0.8).toBeGreaterThan(0.92);
    expect(fitted.perGpu.L40S!.factors.compute / 0.6).toBeGreaterThan(0.92);
    expect(fitted.perGpu.H100!.factors.bandwidth / truth.bandwidth).toBeLessThan(1.08);
    // A GPU type without points gets the textbook efficiencies pulled toward the fitted types.
    const unseen = fitted.global!.factors.bandwidth;
    expect(unseen).toBeGreaterThan(Math.min(DEFAULT_FACTORS.bandwidth, truth.bandwidth));
    expect(unseen).toBeLessThan(Math.max(DEFAULT_FACTORS.bandwidth, 0.8));
  });
});

/** Mean |log(predicted / measured)| over every mean, median and p95 of the points. */
function meanLogError(points: BenchmarkPoint[], calibration: Calibration): number {
  const errors = predictedVsMeasured(points, calibration).map(([predicted, measured]) =>
    Math.abs(Math.log(predicted / measured)),
  );
  return errors.reduce((sum, error) => sum + error, 0) / errors.length;
}

describe('imported reports', () => {
  // Each GPU type runs at its own efficiencies; reports arrive one at a time, through the knowledge snapshot.
  const gpuTruth: Record<string, EfficiencyFactors> = {
    H100: { ...truth, bandwidth: 0.7, compute: 0.5 },
    L40S: { ...truth, bandwidth: 0.5, compute: 0.33 },
  };
  const world = calibrationOfFactors(truth, gpuTruth);
  const reports: { config: DeploymentConfig; heldOut: DeploymentConfig }[] = [
    { config: configs[0]!, heldOut: { ...configs[0]!, promptTokens: 700, outputTokens: 500 } },
    { config: configs[1]!, heldOut: { ...configs[1]!, promptTokens: 2000, outputTokens: 200 } },
    { config: configs[2]!, heldOut: { ...configs[2]!, promptTokens: 900, outputTokens: 400 } },
    {
      config: { ...configs[2]!, modelId: LLAMA_8B.id, precision: 'bf16', promptTokens: 600 },
      heldOut: {
        ...configs[2]!,
        modelId: LLAMA_8B.id,
        precision: 'bf16',
        promptTokens: 2500,
        outputTokens: 100,
      },
    },
  ];
  // Held-out traffic the reports never measured, on the same deployments.
  const heldOut = reports.map((r) => syntheticReport(knowledge, r.heldOut, world, 'held out'));
  const errors = (snapshot: Knowledge) => {
    const calibration = calibrationOf(snapshot);
    return {
      all: meanLogError(heldOut.flat(), calibration),
      each: heldOut.map((h) => meanLogError(h, calibration)),
    };
  };

  it('each report improves estimates of its deployment at unmeasured traffic, and overall', () => {
    let before = errors({ ...knowledge, benchmarks: [] });
    let imported: BenchmarkPoint[] = [];
    for (const [i, report] of reports.entries()) {
      imported = [...imported, ...syntheticReport(knowledge, report.config, world, `report ${i}`)];
      const after = errors({ ...knowledge, benchmarks: imported });
      expect(after.each[i], `own deployment after report ${i}`).toBeLessThan(before.each[i]!);
      expect(after.all, `all held-out after report ${i}`).toBeLessThan(before.all);
      before = after;
    }
    expect(before.all).toBeLessThan(0.05);
  });
});

describe('imported points stay in their lane', () => {
  // Three slow H100 points for Llama 8B, as a hand-written report would bring: every factor three times worse.
  const slow: EfficiencyFactors = {
    bandwidth: 0.25,
    compute: 0.18,
    stepOverheadMs: 4.5,
    requestOverheadMs: 30,
    tokenizeUsPerToken: DEFAULT_FACTORS.tokenizeUsPerToken,
    expertGemmShare: DEFAULT_FACTORS.expertGemmShare,
  };
  const h100Llama: DeploymentConfig = { ...configs[0]!, promptTokens: 512, outputTokens: 256 };
  const imported = syntheticReport(knowledge, h100Llama, calibrationOfFactors(slow), 'hand-written').slice(
    0,
    3,
  );
  const l4Llama: DeploymentConfig = { ...h100Llama, gpuId: L4.id };
  const predict = (config: DeploymentConfig, snapshot: Knowledge) => {
    const result = predictPerformance({ ...config, load: { kind: 'rate', value: 0.01 } }, snapshot);
    if (!result.ok) throw new Error(result.reason);
    return result.prediction;
  };
  const after = knowledgeWith(imported);
  const fitted = calibrationOf(after);
  // The GPU-type factors; the shared ones (tokenization, the experts' GEMM share) are one value for every GPU type.
  const keys = (Object.keys(DEFAULT_FACTORS) as (keyof EfficiencyFactors)[]).filter(
    (key): key is GpuFactor => key !== 'tokenizeUsPerToken' && key !== 'expertGemmShare',
  );
  const h100Shift = (key: keyof EfficiencyFactors) =>
    Math.abs(Math.log(fitted.perGpu[H100.id]!.factors[key] / DEFAULT_FACTORS[key]));

  it('calibrate their own configuration', () => {
    const measuredItl = imported[0]!.itlMs.mean!;
    expect(predict(h100Llama, knowledge).itlMs.mean / measuredItl).toBeLessThan(0.5);
    expect(predict(h100Llama, after).itlMs.mean / measuredItl).toBeCloseTo(1, 1);
  });

  it("move another GPU's factors by at most the pooling weight of their own GPU's shift", () => {
    const l4 = fitted.global!.factors;
    for (const key of keys) {
      const shift = Math.abs(Math.log(l4[key] / DEFAULT_FACTORS[key]));
      expect(shift, key).toBeLessThanOrEqual(poolingWeight(key, 1) * h100Shift(key) + 1e-9);
      expect(poolingWeight(key, 1), key).toBeLessThan(0.2);
    }
    // The weight grows as more GPU types agree, and never reaches 1.
    expect(poolingWeight('bandwidth', 6)).toBeGreaterThan(poolingWeight('bandwidth', 1));
    expect(poolingWeight('bandwidth', 100)).toBeLessThan(1);
  });

  it('move an unmeasured GPU of their own family (H200 beside H100) further than one of another family', () => {
    const h200 = factorsFor(fitted, H200.id);
    expect(h200.basis).toBe('family');
    for (const key of keys) {
      const shift = Math.abs(Math.log(h200.factors[key] / DEFAULT_FACTORS[key]));
      const other = Math.abs(Math.log(fitted.global!.factors[key] / DEFAULT_FACTORS[key]));
      expect(shift, key).toBeGreaterThanOrEqual(familyPoolingWeight(key) * h100Shift(key) - 1e-9);
      expect(shift, key).toBeGreaterThan(other);
      expect(shift, key).toBeLessThan(h100Shift(key));
    }
    expect(familyPoolingWeight('bandwidth')).toBeGreaterThan(2 * poolingWeight('bandwidth', 1));
  });

  it('move an unmeasured GPU of their vendor but another family (L4 beside H100) less than one of their family', () => {
    // One software stack (CUDA, the same vLLM kernels): the Ada family leans on Hopper's points through the NVIDIA
    // vendor level, by its share of the gap between H100 and the population, and more than the population moves.
    const l4 = factorsFor(fitted, L4.id);
    const h200 = factorsFor(fitted, H200.id).factors;
    const population = fitted.global!.factors;
    expect(l4.basis).toBe('family');
    for (const key of keys) {
      const shift = (f: EfficiencyFactors) => Math.abs(Math.log(f[key] / DEFAULT_FACTORS[key]));
      const gap = Math.abs(Math.log(fitted.perGpu[H100.id]!.factors[key] / population[key]));
      expect(Math.abs(Math.log(l4.factors[key] / population[key])), key).toBeCloseTo(
        vendorPoolingWeight(key) * gap,
        6,
      );
      expect(shift(l4.factors), key).toBeGreaterThan(1.5 * shift(population));
      expect(shift(l4.factors), key).toBeLessThan(shift(h200));
    }
    expect(vendorPoolingWeight('bandwidth')).toBeGreaterThan(0.2);
    expect(vendorPoolingWeight('bandwidth')).toBeLessThan(familyPoolingWeight('bandwidth'));
  });

  it("centre a vendor's family without points on its software stack's share of the tensor-core peak and bandwidth", () => {
    // An AMD GPU type with the H100's datasheet: held by the population and the ROCm prior alone.
    const amd = { ...H100, id: 'MI300X', name: 'AMD test GPU', vendor: 'amd' as const };
    const withAmd = calibrate(
      imported.map((point) => ({ point })),
      FIXTURE_MODELS,
      [...FIXTURE_GPUS, amd],
    );
    const own = factorsFor(withAmd, amd.id);
    const population = withAmd.global!.factors;
    expect(own.basis).toBe('family');
    expect(VENDOR_COMPUTE_SHARE.amd).toBeLessThan(0.6);
    expect(own.factors.compute / population.compute).toBeCloseTo(VENDOR_COMPUTE_SHARE.amd, 6);
    // The MI300X streams a smaller share of its datasheet bandwidth than NVIDIA parts do (arXiv:2510.27583).
    expect(VENDOR_BANDWIDTH_SHARE.amd).toBeLessThan(1);
    expect(own.factors.bandwidth / population.bandwidth).toBeCloseTo(VENDOR_BANDWIDTH_SHARE.amd, 6);
  });

  it('inform the factors only when measured on the V1 engine the planner deploys (vLLM ≥ 0.8)', () => {
    const calibratedOn = (engineVersion: string | null) =>
      calibrate(
        imported.map((point) => ({ point, engineVersion })),
        FIXTURE_MODELS,
        FIXTURE_GPUS,
      );
    expect(calibratedOn('0.6.3.dev116+g151ef4ef')).toEqual({ global: null, perGpu: {} });
    expect(calibratedOn('0.11.0').perGpu[H100.id]?.points).toBe(3);
    expect(calibratedOn(null).perGpu[H100.id]?.points).toBe(3);
    expect([
      runsV1Engine('v0.7.3'),
      runsV1Engine('0.8.0'),
      runsV1Engine('1.0.0'),
      runsV1Engine(undefined),
    ]).toEqual([false, true, true, true]);
  });

  it("move another family's predictions by no more than their vendor's share, less than their own family's", () => {
    // A step time and a request's fixed costs are sums of terms each proportional to one factor (or its inverse),
    // so at light load a latency's log moves no more than the most-moved factor's. The L4 (Ada) takes the NVIDIA
    // vendor's factors: the population's share of H100's shift, then the vendor's share of what is left.
    const towardVendor = (key: GpuFactor) =>
      poolingWeight(key, 1) + (1 - poolingWeight(key, 1)) * vendorPoolingWeight(key);
    const bound = Math.max(...keys.map((key) => towardVendor(key) * h100Shift(key)));
    const before = predict(l4Llama, knowledge);
    const moved = predict(l4Llama, after);
    for (const stat of ['itlMs', 'ttftMs', 'e2eMs'] as const) {
      const shift = Math.abs(Math.log(moved[stat].mean / before[stat].mean));
      expect(shift, stat).toBeLessThanOrEqual(bound + 1e-6);
    }
    const h200Llama: DeploymentConfig = { ...h100Llama, gpuId: H200.id };
    const h200Moved = predict(h200Llama, after).itlMs.mean / predict(h200Llama, knowledge).itlMs.mean;
    expect(moved.itlMs.mean / before.itlMs.mean).toBeGreaterThan(1);
    expect(moved.itlMs.mean / before.itlMs.mean).toBeLessThan(h200Moved);
  });
});

describe('the load generator in the fit', () => {
  // gpustack's Qwen3.5-9B long-context page: GuideLLM at a constant 1 req/s of 32k-token prompts on one H100, TTFT
  // 1.02 s with p99 1.04 s — a prefill that fills most of each second without queueing, as evenly spaced arrivals
  // allow (Kingman's wait is 0 when neither arrivals nor prompts vary). Fitted as Poisson arrivals, the same load
  // would queue for seconds, and only an H100 at ~0.95 of its BF16 peak would explain the measured TTFT.
  const measurements = readMeasurementFiles();
  const page = measurements.series.filter(
    (s) => s.id.startsWith('gpustack-qwen3-5-9b-h100-') && s.id.includes('long-context-profile'),
  );
  const models = catalog.models;
  const gpus = gpusWithVariants(catalog.gpus, measurements);
  const samples = samplesOf({ ...measurements, series: page }, gpus);
  const computeOf = (s: typeof samples) => calibrate(s, models, gpus).perGpu.H100!.factors.compute;

  it('fits constant-rate points with their arrival spread', () => {
    expect(samples.map((s) => s.arrivalCv)).toEqual([0, 0]);
    const compute = computeOf(samples);
    expect(compute).toBeGreaterThan(0.5);
    expect(compute).toBeLessThan(0.7);
    expect(computeOf(samples.map((s) => ({ ...s, arrivalCv: 1 })))).toBeGreaterThan(0.85);
  });

  // At 1 req/s the 32k-token prefills fill the whole second once the H100's compute factor falls to ~0.52 (defaults
  // otherwise): below it the model cannot carry the measured load. The fit must see that edge as a slope, not a
  // fixed residual, or a step toward it costs the same wherever it lands and the fit stalls short of it.
  it('scores a point continuously across the capacity edge, worse the further beyond it', () => {
    const grid = Array.from({ length: 61 }, (_, i) => 0.45 + 0.0025 * i);
    for (const sample of samples) {
      const residuals = grid.map(
        (compute) => sampleResiduals(sample, { ...DEFAULT_FACTORS, compute }, models, gpus)!,
      );
      residuals.slice(1).forEach((r, i) => {
        r.forEach((v, k) => {
          const before = residuals[i]![k]!;
          expect(Math.abs(v - before)).toBeLessThan(0.03);
          expect(v).toBeLessThanOrEqual(before + 1e-9);
        });
      });
    }
  });
});
