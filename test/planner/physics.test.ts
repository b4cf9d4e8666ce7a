import { describe, expect, it } from 'vitest';
import { moeLayers } from '../../src/knowledge/architecture.js';
import type { Gpu } from '../../src/knowledge/catalog.js';
import {
  ASYNC_HIDDEN_HOST_SHARE,
  fusedMoeLayerSec,
  HOST_SEC_PER_SEQUENCE,
  WEIGHT_ONLY_GEMM_SHARE,
} from '../../src/planner/assumptions.js';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { buildDeployment } from '../../src/planner/deployment.js';
import { maxRateWithinSlo, type Prediction, predictPerformance } from '../../src/planner/predict.js';
import type { DeploymentConfig, PerformanceInput } from '../../src/planner/schema.js';
import { decodeStepSec, stageStepSec } from '../../src/planner/step-time.js';
import { A100_80GB, H100, H200, knowledgeWith, L40S, LLAMA_8B, LLAMA_70B, MIXTRAL_8X7B } from './fixtures.js';

const knowledge = knowledgeWith();

function predict(input: PerformanceInput): Prediction {
  const result = predictPerformance(input, knowledge);
  if (!result.ok) throw new Error(result.reason);
  return result.prediction;
}

const llama8bOnH100: DeploymentConfig = {
  modelId: LLAMA_8B.id,
  gpuId: H100.id,
  gpuCount: 1,
  tensorParallel: 1,
  precision: 'bf16',
  promptTokens: 1024,
  outputTokens: 256,
};

