import { describe, expect, it } from 'vitest';
import { formatPlan } from '../../src/cli/format.js';
import { simulatorSettings } from '../../src/cli/simulator.js';
import { loadConfig } from '../../src/config/index.js';
import { checkManifests, deployPolicy, ManifestSettings, renderManifests } from '../../src/deploy/index.js';
import type { Knowledge } from '../../src/knowledge/catalog.js';
import { readCatalogFiles } from '../../src/knowledge/data-files.js';
import { buildDeployment } from '../../src/planner/deployment.js';
import { engineTimingFor } from '../../src/planner/engine-timing.js';
import { checkExpertParallelism } from '../../src/planner/expert-parallel.js';
import {
  describeShape,
  planDeployment,
  predictPerformance,
  replicaHourlyUsd,
  whatIf,
} from '../../src/planner/index.js';
import type { DeploymentConfig } from '../../src/planner/schema.js';
import { optionDetailsView } from '../../src/slack/blocks/details.js';
import { buildSpec } from '../../src/spec/index.js';
import { flagValue, serverOf } from '../deploy/fixtures.js';
import { intentWith } from '../fixtures/intent.js';

const knowledge: Knowledge = { ...readCatalogFiles(), benchmarks: [] };
const model = (id: string) => knowledge.models.find((candidate) => candidate.id === id)!;
const gpu = (id: string) => knowledge.gpus.find((candidate) => candidate.id === id)!;
const V3 = 'deepseek-ai/DeepSeek-V3';
const QWEN3_235B = 'Qwen/Qwen3-235B-A22B';

/** One H200 node of DeepSeek V3 at fp8: plain TP8, TP8 with the experts spread (EP8), eight DP attention ranks with EP8. */
interface Shape {
  tensorParallel: number;
  dataParallel?: number;
  expertParallel?: boolean;
}
const SHAPES: Record<'tp' | 'tpEp' | 'dpEp', Shape> = {
  tp: { tensorParallel: 8 },
  tpEp: { tensorParallel: 8, expertParallel: true },
  dpEp: { tensorParallel: 1, dataParallel: 8, expertParallel: true },
};

function deployed(shape: Shape, modelId = V3) {
  const built = buildDeployment(model(modelId), gpu('H200'), 8, shape.tensorParallel, 'fp8', {}, shape);
  if (!built.ok) throw new Error(built.reason);
  return built.deployment;
}

function predicted(shape: Shape, concurrency: number, promptTokens = 1024) {
  const config: DeploymentConfig = {
    modelId: V3,
    gpuId: 'H200',
    gpuCount: 8,
    precision: 'fp8',
    promptTokens,
    outputTokens: 256,
    ...shape,
  };
  const result = predictPerformance(
    { ...config, load: { kind: 'concurrency', value: concurrency } },
    knowledge,
  );
  if (!result.ok) throw new Error(result.reason);
  return result.prediction;
}

