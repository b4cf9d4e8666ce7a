import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { routedExpertParams, tpReplicatedParams } from '../../src/knowledge/architecture.js';
import { PublicMeasurements } from '../../src/knowledge/measurements.js';
import { BODY_BYTES_PER_PARAM, GIB } from '../../src/planner/assumptions.js';
import { buildDeployment } from '../../src/planner/deployment.js';
import {
  kvBytesPerToken,
  kvBytesPerTokenPerGpu,
  memoryPlan,
  mxfp4ExpertBytesPerParam,
  parameterSplit,
  resolveEngine,
  weightBytesPerGpu,
  weightBytesTotal,
} from '../../src/planner/memory.js';
import { predictPerformance } from '../../src/planner/predict.js';
import { gpusWithVariants } from '../../src/planner/public-measurements.js';
import { catalog } from './catalog-knowledge.js';
import {
  FIXTURE_GPUS,
  FIXTURE_MODELS,
  GPT_OSS_20B,
  GPT_OSS_120B,
  H100,
  knowledgeWith,
  L4,
  L40S,
  LLAMA_8B,
  LLAMA_70B,
  PHI_4,
  QWEN25_7B,
} from './fixtures.js';

const measurements = PublicMeasurements.parse(
  JSON.parse(
    readFileSync(new URL('../../data/benchmarks/public-measurements.json', import.meta.url), 'utf8'),
  ),
);

describe('KV cache bytes per token', () => {
  it('is layers × KV heads × head dim × 2 × dtype bytes, exactly', () => {
    expect(kvBytesPerToken(LLAMA_8B)).toBe(131072);
    expect(kvBytesPerToken(LLAMA_70B)).toBe(327680);
    expect(kvBytesPerToken(LLAMA_70B, 'fp8')).toBe(163840);
  });

  it('shards KV heads over TP and replicates them once TP exceeds the KV heads', () => {
    const tp = (t: number) => ({ tensorParallel: t, pipelineParallel: 1 });
    expect(kvBytesPerTokenPerGpu(LLAMA_8B, 'auto', tp(2))).toBe(131072 / 2);
    expect(kvBytesPerTokenPerGpu(LLAMA_8B, 'auto', tp(8))).toBe(131072 / 8);
    // Qwen2.5-7B has 4 KV heads: at TP 8 each GPU still holds one head per layer, not half of one.
    const oneHead = 28 * 1 * 128 * 2 * 2;
    expect(kvBytesPerTokenPerGpu(QWEN25_7B, 'auto', tp(4))).toBe(oneHead);
    expect(kvBytesPerTokenPerGpu(QWEN25_7B, 'auto', tp(8))).toBe(oneHead);
  });
});

