import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Model } from '../knowledge/catalog.js';
import type { HfModelFacts } from '../knowledge/hf-config.js';
import { HfConfigError, importedModel, readHfConfig, supportedTasks } from '../knowledge/hf-config.js';
import { listModels, removeImportedModel } from '../knowledge/manage.js';
import { importModel } from '../knowledge/store.js';
import type { CliContext } from './context.js';
import { withKnowledgeBase } from './context.js';
import { columns, compact } from './format.js';
import { UsageError, writeLine } from './io.js';

export interface ModelsImportOptions {
  hfConfig: string;
  id?: string;
  license?: string;
  tasks?: string[];
  quality?: number;
}

/** A config.json as read from disk: what it says, where it came from, and the id it gets without --id. */
export interface ConfigFile {
  facts: HfModelFacts;
  sourceUrl: string;
  defaultId: string;
}

/** A config.json that cannot be read or is not JSON. */
export class ConfigFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigFileError';
  }
}

/** Reads and understands a config.json; a file that cannot be read or used is an error naming the file. */
export async function readConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    // A path that names no readable file is bad usage (exit 2), like a mistyped flag.
    throw new UsageError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigFileError(
      `${path} is not JSON (${(error as Error).message}); expected a Hugging Face config.json.`,
    );
  }
  try {
    const facts = readHfConfig(json);
    return { facts, sourceUrl: pathToFileURL(resolve(path)).href, defaultId: defaultModelId(path, facts) };
  } catch (error) {
    if (error instanceof HfConfigError) throw new HfConfigError(error.problems.map((p) => `${path}: ${p}`));
    throw error;
  }
}

const MODEL_ID = /^[\w.-]+\/[\w.-]+$/;

/**
 * The id a config gets without --id: the Hugging Face id it records (`_name_or_path`), else the repository of a
 * Hugging Face cache path (`models--owner--name/snapshots/…`), else `local/<directory or file name>`.
 */
export function defaultModelId(path: string, facts: HfModelFacts): string {
  if (facts.hubId) return facts.hubId;
  const cached = resolve(path)
    .split(sep)
    .map((part) => /^models--([\w.-]+?)--([\w.-]+)$/.exec(part))
    .find((match) => match !== null);
  if (cached) return `${cached[1]}/${cached[2]}`;
  const name = basename(path) === 'config.json' ? basename(dirname(resolve(path))) : basename(path, '.json');
  return `local/${name.replace(/[^\w.-]+/g, '-')}`;
}

/** --id as given: owner/name, or a bare name filed under local/. */
export function modelIdOption(id: string): string {
  const full = id.includes('/') ? id : `local/${id}`;
  if (!MODEL_ID.test(full)) {
    throw new UsageError(`--id "${id}" must be a name or owner/name of letters, digits, ".", "_" and "-"`);
  }
  return full;
}

