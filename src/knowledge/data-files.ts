/**
 * Reads the knowledge-base files in data/ (gpus.json, models.json, use-cases.json), validates every entry against
 * the catalog schemas and cross-checks them, so a bad edit fails loudly with every problem listed at once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { fieldPath } from '../field-path.js';
import { dataDir } from '../paths.js';
import { e2eFloorMs, Gpu, Model, USE_CASE_IDS, UseCase } from './catalog.js';

export const CATALOG_FILES = {
  gpus: 'gpus.json',
  models: 'models.json',
  useCases: 'use-cases.json',
} as const;

export interface CatalogFiles {
  gpus: Gpu[];
  models: Model[];
  useCases: UseCase[];
}

/** Every problem found in data/, one per line as `file: entry: field: what is wrong`. */
export class DataFileError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(
      `The knowledge-base data files have ${problems.length} problem(s):\n` +
        problems.map((problem) => `  - ${problem}`).join('\n'),
    );
    this.name = 'DataFileError';
    this.problems = problems;
  }
}

type Report = (file: string, entry: string, field: string, message: string) => void;

function entryLabel(entry: unknown, index: number): string {
  const id = (entry as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id.length > 0 ? id : `entry #${index}`;
}

/** Parses one file's `{ description, <key>: [...] }` and each entry; entries that fail are reported and dropped. */
function readEntries<T>(
  dir: string,
  key: keyof typeof CATALOG_FILES,
  schema: z.ZodType<T>,
  report: Report,
): T[] {
  const file = CATALOG_FILES[key];
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  } catch (error) {
    report(file, '(file)', '(file)', `cannot be read as JSON: ${(error as Error).message}`);
    return [];
  }
  const envelope = z.object({ description: z.string().min(1), [key]: z.array(z.unknown()) }).safeParse(json);
  if (!envelope.success) {
    for (const issue of envelope.error.issues) {
      report(file, '(file)', fieldPath(issue.path) || '(root)', issue.message);
    }
    return [];
  }
  const entries = envelope.data[key] as unknown[];
  return entries.flatMap((entry, index) => {
    const parsed = schema.safeParse(entry);
    if (parsed.success) return [parsed.data];
    for (const issue of parsed.error.issues) {
      report(file, entryLabel(entry, index), fieldPath(issue.path), issue.message);
    }
    return [];
  });
}

function checkUniqueIds(file: string, entries: readonly { id: string }[], report: Report) {
  const seen = new Set<string>();
  for (const { id } of entries) {
    if (seen.has(id)) report(file, id, 'id', 'appears more than once');
    seen.add(id);
  }
}

/** An alias must name one thing, so it is unique across GPUs and models alike. */
function checkAliases(
  entries: readonly { file: string; id: string; aliases: readonly string[] }[],
  report: Report,
) {
  const owner = new Map<string, string>();
  for (const { file, id, aliases } of entries) {
    aliases.forEach((alias, index) => {
      const field = `aliases[${index}]`;
      if (alias !== alias.trim().toLowerCase()) {
        report(file, id, field, `"${alias}" must be lower-case without surrounding spaces`);
      }
      const previous = owner.get(alias);
      if (previous === undefined) owner.set(alias, id);
      else report(file, id, field, `"${alias}" is already an alias of ${previous}`);
    });
  }
}