describe('decode step time', () => {
  it('never gets slower with more memory bandwidth, for any batch and context', () => {
    for (const model of [LLAMA_8B, LLAMA_70B, MIXTRAL_8X7B]) {
      for (const gpu of [A100_80GB, H100, L40S]) {
        const faster: Gpu = { ...gpu, memoryBandwidthGBps: gpu.memoryBandwidthGBps * 2 };
        const tp = model === LLAMA_8B ? 1 : 4;
        const slow = buildDeployment(model, gpu, tp, tp, 'fp8');
        const fast = buildDeployment(model, faster, tp, tp, 'fp8');
        if (!slow.ok || !fast.ok) throw new Error('fixture deployment should build');
        for (const batch of [1, 8, 64, 256]) {
          for (const context of [128, 2048, 16384]) {
            const a = decodeStepSec(slow.deployment.geometry, DEFAULT_FACTORS, batch, context);
            const b = decodeStepSec(fast.deployment.geometry, DEFAULT_FACTORS, batch, context);
            expect(b).toBeLessThanOrEqual(a);
          }
        }
        // At batch 1 decode is memory-bound: twice the bandwidth must show, whatever the fixed overheads.
        const one = decodeStepSec(slow.deployment.geometry, DEFAULT_FACTORS, 1, 512);
        const oneFast = decodeStepSec(fast.deployment.geometry, DEFAULT_FACTORS, 1, 512);
        expect(oneFast).toBeLessThan(one);
      }
    }
  });

  it('speeds up a 70B when TP=2 over NVLink splits what TP=1 also holds', () => {
    const config = { ...llama8bOnH100, modelId: LLAMA_70B.id, gpuId: H200.id, precision: 'fp8' as const };
    const light = { kind: 'rate' as const, value: 0.05 };
    const tp1 = predict({ ...config, gpuCount: 1, tensorParallel: 1, load: light });
    const tp2 = predict({ ...config, gpuCount: 2, tensorParallel: 2, load: light });
    expect(tp2.itlMs.p50).toBeLessThan(tp1.itlMs.p50 * 0.7);
    expect(tp2.ttftMs.p50).toBeLessThan(tp1.ttftMs.p50);
    expect(tp2.capacityRequestsPerSec).toBeGreaterThan(tp1.capacityRequestsPerSec);
  });

  it('touches more MoE experts, and reads more bytes, as the batch grows', () => {
    const built = buildDeployment(MIXTRAL_8X7B, H100, 2, 2, 'bf16');
    if (!built.ok) throw new Error(built.reason);
    const g = built.deployment.geometry;
    const perToken = (batch: number) => decodeStepSec(g, DEFAULT_FACTORS, batch, 256) / batch;
    expect(decodeStepSec(g, DEFAULT_FACTORS, 16, 256)).toBeGreaterThan(
      decodeStepSec(g, DEFAULT_FACTORS, 1, 256),
    );
    expect(perToken(64)).toBeLessThan(perToken(1));
  });

  it("runs the routed experts' prefill FLOPs at the grouped GEMMs' share, a weight-only format's at the lower share", () => {
    const stepAt = (model: typeof LLAMA_8B, precision: 'bf16' | 'int4', share: number, prefill: number) => {
      const built = buildDeployment(model, H100, 2, 2, precision);
      if (!built.ok) throw new Error(built.reason);
      return stageStepSec(
        built.deployment.geometry,
        { ...DEFAULT_FACTORS, expertGemmShare: share },
        8,
        512,
        prefill,
        2048,
      );
    };
    // A dense model has no experts: the share does not touch it.
    expect(stepAt(LLAMA_8B, 'bf16', 0.3, 8192)).toBe(stepAt(LLAMA_8B, 'bf16', 1, 8192));
    // A compute-bound MoE chunk slows as the share falls; a memory-bound decode step does not.
    expect(stepAt(MIXTRAL_8X7B, 'bf16', 0.5, 8192)).toBeGreaterThan(
      1.2 * stepAt(MIXTRAL_8X7B, 'bf16', 1, 8192),
    );
    expect(stepAt(MIXTRAL_8X7B, 'bf16', 0.5, 0)).toBe(stepAt(MIXTRAL_8X7B, 'bf16', 1, 0));
    // int4 experts already run at WEIGHT_ONLY_GEMM_SHARE: a share above it costs nothing more, one below it does.
    expect(stepAt(MIXTRAL_8X7B, 'int4', WEIGHT_ONLY_GEMM_SHARE, 8192)).toBe(
      stepAt(MIXTRAL_8X7B, 'int4', 1, 8192),
    );
    expect(stepAt(MIXTRAL_8X7B, 'int4', 0.3, 8192)).toBeGreaterThan(stepAt(MIXTRAL_8X7B, 'int4', 1, 8192));
  });

  it("pays each MoE layer's fused-expert kernel intercept once per step, on top of the expert bytes", () => {
    const sparse = moeLayers(MIXTRAL_8X7B.architecture);
    for (const tp of [2, 4]) {
      const built = buildDeployment(MIXTRAL_8X7B, H100, tp, tp, 'fp8');
      if (!built.ok) throw new Error(built.reason);
      const g = built.deployment.geometry;
      // The Triton fused_moe benchmarks intercept at ~25 µs per layer (vllm#24700, sglang#11730), whatever the TP.
      expect(g.fusedMoeFixedSec).toBeCloseTo(sparse * 25e-6, 9);
      for (const batch of [1, 64]) {
        const without = decodeStepSec({ ...g, fusedMoeFixedSec: 0 }, DEFAULT_FACTORS, batch, 512);
        expect(decodeStepSec(g, DEFAULT_FACTORS, batch, 512) - without).toBeCloseTo(g.fusedMoeFixedSec, 9);
      }
    }
    const dense = buildDeployment(LLAMA_70B, H100, 2, 2, 'fp8');
    if (!dense.ok) throw new Error(dense.reason);
    expect(dense.deployment.geometry.fusedMoeFixedSec).toBe(0);
    // FP4 experts on Hopper run triton_kernels, not the tiled fused_moe / Marlin kernels the intercept was measured on.
    expect(fusedMoeLayerSec('mxfp4', H100)).toBe(0);
    expect(fusedMoeLayerSec('mxfp4', A100_80GB)).toBe(25e-6);
    expect(fusedMoeLayerSec('fp8', A100_80GB)).toBe(25e-6);
  });
});

const STATS = ['mean', 'p50', 'p90', 'p95', 'p99'] as const;

function expectNonDecreasing(series: Prediction[], label: string) {
  for (let i = 1; i < series.length; i++) {
    for (const family of ['ttftMs', 'itlMs', 'e2eMs'] as const) {
      for (const stat of STATS) {
        const before = series[i - 1]![family][stat];
        const after = series[i]![family][stat];
        expect(after, `${label} ${family}.${stat} step ${i}`).toBeGreaterThanOrEqual(before * (1 - 1e-6));
      }
    }
  }
}

