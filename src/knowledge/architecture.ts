/**
 * Parameter and KV-cache arithmetic of a `ModelArchitecture`, for every layer layout the catalog describes: uniform
 * attention + FFN stacks, MoE with dense and shared-expert layers, multi-head latent attention, windowed attention
 * and recurrent (linear-attention / Mamba) layers. Pure; the planner and the config importer share it.
 */
import type { ModelArchitecture } from './catalog.js';

type Layout = NonNullable<ModelArchitecture['layout']>;

/** The layout of an architecture, spelled out when the catalog leaves it implicit (every layer alike). */
export function layoutOf(a: ModelArchitecture): Layout {
  return (
    a.layout ?? {
      attentionLayers: a.layers,
      windowed: null,
      recurrent: null,
      ffnLayers: a.layers,
      ffnMatrices: 3,
    }
  );
}

/** Share of the attention layers that are windowed (gpt-oss's sliding layers); 0 when every one attends in full. */
export function windowedLayerShare(a: ModelArchitecture): number {
  const { windowed, attentionLayers } = layoutOf(a);
  return windowed ? windowed.layers / attentionLayers : 0;
}

/**
 * Weights of one attention block. Grouped-query: q and o (heads × head dim) plus k and v (KV heads × head dim), each
 * × hidden. Latent (DeepSeek MLA): q through its low-rank pair when q_lora_rank is set, the shared KV down-projection
 * to kv_lora_rank + rope dims, its up-projection to every head's key (nope part) and value, and o.
 */
/** Attention projection weights of one attention layer (q, k, v, o; MLA's down and up projections). */
export function attentionParams(a: ModelArchitecture): number {
  const mla = a.latentAttention;
  if (!mla) return a.hiddenSize * a.headDim * (2 * a.attentionHeads + 2 * a.kvHeads);
  const queryWidth = a.attentionHeads * (mla.qkNopeHeadDim + mla.qkRopeHeadDim);
  const query =
    mla.qLoraRank === null
      ? a.hiddenSize * queryWidth
      : a.hiddenSize * mla.qLoraRank + mla.qLoraRank * queryWidth;
  const kvDown = a.hiddenSize * (mla.kvLoraRank + mla.qkRopeHeadDim);
  const kvUp = mla.kvLoraRank * a.attentionHeads * (mla.qkNopeHeadDim + mla.vHeadDim);
  const output = a.attentionHeads * mla.vHeadDim * a.hiddenSize;
  return query + kvDown + kvUp + output;
}

/**
 * Residual branches a forward pass runs: every attention, recurrent and FFN sublayer opens with its own (fused
 * residual-add +) RMSNorm and closes with a row-parallel projection that all-reduces under TP. A transformer layer has
 * two (attention, FFN); a Nemotron-H layer is one block, a single Mamba-2, attention, MLP or MoE mixer behind one norm
 * (vLLM `NemotronHMambaDecoderLayer`, `NemotronHAttentionDecoderLayer`, `NemotronHMoEDecoderLayer` in
 * vllm/model_executor/models/nemotron_h.py), so its layers have one each.
 */
export function residualBranches(a: ModelArchitecture): number {
  const layout = layoutOf(a);
  return layout.attentionLayers + (layout.recurrent?.layers ?? 0) + layout.ffnLayers;
}

/**
 * FLOPs one prompt token costs the Mamba-2 layers' chunked scans (SSD), over all of them, beside their projections
 * (0 without SSD mixers). vLLM prefills them with mamba_chunk_scan_combined_varlen (vllm/model_executor/layers/mamba/
 * ops/ssd_combined.py), whose Triton kernels multiply per token: _chunk_state_fwd Bᵀx into each chunk's state and
 * _chunk_scan_fwd C·state out of it (2 × heads × head dim × state each), _bmm_chunk_fwd C·Bᵀ over the whole chunk
 * (2 × chunk × groups × state) and _chunk_scan_fwd (C·Bᵀ ∘ decay)·x over the chunk's causal half (chunk × heads ×
 * head dim). The per-chunk cumsum and the state passing between chunks are elementwise.
 */
export function ssdFlopsPerToken(a: ModelArchitecture): number {
  const recurrent = layoutOf(a).recurrent;
  const ssd = recurrent?.ssd;
  if (!recurrent || !ssd) return 0;
  const inner = ssd.heads * ssd.headDim;
  const state = inner * ssd.stateSize;
  const perLayer = 4 * state + ssd.chunkSize * (2 * ssd.groups * ssd.stateSize + inner);
  return recurrent.layers * perLayer;
}

/** Layers whose FFN is a mixture of experts. */
export function moeLayers(a: ModelArchitecture): number {
  return a.moe ? layoutOf(a).ffnLayers - (a.moe.denseLayers ?? 0) : 0;
}