function checkModel(model: Model, useCases: ReadonlyMap<string, UseCase>, report: Report) {
  const file = CATALOG_FILES.models;
  const at = (field: string, message: string) => report(file, model.id, field, message);
  const { architecture: arch } = model;

  if (arch.attentionHeads % arch.kvHeads !== 0) {
    at('architecture.kvHeads', `${arch.kvHeads} does not divide attentionHeads ${arch.attentionHeads}`);
  }
  if (arch.moe) {
    if (arch.moe.expertsPerToken > arch.moe.experts) {
      at('architecture.moe.expertsPerToken', `exceeds experts ${arch.moe.experts}`);
    }
    if (model.paramsActiveB >= model.paramsTotalB) {
      at(
        'paramsActiveB',
        `a mixture-of-experts model must use fewer than paramsTotalB ${model.paramsTotalB}`,
      );
    }
  } else if (model.paramsActiveB !== model.paramsTotalB) {
    at('paramsActiveB', `a dense model uses all its parameters: expected paramsTotalB ${model.paramsTotalB}`);
  }

  const precisions = model.precisions.map(({ precision }) => precision);
  // A model released in FP8 (DeepSeek V3.x, Kimi K2) is served as released; anything else has its bf16 weights.
  const asReleased = model.precisions.some(({ checkpoint }) => checkpoint === model.id);
  if (!precisions.includes('bf16') && !asReleased) {
    at('precisions', 'bf16 must be served, or the release itself (a checkpoint equal to the id)');
  }
  // A precision may name several checkpoints (measurements name the one they ran), each once.
  const served = model.precisions.map(({ precision, checkpoint }) => `${precision} ${checkpoint}`);
  served.forEach((entry, index) => {
    if (served.indexOf(entry) !== index) {
      at(`precisions[${index}]`, `${entry} is listed more than once`);
    }
  });

  const tasks = new Set<string>(model.tasks);
  for (const task of tasks) {
    if (model.quality[task as keyof Model['quality']] === undefined) {
      at(`quality.${task}`, 'is missing for a supported use case');
    }
    const useCase = useCases.get(task);
    const needed = useCase ? useCase.traffic.promptTokens + useCase.traffic.outputTokens : 0;
    if (model.contextWindow < needed) {
      at('tasks', `${task} needs ${needed} tokens of context but contextWindow is ${model.contextWindow}`);
    }
  }
  for (const useCaseId of Object.keys(model.quality)) {
    if (!tasks.has(useCaseId)) at(`quality.${useCaseId}`, 'is scored but not listed in tasks');
  }
}

function checkUseCases(useCases: readonly UseCase[], report: Report) {
  const file = CATALOG_FILES.useCases;
  const present = new Set(useCases.map(({ id }) => id));
  for (const id of USE_CASE_IDS) {
    if (!present.has(id)) report(file, id, 'id', 'is missing: every use case needs an entry');
  }
  for (const { id, traffic, slo } of useCases) {
    const { floorMs, replyTokens } = e2eFloorMs(
      slo.ttftP95Ms,
      slo.itlP95Ms,
      traffic.outputTokens,
      traffic.outputTokensCv,
    );
    if (slo.e2eP95Ms < floorMs) {
      report(
        file,
        id,
        'slo.e2eP95Ms',
        `${slo.e2eP95Ms} ms is below ttftP95Ms + ${replyTokens} output tokens (the p95 reply) × itlP95Ms = ${floorMs} ms`,
      );
    }
  }
}

/** Reads and validates data/; throws one DataFileError naming the file, entry and field of every problem. */
export function readCatalogFiles(dir: string = dataDir): CatalogFiles {
  const problems: string[] = [];
  const report: Report = (file, entry, field, message) =>
    problems.push(`${file}: ${entry}: ${field}: ${message}`);

  const gpus = readEntries(dir, 'gpus', Gpu, report);
  const models = readEntries(dir, 'models', Model, report);
  const useCases = readEntries(dir, 'useCases', UseCase, report);

  checkUniqueIds(CATALOG_FILES.gpus, gpus, report);
  checkUniqueIds(CATALOG_FILES.models, models, report);
  checkUniqueIds(CATALOG_FILES.useCases, useCases, report);
  checkAliases(
    [
      ...gpus.map(({ id, aliases }) => ({ file: CATALOG_FILES.gpus, id, aliases })),
      ...models.map(({ id, aliases }) => ({ file: CATALOG_FILES.models, id, aliases })),
    ],
    report,
  );
  const useCaseById = new Map(useCases.map((useCase) => [useCase.id, useCase] as const));
  for (const model of models) checkModel(model, useCaseById, report);
  checkUseCases(useCases, report);

  if (problems.length > 0) throw new DataFileError(problems);
  return { gpus, models, useCases };
}
