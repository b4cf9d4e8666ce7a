/**
 * `compass loadtest`'s flags, apart from the load generator: `compass --help` lists the command without loading it
 * (or zod), and the generator loads when the command runs.
 */
import type { Command } from 'commander';
import { CAPACITY_SHARES } from '../loadtest/shares.js';
import type { CliIo } from './io.js';
import type { LoadtestFlags } from './loadtest.js';

/** Registers `compass loadtest` on the program (inheriting its exit and output settings). */
export function addLoadtestCommand(program: Command, io: CliIo): void {
  program
    .command('loadtest')
    .description(
      'Load-test an OpenAI-compatible ENDPOINT (streamed completions) at a sweep of rates or concurrencies; ' +
        'write a GuideLLM report that `compass benchmarks import` reads.',
    )
    .argument('<endpoint>', 'base URL of the server, e.g. http://127.0.0.1:8000 (nothing else is contacted)')
    .option('--model <name>', 'served model name (default: the first of ENDPOINT/v1/models)')
    .requiredOption('--prompt-tokens <n>', 'mean prompt tokens per request')
    .requiredOption('--output-tokens <n>', 'mean output tokens per request')
    .option('--length-cv <x>', 'coefficient of variation of both lengths, log-normal (default 0: fixed)')
    .option('--rate <rps,…>', 'open-loop request rates, one point each')
    .option('--concurrency <n,…>', 'closed-loop client counts, one point each')
    .option(
      '--capacity <rps>',
      `rates at ${CAPACITY_SHARES.map((s) => `${s * 100}%`).join(', ')} of this capacity`,
    )
    .option('--arrivals <kind>', 'constant or poisson arrivals for rates (default constant)')
    .option('--max-requests <n>', 'most requests per point (default 100)')
    .option('--max-seconds <s>', 'longest sending time per point (default 60)')
    .option('--drain-seconds <s>', 'how long requests in flight may still take after it (default 30)')
    .option('--seed <n>', 'seed of arrivals and lengths (default 1)')
    .option('--warmup <n>', 'requests sent first and not reported (default 1)')
    .option('--out <file>', 'write the report here (default: one JSON line on stdout)')
    .action(async (endpoint: string, flags: LoadtestFlags) =>
      (await import('./loadtest.js')).loadtestCommand(io, endpoint, flags),
    );
}
