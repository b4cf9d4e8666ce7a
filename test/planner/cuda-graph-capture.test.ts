import { describe, expect, it } from 'vitest';
import type { EngineSettings } from '../../src/knowledge/catalog.js';
import type { MeasurementSeries } from '../../src/knowledge/measurements.js';
import { cudaGraphCaptureMax, EAGER_LAYER_LAUNCH_SEC } from '../../src/planner/assumptions.js';
import { DEFAULT_FACTORS } from '../../src/planner/calibrate.js';
import { buildDeployment } from '../../src/planner/deployment.js';
import { engineSettingsOf } from '../../src/planner/public-measurements.js';
import { decodeStepSec, stageStepSec } from '../../src/planner/step-time.js';
import { catalogGpu, catalogModel } from './catalog-knowledge.js';

function geometryOf(gpuId: string, engine: EngineSettings = {}) {
  const built = buildDeployment(catalogModel('zai-org/GLM-4.6'), catalogGpu(gpuId), 8, 8, 'fp8', engine);
  if (!built.ok) throw new Error(built.reason);
  return built.deployment.geometry;
}

describe("vLLM's CUDA graph capture sizes", () => {
  // vllm/config/compilation.py: max_cudagraph_capture_size defaults to min(max_num_seqs * 2, 512).
  it('reach min(2 × max_num_seqs, 512) tokens a step in V1 and 256 sequences in V0', () => {
    expect(cudaGraphCaptureMax(1024, false)).toBe(512);
    expect(cudaGraphCaptureMax(256, false)).toBe(512);
    expect(cudaGraphCaptureMax(64, false)).toBe(128);
    expect(cudaGraphCaptureMax(1024, true)).toBe(256);
  });

  it("bound a deployment's graphed steps by its max_num_seqs, its --max-cudagraph-capture-size or --enforce-eager", () => {
    // H100 serves max_num_seqs 1024 by default, the A100 256: both capture up to 512 tokens.
    expect(geometryOf('H100').graphMaxTokens).toBe(512);
    expect(geometryOf('A100-80GB').graphMaxTokens).toBe(512);
    expect(geometryOf('H100', { maxNumSeqs: 128 }).graphMaxTokens).toBe(256);
    expect(geometryOf('H100', { maxCudagraphCaptureSize: 2048 }).graphMaxTokens).toBe(2048);
    expect(geometryOf('H100', { maxCudagraphCaptureSize: 0 }).graphMaxTokens).toBe(0);
  });

  it("are read from a measured run's serve flags", () => {
    const run = (flags: MeasurementSeries['engine']['flags']) =>
      engineSettingsOf({
        engine: { name: 'vllm', vllm: true, version: '0.11.0', settings: {}, flags, note: '' },
      } as MeasurementSeries);
    expect(run({ cudaGraphs: true, maxCudagraphCaptureSize: 2048 }).maxCudagraphCaptureSize).toBe(2048);
    expect(run({ cudaGraphs: false }).maxCudagraphCaptureSize).toBe(0);
    expect(run({ cudaGraphs: true }).maxCudagraphCaptureSize).toBeUndefined();
  });
});

describe('a step beyond the largest captured graph', () => {
  const h100 = geometryOf('H100');
  const launches = 92 * EAGER_LAYER_LAUNCH_SEC;

  it("pays the host's launches of every layer's kernels beside its GPU work", () => {
    expect(h100.eagerLaunchSec).toBeCloseTo(launches, 12);
    const graphed = { ...h100, graphMaxTokens: Number.POSITIVE_INFINITY };
    // 513 decodes on H100's default max_num_seqs 1024: one past the 512-token graph.
    expect(
      decodeStepSec(h100, DEFAULT_FACTORS, 513, 600) - decodeStepSec(graphed, DEFAULT_FACTORS, 513, 600),
    ).toBeCloseTo(launches, 9);
    expect(decodeStepSec(h100, DEFAULT_FACTORS, 512, 600)).toBe(
      decodeStepSec(graphed, DEFAULT_FACTORS, 512, 600),
    );
  });

  it('includes a mixed step whose prefill chunk takes it past the graph, however few its decodes', () => {
    const graphed = { ...h100, graphMaxTokens: Number.POSITIVE_INFINITY };
    const mixed = (g: typeof h100, chunk: number) =>
      stageStepSec(g, DEFAULT_FACTORS, 8, 600, chunk, chunk / 2);
    expect(mixed(h100, 2048) - mixed(graphed, 2048)).toBeCloseTo(launches, 9);
    expect(mixed(h100, 256)).toBe(mixed(graphed, 256));
  });
});
