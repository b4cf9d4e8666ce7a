/**
 * GLM-4.5 / 4.6 (`glm4_moe`): grouped-query attention; the first `first_k_dense_replace` layers have a dense FFN,
 * the rest 128–160 routed experts plus `n_shared_experts` always-on experts of the same width. Fields:
 * transformers' `configuration_glm4_moe.py`.
 */
import type { ArchitectureFamily } from './family.js';
import { readAttention, readExperts } from './family.js';
import { mtpNote } from './latent.js';

export const GLM_FAMILIES: Record<string, ArchitectureFamily> = {
  glm4_moe: {
    family: 'glm',
    tiedEmbeddings: false,
    read(f) {
      const { contextWindow, ...attention } = readAttention(f);
      const experts = readExperts(f, {
        experts: ['n_routed_experts'],
        expertsPerToken: ['num_experts_per_tok'],
        expertIntermediateSize: 'moe_intermediate_size',
      });
      const denseLayers = f.intOr('first_k_dense_replace', 1);
      if (denseLayers > attention.layers) {
        f.problems.push(
          `${f.path('first_k_dense_replace')} ${denseLayers} exceeds num_hidden_layers ${attention.layers}`,
        );
      }
      mtpNote(f);
      return {
        architecture: {
          ...attention,
          intermediateSize: 0,
          moe: {
            ...experts,
            sharedExperts: f.intOr('n_shared_experts', 1),
            denseLayers,
            denseIntermediateSize: denseLayers > 0 ? f.int('intermediate_size') : 0,
          },
        },
        contextWindow,
      };
    },
  },
};
