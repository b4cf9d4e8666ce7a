import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../config/error.js';
import { BATCH_APIS } from '../intent/batch-api.js';
import { FIGURE_MAX, formatFigure } from '../intent/bounds.js';
import { parseDecimal } from '../intent/numbers.js';
import { PRECISIONS } from '../knowledge/precisions.js';
import { USE_CASE_IDS } from '../knowledge/use-case-ids.js';
import { packageRoot } from '../paths.js';
import type { CliContext } from './context.js';
import type { CliIo } from './io.js';
import { UsageError, writeLine } from './io.js';
import { addLoadtestCommand } from './loadtest-flags.js';
import { addSimulatorCommand } from './simulator-flags.js';

/*
 * Every command's module is imported when the command runs, not here: `compass --help` then loads commander alone,
 * `compass plan` neither Slack, Kubernetes nor BullMQ, and only commands that read the knowledge base open the
 * embedded database.
 */

/** The action of a command that takes the CLI context, loading its module (and the configuration) on first use. */
function contextAction<Args extends unknown[]>(
  io: CliIo,
  load: () => Promise<(context: CliContext, ...args: Args) => Promise<unknown>>,
): (...args: Args) => Promise<void> {
  return async (...args) => {
    const [command, { cliContext }] = await Promise.all([load(), import('./context.js')]);
    await command(cliContext(io), ...args);
  };
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/** A flag's number: decimal digits only ("0x10" is refused, not read as 16), above 0 and at most `max`. */
function positiveNumber(max: number) {
  return (value: string): number => {
    const parsed = parseDecimal(value);
    if (parsed === null || parsed <= 0) throw new InvalidArgumentError('expected a decimal number > 0.');
    if (parsed > max) throw new InvalidArgumentError(`expected at most ${formatFigure(max)}.`);
    return parsed;
  };
}
/** Any positive figure without a bound of its own: one JavaScript still counts exactly. */
const positive = positiveNumber(Number.MAX_SAFE_INTEGER);

function score(value: string): number {
  const parsed = positive(value);
  if (parsed > 100) throw new InvalidArgumentError('expected a score from 0 to 100.');
  return parsed;
}

function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  ];
}

/** A share from 0 to 1 (0 allowed), in decimal digits. */
function share(value: string): number {
  const parsed = parseDecimal(value);
  if (parsed === null || parsed < 0 || parsed >= 1)
    throw new InvalidArgumentError('expected a decimal number from 0 up to (not including) 1.');
  return parsed;
}

/** A spread of lengths (standard deviation / mean), 0 for fixed lengths. */
function spread(value: string): number {
  const parsed = parseDecimal(value);
  if (parsed === null || parsed < 0 || parsed > FIGURE_MAX.lengthCv)
    throw new InvalidArgumentError(`expected a decimal number from 0 to ${FIGURE_MAX.lengthCv}.`);
  return parsed;
}

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < 1)
    throw new InvalidArgumentError(
      `expected a whole number from 1 to ${formatFigure(Number.MAX_SAFE_INTEGER)}.`,
    );
  return Number(value);
}