describe('expert parallelism and data-parallel attention', () => {
  it('spread the experts over every GPU and give each DP rank its own dense weights and KV cache', () => {
    const tp = deployed(SHAPES.tp);
    const tpEp = deployed(SHAPES.tpEp);
    const dpEp = deployed(SHAPES.dpEp);
    // EP over the TP GPUs holds the same bytes per GPU: whole experts instead of slices of all of them.
    expect(tpEp.memory.weightBytesPerGpu).toBeCloseTo(tp.memory.weightBytesPerGpu, -3);
    // Each DP rank keeps all attention and dense weights (TP1): more per GPU, though the experts stay spread.
    expect(dpEp.memory.weightBytesPerGpu).toBeGreaterThan(tp.memory.weightBytesPerGpu);
    expect(dpEp.memory.weightBytesPerGpu).toBeLessThan(tp.memory.weightBytesPerGpu * 1.5);
    // Latent attention: TP keeps every sequence's whole latent on every GPU, so the same pool serves eight times the
    // tokens when each rank keeps only its own sequences (less the room its extra weights take).
    expect(dpEp.memory.kvBytesPerTokenPerGpu).toBe(tp.memory.kvBytesPerTokenPerGpu);
    const perGpuPool = dpEp.memory.kvPoolBytesPerGpu / tp.memory.kvPoolBytesPerGpu;
    expect(dpEp.memory.kvTokens / tp.memory.kvTokens).toBeCloseTo(8 * perGpuPool, 1);
    expect(dpEp.memory.kvTokens).toBeGreaterThan(4 * tp.memory.kvTokens);
  });

  it('swap the MoE layers’ all-reduce for dispatch and combine, cheaper per token when a token visits few experts', () => {
    // Mixtral routes each token to 2 of 8 experts: over 8 GPUs a dispatch and a combine move 2 × 2 × 7/64 of a hidden
    // state per GPU, where TP's ring all-reduce moves 2 × 7/8 of one.
    const mixtral = 'mistralai/Mixtral-8x7B-Instruct-v0.1';
    const tp = deployed(SHAPES.tp, mixtral).geometry;
    const ep = deployed(SHAPES.tpEp, mixtral).geometry;
    const communication = (g: typeof tp, tokens: number) =>
      g.allReducesPerStageStep * (g.allReduceLatencySec + tokens * g.allReduceSecPerToken);
    // Attention keeps its all-reduce, each MoE layer two exchanges: more collectives, so more latency at batch 1 …
    expect(ep.allReducesPerStageStep).toBe(tp.allReducesPerStageStep + model(mixtral).architecture.layers);
    expect(communication(ep, 1)).toBeGreaterThan(communication(tp, 1));
    // … and less traffic per token, which wins once batches are large.
    const perToken = (g: typeof tp) => g.allReducesPerStageStep * g.allReduceSecPerToken;
    const layers = model(mixtral).architecture.layers;
    const ring = tp.allReduceSecPerToken;
    // Per exchange k × (EP − 1) / EP² of a hidden state against the ring's 2 × (EP − 1) / EP: k / (2 EP) of it.
    expect(perToken(ep)).toBeCloseTo(layers * ring + 2 * layers * ring * (2 / (2 * 8)), 12);
    expect(perToken(ep)).toBeLessThan(perToken(tp));
  });

  it('run the fused-MoE buffers at the experts’ whole width, with a row for every routed slot, local or not', () => {
    // Qwen3-235B-A22B at TP4 on H100: TP slices each expert's 1536-wide intermediate to 384; EP4 keeps 32 experts
    // whole, and the Triton kernel still writes (zero) rows for the 3/4 of each token's 8 slots that live elsewhere.
    const qwen = 'Qwen/Qwen3-235B-A22B-Instruct-2507';
    const shaped = (shape: Shape) => {
      const built = buildDeployment(model(qwen), gpu('H100'), 4, 4, 'fp8', {}, shape);
      if (!built.ok) throw new Error(built.reason);
      return built.deployment.geometry;
    };
    const tp = shaped({ tensorParallel: 4 });
    const ep = shaped({ tensorParallel: 4, expertParallel: true });
    const { layers, moe } = model(qwen).architecture;
    // Gate/up output written (2w), read by the activation (2w), its output written (w), read where local.
    const buffers = (width: number, local: number) => layers * moe!.expertsPerToken * (5 + local) * width * 2;
    expect(ep.activationBytesPerToken - tp.activationBytesPerToken).toBeCloseTo(
      buffers(1536, 1 / 4) - buffers(384, 1),
      0,
    );
  });

  it('DP attention is slower for one sequence and faster, with more capacity, at large batches of long contexts', () => {
    // One sequence: every DP rank reads its own copy of the dense weights, eight times TP's slice of them.
    expect(predicted(SHAPES.dpEp, 1).itlMs.p50).toBeGreaterThan(predicted(SHAPES.tp, 1).itlMs.p50);
    // Many long sequences: each GPU reads only its rank's latent KV instead of every sequence's.
    const busyTp = predicted(SHAPES.tp, 256, 4096);
    const busyDp = predicted(SHAPES.dpEp, 256, 4096);
    expect(busyDp.itlMs.p50).toBeLessThan(busyTp.itlMs.p50);
    expect(busyDp.capacityRequestsPerSec).toBeGreaterThan(busyTp.capacityRequestsPerSec);
    // TP attention with EP experts reads what TP reads and adds collectives: never faster at one sequence.
    expect(predicted(SHAPES.tpEp, 1).itlMs.p50).toBeGreaterThanOrEqual(predicted(SHAPES.tp, 1).itlMs.p50);
  });

  it('the simulator paces a DP × EP replica as the planner predicts it, from the flags its manifest passes', () => {
    const settings = simulatorSettings(
      { model: V3, gpu: 'H200', tp: '1', dataParallel: '8', expertParallel: 'true', quantization: 'fp8' },
      {},
    );
    expect(settings).toMatchObject({ tp: 1, dataParallel: 8, expertParallel: true });
    const result = engineTimingFor(
      { modelId: V3, gpuId: 'H200', gpuCount: 8, precision: 'fp8', ...SHAPES.dpEp },
      knowledge,
    );
    if (!result.ok) throw new Error(result.reason);
    const { deployment, maxNumSeqs, maxModelLen } = result.timing;
    expect(deployment.parallel).toEqual({
      tensorParallel: 1,
      pipelineParallel: 1,
      dataParallel: 8,
      expertParallel: true,
    });
    // Eight engines' batches, each request within one rank's cache.
    expect(maxNumSeqs).toBe(8 * deployment.engine.maxNumSeqs);
    expect(maxModelLen).toBeLessThanOrEqual(deployment.memory.kvTokens / 8);
  });

  it('are offered only where vLLM can place the experts', () => {
    const dense = checkExpertParallelism(model('meta-llama/Llama-3.1-70B-Instruct'), gpu('H200'), {
      tensorParallel: 8,
      pipelineParallel: 1,
      expertParallel: true,
    });
    expect(dense).toEqual({ ok: false, reason: expect.stringMatching(/has no experts/) });
    // Mixtral's 8 experts do not split over 16 GPUs, nor does EP reach past one node.
    const mixtral = model('mistralai/Mixtral-8x7B-Instruct-v0.1');
    const wide = { tensorParallel: 2, pipelineParallel: 1, dataParallel: 8, expertParallel: true };
    expect(checkExpertParallelism(mixtral, gpu('H200'), wide).ok).toBe(false);
    // DP attention without EP is not a shape Compass plans.
    expect(
      checkExpertParallelism(mixtral, gpu('H200'), {
        tensorParallel: 1,
        pipelineParallel: 1,
        dataParallel: 8,
      }).ok,
    ).toBe(false);
  });

  // DeepSeek V3's DP option on H200 was its int4 checkpoint, whose experts run on Marlin: streamed at Marlin's
  // SM-bound ~2.0 TB/s on Hopper (MARLIN_FOUR_BIT_BYTES_PER_SM_CYCLE), it no longer beats plain TP8 there.
  it('a busy Qwen3-235B plan on H200 shows DP attention with EP beside plain TP, rendered and within the quota', () => {
    const spec = buildSpec(
      intentWith({
        useCase: 'chatbot_conversational',
        users: 5000,
        models: [QWEN3_235B],
        gpuTypes: ['H200'],
      }),
      knowledge.useCases,
    );
    const plan = planDeployment(spec, knowledge, { top: 10 });
    const ids = plan.recommendations.map((option) => option.id);
    const dp = plan.recommendations.find((option) => option.dataParallel === 8);
    expect(dp, ids.join(' ')).toMatchObject({ tensorParallel: 1, expertParallel: true, gpusPerReplica: 8 });
    expect(
      ids.some((id) => !id.includes('|ep|')),
      ids.join(' '),
    ).toBe(true);
    expect(describeShape(dp!)).toMatch(/^Qwen3 235B A22B \w+ on 8× H200 \(DP8 × TP1, EP8\)/);
    // The table's parallelism column and the option's details name the shape and its vLLM flags.
    const row = formatPlan(plan)
      .split('\n')
      .find((line) => line.includes('8× H200 (DP8 × TP1, EP8)'));
    expect(row).toMatch(/\(DP8 × TP1, EP8\)(?: × \d+ replicas)?\s+DP8 × TP1, EP8\s/);
    const details = JSON.stringify(
      optionDetailsView(
        { option: dp!, spec, rank: 1, ranked: plan.recommendations.length, memory: null },
        { conversationId: 'c-1' },
      ),
    );
    expect(details).toContain(
      '8 data-parallel attention ranks of 1 GPU, each with its own batch and KV cache',
    );
    expect(details).toContain('--data-parallel-size 8 --enable-expert-parallel');
    // Priced as the eight GPUs it holds, as the TP8 shape of the same node is.
    expect(dp!.hourlyCostUsd / dp!.replicas).toBeCloseTo(replicaHourlyUsd(gpu('H200'), 8), 1);

    const render = (settings: object) =>
      renderManifests({
        deployId: 'd-0f3a9c',
        name: 'deepseek',
        namespace: 'compass',
        conversationId: 'C024BE91L:1712345678.000100',
        spec,
        option: dp!,
        settings: ManifestSettings.parse(settings),
      });
    const result = render({});
    if (!result.ok) throw new Error(result.reason);
    const server = serverOf(result.objects);
    expect(flagValue(server.args, '--tensor-parallel-size')).toBe('1');
    expect(flagValue(server.args, '--data-parallel-size')).toBe('8');
    expect(server.args).toContain('--enable-expert-parallel');
    expect(server.resources.limits['nvidia.com/gpu']).toBe('8');
    // A what-if keeps the shape for a new load, and asks for plain TP when it names a TP degree.
    const busier = whatIf(spec, dp!, { peakQps: spec.traffic.peakQps.value * 2 }, knowledge);
    expect(busier.scenario.kind === 'planned' && busier.scenario.option.id).toBe(dp!.id);
    const tp8 = whatIf(spec, dp!, { tensorParallel: 8 }, knowledge);
    expect(tp8.scenario.kind === 'planned' && tp8.scenario.option.id).toBe(
      dp!.id.replace('|tp1|dp8|ep|', '|tp8|'),
    );
    const simulated = render({ simulator: true });
    if (!simulated.ok) throw new Error(simulated.reason);
    const simulator = serverOf(simulated.objects).args;
    expect(flagValue(simulator, '--data-parallel-size')).toBe('8');
    expect(flagValue(simulator, '--expert-parallel')).toBe('true');
    const quota = (gpus: number) =>
      deployPolicy(loadConfig({ HOME: '/h', DEPLOY_GPU_QUOTA: String(gpus * dp!.replicas) }));
    expect(checkManifests(result.objects, quota(8))).toEqual([]);
    // The policy counts all eight GPUs of the pod, not the TP degree.
    const short = checkManifests(result.objects, quota(4)).map((problem) => problem.problem);
    expect(short.join(' ')).toMatch(/more than the quota of/);
  });
});