describe('weights', () => {
  it('fp8 halves the quantizable body; the 16-bit vocabulary matrices stay as they are', () => {
    const vocabBytes = (() => {
      const { embedding, lmHead } = parameterSplit(LLAMA_70B);
      return (embedding + lmHead) * 2;
    })();
    const bf16 = weightBytesTotal(LLAMA_70B, 'bf16');
    const fp8 = weightBytesTotal(LLAMA_70B, 'fp8');
    expect(fp8 - vocabBytes).toBeCloseTo((bf16 - vocabBytes) / 2, -3);
    expect(fp8 / bf16).toBeGreaterThan(0.5);
    expect(fp8 / bf16).toBeLessThan(0.53);
    expect(weightBytesTotal(LLAMA_70B, 'int4') / fp8).toBeLessThan(0.56);
  });

  // vLLM's MXFP4 quantization covers the fused-MoE experts alone (Mxfp4Config gives every linear layer
  // UnquantizedLinearMethod), and the gpt-oss checkpoints ship attention, router and vocabulary in BF16. Measured on
  // one H100 (llm-d-planner, public-measurements.json): 13.47 and 64.38 GiB of weights. The 4-bit rate over the whole
  // body put them 11.5% and 7.8% low; with the dense layers in BF16 they are 5.0% and 5.7% low (what is left is how
  // the GPU's MoE backend pads and holds the experts, the next test).
  it('MXFP4 quantizes only the routed experts: gpt-oss keeps attention and router in BF16', () => {
    for (const model of [GPT_OSS_20B, GPT_OSS_120B]) {
      const experts = routedExpertParams(model.architecture);
      const saved = experts * (BODY_BYTES_PER_PARAM.bf16 - BODY_BYTES_PER_PARAM.mxfp4);
      expect(weightBytesTotal(model, 'bf16') - weightBytesTotal(model, 'mxfp4')).toBeCloseTo(saved, -3);
    }
    const facts = measurements.memory.filter(
      (f) => f.metric === 'weights_per_gpu' && f.precision === 'mxfp4' && f.tensorParallel === 1,
    );
    expect(facts.map((f) => f.modelId).sort()).toEqual(['openai/gpt-oss-120b', 'openai/gpt-oss-20b']);
    for (const fact of facts) {
      const model = fact.modelId === GPT_OSS_20B.id ? GPT_OSS_20B : GPT_OSS_120B;
      const predicted = weightBytesPerGpu(model, 'mxfp4', { tensorParallel: 1, pipelineParallel: 1 }) / GIB;
      expect(predicted / fact.value, fact.modelId).toBeLessThan(1);
      expect(predicted / fact.value, fact.modelId).toBeGreaterThan(0.93);
    }
  });

  // Mxfp4MoEMethod (vllm/model_executor/layers/quantization/mxfp4.py) pads each expert per backend before loading:
  // FlashInfer TRT-LLM on Blackwell rounds intermediate and hidden sizes up to 256, triton_kernels on Hopper rounds
  // the intermediate size to 64 and keeps the loaded scales beside their swizzled copy (HopperMXScaleLayout pads it to
  // 256 rows), Marlin rounds to 128 and 256, ROCm to 128 on MI300X. On one H100 vLLM logged "Model loading took 13.47
  // GiB" and "64.38 GiB" for gpt-oss-20b and -120b; the checkpoint's own 4.25 bits a value put them 5.0% and 5.7% low,
  // so the plan promised 2.4× the 3.33 GiB KV pool vLLM had for the 120b.
  it("holds MXFP4 experts as the GPU's MoE backend pads them: gpt-oss on one H100 within 1% of vLLM's log", () => {
    const gptOss = { hiddenSize: 2880 };
    const gpu = (id: string) => {
      const found = catalog.gpus.find((g) => g.id === id);
      if (!found) throw new Error(`${id} is not in data/gpus.json`);
      return found;
    };
    const checkpointRate = 0.5 + 1 / 32;
    // Blackwell: 2880 → 3072 on both dimensions; at TP8 each rank's 360 becomes 512.
    expect(mxfp4ExpertBytesPerParam(gptOss, 2880, gpu('B200'))).toBeCloseTo(
      checkpointRate * (3072 / 2880) ** 2,
      9,
    );
    expect(mxfp4ExpertBytesPerParam(gptOss, 360, gpu('B200'))).toBeCloseTo(
      (checkpointRate * (3072 * 512)) / (2880 * 360),
      9,
    );
    // Hopper: 2880 is already a multiple of 64, so the values stay; the swizzled scales pad 5760 and 2880 rows to 256.
    const swizzled = (5888 * 2880 + 3072 * 2880) / 32 / (3 * 2880 * 2880);
    expect(mxfp4ExpertBytesPerParam(gptOss, 2880, gpu('H100'))).toBeCloseTo(checkpointRate + swizzled, 9);
    // Ampere (Marlin): intermediate to 128, hidden to 256. MI300X (ROCm, gfx942): both to 128.
    expect(mxfp4ExpertBytesPerParam(gptOss, 2880, gpu('A100-80GB'))).toBeCloseTo(
      (checkpointRate * 2944 * 3072) / 2880 ** 2,
      9,
    );
    expect(mxfp4ExpertBytesPerParam(gptOss, 2880, gpu('MI300X'))).toBeCloseTo(
      (checkpointRate * 2944 ** 2) / 2880 ** 2,
      9,
    );

    const h100 = gpu('H100');
    const tp1 = { tensorParallel: 1, pipelineParallel: 1 };
    const facts = measurements.memory.filter((f) => f.precision === 'mxfp4' && f.gpuId === 'H100');
    for (const model of [GPT_OSS_20B, GPT_OSS_120B]) {
      const fact = (metric: string) => {
        const found = facts.find((f) => f.modelId === model.id && f.metric === metric);
        if (!found) throw new Error(`${model.id} ${metric} fact is missing`);
        return found;
      };
      const measured = fact('weights_per_gpu');
      const plan = memoryPlan(
        model,
        h100,
        'mxfp4',
        tp1,
        resolveEngine(h100, { gpuMemoryUtilization: measured.gpuMemoryUtilization }),
      );
      expect(Math.abs(plan.weightBytesPerGpu / GIB / measured.value - 1), model.id).toBeLessThan(0.01);
      expect(plan.weightBytesPerGpu).toBeGreaterThan(weightBytesPerGpu(model, 'mxfp4', tp1));
      if (model === GPT_OSS_120B) {
        // The pool follows: 4.6 GiB against vLLM's 3.33 (8.1 unpadded); the rest is the older vLLM's larger
        // profiled activations (7.38 GiB logged), which the plan does not model.
        expect(Math.abs(plan.kvPoolBytesPerGpu / GIB - fact('kv_pool_per_gpu').value)).toBeLessThan(1.5);
      }
    }
  });

  // deepseek_v2.py keeps latent attention's down-projections whole on every TP rank (fused_qkv_a_proj, a disable_tp
  // MergedColumnParallelLinear of q_a_proj and kv_a_proj_with_mqa; its min-latency GEMM checks the weight is
  // 2112 × 7168 = (1536 + 512 + 64) × hidden), and every MoE router (GateLinear, unquantized); MLA's decode form adds a
  // 16-bit copy of kv_b_proj (W_UK, W_UV). Measured: DeepSeek-R1-0528 at TP8 in FP8 on vLLM 0.11.2, "Model loading
  // took 79.7390 GiB memory" (public-measurements.json). Split over the ranks like the rest of the body, and without
  // the copy, they put it 1.8% low; kept whole, 0.6% low; with the copy, 0.3% low.
  it('DeepSeek-V3 keeps its latent down-projections and routers whole on every TP rank, and a 16-bit kv_b_proj', () => {
    const r1 = catalog.models.find((m) => m.id === 'deepseek-ai/DeepSeek-R1-0528');
    if (!r1) throw new Error('DeepSeek-R1-0528 is not in data/models.json');
    const a = r1.architecture;
    const replicated = tpReplicatedParams(a);
    expect(replicated.quantized).toBe(a.layers * 2112 * 7168);
    expect(replicated.sixteenBit).toBe(58 * 256 * 7168);
    const fact = measurements.memory.find(
      (f) => f.modelId === r1.id && f.metric === 'weights_per_gpu' && f.tensorParallel === 8,
    );
    if (!fact) throw new Error('the DeepSeek-R1-0528 TP8 weights fact is missing');
    const tp8 = { tensorParallel: 8, pipelineParallel: 1 };
    const predicted = weightBytesPerGpu(r1, 'fp8', tp8) / GIB;
    expect(Math.abs(predicted / fact.value - 1)).toBeLessThan(0.005);
    // Held whole, they do not shrink with TP: TP4 holds the same bytes of them as TP8, not twice.
    const tp4 = { tensorParallel: 4, pipelineParallel: 1 };
    const wholeAtTp8 = replicated.quantized * 1 + replicated.sixteenBit * 2;
    expect(2 * weightBytesPerGpu(r1, 'fp8', tp8) - weightBytesPerGpu(r1, 'fp8', tp4)).toBeCloseTo(
      wholeAtTp8,
      -3,
    );
  });

  it('matches every weight and KV figure measured on current vLLM within 2%', () => {
    const gpus = gpusWithVariants(FIXTURE_GPUS, measurements);
    const current = measurements.memory.filter(
      (f) => /^0\.(1[89]|[2-9]\d)/.test(f.vllmVersion) || f.metric === 'weights_per_gpu',
    );
    let checked = 0;
    for (const fact of current) {
      const model = FIXTURE_MODELS.find((m) => m.id === fact.modelId);
      const gpu = gpus.find((g) => g.id === fact.gpuId);
      if (!model || !gpu) continue;
      const built = buildDeployment(model, gpu, fact.gpuCount, fact.tensorParallel, fact.precision, {
        gpuMemoryUtilization: fact.gpuMemoryUtilization,
        kvCacheDtype: fact.kvCacheDtype,
      });
      if (!built.ok) throw new Error(built.reason);
      const plan = built.deployment.memory;
      const predicted = {
        weights_per_gpu: plan.weightBytesPerGpu / GIB,
        kv_pool_per_gpu: plan.kvPoolBytesPerGpu / GIB,
        kv_tokens: plan.kvTokens,
        max_concurrency_at_max_model_len: plan.kvTokens / fact.maxModelLen,
        activation_per_gpu: plan.activationBytesPerGpu / GIB,
        non_torch_per_gpu: plan.nonTorchBytesPerGpu / GIB,
      }[fact.metric];
      const tolerance =
        fact.metric === 'non_torch_per_gpu' || fact.metric === 'activation_per_gpu' ? 0.05 : 0.02;
      expect(Math.abs(predicted - fact.value) / fact.value, `${fact.modelId} ${fact.metric}`).toBeLessThan(
        tolerance,
      );
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(15);
  });
});

describe('feasibility', () => {
  const knowledge = knowledgeWith();
  const base = {
    gpuCount: 1,
    tensorParallel: 1,
    precision: 'bf16' as const,
    promptTokens: 1000,
    outputTokens: 200,
    load: { kind: 'rate' as const, value: 1 },
  };

  it('refuses weights that do not fit and says by how much', () => {
    const result = predictPerformance({ ...base, modelId: LLAMA_70B.id, gpuId: L40S.id }, knowledge);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toContain('141 GB of weights');
    expect(result.reason).toContain('1× L40S has 48 GB');
  });

  it('refuses a tensor-parallel degree that does not divide the attention heads or exceeds a node', () => {
    const odd = predictPerformance(
      { ...base, modelId: PHI_4.id, gpuId: H100.id, gpuCount: 3, tensorParallel: 3 },
      knowledge,
    );
    expect(odd.ok).toBe(false);
    if (!odd.ok) expect(odd.reason).toContain('does not divide');
    const wide = predictPerformance(
      { ...base, modelId: LLAMA_70B.id, gpuId: H100.id, gpuCount: 16, tensorParallel: 16 },
      knowledge,
    );
    expect(wide.ok).toBe(false);
    if (!wide.ok) expect(wide.reason).toContain('at most 8');
  });

  it('refuses a request longer than the KV pool holds', () => {
    const result = predictPerformance(
      { ...base, modelId: LLAMA_8B.id, gpuId: L4.id, promptTokens: 60_000, outputTokens: 1000 },
      knowledge,
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/KV room for \d+ tokens; one request needs 61000/);
  });

  it('accepts what fits and reports the memory it rests on', () => {
    const result = predictPerformance({ ...base, modelId: LLAMA_8B.id, gpuId: H100.id }, knowledge);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { memory } = result.prediction.evidence;
    expect(memory.kvBytesPerToken).toBe(131072);
    expect(memory.weightsGbPerGpu).toBeCloseTo(16.06, 1);
    expect(memory.kvTokens).toBeGreaterThan(400_000);
  });
});
