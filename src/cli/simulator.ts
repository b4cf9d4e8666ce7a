/**
 * `compass simulator`: serves the GPU-free vLLM simulator for one model/GPU/TP until SIGTERM (or SIGINT), then
 * drains the requests in flight and exits 0. Every flag can also come from an environment variable
 * (SIMULATOR_<FLAG>, e.g. SIMULATOR_TIME_SCALE); flags win.
 */
import { z } from 'zod';
import { SimulatedCrash, startSimulator } from '../../simulator/server.js';
import { parseDecimal } from '../intent/numbers.js';
import { Precision } from '../knowledge/catalog.js';
import { engineTimingFor } from '../planner/engine-timing.js';
import { type CliContext, catalogGpuId, catalogModelId, withKnowledge } from './context.js';
import { UsageError, writeLine } from './io.js';
import { InfeasibleConfigurationError } from './predict.js';
import { stopRequested } from './signals.js';
import { envVarOf, SIMULATOR_FLAGS, type SimulatorSettingName } from './simulator-flags.js';

/** A flag's or variable's number, in decimal digits only (z.coerce.number() would read "0x10" as 16). */
const decimal = <T extends z.ZodType<number, number>>(rules: T) =>
  z
    .string()
    .transform((text, context) => {
      const value = parseDecimal(text);
      if (value === null) context.addIssue({ code: 'custom', message: 'Expected a decimal number' });
      return value ?? Number.NaN;
    })
    .pipe(rules);
const count = decimal(z.number().int().positive());
const seconds = decimal(z.number().nonnegative());

/** Settings as flags or environment variables give them (strings), validated and coerced in one place. */
export const SimulatorSettings = z.object({
  port: decimal(z.number().int().min(0).max(65535)).default(8000),
  host: z.string().min(1).default('0.0.0.0'),
  model: z.string().min(1),
  servedModelName: z.string().min(1).optional(),
  gpu: z.string().min(1),
  tp: count.default(1),
  gpuCount: count.optional(),
  dataParallel: count.optional(),
  expertParallel: z
    .enum(['true', 'false'])
    .transform((text) => text === 'true')
    .optional(),
  quantization: Precision.default('bf16'),
  maxConcurrency: count.optional(),
  maxNumBatchedTokens: count.optional(),
  gpuMemoryUtilization: decimal(z.number().gt(0).max(1)).optional(),
  kvCacheDtype: z.enum(['auto', 'fp8']).optional(),
  maxModelLen: count.optional(),
  timeScale: decimal(z.number().positive()).default(1),
  seed: decimal(z.number().int().nonnegative()).default(0),
  defaultOutputTokens: count.default(256),
  failFraction: decimal(z.number().min(0).max(1)).default(0),
  unreadySeconds: seconds.default(0),
  crashAfterSeconds: seconds.optional(),
  crashAfterRequests: count.optional(),
});
export type SimulatorSettings = z.infer<typeof SimulatorSettings>;

/** Flags over environment variables over defaults; every problem reported at once, naming both spellings. */
export function simulatorSettings(
  flags: Partial<Record<SimulatorSettingName, string>>,
  env: Record<string, string | undefined>,
): SimulatorSettings {
  const raw: Partial<Record<SimulatorSettingName, string>> = {};
  for (const { name } of SIMULATOR_FLAGS) {
    const value = flags[name] ?? env[envVarOf(name)]?.trim();
    if (value !== undefined && value !== '') raw[name] = value;
  }
  const parsed = SimulatorSettings.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = issue.path[0] as SimulatorSettingName;
    const flag = SIMULATOR_FLAGS.find((f) => f.name === name)?.flag.split(' ')[0] ?? String(name);
    const message =
      raw[name] === undefined ? 'is required' : `${issue.message.toLowerCase()} (got "${raw[name]}")`;
    return `${flag} (or ${envVarOf(name)}) ${message}`;
  });
  throw new UsageError(problems.join('; '));
}

export async function simulatorCommand(
  context: CliContext,
  flags: Partial<Record<SimulatorSettingName, string>>,
): Promise<void> {
  const settings = simulatorSettings(flags, context.io.env);
  // Listening before the address is announced: a launcher that stops the simulator as soon as it reads the address
  // must find the listener in place, not the default action of the signal.
  const stopping = stopRequested();
  const knowledge = await withKnowledge(context, async (knowledge) => knowledge);
  const modelId = catalogModelId(settings.model, knowledge);
  const gpuId = catalogGpuId(settings.gpu, knowledge);
  const gpuCount = settings.gpuCount ?? settings.tp * (settings.dataParallel ?? 1);
  const engine = {
    ...(settings.maxConcurrency !== undefined && { maxNumSeqs: settings.maxConcurrency }),
    ...(settings.maxNumBatchedTokens !== undefined && { maxNumBatchedTokens: settings.maxNumBatchedTokens }),
    ...(settings.gpuMemoryUtilization !== undefined && {
      gpuMemoryUtilization: settings.gpuMemoryUtilization,
    }),
    ...(settings.kvCacheDtype !== undefined && { kvCacheDtype: settings.kvCacheDtype }),
  };
  const timing = engineTimingFor(
    {
      modelId,
      gpuId,
      gpuCount,
      tensorParallel: settings.tp,
      ...(settings.dataParallel !== undefined && { dataParallel: settings.dataParallel }),
      ...(settings.expertParallel && { expertParallel: true }),
      precision: settings.quantization,
      engine,
      ...(settings.maxModelLen !== undefined && { maxModelLen: settings.maxModelLen }),
    },
    knowledge,
  );
  if (!timing.ok) throw new InfeasibleConfigurationError(timing.reason);
  const servedModelName = settings.servedModelName ?? settings.model;
  const simulator = await startSimulator({
    host: settings.host,
    port: settings.port,
    servedModelName,
    modelRoot: modelId,
    timing: timing.timing,
    timeScale: settings.timeScale,
    seed: settings.seed,
    defaultOutputTokens: settings.defaultOutputTokens,
    faults: {
      failFraction: settings.failFraction,
      unreadySeconds: settings.unreadySeconds,
      crashAfterSeconds: settings.crashAfterSeconds ?? null,
      crashAfterRequests: settings.crashAfterRequests ?? null,
    },
  });
  const t = timing.timing;
  writeLine(
    context.io.stdout,
    `compass simulator: ${servedModelName} (${modelId} ${settings.quantization} on ${gpuCount}× ${gpuId}, TP ${settings.tp}) ` +
      `at ${simulator.url}; KV cache ${t.kvBlocks * t.blockTokens} tokens, at most ${t.maxNumSeqs} running, ` +
      `max_model_len ${t.maxModelLen}, ${t.factorsBasis} efficiency factors, time scale ${settings.timeScale}`,
  );

  const outcome = await Promise.race([stopping, simulator.crashed]);
  if (outcome instanceof SimulatedCrash) throw outcome;
  writeLine(context.io.stdout, 'compass simulator: draining requests in flight');
  await simulator.drain();
  writeLine(context.io.stdout, 'compass simulator: drained, exiting');
}
