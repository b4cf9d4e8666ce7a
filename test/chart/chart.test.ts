/**
 * The load chart as a PNG, rendered in-process (ECharts' SVG renderer, resvg): decoded, sized, not blank, with the
 * prediction's line, the measured points and the SLO bands actually painted.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartPng, chartSvg, type LoadChart, measuredLevels, predictedCurve } from '../../src/chart/index.js';
import { predictChartCommand } from '../../src/cli/chat.js';
import type { BenchmarkPoint } from '../../src/knowledge/catalog.js';
import { planDeployment } from '../../src/planner/index.js';
import { buildSpec } from '../../src/spec/index.js';
import { catalogKnowledge } from '../conversation/dialogue.js';
import { intentWith } from '../fixtures/intent.js';
import { knowledge, L4_LLAMA } from '../simulator/fixtures.js';
import { cli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const CONFIG = { ...L4_LLAMA, promptTokens: 512, outputTokens: 128 };

/** Share of pixels within `tolerance` of an RGB colour. */
function shareOf(png: PNG, [r, g, b]: [number, number, number], tolerance = 24): number {
  let hits = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const d = Math.abs(png.data[i]! - r) + Math.abs(png.data[i + 1]! - g) + Math.abs(png.data[i + 2]! - b);
    if (d <= tolerance) hits++;
  }
  return hits / (png.width * png.height);
}

const PREDICTED_BLUE: [number, number, number] = [0x2f, 0x6f, 0xd6];
const MEASURED_RED: [number, number, number] = [0xd6, 0x45, 0x2f];
const BAND_GREEN: [number, number, number] = [223, 240, 227];

const measuredPoint = (rate: number, ttftP95: number, itlP95: number): BenchmarkPoint => ({
  ...CONFIG,
  load: { kind: 'rate', value: rate },
  ttftMs: { mean: null, p50: ttftP95 * 0.8, p90: null, p95: ttftP95, p99: null },
  itlMs: { mean: null, p50: itlP95 * 0.8, p90: null, p95: itlP95, p99: null },
  e2eMs: { mean: null, p50: 9000, p90: null, p95: 9500, p99: null },
  requestsPerSec: rate,
  outputTokensPerSec: rate * 128,
  source: 'test',
});

describe('load chart', () => {
  it('draws the prediction from light load to past capacity, rising with load', () => {
    const curve = predictedCurve(CONFIG, knowledge);
    expect(curve.length).toBeGreaterThan(15);
    expect(curve[0]!.ttftP95Ms).toBeLessThan(curve.at(-1)!.ttftP95Ms);
    expect(curve[0]!.outputTokensPerSec).toBeLessThan(curve.at(-1)!.outputTokensPerSec);
  });

  it('keeps only the measurements of the same configuration and traffic', () => {
    const points = [
      measuredPoint(1, 200, 80),
      { ...measuredPoint(2, 250, 90), gpuId: 'A10G' },
      { ...measuredPoint(3, 300, 95), promptTokens: 2048 },
      { ...measuredPoint(4, 300, 95), load: { kind: 'concurrency' as const, value: 4 } },
    ];
    expect(measuredLevels(CONFIG, points).map((level) => level.requestsPerSec)).toEqual([1]);
  });

  it('renders a PNG with the line, the points and the SLO bands painted', () => {
    const chart: LoadChart = {
      title: 'Llama 3.1 8B on L4',
      subtitle: '512 → 128 tokens',
      predicted: predictedCurve(CONFIG, knowledge),
      measured: [measuredPoint(1, 200, 80), measuredPoint(3, 320, 115)].flatMap((p) =>
        measuredLevels(CONFIG, [p]),
      ),
      slo: { ttftP95Ms: 500, itlP95Ms: 120 },
    };
    expect(chartSvg(chart)).toContain('Llama 3.1 8B on L4');
    const png = PNG.sync.read(chartPng(chart));
    expect([png.width, png.height]).toEqual([1200, 440]);
    expect(shareOf(png, [255, 255, 255])).toBeLessThan(0.95);
    expect(shareOf(png, PREDICTED_BLUE)).toBeGreaterThan(0.001);
    expect(shareOf(png, MEASURED_RED)).toBeGreaterThan(0.0005);
    expect(shareOf(png, BAND_GREEN, 12)).toBeGreaterThan(0.05);

    const withoutSlo = PNG.sync.read(
      chartPng({ ...chart, measured: [], slo: { ttftP95Ms: null, itlP95Ms: null } }),
    );
    expect(shareOf(withoutSlo, BAND_GREEN, 12)).toBeLessThan(0.001);
    // Only the legend's marker is red.
    expect(shareOf(withoutSlo, MEASURED_RED)).toBeLessThan(shareOf(png, MEASURED_RED) / 2);
  });
});

describe('compass predict --chart', () => {
  let testDb: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    testDb = await createTestDatabase();
    env = { DATABASE_URL: testDb.url, HOME: '/nonexistent' };
  }, 120_000);
  afterAll(() => testDb.drop());

  it('writes the chart next to the prediction, stdout unchanged', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'compass-chart-')), 'chart.png');
    const args = ['predict', '--json', '--model', CONFIG.modelId, '--gpu', 'L4', '--tp', '1'];
    const run = await cli(
      [
        ...args,
        '--prompt-tokens',
        '512',
        '--output-tokens',
        '128',
        '--rate',
        '1',
        '--slo-itl-ms',
        '120',
        '--chart',
        file,
      ],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).basis).toBe('estimated');
    expect(run.stderr).toContain(`Chart written to ${file}`);
    const png = PNG.sync.read(readFileSync(file));
    expect(png.width).toBe(1200);
    expect(shareOf(png, PREDICTED_BLUE)).toBeGreaterThan(0.001);
    expect(shareOf(png, BAND_GREEN, 12)).toBeGreaterThan(0.02);
  }, 120_000);

  it('draws an option’s Details chart from the command `compass chat` prints for its Post chart button', async () => {
    const known = catalogKnowledge();
    const spec = buildSpec(intentWith({ useCase: 'chatbot_conversational', users: 1000 }), known.useCases);
    const option = planDeployment(spec, known).recommendations[0]!;
    const command = predictChartCommand(option, spec);
    expect(command).toContain(
      `--model ${option.modelId} --gpu ${option.gpuId} --tp ${option.tensorParallel}`,
    );
    expect(command).toContain(
      `--slo-ttft-ms ${spec.slo.ttftP95Ms.value} --slo-itl-ms ${spec.slo.itlP95Ms.value}`,
    );
    const file = join(mkdtempSync(join(tmpdir(), 'compass-chart-')), 'chart.png');
    const argv = command
      .replace(/ chart\.png$/, ` ${file}`)
      .split(' ')
      .slice(1);
    const run = await cli(argv, env);
    expect(run.code, run.stderr).toBe(0);
    const png = PNG.sync.read(readFileSync(file));
    expect([png.width, png.height]).toEqual([1200, 440]);
    expect(shareOf(png, PREDICTED_BLUE)).toBeGreaterThan(0.001);
  }, 120_000);
});
