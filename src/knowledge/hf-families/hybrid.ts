/**
 * Hybrids whose attention layers are a minority: the rest are recurrent mixers that keep a constant state per
 * sequence instead of a per-token KV cache.
 *
 * - Qwen3-Next and Qwen3.5 (`qwen3_next`, `qwen3_5_text`, `qwen3_5_moe_text`): three Gated DeltaNet layers to one
 *   gated full-attention layer (`layer_types`, else `full_attention_interval`), every layer with an FFN.
 * - Nemotron-H (`nemotron_h`): each layer is one block, Mamba-2 (`M`), attention (`*`), a squared-ReLU MLP (`-`) or
 *   MoE (`E`), in the order `hybrid_override_pattern` spells.
 *
 * Recurrent state sizes follow vLLM's MambaStateShapeCalculator: gated DeltaNet keeps a causal-conv state of
 * (2 × key dim + value dim) × (kernel − 1) and a recurrent state of value heads × key head dim × value head dim;
 * Mamba-2 keeps (inner + 2 × groups × state) × (kernel − 1) and heads × head dim × state, at the model's 16-bit dtype.
 * A config's `mamba_ssm_dtype` sets the recurrent (not the conv) state's dtype: Qwen3.5's says float32, which vLLM
 * honours in every release that serves Qwen3.5 (0.17.0 on): `Qwen3_5ForConditionalGenerationConfig` copies it into
 * cache_config.mamba_ssm_cache_dtype when the CLI leaves it "auto" (vllm-project/vllm#34489, February 2026).
 */
import type { ModelArchitecture } from '../catalog.js';
import type { ArchitectureFamily } from './family.js';
import { layerTypes, readAttention, readExperts } from './family.js';
import type { ConfigFields } from './fields.js';

const BYTES_16 = 2;

/** Bytes per value of the recurrent state: 4 where `mamba_ssm_dtype` asks for float32, else the model's 16 bits. */
const ssmStateBytes = (f: ConfigFields) => (f.json.mamba_ssm_dtype === 'float32' ? 4 : BYTES_16);

function gatedDeltaNet(f: ConfigFields, hiddenSize: number) {
  const keyHeads = f.intOr('linear_num_key_heads', 16);
  const valueHeads = f.intOr('linear_num_value_heads', 32);
  const keyDim = keyHeads * f.intOr('linear_key_head_dim', 128);
  const valueHeadDim = f.intOr('linear_value_head_dim', 128);
  const valueDim = valueHeads * valueHeadDim;
  const kernel = f.intOr('linear_conv_kernel_dim', 4);
  const convDim = 2 * keyDim + valueDim;
  // q, k, v and the output gate z in; beta and alpha per value head; out; the depthwise conv taps.
  const params =
    hiddenSize * (convDim + valueDim + 2 * valueHeads) + valueDim * hiddenSize + convDim * kernel;
  const convState = convDim * (kernel - 1);
  const recurrentState = valueHeads * (keyDim / keyHeads) * valueHeadDim;
  return { params, stateBytes: convState * BYTES_16 + recurrentState * ssmStateBytes(f) };
}

function qwenHybrid(moe: boolean): ArchitectureFamily {
  return {
    family: 'qwen',
    tiedEmbeddings: false,
    read(f) {
      const { contextWindow, ...attention } = readAttention(f, { headDim: 256, kvHeads: 2 });
      const { layers, hiddenSize } = attention;
      const interval = f.intOr('full_attention_interval', 4);
      const kinds =
        layerTypes(f, layers, ['linear_attention', 'full_attention']) ??
        Array.from({ length: layers }, (_, i) =>
          (i + 1) % interval === 0 ? 'full_attention' : 'linear_attention',
        );
      const linear = kinds.filter((kind) => kind === 'linear_attention').length;
      const deltaNet = gatedDeltaNet(f, hiddenSize);
      const dense = f.json.mlp_only_layers;
      if (Array.isArray(dense) && dense.length > 0) {
        f.problems.push(
          `${f.path('mlp_only_layers')} makes ${dense.length} layer(s) dense: layers that mix dense and expert FFNs are not understood`,
        );
      }
      const experts: ModelArchitecture['moe'] = moe
        ? {
            ...readExperts(f, {
              experts: ['num_experts'],
              expertsPerToken: ['num_experts_per_tok'],
              expertIntermediateSize: 'moe_intermediate_size',
            }),
            sharedExperts: 0,
          }
        : null;
      return {
        architecture: {
          ...attention,
          intermediateSize: moe ? f.int('shared_expert_intermediate_size', 0) : f.int('intermediate_size'),
          moe: experts,
          layout: {
            attentionLayers: layers - linear,
            windowed: null,
            recurrent:
              linear > 0
                ? {
                    kind: 'gated_deltanet',
                    layers: linear,
                    paramsPerLayer: deltaNet.params,
                    stateBytes: linear * deltaNet.stateBytes,
                  }
                : null,
            ffnLayers: layers,
            ffnMatrices: 3,
          },
        },
        contextWindow,
      };
    },
  };
}

