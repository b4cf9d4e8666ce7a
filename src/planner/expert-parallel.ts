/**
 * MoE serving shapes vLLM offers beside plain TP (docs.vllm.ai serving/expert_parallel_deployment and
 * data_parallel_deployment): expert parallelism (--enable-expert-parallel) places the routed experts whole over the
 * TP × DP GPUs of a node (EP size = TP × DP) and swaps each MoE layer's all-reduce for an all-to-all dispatch of the
 * tokens to their experts and a combine of the results; attention data parallelism (--data-parallel-size) runs DP
 * attention ranks, each with its own batch and KV cache, in lockstep through the expert layers. With latent
 * attention, which TP cannot shard, each DP rank keeps only its own sequences' KV, where TP keeps every sequence's
 * whole latent on every GPU.
 */
import { moeLayers, residualBranches } from '../knowledge/architecture.js';
import type { Gpu, Model, Precision } from '../knowledge/catalog.js';
import { ACTIVATION_BYTES, collectiveBusBytesPerSec } from './assumptions.js';
import { dataParallelOf, type Feasibility, type Parallelism } from './memory.js';
import { expertBufferBytesPerToken, expertKLoopScale, type StepGeometry, stepGeometry } from './step-time.js';

/** GPUs the experts of a stage are spread over. */
export const expertParallelSize = (parallel: Parallelism) =>
  parallel.tensorParallel * dataParallelOf(parallel);

/** Whether vLLM can serve the model with this expert / data parallelism on one node. */
export function checkExpertParallelism(model: Model, gpu: Gpu, parallel: Parallelism): Feasibility {
  const dp = dataParallelOf(parallel);
  if (!parallel.expertParallel) {
    return dp === 1
      ? { ok: true }
      : { ok: false, reason: 'Compass plans attention data parallelism only with expert parallelism' };
  }
  const moe = model.architecture.moe;
  if (!moe) return { ok: false, reason: `${model.name} has no experts to place with expert parallelism` };
  const ep = expertParallelSize(parallel);
  if (ep > gpu.maxPerNode || parallel.pipelineParallel > 1) {
    return {
      ok: false,
      reason: `expert parallelism over ${ep} GPUs is planned within one node of at most ${gpu.maxPerNode} ${gpu.id}`,
    };
  }
  if (moe.experts % ep !== 0) {
    return {
      ok: false,
      reason: `${model.name}'s ${moe.experts} experts do not split evenly over ${ep} GPUs`,
    };
  }
  return { ok: true };
}

/**
 * The step geometry of an expert-parallel replica, per GPU, for the batch of all its DP ranks together: each GPU
 * reads its rank's TP share of the attention and dense weights and 1/EP of the experts, the KV of its rank's
 * sequences only (1/DP of the batch), and does 1/(TP × DP) of the FLOPs. Communication: TP all-reduces inside each
 * rank for attention and dense FFN layers, on the rank's own tokens; per MoE layer a dispatch and a combine, where each
 * GPU sends its tokens' hidden states to the experts they route to ((EP − 1) / EP of those live elsewhere). Both
 * kinds are collectives of the form latency + tokens × cost, so they are added into the step's collective terms.
 */
export function expertParallelGeometry(
  model: Model,
  gpu: Gpu,
  precision: Precision,
  parallel: Parallelism,
  kvBytesPerTokenPerGpu: number,
  checkpoint?: string,
): StepGeometry {
  const { tensorParallel: tp, pipelineParallel: pp } = parallel;
  const dp = dataParallelOf(parallel);
  const ep = expertParallelSize(parallel);
  const arch = model.architecture;
  // Attention and dense weights are those of the TP group each DP rank is; the experts spread over all EP GPUs.
  const rank = stepGeometry(
    model,
    gpu,
    precision,
    { tensorParallel: tp, pipelineParallel: pp },
    kvBytesPerTokenPerGpu,
    checkpoint,
  );
  const sparse = moeLayers(arch);
  const reduces = tp > 1 ? (residualBranches(arch) - sparse) / pp : 0;
  const exchanges = (2 * sparse) / pp;
  const routedCopies = Math.min(arch.moe?.expertsPerToken ?? 1, ep);
  const linkBytesPerSec = collectiveBusBytesPerSec(gpu, ep);
  const exchangeSecPerToken =
    (arch.hiddenSize * ACTIVATION_BYTES * routedCopies * (ep - 1)) / ep / ep / linkBytesPerSec;
  const reduceSecPerToken = rank.allReduceSecPerToken / dp;
  const collectives = reduces + exchanges;
  // The fused-MoE buffers grow from the TP share of an expert's width to its whole width, for every routed slot. The
  // step model leaves TP's own buffers inside its fitted bandwidth, as it does every kernel it does not itemize; what
  // expert parallelism adds to them is itemized here.
  const expertWidth = arch.moe?.expertIntermediateSize ?? 0;
  const wholeExpertBufferBytes =
    rank.paddedExperts > 0
      ? (expertBufferBytesPerToken(arch, expertWidth, 1 / ep) -
          expertBufferBytesPerToken(arch, expertWidth / tp, 1)) /
        pp
      : 0;
  return {
    ...rank,
    expertWeightBytes: rank.expertWeightBytes / dp,
    kvBytesPerToken: kvBytesPerTokenPerGpu / dp,
    activationBytesPerToken: (rank.activationBytesPerToken + wholeExpertBufferBytes) / dp,
    linearFlopsPerToken: rank.linearFlopsPerToken / dp,
    expertFlopsPerToken: rank.expertFlopsPerToken / dp,
    // Expert parallelism keeps each expert whole on its GPU: its down projection loops over the full width.
    expertKLoopScale: expertKLoopScale(arch, precision, 1),
    lmHeadFlopsPerSample: rank.lmHeadFlopsPerSample / dp,
    attentionFlopsPerContextToken: rank.attentionFlopsPerContextToken / dp,
    prefillAttentionFlopsPerContextToken: rank.prefillAttentionFlopsPerContextToken / dp,
    indexerFlopsPerContextToken: rank.indexerFlopsPerContextToken / dp,
    indexerKeyBytesPerToken: rank.indexerKeyBytesPerToken / dp,
    allReducesPerStageStep: collectives,
    allReduceSecPerToken:
      collectives > 0 ? (reduces * reduceSecPerToken + exchanges * exchangeSecPerToken) / collectives : 0,
  };
}
