/**
 * A checkpoint's quantization scope: what it keeps at 16 bits although it ships a lower precision. Meta's FP8 Llama
 * 3.1 405B quantizes only the feed-forward layers of layers 1–124 (Llama 3 paper, arXiv 2407.21783, §6.2; its
 * quantization_config's modules_to_not_convert); AMD's Quark FP8-KV checkpoint quantizes every linear layer but
 * lm_head (its model card). Memory and step time price the checkpoint a deployment serves.
 */
import { describe, expect, it } from 'vitest';
import { attentionParams } from '../../src/knowledge/architecture.js';
import { GIB } from '../../src/planner/assumptions.js';
import { buildDeployment, catalogPair } from '../../src/planner/deployment.js';
import { parameterSplit, unquantizedBodyParams, weightBytesPerGpu } from '../../src/planner/memory.js';
import { catalog } from './catalog-knowledge.js';

const LLAMA_405B = catalog.models.find((m) => m.id === 'meta-llama/Llama-3.1-405B-Instruct')!;
const H100 = catalog.gpus.find((g) => g.id === 'H100')!;
const AMD_405B_FP8 = 'amd/Llama-3.1-405B-Instruct-FP8-KV';
const TP8 = { tensorParallel: 8, pipelineParallel: 1 };

describe('quantization scope of a checkpoint', () => {
  it('keeps every attention projection and the first and last layers whole at 16 bits', () => {
    const a = LLAMA_405B.architecture;
    const attention = a.layers * attentionParams(a);
    const ffnPerLayer = (parameterSplit(LLAMA_405B).body - attention) / a.layers;
    // A Llama 3.1 405B layer's FFN: gate, up and down, 3 × 16384 × 53248 weights.
    expect(ffnPerLayer / (3 * a.hiddenSize * a.intermediateSize)).toBeCloseTo(1, 3);
    expect(unquantizedBodyParams(LLAMA_405B, 'fp8')).toBeCloseTo(attention + 2 * ffnPerLayer, -3);
  });

  it("keeps Nemotron 3 Nano FP8's attention and the six Mamba mixers that feed it at 16 bits", () => {
    const nano = catalog.models.find((m) => m.id === 'nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16')!;
    const a = nano.architecture;
    const mixer = a.layout?.recurrent?.paramsPerLayer ?? 0;
    expect(mixer).toBe(38_731_776);
    expect(unquantizedBodyParams(nano, 'fp8')).toBe(6 * attentionParams(a) + 6 * mixer);
  });

  it('is empty for a checkpoint that quantizes every linear layer, and for 16-bit weights', () => {
    expect(unquantizedBodyParams(LLAMA_405B, 'fp8', AMD_405B_FP8)).toBe(0);
    expect(unquantizedBodyParams(LLAMA_405B, 'bf16')).toBe(0);
  });

  // vllm-project/vllm#6746: vLLM 0.5.3 serving meta-llama/Meta-Llama-3.1-405B-Instruct-FP8 on 8× H100 (TP8) logs
  // "Loading model weights took 57.7520 GB" on every rank (GiB: model_runner divides by 2**30). The whole body at
  // FP8 would be 47.7 GiB, 17% short.
  it('reproduces the weights vLLM loads per GPU for Meta’s FP8 405B at TP8 within 2%', () => {
    const measuredGib = 57.752;
    const meta = weightBytesPerGpu(LLAMA_405B, 'fp8', TP8) / GIB;
    expect(Math.abs(meta / measuredGib - 1)).toBeLessThan(0.02);
    const amd = weightBytesPerGpu(LLAMA_405B, 'fp8', TP8, AMD_405B_FP8) / GIB;
    expect(amd / measuredGib).toBeLessThan(0.85);
  });

  it('prices the checkpoint a deployment names: its KV pool, the bytes a step reads and the GEMM rate', () => {
    const built = (checkpoint?: string) => {
      const result = buildDeployment(LLAMA_405B, H100, 8, 8, 'fp8', {}, {}, checkpoint);
      if (!result.ok) throw new Error(result.reason);
      return result.deployment;
    };
    const meta = built();
    const amd = built(AMD_405B_FP8);
    expect(meta.memory.kvPoolBytesPerGpu).toBeLessThan(amd.memory.kvPoolBytesPerGpu);
    expect(meta.geometry.fixedWeightBytes - amd.geometry.fixedWeightBytes).toBeCloseTo(
      meta.memory.weightBytesPerGpu - amd.memory.weightBytesPerGpu,
      -6,
    );
    // The 16-bit layers run BF16 GEMMs: the body's rate lies between the BF16 and FP8 peaks.
    expect(amd.geometry.peakLinearFlops / ((H100.fp8Tflops ?? 0) * 1e12)).toBeCloseTo(1, 9);
    expect(meta.geometry.peakLinearFlops).toBeLessThan(amd.geometry.peakLinearFlops);
    expect(meta.geometry.peakLinearFlops).toBeGreaterThan(H100.bf16Tflops * 1e12);
  });

  it('refuses a checkpoint the catalog does not list for the precision', () => {
    const config = { modelId: LLAMA_405B.id, gpuId: 'H100', precision: 'fp8' as const };
    expect(catalogPair({ ...config, checkpoint: AMD_405B_FP8 }, LLAMA_405B, H100).ok).toBe(true);
    expect(catalogPair({ ...config, checkpoint: 'someone/405B-FP8' }, LLAMA_405B, H100)).toEqual({
      ok: false,
      reason: 'Llama 3.1 405B Instruct lists no fp8 checkpoint someone/405B-FP8',
    });
  });
});