const wholeNumber = new Intl.NumberFormat('en-US');
const billions = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)}B`;

/** What was imported, in the figures a user can check against the model card. */
export function describeImportedModel(model: Model, facts: HfModelFacts): string[] {
  const a = model.architecture;
  const experts = a.moe
    ? `; ${a.moe.experts} experts, ${a.moe.expertsPerToken} per token, expert FFN ${a.moe.expertIntermediateSize}`
    : '';
  const ffn = a.moe
    ? a.intermediateSize > 0
      ? `shared FFN ${a.intermediateSize}, `
      : ''
    : `FFN ${a.intermediateSize}, `;
  const kib = facts.kvBytesPerToken / 1024;
  const attention = a.latentAttention
    ? `${a.attentionHeads} attention heads over one ${a.latentAttention.kvLoraRank + a.latentAttention.qkRopeHeadDim}-wide latent (MLA)`
    : `${a.attentionHeads} attention heads, ${a.kvHeads} KV heads × ${a.headDim}`;
  const recurrent = a.layout?.recurrent;
  const state = recurrent
    ? ` plus ${(recurrent.stateBytes / 1e6).toFixed(1)} MB of ${RECURRENT_NAMES[recurrent.kind]} state per sequence (${recurrent.layers} layers)`
    : '';
  const windowed = a.layout?.windowed;
  const window = windowed
    ? `; ${windowed.layers} layers attend to the last ${wholeNumber.format(windowed.window)} tokens only`
    : '';
  return [
    `  ${billions(model.paramsTotalB)} parameters (${billions(model.paramsActiveB)} active per token, embeddings included${experts})`,
    `  ${a.layers} layers, hidden ${a.hiddenSize}, ${ffn}${attention}, vocabulary ${wholeNumber.format(a.vocabSize)}, ${a.tiedEmbeddings ? 'tied' : 'untied'} embeddings`,
    `  context window ${wholeNumber.format(model.contextWindow)} tokens; KV cache ${wholeNumber.format(facts.kvBytesPerToken)} bytes (${Number(kib.toFixed(1))} KiB) per token at 16 bits${state}${window}`,
  ];
}

const RECURRENT_NAMES = { gated_deltanet: 'Gated DeltaNet', mamba2: 'Mamba-2' } as const;

/** `compass models import --hf-config PATH`: stores the model all-or-nothing so later plans consider it. */
export async function modelsImportCommand(context: CliContext, options: ModelsImportOptions) {
  const id = options.id === undefined ? undefined : modelIdOption(options.id);
  const { facts, sourceUrl, defaultId } = await readConfigFile(options.hfConfig);
  await withKnowledgeBase(context, async ({ database, knowledge }) => {
    let tasks: Model['tasks'];
    try {
      tasks = supportedTasks(facts.contextWindow, knowledge.useCases, options.tasks);
    } catch (error) {
      if (error instanceof HfConfigError) throw new UsageError(error.problems.join('; '));
      throw error;
    }
    const model = importedModel(facts, {
      id: id ?? defaultId,
      license: options.license,
      tasks,
      sourceUrl,
      quality: options.quality,
    });
    const stored = await importModel(database.db, model);
    if (!stored.ok) throw new UsageError(stored.reason);
    const lines = [
      `${stored.replaced ? 'Re-imported' : 'Imported'} ${model.id} (${facts.modelType}, served at ${facts.precision}):`,
      ...describeImportedModel(model, facts),
      `  use cases: ${model.tasks.join(', ')}${options.tasks?.length ? '' : ' (every one whose default request fits the context window; --tasks to choose)'}`,
      options.quality === undefined
        ? '  quality: unknown (no benchmark scores; --quality to give one): plans say "quality unknown" and rank it last when accuracy is the priority'
        : `  quality: ${options.quality} for every use case (as given with --quality)`,
      `  license: ${model.license}${options.license === undefined ? ' (--license to record it)' : ''}`,
      ...facts.notes.map((note) => `  assumed: ${note}`),
    ];
    writeLine(context.io.stdout, lines.join('\n'));
  });
}

/** `compass models list`: the catalog's models and the imported ones, with their imported measured points. */
export async function modelsListCommand(context: CliContext, options: { json?: boolean }) {
  await withKnowledgeBase(context, async ({ database }) => {
    const entries = await listModels(database.db);
    if (options.json) return writeLine(context.io.stdout, JSON.stringify(entries, null, 2));
    writeLine(
      context.io.stdout,
      columns([
        ['id', 'name', 'params', 'origin', 'measured points'],
        ...entries.map((entry) => [
          entry.id,
          entry.name,
          `${compact(entry.paramsTotalB)}B`,
          entry.origin,
          String(entry.points),
        ]),
      ]),
    );
  });
}

/** `compass models remove ID`: an imported model goes, with its imported points; the catalog's are refused. */
export async function modelsRemoveCommand(context: CliContext, id: string) {
  await withKnowledgeBase(context, async ({ database }) => {
    const outcome = await removeImportedModel(database.db, id);
    if (!outcome.removed)
      throw new ConfigFileError(
        outcome.reason === 'catalog'
          ? `${id} ships with Compass's catalog and cannot be removed (seeding would bring it back); only imported models can.`
          : `no model has the id "${id}"; \`compass models list\` shows them.`,
      );
    writeLine(
      context.io.stdout,
      `Removed ${id} and its ${outcome.points} imported measured point${outcome.points === 1 ? '' : 's'}.`,
    );
  });
}
