import { readFile } from 'node:fs/promises';
import type { Precision } from '../knowledge/catalog.js';
import { parseGuidellmReport } from '../knowledge/guidellm.js';
import { listImportedBenchmarks, removeImportedBenchmarks } from '../knowledge/manage.js';
import { importBenchmarks } from '../knowledge/store.js';
import { describeImplausible, implausiblePoints } from '../planner/index.js';
import type { CliContext } from './context.js';
import { catalogGpuId, catalogModelId, withKnowledgeBase } from './context.js';
import { columns } from './format.js';
import { UsageError, writeLine } from './io.js';

export interface ImportOptions {
  model: string;
  gpu: string;
  tp: number;
  gpuCount?: number;
  precision: Precision;
}

export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    // A path that names no readable file is bad usage (exit 2), like a mistyped flag.
    throw new UsageError(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ImportError(
      `${file} is not JSON (${(error as Error).message}); expected a GuideLLM benchmark report.`,
    );
  }
}

/**
 * `compass benchmarks import FILE --model HF_ID --gpu ID --tp N`: all points of the report, or none — none when a
 * point cannot be true of the configuration (it does not fit, decodes faster than its memory allows, or its
 * percentiles are out of order).
 */
export async function importBenchmarksCommand(context: CliContext, file: string, options: ImportOptions) {
  const report = await readJson(file);
  await withKnowledgeBase(context, async ({ database, knowledge }) => {
    const modelId = catalogModelId(options.model, knowledge);
    const gpuId = catalogGpuId(options.gpu, knowledge);
    const gpuCount = options.gpuCount ?? options.tp;
    if (gpuCount % options.tp !== 0)
      throw new UsageError(`--gpu-count ${gpuCount} is not a multiple of --tp ${options.tp}`);
    const points = parseGuidellmReport(report, {
      modelId,
      gpuId,
      tensorParallel: options.tp,
      gpuCount,
      precision: options.precision,
      source: file,
    });
    const refused = implausiblePoints(points, knowledge);
    if (refused.length)
      throw new ImportError(
        `${file}: nothing imported; ${refused.length} of its ${points.length} points cannot be right:\n${describeImplausible(points, refused)}`,
      );
    const result = await importBenchmarks(database.db, points);
    writeLine(
      context.io.stdout,
      `Imported ${points.length} measured points for ${modelId} on ${gpuCount}× ${gpuId} (TP ${options.tp}, ` +
        `${options.precision}): ${result.inserted} new, ${result.replaced} replaced.`,
    );
  });
}

/** `compass benchmarks list`: the imported measured points, one line per import and configuration. */
export async function listBenchmarksCommand(context: CliContext, options: { json?: boolean }) {
  await withKnowledgeBase(context, async ({ database }) => {
    const groups = await listImportedBenchmarks(database.db);
    if (options.json) return writeLine(context.io.stdout, JSON.stringify(groups, null, 2));
    if (!groups.length)
      return writeLine(context.io.stdout, 'No imported measured points (the catalog’s own are not listed).');
    writeLine(
      context.io.stdout,
      columns([
        ['import', 'source', 'model', 'GPUs', 'TP', 'precision', 'points', 'imported'],
        ...groups.map((group) => [
          group.importId,
          group.source,
          group.modelId,
          `${group.gpuCount}× ${group.gpuId}`,
          String(group.tensorParallel),
          group.precision,
          String(group.points),
          group.importedAt.toISOString().slice(0, 16).replace('T', ' '),
        ]),
      ]),
    );
  });
}

/** `compass benchmarks remove IMPORT_ID|SOURCE`: an import's points, or a source's, stop calibrating plans. */
export async function removeBenchmarksCommand(context: CliContext, selector: string) {
  await withKnowledgeBase(context, async ({ database }) => {
    const removed = await removeImportedBenchmarks(database.db, selector);
    if (removed === 0)
      throw new ImportError(
        `no imported points have import id or source "${selector}"; \`compass benchmarks list\` shows them.`,
      );
    writeLine(
      context.io.stdout,
      `Removed ${removed} measured point${removed === 1 ? '' : 's'} (${selector}).`,
    );
  });
}