/** Nemotron-H block letters; vLLM and transformers spell the same layout as `layers_block_type` words. */
const NEMOTRON_BLOCKS: Record<string, 'mamba' | 'attention' | 'mlp' | 'moe'> = {
  M: 'mamba',
  '*': 'attention',
  '-': 'mlp',
  E: 'moe',
};

function nemotronBlocks(f: ConfigFields): string[] {
  const pattern = f.json.hybrid_override_pattern;
  if (typeof pattern === 'string') {
    const odd = [...new Set([...pattern].filter((letter) => !(letter in NEMOTRON_BLOCKS)))];
    if (odd.length > 0) {
      f.problems.push(
        `${f.path('hybrid_override_pattern')} has block(s) ${odd.map((x) => JSON.stringify(x)).join(', ')}; understood: M (Mamba-2), * (attention), - (MLP), E (MoE)`,
      );
    }
    return [...pattern].map((letter) => NEMOTRON_BLOCKS[letter] ?? letter);
  }
  if (Array.isArray(f.json.layers_block_type)) return f.json.layers_block_type.map(String);
  f.problems.push(
    `${f.path('hybrid_override_pattern')} is missing: it says which layers are Mamba, attention or MLP`,
  );
  return [];
}

const nemotronH: ArchitectureFamily = {
  family: 'nemotron',
  tiedEmbeddings: false,
  read(f) {
    const { contextWindow, ...attention } = readAttention(f);
    const { layers, hiddenSize } = attention;
    const blocks = nemotronBlocks(f);
    if (blocks.length > 0 && blocks.length !== layers) {
      f.problems.push(
        `${f.path('hybrid_override_pattern')} has ${blocks.length} blocks but num_hidden_layers is ${layers}`,
      );
    }
    const count = (kind: string) => blocks.filter((block) => block === kind).length;
    const heads = f.int('mamba_num_heads');
    const headDim = f.int('mamba_head_dim');
    const stateSize = f.int('ssm_state_size');
    const groups = f.intOr('n_groups', 8);
    const kernel = f.intOr('conv_kernel', 4);
    const inner = heads * headDim;
    const convDim = inner + 2 * groups * stateSize;
    const mambaParams =
      hiddenSize * (2 * inner + 2 * groups * stateSize + heads) + convDim * kernel + inner * hiddenSize;
    const mambaState = convDim * (kernel - 1) + heads * headDim * stateSize;
    const moeLayers = count('moe');
    const mlpLayers = count('mlp');
    const moe: ModelArchitecture['moe'] =
      moeLayers > 0
        ? {
            ...readExperts(f, {
              experts: ['n_routed_experts'],
              expertsPerToken: ['num_experts_per_tok'],
              expertIntermediateSize: 'moe_intermediate_size',
            }),
            sharedExperts: 0,
            denseLayers: mlpLayers,
            denseIntermediateSize: mlpLayers > 0 ? f.int('intermediate_size') : 0,
          }
        : null;
    const mamba = count('mamba');
    return {
      architecture: {
        ...attention,
        intermediateSize: moe ? f.int('moe_shared_expert_intermediate_size', 0) : f.int('intermediate_size'),
        moe,
        layout: {
          attentionLayers: count('attention'),
          windowed: null,
          recurrent:
            mamba > 0
              ? {
                  kind: 'mamba2',
                  layers: mamba,
                  paramsPerLayer: mambaParams,
                  stateBytes: mamba * mambaState * BYTES_16,
                  // transformers' NemotronHConfig defaults chunk_size to 128, the SSD chunk vLLM's mixer scans in.
                  ssd: { heads, headDim, stateSize, groups, chunkSize: f.intOr('chunk_size', 128) },
                }
              : null,
          ffnLayers: mlpLayers + moeLayers,
          ffnMatrices: 2,
        },
      },
      contextWindow,
    };
  },
};

export const HYBRID_FAMILIES: Record<string, ArchitectureFamily> = {
  qwen3_next: qwenHybrid(true),
  qwen3_5_moe_text: qwenHybrid(true),
  qwen3_5_text: qwenHybrid(false),
  nemotron_h: nemotronH,
};
