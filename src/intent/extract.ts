import { locateModelMentions } from '../knowledge/aliases.js';
import { extractQps, extractUsers } from './audience.js';
import { extractBatchJob, THROUGHPUT_CUE } from './batch.js';
import type { BoundedFigure } from './bounds.js';
import { BOUNDED_FIGURES, formatFigure } from './bounds.js';
import { extractBudget } from './budget.js';
import { chooseMentions, gpuMentions } from './choices.js';
import { clauseAround } from './clauses.js';
import { prepareUserText } from './input.js';
import { extractLatencyTargets, waivesLatency } from './latency.js';
import { withoutModelNames } from './model-names.js';
import { foldScripts, normalizeFigures, roundMoney, roundMs, roundRate } from './numbers.js';
import { extractPrecisions, withoutPrecisionWords } from './precision.js';
import { extractPriority } from './priority.js';
import type { ExtractionVocabulary, Intent } from './schema.js';
import { withinBounds } from './schema.js';
import { repairTypos } from './typos.js';
import { classifyUseCase } from './use-case.js';
import { extractMaxGpus, extractTokenLengths } from './workload.js';

const rounded = <T>(value: T | null, round: (value: T) => T): T | null =>
  value === null ? null : round(value);

type Figures = Pick<Intent, BoundedFigure>;

/** Every figure of a text prepared by `normalizeFigures`, as the field rules read them; null where none is stated. */
function readFigures(figures: string): Figures {
  const users = extractUsers(figures);
  const latency = extractLatencyTargets(figures);
  const batch = extractBatchJob(figures, users !== null);
  const qps = extractQps(figures, users) ?? (batch && batch.itemsPerDay / (batch.windowHours * 3600));
  return {
    users,
    qps: rounded(qps, roundRate),
    budgetMonthlyUsd: rounded(extractBudget(figures, users), roundMoney),
    maxGpus: extractMaxGpus(figures),
    ...extractTokenLengths(figures),
    ttftP95Ms: rounded(latency.ttft, roundMs),
    itlP95Ms: rounded(latency.itl, roundMs),
    e2eP95Ms: rounded(latency.e2e, roundMs),
    ...(batch && { batchItemsPerDay: Math.round(batch.itemsPerDay) }),
  };
}

/** What each figure is called when it is refused. */
const FIGURE_NAME: Record<BoundedFigure, string> = {
  users: 'a number of users',
  qps: 'a request rate',
  budgetMonthlyUsd: 'a budget',
  maxGpus: 'a GPU limit',
  promptTokens: 'a prompt length',
  outputTokens: 'an output length',
  ttftP95Ms: 'a time-to-first-token target',
  itlP95Ms: 'an inter-token latency target',
  e2eP95Ms: 'an end-to-end latency target',
  batchItemsPerDay: 'a daily volume',
};

/** A figure at or below zero: "-500", "-$100", "0", "0.0"; a hyphen between two figures is a range, not a sign. */
const NON_POSITIVE = /(?<![\w.,-])(?:-([$€£]?)\d+(?:\.\d+)?|([$€£]?)0+(?:\.0+)?)(?![\d.]*\d)/g;
/** At most this many are checked, so a text full of zeros costs a bounded number of readings. */
const NON_POSITIVE_CHECKED = 3;

/**
 * Figures at or below zero are never a fact to plan with, and the rules, which read magnitudes, would otherwise drop
 * the sign ("budget -100 dollars" → $100) or the figure ("0 users" → a default) without a word. The clause of each
 * such figure is read with a positive stand-in and without the figure: the fields that differ are the ones it was
 * given for, and each is refused with the bounds it breaks. Reading the clause alone keeps the cost bounded.
 */
function withoutNonPositive(figures: string, read: Figures): { read: Figures; refusals: string[] } {
  const refusals: string[] = [];
  const kept: Partial<Record<BoundedFigure, number | null>> = { ...read };
  for (const match of [...figures.matchAll(NON_POSITIVE)].slice(0, NON_POSITIVE_CHECKED)) {
    const currency = match[1] ?? match[2] ?? '';
    const clause = clauseAround(figures, match.index);
    const at = (replacement: string) =>
      figures.slice(clause.start, match.index) +
      replacement +
      figures.slice(match.index + match[0].length, Math.max(clause.end, match.index + match[0].length));
    const standIn = readFigures(at(`${currency}7`));
    const left = readFigures(at(' '));
    const asWritten = readFigures(at(match[0]));
    for (const field of Object.keys(BOUNDED_FIGURES) as BoundedFigure[]) {
      if (standIn[field] == null || standIn[field] === left[field]) continue;
      // What the rules made of the figure without its sign ("-100 dollars" → $100) is not what the user said.
      if (asWritten[field] != null && asWritten[field] === read[field]) kept[field] = null;
      const { max, unit } = BOUNDED_FIGURES[field];
      const least = field === 'users' || field === 'maxGpus' ? 'at least 1' : 'above 0';
      refusals.push(
        `${match[0].replace(/^-/, '−')} is not ${FIGURE_NAME[field]} Compass can plan for (${unit}: ${least}, at most ${formatFigure(max)}), so I left it out.`,
      );
    }
  }
  return { read: kept as Figures, refusals };
}

/** The text every rule reads: bounded, control characters out, digits folded to ASCII, typos repaired. */
export function readableText(text: string): string {
  return repairTypos(foldScripts(prepareUserText(text).text));
}

/** Rule-based reading of a request: every fact the text states, null/[] for the rest. Pure. */
export function extractIntent(text: string, vocab: ExtractionVocabulary): Intent {
  const repaired = readableText(text);
  const modelMentions = locateModelMentions(repaired, vocab.models);
  // Versions and sizes in model names are not figures: "a Llama 3 chatbot for our staff" is not 3 users.
  // Nor are bit widths: "4-bit" is no GPU count, "bf16" no 16 of anything.
  const figures = normalizeFigures(withoutPrecisionWords(withoutModelNames(repaired, modelMentions)));
  const precisions = extractPrecisions(repaired);
  const { read, refusals } = withoutNonPositive(figures, readFigures(figures));
  const stated = extractPriority(repaired);
  // For an offline job, "throughput matters" asks for the most items per dollar: the cheapest plan that carries them.
  const priority =
    read.batchItemsPerDay != null && !stated.priorityStated && THROUGHPUT_CUE.test(figures)
      ? { priority: 'cost' as const, priorityStated: true }
      : stated;
  const gpus = chooseMentions(repaired, gpuMentions(repaired, vocab.gpus));
  const models = chooseMentions(repaired, modelMentions);
  const intent: Omit<Intent, 'missing'> = {
    useCase: classifyUseCase(repaired),
    ...read,
    ...priority,
    // Only exclusions ("no MI300X", "anything but AMD"): every other GPU of the catalog is allowed.
    gpuTypes:
      gpus.allowed.length === 0 && gpus.excluded.length > 0
        ? vocab.gpus
            .map((gpu) => gpu.id)
            .filter((id) => !gpus.excluded.includes(id))
            .sort()
        : gpus.allowed,
    models: models.allowed,
    ...(precisions.length > 0 && { precisions }),
    // A waiver relaxes the targets the text does not state; the spec fills them in as assumed (RELAXED_LATENCY), as it
    // does a batch job's (BATCH_SLO).
    ...(waivesLatency(figures) && { latencyWaived: true as const }),
  };
  return withinBounds(refusals.length > 0 ? { ...intent, refused: refusals } : intent);
}