describe('load', () => {
  const cases: DeploymentConfig[] = [
    llama8bOnH100,
    {
      ...llama8bOnH100,
      modelId: LLAMA_70B.id,
      gpuCount: 2,
      tensorParallel: 2,
      promptTokens: 4000,
      outputTokens: 400,
    },
    {
      ...llama8bOnH100,
      gpuId: L40S.id,
      promptTokens: 300,
      outputTokens: 600,
      promptTokensCv: 1,
      outputTokensCv: 1,
    },
    { ...llama8bOnH100, modelId: MIXTRAL_8X7B.id, gpuCount: 2, tensorParallel: 2 },
  ];

  it('never lowers TTFT, ITL or E2E as the open-loop rate rises to capacity', () => {
    for (const config of cases) {
      const capacity = predict({ ...config, load: { kind: 'rate', value: 1e-3 } }).capacityRequestsPerSec;
      const rates = Array.from({ length: 25 }, (_, i) => capacity * (0.02 + (0.97 * i) / 24));
      const series = rates.map((rate) => predict({ ...config, load: { kind: 'rate', value: rate } }));
      expect(series.every((p) => !p.saturated)).toBe(true);
      expectNonDecreasing(series, `${config.modelId} on ${config.gpuId}`);
    }
  });

  it('never lowers TTFT, ITL or E2E as closed-loop clients are added, and throughput never falls', () => {
    for (const config of cases) {
      const clients = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
      const series = clients.map((n) => predict({ ...config, load: { kind: 'concurrency', value: n } }));
      expectNonDecreasing(series, `${config.modelId} on ${config.gpuId}`);
      for (let i = 1; i < series.length; i++) {
        expect(series[i]!.requestsPerSec).toBeGreaterThanOrEqual(series[i - 1]!.requestsPerSec * (1 - 1e-6));
      }
    }
  });

  it('async scheduling takes its share of the host-side time off every step', () => {
    const alone = { kind: 'concurrency' as const, value: 1 };
    const sync = predict({ ...llama8bOnH100, engine: { asyncScheduling: false }, load: alone });
    const pipelined = predict({ ...llama8bOnH100, engine: { asyncScheduling: true }, load: alone });
    // One sequence, decode-only steps: the host side is the per-step overhead and one sequence's host work.
    const hostMs = sync.evidence.factors.stepOverheadMs + HOST_SEC_PER_SEQUENCE * 1e3;
    expect(sync.itlMs.mean - pipelined.itlMs.mean).toBeCloseTo(ASYNC_HIDDEN_HOST_SHARE * hostMs, 6);
  });

  it('async scheduling delays a new request by one mean step when others are running, and not on an idle engine', () => {
    const load = { kind: 'rate' as const, value: 8 };
    const sync = predict({ ...llama8bOnH100, engine: { asyncScheduling: false }, load });
    const pipelined = predict({ ...llama8bOnH100, engine: { asyncScheduling: true }, load });
    // The new request skips the queued step; its own waits and prefill are a little shorter for the faster steps.
    const extra = pipelined.ttftMs.mean - sync.ttftMs.mean;
    expect(extra).toBeGreaterThan(0.8 * pipelined.itlMs.mean);
    expect(extra).toBeLessThanOrEqual(pipelined.itlMs.mean * (1 + 1e-9));
    const alone = { kind: 'concurrency' as const, value: 1 };
    const idle = predict({ ...llama8bOnH100, engine: { asyncScheduling: true }, load: alone });
    const idleSync = predict({ ...llama8bOnH100, engine: { asyncScheduling: false }, load: alone });
    // Alone, only the shorter prefill step differs: no step to wait behind.
    expect(idle.ttftMs.mean).toBeLessThanOrEqual(idleSync.ttftMs.mean);
    expect(idle.ttftMs.mean).toBeGreaterThan(idleSync.ttftMs.mean - idleSync.evidence.factors.stepOverheadMs);
  });

  it('a lone request waits for the API server to tokenize its whole prompt, cached prefix too', () => {
    const alone = { kind: 'concurrency' as const, value: 1 };
    const p = predict({ ...llama8bOnH100, prefixShare: 0.5, load: alone });
    const waited = p.ttftMs.mean - p.evidence.factors.requestOverheadMs - p.evidence.stepTimesMs.ownPrefill;
    expect(waited).toBeCloseTo(1024 * p.evidence.factors.tokenizeUsPerToken * 1e-3, 2);
  });

  it('a single client sees no queueing: E2E is TTFT plus the decode steps', () => {
    const p = predict({ ...llama8bOnH100, load: { kind: 'concurrency', value: 1 } });
    expect(p.evidence.stepTimesMs.queueWait).toBe(0);
    expect(p.e2eMs.mean).toBeCloseTo(p.ttftMs.mean + 255 * p.itlMs.mean, 0);
    expect(p.requestsPerSec).toBeCloseTo(1000 / p.e2eMs.mean, 6);
  });

  it("opens its notes with the replica's memory, large counts written with thousands separators", () => {
    const p = predict({ ...llama8bOnH100, load: { kind: 'concurrency', value: 1 } });
    const kv = p.notes[0]!.match(/KV cache for ([\d,]+) tokens \(([\d,]+) B per token\)/);
    expect(kv, p.notes[0]).not.toBeNull();
    expect(kv![1]).toMatch(/^\d{1,3}(,\d{3})+$/);
    expect(kv![2]).toBe('131,072');
  });

  it('flags an open loop beyond capacity instead of returning a steady state', () => {
    const capacity = predict({ ...llama8bOnH100, load: { kind: 'rate', value: 1 } }).capacityRequestsPerSec;
    const over = predict({ ...llama8bOnH100, load: { kind: 'rate', value: capacity * 1.5 } });
    expect(over.saturated).toBe(true);
    expect(over.requestsPerSec).toBeCloseTo(capacity, 6);
    expect(over.backlogGrowthPerSec).toBeCloseTo(capacity * 0.5, 6);
    expect(over.notes.some((n) => n.startsWith('Saturated'))).toBe(true);
    const under = predict({ ...llama8bOnH100, load: { kind: 'rate', value: capacity * 0.5 } });
    expect(under.saturated).toBe(false);
    expect(under.requestsPerSec).toBe(capacity * 0.5);
  });

  it('saturates a closed loop at the batch the KV cache allows, TTFT taking the queue (Little’s law)', () => {
    const config = { ...llama8bOnH100, gpuId: L40S.id, promptTokens: 8000, outputTokens: 500 };
    const p = predict({ ...config, load: { kind: 'concurrency', value: 400 } });
    expect(p.saturated).toBe(true);
    expect(p.evidence.batching.limitedBy).toBe('kv-cache');
    const cycleMs = (400 / p.requestsPerSec) * 1e3;
    expect(p.e2eMs.mean).toBeCloseTo(cycleMs, -1);
  });
});

