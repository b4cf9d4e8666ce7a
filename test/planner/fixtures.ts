/**
 * Real published architectures and GPU specifications for planner tests (and for the accuracy bench where the
 * catalog lacks an entry). Architecture figures are the models' Hugging Face config.json values; GPU figures are
 * vendor datasheet values (dense, no sparsity).
 */
import type { BenchmarkPoint, Gpu, Knowledge, Model } from '../../src/knowledge/catalog.js';

const hf = (id: string) => [
  { url: `https://huggingface.co/${id}/blob/main/config.json`, title: `${id} config.json` },
];
const price = {
  usdPerGpuHour: 1,
  provider: 'fixture',
  instanceType: 'fixture',
  region: 'fixture',
  asOf: '2025-01-01',
};

function gpu(spec: Omit<Gpu, 'price' | 'aliases' | 'sources' | 'vendor'> & { url: string }): Gpu {
  const { url, ...rest } = spec;
  return {
    ...rest,
    vendor: 'nvidia',
    price,
    aliases: [rest.id.toLowerCase()],
    sources: [{ url, title: rest.name }],
  };
}

export const H100 = gpu({
  id: 'H100',
  name: 'NVIDIA H100 SXM 80GB',
  memoryGb: 80,
  memoryBandwidthGBps: 3350,
  bf16Tflops: 989,
  fp8Tflops: 1979,
  interconnect: { kind: 'nvlink', bandwidthGBps: 900 },
  maxPerNode: 8,
  url: 'https://www.nvidia.com/en-us/data-center/h100/',
});

export const H200 = gpu({
  id: 'H200',
  name: 'NVIDIA H200 SXM 141GB',
  memoryGb: 141,
  memoryBandwidthGBps: 4800,
  bf16Tflops: 989,
  fp8Tflops: 1979,
  interconnect: { kind: 'nvlink', bandwidthGBps: 900 },
  maxPerNode: 8,
  url: 'https://www.nvidia.com/en-us/data-center/h200/',
});

export const A100_80GB = gpu({
  id: 'A100-80GB',
  name: 'NVIDIA A100 SXM 80GB',
  memoryGb: 80,
  memoryBandwidthGBps: 2039,
  bf16Tflops: 312,
  fp8Tflops: null,
  interconnect: { kind: 'nvlink', bandwidthGBps: 600 },
  maxPerNode: 8,
  url: 'https://www.nvidia.com/en-us/data-center/a100/',
});

/** Azure NC A100 v4: PCIe A100s, no NVLink. */
export const A100_80GB_PCIE = gpu({
  id: 'A100-80GB-PCIe',
  name: 'NVIDIA A100 PCIe 80GB',
  memoryGb: 80,
  memoryBandwidthGBps: 1935,
  bf16Tflops: 312,
  fp8Tflops: null,
  interconnect: { kind: 'pcie', bandwidthGBps: 64 },
  maxPerNode: 4,
  url: 'https://www.nvidia.com/en-us/data-center/a100/',
});

export const L40S = gpu({
  id: 'L40S',
  name: 'NVIDIA L40S 48GB',
  memoryGb: 48,
  memoryBandwidthGBps: 864,
  bf16Tflops: 362,
  fp8Tflops: 733,
  interconnect: { kind: 'pcie', bandwidthGBps: 64 },
  maxPerNode: 8,
  url: 'https://www.nvidia.com/en-us/data-center/l40s/',
});

export const L4 = gpu({
  id: 'L4',
  name: 'NVIDIA L4 24GB',
  memoryGb: 24,
  memoryBandwidthGBps: 300,
  bf16Tflops: 121,
  fp8Tflops: 242,
  interconnect: { kind: 'pcie', bandwidthGBps: 64 },
  maxPerNode: 8,
  url: 'https://www.nvidia.com/en-us/data-center/l4/',
});

type Arch = Model['architecture'];

function model(
  id: string,
  name: string,
  paramsTotalB: number,
  paramsActiveB: number,
  arch: Arch,
  ctx: number,
): Model {
  return {
    id,
    name,
    family: id.split('/')[1]!.split('-')[0]!.toLowerCase(),
    aliases: [name.toLowerCase()],
    paramsTotalB,
    paramsActiveB,
    architecture: arch,
    contextWindow: ctx,
    license: 'fixture',
    tasks: ['chatbot_conversational'],
    precisions: [
      { precision: 'bf16', checkpoint: id },
      { precision: 'fp8', checkpoint: null },
      { precision: 'int4', checkpoint: `${id}-int4` },
    ],
    quality: { chatbot_conversational: 50 },
    qualityEvidence: [],
    sources: hf(id),
  };
}

const dense = (
  layers: number,
  hiddenSize: number,
  intermediateSize: number,
  attentionHeads: number,
  kvHeads: number,
  vocabSize: number,
  tiedEmbeddings = false,
  headDim = 128,
): Arch => ({
  layers,
  hiddenSize,
  intermediateSize,
  attentionHeads,
  kvHeads,
  headDim,
  vocabSize,
  tiedEmbeddings,
  moe: null,
});

