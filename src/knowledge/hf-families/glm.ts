/**
 * GLM-4.5 / 4.6 (`glm4_moe`): grouped-query attention; the first `first_k_dense_replace` layers have a dense FFN,
 * the rest 128–160 routed experts plus `n_shared_experts` always-on experts of the same width. Fields:
 * transformers' `configuration_glm4_moe.py`.
 */
import type { ArchitectureFamily } from './family.js';
import { readAttention, readDenseThenSparse } from './family.js';

export const GLM_FAMILIES: Record<string, ArchitectureFamily> = {
  glm4_moe: {
    family: 'glm',
    tiedEmbeddings: false,
    read(f) {
      const { contextWindow, ...attention } = readAttention(f);
      const moe = readDenseThenSparse(f, attention.layers, { sharedExperts: 1, denseLayers: 1 });
      return {
        architecture: {
          ...attention,
          intermediateSize: 0,
          moe,
        },
        contextWindow,
      };
    },
  },
};
