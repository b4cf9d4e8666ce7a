/**
 * The flags of `compass simulator` and their registration: kept apart from the simulator so `compass --help` lists
 * them without loading the server, the planner and zod.
 */
import type { Command } from 'commander';
import { PRECISIONS } from '../knowledge/precisions.js';
import type { CliIo } from './io.js';
import type { SimulatorSettings } from './simulator.js';

export type SimulatorSettingName = keyof SimulatorSettings;

/** Every flag: its commander spelling and help. The env var is SIMULATOR_ + the flag in upper snake case. */
export const SIMULATOR_FLAGS: { name: SimulatorSettingName; flag: string; help: string }[] = [
  { name: 'port', flag: '--port <n>', help: 'port to listen on (default 8000, as vLLM)' },
  { name: 'host', flag: '--host <addr>', help: 'address to bind (default 0.0.0.0)' },
  { name: 'model', flag: '--model <hf_id>', help: 'Hugging Face id of a catalog model (required)' },
  {
    name: 'servedModelName',
    flag: '--served-model-name <name>',
    help: 'name clients use (default: --model)',
  },
  { name: 'gpu', flag: '--gpu <id>', help: 'GPU type to simulate (required)' },
  { name: 'tp', flag: '--tp <n>', help: 'tensor parallel degree (default 1)' },
  { name: 'gpuCount', flag: '--gpu-count <n>', help: 'GPUs of the replica (default: the TP degree)' },
  {
    name: 'dataParallel',
    flag: '--data-parallel-size <n>',
    help: "MoE: data-parallel attention ranks of TP GPUs each (vLLM's --data-parallel-size; default 1)",
  },
  {
    name: 'expertParallel',
    flag: '--expert-parallel <true|false>',
    help: "MoE: experts placed whole over the GPUs (vLLM's --enable-expert-parallel; default false)",
  },
  { name: 'quantization', flag: '--quantization <p>', help: `weight precision: ${PRECISIONS.join(', ')}` },
  {
    name: 'maxConcurrency',
    flag: '--max-concurrency <n>',
    help: "most requests running at once (vLLM's --max-num-seqs; default vLLM's for the GPU)",
  },
  { name: 'maxNumBatchedTokens', flag: '--max-num-batched-tokens <n>', help: 'token budget of one step' },
  {
    name: 'gpuMemoryUtilization',
    flag: '--gpu-memory-utilization <x>',
    help: 'share of GPU memory vLLM uses',
  },
  { name: 'kvCacheDtype', flag: '--kv-cache-dtype <auto|fp8>', help: 'KV-cache precision' },
  { name: 'maxModelLen', flag: '--max-model-len <n>', help: 'longest prompt + output accepted' },
  {
    name: 'timeScale',
    flag: '--time-scale <x>',
    help: 'multiply every simulated duration by X (0.1 runs ten times faster; default 1)',
  },
  {
    name: 'seed',
    flag: '--seed <n>',
    help: 'seed of faults, step jitter, answer lengths and text (default 0)',
  },
  {
    name: 'defaultOutputTokens',
    flag: '--default-output-tokens <n>',
    help: 'mean answer length when a chat request sets no max_tokens (default 256)',
  },
  {
    name: 'failFraction',
    flag: '--fail-fraction <x>',
    help: 'fault: share of requests answered with HTTP 500',
  },
  {
    name: 'unreadySeconds',
    flag: '--unready-seconds <s>',
    help: 'fault: /health answers 503 for S s after start',
  },
  {
    name: 'crashAfterSeconds',
    flag: '--crash-after-seconds <s>',
    help: 'fault: crash (exit 1) S s after start',
  },
  {
    name: 'crashAfterRequests',
    flag: '--crash-after-requests <n>',
    help: 'fault: crash (exit 1) when the Nth request arrives',
  },
];

export function envVarOf(name: SimulatorSettingName): string {
  return `SIMULATOR_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** Registers `compass simulator` on the program (inheriting its exit and output settings). */
export function addSimulatorCommand(program: Command, io: CliIo): void {
  const command = program
    .command('simulator')
    .description(
      'Serve a GPU-free vLLM simulator (OpenAI API, vLLM metrics, planner-paced tokens) until SIGTERM, then drain.',
    );
  for (const { name, flag, help } of SIMULATOR_FLAGS) command.option(flag, `${help} [env ${envVarOf(name)}]`);
  command.action(async (flags: Partial<Record<SimulatorSettingName, string>>) => {
    const [{ simulatorCommand }, { cliContext }] = await Promise.all([
      import('./simulator.js'),
      import('./context.js'),
    ]);
    await simulatorCommand(cliContext(io), flags);
  });
}