export const LLAMA_8B = model(
  'meta-llama/Llama-3.1-8B-Instruct',
  'Llama 3.1 8B Instruct',
  8.03,
  8.03,
  dense(32, 4096, 14336, 32, 8, 128256),
  131072,
);
export const LLAMA_70B = model(
  'meta-llama/Llama-3.3-70B-Instruct',
  'Llama 3.3 70B Instruct',
  70.55,
  70.55,
  dense(80, 8192, 28672, 64, 8, 128256),
  131072,
);
export const PHI_4 = model(
  'microsoft/phi-4',
  'Phi-4',
  14.66,
  14.66,
  dense(40, 5120, 17920, 40, 10, 100352),
  16384,
);
export const QWEN25_7B = model(
  'Qwen/Qwen2.5-7B-Instruct',
  'Qwen2.5 7B Instruct',
  7.62,
  7.62,
  dense(28, 3584, 18944, 28, 4, 152064),
  32768,
);
export const QWEN3_14B = model(
  'Qwen/Qwen3-14B',
  'Qwen3 14B',
  14.77,
  14.77,
  dense(40, 5120, 17408, 40, 8, 151936),
  40960,
);
export const QWEN3_32B = model(
  'Qwen/Qwen3-32B',
  'Qwen3 32B',
  32.76,
  32.76,
  dense(64, 5120, 25600, 64, 8, 151936),
  40960,
);
export const QWEN3_06B = model(
  'Qwen/Qwen3-0.6B',
  'Qwen3 0.6B',
  0.596,
  0.596,
  dense(28, 1024, 3072, 16, 8, 151936, true),
  40960,
);
/**
 * Qwen2.5-0.5B-Instruct's config.json (qwen2: 24 layers, hidden 896, FFN 4864, 14 heads, 2 KV heads, tied embeddings).
 * It sets no head_dim: vLLM's Qwen2Attention takes hidden_size // num_attention_heads, 64 (vllm/model_executor/models/
 * qwen2.py).
 */
export const QWEN25_05B = model(
  'Qwen/Qwen2.5-0.5B-Instruct',
  'Qwen2.5 0.5B Instruct',
  0.494,
  0.494,
  dense(24, 896, 4864, 14, 2, 151936, true, 64),
  32768,
);
export const MISTRAL_SMALL_24B = model(
  'mistralai/Mistral-Small-3.2-24B-Instruct-2506',
  'Mistral Small 3.2 24B',
  24.0,
  24.0,
  dense(40, 5120, 32768, 32, 8, 131072),
  131072,
);
export const MIXTRAL_8X7B = model(
  'mistralai/Mixtral-8x7B-Instruct-v0.1',
  'Mixtral 8x7B Instruct',
  46.7,
  12.9,
  {
    ...dense(32, 4096, 0, 32, 8, 32000),
    moe: { experts: 8, expertsPerToken: 2, expertIntermediateSize: 14336, sharedExperts: 0 },
  },
  32768,
);
/** Every other layer attends to the last `window` tokens only (gpt-oss). */
const slidingWindowLayout = (layers: number, window: number) => ({
  attentionLayers: layers,
  windowed: { layers: layers / 2, window },
  recurrent: null,
  ffnLayers: layers,
  ffnMatrices: 3 as const,
});
export const GPT_OSS_20B = model(
  'openai/gpt-oss-20b',
  'gpt-oss 20B',
  20.9,
  3.6,
  {
    ...dense(24, 2880, 0, 64, 8, 201088, false, 64),
    moe: { experts: 32, expertsPerToken: 4, expertIntermediateSize: 2880, sharedExperts: 0 },
    // config.json layer_types: sliding_attention (window 128) alternating with full_attention.
    layout: slidingWindowLayout(24, 128),
  },
  131072,
);
export const GPT_OSS_120B = model(
  'openai/gpt-oss-120b',
  'gpt-oss 120B',
  116.8,
  5.1,
  {
    ...dense(36, 2880, 0, 64, 8, 201088, false, 64),
    moe: { experts: 128, expertsPerToken: 4, expertIntermediateSize: 2880, sharedExperts: 0 },
    // config.json layer_types: sliding_attention (window 128) alternating with full_attention.
    layout: slidingWindowLayout(36, 128),
  },
  131072,
);

export const FIXTURE_GPUS: Gpu[] = [H100, H200, A100_80GB, A100_80GB_PCIE, L40S, L4];
export const FIXTURE_MODELS: Model[] = [
  LLAMA_8B,
  LLAMA_70B,
  PHI_4,
  QWEN25_7B,
  QWEN3_14B,
  QWEN3_32B,
  QWEN3_06B,
  MISTRAL_SMALL_24B,
  MIXTRAL_8X7B,
  GPT_OSS_20B,
  GPT_OSS_120B,
];

/** Models public measurements ran that neither the catalog nor the planner tests use: the bench scores those runs with them. */
export const MEASUREMENT_ONLY_MODELS: Model[] = [QWEN25_05B];

export function knowledgeWith(benchmarks: BenchmarkPoint[] = []): Knowledge {
  return { gpus: FIXTURE_GPUS, models: FIXTURE_MODELS, useCases: [], benchmarks };
}
