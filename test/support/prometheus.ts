/**
 * A real Prometheus for tests: Debian's /usr/bin/prometheus on a free loopback port, scraping the given targets
 * every `scrapeIntervalMs`, with its data in a temporary folder removed on stop. Queries here go straight to
 * Prometheus's HTTP API, independently of src/monitor, so tests can compare Compass's figures with Prometheus's own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { until } from './until.js';

const PROMETHEUS = '/usr/bin/prometheus';

export interface ScrapeJob {
  job: string;
  /** host:port of each target's /metrics. */
  targets: string[];
  /** Target labels put on every series scraped (what a PodMonitor's relabelling does in a cluster). */
  labels?: Record<string, string>;
}

export interface RunningPrometheus {
  url: string;
  /** An instant query's first value (NaN as NaN); null when the result is empty. Throws on an API error. */
  value(expr: string, at?: Date): Promise<number | null>;
  stop(): Promise<void>;
}

// vLLM's histogram buckets (vllm/v1/metrics/loggers.py), seconds, from 0 and up to where tests need them.
export const TTFT_BUCKETS_SEC = [
  0, 0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0,
];
export const ITL_BUCKETS_SEC = [0, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0];
export const E2E_BUCKETS_SEC = [0, 0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0];
/** Client-side share of a latency the server cannot see: loopback, HTTP parsing, client event loop. */
export const CLIENT_SIDE_SEC = 0.015;

/** Widest bucket a quantile between `low` and `high` can fall in: what histogram_quantile can be off by. */
export function widestBucketAround(low: number, high: number, buckets = TTFT_BUCKETS_SEC): number {
  let widest = 0;
  for (let i = 1; i < buckets.length; i++) {
    const [lo, hi] = [buckets[i - 1]!, buckets[i]!];
    if (hi >= low && lo <= high) widest = Math.max(widest, hi - lo);
  }
  return widest;
}

export async function instantValue(url: string, expr: string, at?: Date): Promise<number | null> {
  const params = new URLSearchParams({ query: expr });
  if (at) params.set('time', String(at.getTime() / 1e3));
  const response = await fetch(`${url}/api/v1/query?${params}`);
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data: { resultType: string; result: unknown };
  };
  if (body.status !== 'success') throw new Error(`Prometheus refused ${expr}: ${body.error}`);
  const { resultType, result } = body.data;
  if (resultType === 'scalar') return Number((result as [number, string])[1]);
  const first = (result as { value: [number, string] }[])[0];
  return first ? Number(first.value[1]) : null;
}

/**
 * Starts Prometheus and waits until it has scraped every job twice (so rate() has two samples), or throws with
 * Prometheus's stderr when it exits first. Its target discovery hands the first targets over after ~5 s, so this
 * takes at least that long.
 */
export async function startPrometheus(
  jobs: ScrapeJob[],
  scrapeIntervalMs = 1000,
): Promise<RunningPrometheus> {
  const workDir = mkdtempSync(join(tmpdir(), 'compass-prometheus-'));
  const config = join(workDir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      `  scrape_interval: ${scrapeIntervalMs}ms`,
      `  scrape_timeout: ${scrapeIntervalMs}ms`,
      `  evaluation_interval: ${scrapeIntervalMs}ms`,
      'scrape_configs:',
      ...jobs.flatMap(({ job, targets, labels = {} }) => [
        `  - job_name: ${job}`,
        '    static_configs:',
        `      - targets: [${targets.map((target) => `'${target}'`).join(', ')}]`,
        ...(Object.keys(labels).length > 0 ? ['        labels:'] : []),
        ...Object.entries(labels).map(([name, value]) => `          ${name}: '${value}'`),
      ]),
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(workDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exit = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exit;
    }
    rmSync(workDir, { recursive: true, force: true });
  };
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`prometheus exited (${code}): ${stderr}`))),
  );
  exited.catch(() => {});
  try {
    await Promise.race([
      exited,
      until(
        async () => {
          for (const { job } of jobs) {
            if (((await instantValue(url, `count_over_time(up{job="${job}"}[1m])`)) ?? 0) < 2) return false;
          }
          return true;
        },
        20_000,
        'two Prometheus scrapes of every target',
        200,
      ),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, value: (expr, at) => instantValue(url, expr, at), stop };
}
