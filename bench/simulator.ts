/**
 * The simulator against the planner, at several shares of the planner's predicted capacity (open-loop Poisson
 * arrivals, fixed prompt and output lengths): achieved requests/s and TTFT/ITL p50/p95 measured next to what
 * predictPerformance says for the same configuration, all in the simulated GPU's milliseconds.
 *
 * Default: the real `compass simulator` process on loopback, driven by the official openai client (measured
 * latencies divided by the time scale). --engine-only: the same engine on a virtual clock, no HTTP and no sleeps,
 * so thousands of requests per load run in a second and the numbers are exact (useful to see where the planner's
 * steady-state formulas and a step-by-step run of the same step-time physics part ways).
 *
 * Run (after `npm run build`): npx tsx bench/simulator.ts [--model ID] [--gpu ID] [--tp N] [--prompt-tokens N]
 *   [--output-tokens N] [--loads 0.2,0.5,0.8,0.95] [--requests N] [--time-scale X] [--engine-only]
 * Bounded: each load sends --requests requests (default 100, or 2000 with --engine-only). The process uses an
 * embedded database in a temporary directory, so both sides see the shipped catalog.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SimulatedEngine } from '../simulator/engine.js';
import { seededRandom } from '../simulator/text.js';
import { VirtualClock } from '../simulator/virtual-clock.js';
import type { Knowledge } from '../src/knowledge/catalog.js';
import { readCatalogFiles } from '../src/knowledge/data-files.js';
import { engineTimingFor } from '../src/planner/engine-timing.js';
import { predictPerformance } from '../src/planner/index.js';
import { client, openLoop, quantile } from '../test/simulator/load.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'meta-llama/Llama-3.1-8B-Instruct' },
    gpu: { type: 'string', default: 'A10G' },
    tp: { type: 'string', default: '1' },
    'prompt-tokens': { type: 'string', default: '512' },
    'output-tokens': { type: 'string', default: '64' },
    loads: { type: 'string', default: '0.2,0.5,0.8,0.95' },
    requests: { type: 'string' },
    'time-scale': { type: 'string', default: '0.25' },
    'engine-only': { type: 'boolean', default: false },
  },
});
const engineOnly = values['engine-only'];
const tp = Number(values.tp);
const promptTokens = Number(values['prompt-tokens']);
const outputTokens = Number(values['output-tokens']);
const requests = Number(values.requests ?? (engineOnly ? 2000 : 100));
const timeScale = engineOnly ? 1 : Number(values['time-scale']);
const loads = values.loads.split(',').map(Number);

const knowledge: Knowledge = { ...readCatalogFiles(), benchmarks: [] };
const config = {
  modelId: values.model,
  gpuId: values.gpu,
  gpuCount: tp,
  tensorParallel: tp,
  precision: 'bf16' as const,
};
const predictAt = (rate: number) => {
  const result = predictPerformance(
    { ...config, promptTokens, outputTokens, load: { kind: 'rate', value: rate } },
    knowledge,
  );
  if (!result.ok) throw new Error(`the planner cannot run this configuration: ${result.reason}`);
  return result.prediction;
};
const capacity = predictAt(1).capacityRequestsPerSec;

/** Per request, in simulated ms: arrival, first token, later token gaps, end. */
interface Observed {
  arrivedMs: number;
  ttftMs: number;
  itlMs: number[];
  endedMs: number;
}

/** The engine alone on a virtual clock, with the per-request overhead the server adds before the engine. */
function engineRun(rate: number, seed: number): Observed[] {
  const timing = engineTimingFor(config, knowledge);
  if (!timing.ok) throw new Error(timing.reason);
  const clock = new VirtualClock();
  const engine = new SimulatedEngine(timing.timing, { timeScale: 1, seed, clock });
  const random = seededRandom(seed);
  const overheadMs = timing.timing.factors.requestOverheadMs;
  const observed: Observed[] = [];
  let at = 0;
  for (let i = 0; i < requests; i++) {
    at += (-Math.log(1 - random()) / rate) * 1e3;
    const request: Observed = { arrivedMs: at, ttftMs: 0, itlMs: [], endedMs: 0 };
    observed.push(request);
    let previous = at;
    clock.at(at + overheadMs, () =>
      engine.submit({
        promptTokens,
        outputTokens,
        onToken(index, atMs) {
          if (index === 0) request.ttftMs = atMs - request.arrivedMs;
          else request.itlMs.push(atMs - previous);
          previous = atMs;
        },
        onFinish(summary) {
          request.endedMs = summary.lastTokenAt ?? clock.now();
        },
      }),
    );
  }
  clock.run();
  return observed;
}