const slo = { ttftP95Ms: 600, itlP95Ms: 40, e2eP95Ms: 20_000 };

describe('maxRateWithinSlo', () => {
  it('returns a rate whose p95s meet the SLO, and a rate 3% higher that does not', () => {
    const result = maxRateWithinSlo(llama8bOnH100, slo, knowledge);
    if (!result.ok) throw new Error(result.reason);
    const at = predict({ ...llama8bOnH100, load: { kind: 'rate', value: result.requestsPerSec } });
    expect(at.ttftMs.p95).toBeLessThanOrEqual(slo.ttftP95Ms);
    expect(at.itlMs.p95).toBeLessThanOrEqual(slo.itlP95Ms);
    expect(at.e2eMs.p95).toBeLessThanOrEqual(slo.e2eP95Ms);
    const above = predict({ ...llama8bOnH100, load: { kind: 'rate', value: result.requestsPerSec * 1.03 } });
    const misses =
      above.saturated ||
      above.ttftMs.p95 > slo.ttftP95Ms ||
      above.itlMs.p95 > slo.itlP95Ms ||
      above.e2eMs.p95 > slo.e2eP95Ms;
    expect(misses).toBe(true);
  });

  it('is monotone in the SLO: a looser target never allows less', () => {
    for (const config of [llama8bOnH100, { ...llama8bOnH100, gpuId: L40S.id, promptTokens: 3000 }]) {
      let previous = 0;
      for (const itl of [15, 20, 25, 30, 40, 60, 100, 200]) {
        const result = maxRateWithinSlo(config, { ...slo, itlP95Ms: itl, ttftP95Ms: 5000 }, knowledge);
        const rate = result.ok ? result.requestsPerSec : 0;
        expect(rate).toBeGreaterThanOrEqual(previous * 0.99);
        previous = rate;
      }
      expect(previous).toBeGreaterThan(0);
    }
  });

  it('says why when no rate meets the SLO, and stops at capacity when the SLO is loose', () => {
    const tight = maxRateWithinSlo(llama8bOnH100, { ...slo, itlP95Ms: 1 }, knowledge);
    expect(tight.ok).toBe(false);
    if (!tight.ok) expect(tight.reason).toMatch(/ITL p95 .* > 1 ms/);
    const loose = maxRateWithinSlo(
      llama8bOnH100,
      { ttftP95Ms: 1e9, itlP95Ms: 1e9, e2eP95Ms: 1e9 },
      knowledge,
    );
    if (!loose.ok) throw new Error(loose.reason);
    expect(loose.limitedBy).toBe('capacity');
    const capacity = predict({ ...llama8bOnH100, load: { kind: 'rate', value: 1 } }).capacityRequestsPerSec;
    expect(loose.requestsPerSec / capacity).toBeGreaterThan(0.97);
    expect(loose.requestsPerSec / capacity).toBeLessThanOrEqual(1.001);
  });
});