/** Weights of all routed experts (what expert parallelism spreads and a decode step reads only in part). */
export function routedExpertParams(a: ModelArchitecture): number {
  if (!a.moe) return 0;
  const expert = layoutOf(a).ffnMatrices * a.hiddenSize * a.moe.expertIntermediateSize;
  return moeLayers(a) * a.moe.experts * expert;
}

/**
 * Weights vLLM keeps whole on every tensor-parallel rank instead of splitting them, by how they are stored:
 * `quantized` at the checkpoint's precision, `sixteenBit` left unquantized. Latent attention's down-projections
 * (deepseek_v2.py: q_a_proj and kv_a_proj_with_mqa fused into one disable_tp MergedColumnParallelLinear, or
 * kv_a_proj_with_mqa alone a ReplicatedLinear without q_lora_rank) and the sparse-attention indexer's query
 * projection (wq_b, "no tensor parallel, just replicated") take the quantization; the indexer's key and weights
 * projection (wk_weights_proj, quant_config=None) and every MoE router (GateLinear in deepseek_v2.py, quant_config=None
 * ReplicatedLinear in qwen3_moe.py, nn.Linear in glm4_moe.py and gpt_oss.py) stay 16-bit. GLM-4.5 keeps its router
 * in fp32, counted 16-bit here (0.15 GB of 355B). Each is also computed whole on every rank.
 */
export function tpReplicatedParams(a: ModelArchitecture): { quantized: number; sixteenBit: number } {
  const mla = a.latentAttention;
  const attentionLayers = layoutOf(a).attentionLayers;
  const router = a.moe ? moeLayers(a) * a.hiddenSize * a.moe.experts : 0;
  if (!mla) return { quantized: 0, sixteenBit: router };
  const down = a.hiddenSize * ((mla.qLoraRank ?? 0) + mla.kvLoraRank + mla.qkRopeHeadDim);
  const indexer = mla.sparse;
  const indexerQuery = indexer ? (mla.qLoraRank ?? 0) * indexer.indexerHeads * indexer.indexerHeadDim : 0;
  const indexerKey = indexer ? a.hiddenSize * (indexer.indexerHeadDim + indexer.indexerHeads) : 0;
  return {
    quantized: attentionLayers * (down + indexerQuery),
    sixteenBit: router + attentionLayers * indexerKey,
  };
}

/**
 * Parameters from the architecture's matrices: attention in the attention layers, the recurrent mixers, every FFN
 * (dense layers at their own width; MoE layers with all experts, shared experts, the always-on shared path and the
 * router), the embedding and, when untied, the LM head. Norms, biases and convolution taps (< 0.5%) are left out;
 * so are multi-token-prediction layers, which vLLM loads only for speculative decoding. Active counts only the
 * experts a token is routed to.
 */
export function parameterCounts(a: ModelArchitecture): { total: number; active: number } {
  const layout = layoutOf(a);
  const matrix = layout.ffnMatrices * a.hiddenSize;
  const attention = layout.attentionLayers * attentionParams(a);
  const recurrent = layout.recurrent ? layout.recurrent.layers * layout.recurrent.paramsPerLayer : 0;
  const vocabulary = a.vocabSize * a.hiddenSize * (a.tiedEmbeddings ? 1 : 2);
  const common = attention + recurrent + vocabulary;
  if (!a.moe) {
    const ffn = layout.ffnLayers * matrix * a.intermediateSize;
    return { total: common + ffn, active: common + ffn };
  }
  const expert = matrix * a.moe.expertIntermediateSize;
  const dense = (a.moe.denseLayers ?? 0) * matrix * (a.moe.denseIntermediateSize ?? 0);
  const perLayer = matrix * a.intermediateSize + a.hiddenSize * a.moe.experts;
  const sparse = moeLayers(a);
  return {
    total: common + dense + sparse * (perLayer + (a.moe.experts + a.moe.sharedExperts) * expert),
    active: common + dense + sparse * (perLayer + (a.moe.expertsPerToken + a.moe.sharedExperts) * expert),
  };
}

/**
 * KV-cache values one token stores in one attention layer, over all its KV heads: K and V per head for grouped-query
 * attention; for latent attention the single compressed latent (kv_lora_rank) plus the shared rope key, which vLLM
 * caches as one "head" of kv_lora_rank + qk_rope_head_dim (vllm MLAAttention: head_size = kv_lora_rank +
 * qk_rope_head_dim, num_kv_heads = 1).
 */
export function kvValuesPerTokenPerLayer(a: ModelArchitecture): number {
  const mla = a.latentAttention;
  return mla ? mla.kvLoraRank + mla.qkRopeHeadDim : 2 * a.kvHeads * a.headDim;
}