/** The real process over HTTP; measured wall-clock times divided by the time scale. */
async function processRun(url: string, rate: number, seed: number): Promise<Observed[]> {
  const timings = await openLoop(
    client(url),
    { model: values.model, promptTokens, outputTokens },
    rate / timeScale,
    requests,
    seed,
  );
  return timings.map((t) => ({
    arrivedMs: t.startedAt / timeScale,
    ttftMs: t.ttftMs / timeScale,
    itlMs: t.itlMs.map((x) => x / timeScale),
    endedMs: t.endedAt / timeScale,
  }));
}

async function startProcess(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'compass-bench-simulator-'));
  // Undefined entries are left out of the child's environment: no DATABASE_URL, so the embedded database is used.
  const env = { ...process.env, DATABASE_URL: undefined, COMPASS_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  const args = ['--host', '127.0.0.1', '--port', '0', '--model', values.model, '--gpu', values.gpu];
  const child = spawn(
    process.execPath,
    ['bin/compass.js', 'simulator', ...args, '--tp', String(tp), '--time-scale', String(timeScale)],
    { env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = out.match(/at (http:\/\/\S+);/);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code} before serving`)));
  });
  return {
    url,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const ms = (x: number) => x.toFixed(1).padStart(8);
console.log(
  `${values.model} bf16 on ${tp}× ${values.gpu}, TP ${tp}, ${promptTokens} → ${outputTokens} tokens; planner capacity ` +
    `${capacity.toFixed(2)} req/s; ${requests} requests per load; ${engineOnly ? 'engine only, virtual clock' : `simulator process, time scale ${timeScale}`}`,
);
console.log(
  `${'load'.padEnd(6)}${'rate'.padStart(7)}${'arrived'.padStart(9)}${'served'.padStart(8)}   ${'TTFT p50'.padStart(8)} ${'pred'.padStart(8)}   ${'TTFT p95'.padStart(8)} ${'pred'.padStart(8)}   ${'ITL p50'.padStart(8)} ${'pred'.padStart(8)}   ${'ITL p95'.padStart(8)} ${'pred'.padStart(8)}`,
);
const server = engineOnly ? null : await startProcess();
try {
  if (server) await openLoop(client(server.url), { model: values.model, promptTokens, outputTokens }, 2, 4);
  for (const load of loads) {
    const rate = load * capacity;
    const seed = Math.round(load * 1000);
    const observed = server ? await processRun(server.url, rate, seed) : engineRun(rate, seed);
    // Rates over the steady part of the run: from the arrival of the first fifth of the requests (once completions
    // have started) to the last arrival. A queue that grows shows as served < arrived.
    const arrivals = observed.map((o) => o.arrivedMs).sort((a, b) => a - b);
    const from = arrivals[Math.floor(arrivals.length / 5)]!;
    const to = arrivals.at(-1)!;
    const windowSec = (to - from) / 1e3;
    const arrived = arrivals.filter((a) => a > from && a <= to).length / windowSec;
    const served = observed.filter((o) => o.endedMs > from && o.endedMs <= to).length / windowSec;
    const ttft = observed.map((o) => o.ttftMs);
    const itl = observed.flatMap((o) => o.itlMs);
    const p = predictAt(rate);
    console.log(
      `${`${Math.round(load * 100)}%`.padEnd(6)}${rate.toFixed(2).padStart(7)}${arrived.toFixed(2).padStart(9)}${served.toFixed(2).padStart(8)}   ` +
        `${ms(quantile(ttft, 0.5))} ${ms(p.ttftMs.p50)}   ${ms(quantile(ttft, 0.95))} ${ms(p.ttftMs.p95)}   ` +
        `${ms(quantile(itl, 0.5))} ${ms(p.itlMs.p50)}   ${ms(quantile(itl, 0.95))} ${ms(p.itlMs.p95)}`,
    );
  }
  console.log(
    'rate: offered (planner capacity × load); arrived, served: arrivals and completions per second from the first ' +
      'fifth of the arrivals to the last (served < arrived: the queue grows); latencies in simulated ms.',
  );
} finally {
  await server?.stop();
}
