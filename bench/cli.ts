/**
 * First contact: wall time of `compass --help`, `compass --version` and a warm `compass plan` as a user runs them
 * (a fresh `node bin/compass.js` process each, built dist/), and the peak resident memory of each plan.
 * Run: npm run build && npx tsx bench/cli.ts [--rounds N]
 * Targets: --help and --version ≤ 0.3 s, a warm plan ≤ 1 s, a plan's peak memory ≤ 300 MB. The CPU time is printed
 * beside the wall time: on a loaded machine the wall time measures the neighbours too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/paths.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Number(values.rounds);

const bin = join(packageRoot, 'bin', 'compass.js');
const scratch = mkdtempSync(join(tmpdir(), 'compass-bench-cli-'));
const usageFile = join(scratch, 'usage.json');
// Written by the child as it exits: its own peak memory and CPU time (spawnSync reports neither).
const reportUsage = `data:text/javascript,${encodeURIComponent(
  `import { writeFileSync } from 'node:fs';
   process.on('exit', () => {
     const u = process.resourceUsage();
     writeFileSync(${JSON.stringify(usageFile)}, JSON.stringify({ maxRssKb: u.maxRSS, cpuUs: u.userCPUTime + u.systemCPUTime }));
   });`,
)}`;
const env = { ...process.env, COMPASS_DATA_DIR: join(scratch, 'data'), HOME: scratch };

interface Run {
  wallMs: number;
  cpuMs: number;
  maxRssMb: number;
}

function compass(args: string[]): Run {
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--import', reportUsage, bin, ...args], {
    env,
    encoding: 'utf8',
  });
  const wallMs = performance.now() - started;
  if (result.status !== 0)
    throw new Error(`compass ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as { maxRssKb: number; cpuUs: number };
  return { wallMs, cpuMs: usage.cpuUs / 1000, maxRssMb: usage.maxRssKb / 1024 };
}

const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;

function report(label: string, runs: Run[], target: string): void {
  const wall = median(runs.map((r) => r.wallMs)) / 1000;
  const cpu = median(runs.map((r) => r.cpuMs)) / 1000;
  const rss = Math.max(...runs.map((r) => r.maxRssMb));
  console.log(
    `${label.padEnd(34)} wall p50 ${wall.toFixed(2)} s   cpu p50 ${cpu.toFixed(2)} s   peak ${rss.toFixed(0).padStart(4)} MB   (${target})`,
  );
}

const PLAN = ['plan', 'chatbot for 1000 users, low latency matters, under $5k/month'];
try {
  report(
    'compass --help',
    Array.from({ length: rounds }, () => compass(['--help'])),
    'target ≤ 0.3 s',
  );
  report(
    'compass --version',
    Array.from({ length: rounds }, () => compass(['--version'])),
    'target ≤ 0.3 s',
  );
  report(
    'compass plan, new data folder',
    [compass(PLAN)],
    'copies the migrated template and seeds it, once; target ≤ 300 MB',
  );
  report(
    'compass plan, warm',
    Array.from({ length: rounds }, () => compass(PLAN)),
    'target ≤ 1 s and ≤ 300 MB',
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