function buildProgram(io: CliIo, understoodModelTypes: readonly string[] | undefined): Command {
  const program = new Command('compass')
    .description('Compass: from "we need an LLM for X" to a running, monitored vLLM deployment.')
    .version(packageVersion(), '-V, --version', 'print the version of Compass')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Usage errors are one line (scripts read them); commander puts its "Did you mean" hint on a second one.
      outputError: (text, write) => write(`compass: ${text.trim().replace(/\s*\n\s*/g, ' ')}\n`),
    });

  program
    .command('extract')
    .description('Extract the deployment intent from TEXT (or from each stdin line when TEXT is absent).')
    .argument('[text...]', 'what the user asked for')
    .option('--json', 'print one JSON object per text')
    .action(contextAction(io, async () => (await import('./extract.js')).extractCommand));

  program
    .command('spec')
    .description('Build the editable deployment spec for TEXT (or for each stdin line).')
    .argument('[text...]', 'what the user asked for')
    .option('--json', 'print the spec as JSON')
    .action(contextAction(io, async () => (await import('./spec.js')).specCommand));

  program
    .command('plan')
    .description(
      'Rank deployment options (model, GPUs, parallelism, replicas) for TEXT against its SLOs and budget.',
    )
    .argument('[text...]', 'what the user asked for')
    .option('--json', 'print the plan as JSON')
    .option('--gpu <ids>', 'allowed GPU types, overriding the text (repeat or comma-separate)', collect)
    .option('--model <ids>', 'preferred models, overriding the text (repeat or comma-separate)', collect)
    .option('--qps <n>', 'peak requests per second', positiveNumber(FIGURE_MAX.qps))
    .option('--budget <usd>', 'monthly budget in USD', positiveNumber(FIGURE_MAX.budgetMonthlyUsd))
    .addOption(
      new Option('--priority <p>', 'what to optimise').choices(['latency', 'cost', 'accuracy', 'balanced']),
    )
    .option(
      '--batch-per-day <n>',
      'plan an offline batch job of N items a day (sized by throughput; each option says how long the items take)',
      positiveNumber(1e12),
    )
    .option('--window-hours <h>', 'hours of the day the batch job may run (default 24)', positiveNumber(24))
    .addOption(
      new Option(
        '--api <api>',
        "the OpenAI API the batch job's requests call: chat (chat completions, whose templates the API server renders before the engine sees a request) or completions (default, as vllm bench serve sends)",
      ).choices(BATCH_APIS),
    )
    .option(
      '--prefix-share <x>',
      "share of each prompt served from vLLM's prefix cache (default: the use case's; see README)",
      share,
    )
    .option(
      '--prompt-cv <x>',
      "spread of prompt lengths, standard deviation / mean (default: the use case's; 0 = all the mean length)",
      spread,
    )
    .option('--output-cv <x>', "spread of output lengths (default: the use case's)", spread)
    .option('--top <n>', 'how many options to show', positiveInteger, 5)
    .action(contextAction(io, async () => (await import('./plan.js')).planCommand));

  program
    .command('predict')
    .description('Predict latency and throughput of one replica configuration.')
    .option('--json', 'print the prediction as JSON')
    .option('--model <hf_id>', 'Hugging Face id of a catalog or imported model')
    .option(
      '--model-config <path>',
      'a Hugging Face config.json to predict for without importing it (instead of --model)',
    )
    .requiredOption('--gpu <id>', 'GPU type')
    .option(
      '--tp <n>',
      'tensor parallel degree (default: the smallest of 1, 2, 4, 8 the model fits on)',
      positiveInteger,
    )
    .option('--gpu-count <n>', 'GPUs of the replica (default: the TP degree)', positiveInteger)
    .option(
      '--prompt-tokens <n>',
      "mean prompt tokens per request (default: the use case's)",
      positiveNumber(FIGURE_MAX.tokens),
    )
    .option(
      '--output-tokens <n>',
      "mean output tokens per request (default: the use case's)",
      positiveNumber(FIGURE_MAX.tokens),
    )
    .addOption(
      new Option(
        '--use-case <id>',
        'the traffic to predict for where no figure is stated: its lengths, their spread and its shared prefix (default chatbot_conversational where --prompt-tokens or --output-tokens is missing)',
      ).choices(USE_CASE_IDS),
    )
    .option(
      '--rate <rps>',
      'open-loop request rate; with --batch, the rate its N requests are sent at (Poisson)',
      positiveNumber(FIGURE_MAX.qps),
    )
    .option('--concurrency <n>', 'closed-loop concurrent clients', positive)
    .option(
      '--batch <n>',
      'N requests submitted at once (an offline job): makespan, output tokens/s and the TTFT distribution',
      positiveInteger,
    )
    .addOption(
      new Option(
        '--api <api>',
        "the OpenAI API a --batch job's requests call: chat (chat completions, whose templates the API server renders before the engine sees a request) or completions (default, as vllm bench serve sends)",
      ).choices(BATCH_APIS),
    )
    .option(
      '--prompt-cv <x>',
      "spread of prompt lengths, standard deviation / mean (default: the use case's, or 0 where both lengths are stated without --use-case)",
      spread,
    )
    .option(
      '--output-cv <x>',
      "spread of output lengths, standard deviation / mean (default: as --prompt-cv's)",
      spread,
    )
    .option(
      '--prefix-share <x>',
      "share of each prompt that is a prefix all requests share, served from vLLM's prefix cache (default: as --prompt-cv's)",
      share,
    )
    .addOption(
      new Option(
        '--quantization <p>',
        'weight precision (default: bf16, or the precision of the --model-config checkpoint)',
      ).choices(PRECISIONS),
    )
    .option(
      '--slo-ttft-ms <ms>',
      'TTFT p95 target: also print the highest rate within the targets',
      positiveNumber(FIGURE_MAX.ttftP95Ms),
    )
    .option('--slo-itl-ms <ms>', 'ITL p95 target', positiveNumber(FIGURE_MAX.itlP95Ms))
    .option('--slo-e2e-ms <ms>', 'E2E p95 target', positiveNumber(FIGURE_MAX.e2eP95Ms))
    .option('--chart <file.png>', 'also draw TTFT/ITL p95 and throughput against the request rate as a PNG')
    .action(contextAction(io, async () => (await import('./predict.js')).predictCommand));

  program
    .command('manifests')
    .description(
      'Render the Kubernetes objects (KServe InferenceService, KEDA ScaledObject, PodMonitor, and the weight-cache claim of a single replica) of a plan option for TEXT, checked against the CRD schemas and the deploy policy.',
    )
    .argument('<text...>', 'what the user asked for')
    .option('--json', 'print the objects as a JSON array (default: YAML documents)')
    .option('--option <n>', "which of the plan's options (default 1)", positiveInteger, 1)
    .option('--simulator', 'run the GPU-free simulator instead of vLLM (as DEPLOY_SIMULATOR=true does)')
    .option(
      '--name <name>',
      'name of the InferenceService (default: from the model, as deploy requests name it)',
    )
    .option('--namespace <ns>', 'namespace (default: the first of DEPLOY_NAMESPACES)')
    .action(contextAction(io, async () => (await import('./manifests.js')).manifestsCommand));

  program
    .command('bot')
    .description('Run the Slack bot: Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT at /slack/events.')
    .action(async () => (await import('./bot.js')).botCommand(io));

  program
    .command('worker')
    .description(
      'Run deploy jobs from the Redis queue (REDIS_URL) against Kubernetes (KUBECONFIG), reporting in Slack, until SIGTERM.',
    )
    .action(async () => (await import('./worker.js')).workerCommand(io));

  program
    .command('chat')
    .description('Talk to Compass in the terminal: the Slack conversation, buttons as numbered choices.')
    .option('--session <name>', 'continue (or name) a conversation; a new one each run otherwise')
    .option('--json', 'one JSON object per line for each reply: { turn, reply, intent, spec, kind }')
    .action(contextAction(io, async () => (await import('./chat.js')).chatCommand));

  addSimulatorCommand(program, io);
  addLoadtestCommand(program, io);

  const models = program.command('models').description('Models in the knowledge base.');
  models
    .command('import')
    .description(
      `Import a model from its Hugging Face config.json (all or nothing).${understoodModelTypes ? ` Understood model_types: ${understoodModelTypes.join(', ')}.` : ''}`,
    )
    .requiredOption('--hf-config <path>', "the model's config.json")
    .option(
      '--id <name>',
      'owner/name to file it under (default: the id the config records, or local/<its directory>)',
    )
    .option('--license <license>', 'license to record (default: unknown)')
    .option(
      '--tasks <use-cases>',
      'use cases it serves, repeat or comma-separate (default: every one whose default request fits its context)',
      collect,
    )
    .option(
      '--quality <score>',
      'a 0–100 quality score you vouch for, used for every use case (default: unknown)',
      score,
    )
    .action(contextAction(io, async () => (await import('./models.js')).modelsImportCommand));
  models
    .command('list')
    .description('List the models: the catalog’s and the imported ones, with their imported measured points.')
    .option('--json', 'as JSON')
    .action(contextAction(io, async () => (await import('./models.js')).modelsListCommand));
  models
    .command('remove')
    .description('Remove an imported model and its imported measured points (catalog models stay).')
    .argument('<id>', 'the model’s id, as `compass models list` shows it')
    .action(contextAction(io, async () => (await import('./models.js')).modelsRemoveCommand));

  const db = program.command('db').description('Database maintenance.');
  db.command('migrate')
    .description('Apply pending migrations (PostgreSQL at DATABASE_URL, else embedded PGlite).')
    .action(contextAction(io, async () => (await import('./db.js')).migrateCommand));
  db.command('seed')
    .description('Load the catalog from data/ (idempotent; imported rows are kept).')
    .action(contextAction(io, async () => (await import('./db.js')).seedCommand));

  const benchmarks = program.command('benchmarks').description('Measured serving points.');
  benchmarks
    .command('import')
    .description('Import a GuideLLM benchmark report (all points or none).')
    .argument('<file>', 'the JSON report written by `guidellm benchmark`')
    .requiredOption('--model <hf_id>', 'Hugging Face id of the model that was measured')
    .requiredOption('--gpu <id>', 'GPU type (e.g. H100, "a100 80gb")')
    .requiredOption('--tp <n>', 'tensor parallel degree', positiveInteger)
    .option('--gpu-count <n>', 'GPUs per replica (default: the TP degree)', positiveInteger)
    .addOption(new Option('--precision <p>', 'weight precision').choices(PRECISIONS).default('bf16'))
    .action(contextAction(io, async () => (await import('./benchmarks.js')).importBenchmarksCommand));
  benchmarks
    .command('list')
    .description('List the imported measured points, one line per import and configuration.')
    .option('--json', 'as JSON')
    .action(contextAction(io, async () => (await import('./benchmarks.js')).listBenchmarksCommand));
  benchmarks
    .command('remove')
    .description('Remove the imported points of one import (its id) or one source; plans stop using them.')
    .argument('<import-or-source>', 'an import id or a source, as `compass benchmarks list` shows them')
    .action(contextAction(io, async () => (await import('./benchmarks.js')).removeBenchmarksCommand));

  program
    .command('outcomes')
    .description(
      'What each deployment was observed doing (p95s, traffic) against what the planner predicts for it.',
    )
    .option('--json', 'print the outcomes as a JSON array')
    .action(contextAction(io, async () => (await import('./outcomes.js')).outcomesCommand));

  program
    .command('status')
    .description(
      'Every deployment, newest first, as /compass status lists them: state, model, GPUs, monthly cost, endpoint.',
    )
    .option('--json', 'print the deployments as a JSON array')
    .action(contextAction(io, async () => (await import('./status.js')).statusCommand));

  program
    .command('slo')
    .description(
      'SLO status of the running deployments from Prometheus (PROMETHEUS_URL), as /compass slo shows it: one line ' +
        "each, or NAME's full summary with advice.",
    )
    .argument('[name]', 'a running deployment: name, namespace/name, or its full target label')
    .option('--json', "print NAME's SLO summary (without NAME: every deployment's) as JSON")
    .option(
      '--window <seconds>',
      'how far back to look (default: MONITOR_LONG_WINDOW_SECONDS, 3600)',
      positiveInteger,
    )
    .action(contextAction(io, async () => (await import('./slo.js')).sloCommand));

  return program;
}

/** Runs the CLI and returns its exit code: 0 success, 2 bad usage or configuration, 1 anything else. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  // The model types live beside the config reader (and zod); only `compass models …` needs them, for its help.
  const understoodModelTypes =
    argv[0] === 'models' ? (await import('../knowledge/hf-config.js')).UNDERSTOOD_MODEL_TYPES : undefined;
  const program = buildProgram(io, understoodModelTypes);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 2;
    }
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version requests end through the same path with exit code 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError) {
      writeLine(io.stderr, `compass: ${error.message}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      writeLine(io.stderr, error.message);
      return 2;
    }
    writeLine(io.stderr, `compass: ${error instanceof Error ? error.message : String(error)}`);
    if (io.env.LOG_LEVEL === 'debug' && error instanceof Error && error.stack)
      writeLine(io.stderr, error.stack);
    return 1;
  }
}
