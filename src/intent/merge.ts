import { figureOutOfBounds, formatFigure } from './bounds.js';
import { MONTHS_PER } from './budget.js';
import { MS_PER } from './latency.js';
import type { LlmIntentDraft } from './llm.js';
import { normalizeFigures, roundMoney, roundMs, roundRate } from './numbers.js';
import type { ExtractionVocabulary, Intent } from './schema.js';
import { withinBounds } from './schema.js';

export interface MergeOutcome {
  intent: Intent;
  /** Fields the LLM filled in. */
  adopted: string[];
  /** LLM answers that were not used, with why. */
  ignored: { field: string; reason: string }[];
}

type NumericField = 'users' | 'qps' | 'budgetMonthlyUsd' | 'ttftP95Ms' | 'itlP95Ms' | 'e2eP95Ms';

/** The least plausible answer per field (the most is FIGURE_MAX); one below is a hallucination or a unit slip. */
const NUMERIC_MIN: Record<NumericField, number> = {
  users: 1,
  qps: 0.001,
  budgetMonthlyUsd: 1,
  ttftP95Ms: 1,
  itlP95Ms: 1,
  e2eP95Ms: 1,
};

/**
 * What a figure in the text may be multiplied by to become the field's value: the unit conversions the prompt asks
 * the LLM to make (per minute → per second, a year's budget → a month's, seconds → milliseconds).
 */
const CONVERSIONS: Record<NumericField, number[]> = {
  users: [1],
  qps: [1, 1 / 60, 1 / 3600, 1 / 86_400],
  budgetMonthlyUsd: Object.values(MONTHS_PER).map((months) => 1 / months),
  ttftP95Ms: Object.values(MS_PER),
  itlP95Ms: Object.values(MS_PER),
  e2eP95Ms: Object.values(MS_PER),
};

/** LLM figures get the rounding the rules give theirs, so output does not depend on which found a value. */
const ROUNDING: Record<NumericField, (value: number) => number> = {
  users: Math.round,
  qps: roundRate,
  budgetMonthlyUsd: roundMoney,
  ttftP95Ms: roundMs,
  itlP95Ms: roundMs,
  e2eP95Ms: roundMs,
};

/** Every figure the text states, as the rules read them ("three hundred" → 300, "2.5k" → 2500). */
function figuresIn(text: string): number[] {
  return [...normalizeFigures(text).matchAll(/\d+(?:\.\d+)?/g)].map((match) => Number(match[0]));
}

/** Whether `value` is one of the text's figures, or one converted to the field's unit (within rounding). */
function statedIn(figures: number[], field: NumericField, value: number): boolean {
  return figures.some((figure) =>
    CONVERSIONS[field].some((factor) => Math.abs(figure * factor - value) <= 0.01 * value),
  );
}

/**
 * Combines the rule-based intent with an LLM draft. The rules win where they found something (they parse figures
 * exactly); the LLM only fills gaps, and only with values that are valid ids, within bounds, and — for figures —
 * the same figure as one the text states (or its unit conversion), so an invented figure never reaches a plan and
 * an instruction hidden in the text ("set users to 999999999") cannot raise one past FIGURE_MAX.
 */
export function mergeLlmDraft(
  rules: Intent,
  draft: LlmIntentDraft,
  vocab: ExtractionVocabulary,
  text: string,
): MergeOutcome {
  const merged: Omit<Intent, 'missing'> = { ...rules };
  const adopted: string[] = [];
  const ignored: MergeOutcome['ignored'] = [];
  const figures = figuresIn(text);

  if (rules.useCase === null && draft.useCase) {
    merged.useCase = draft.useCase;
    adopted.push('useCase');
  }

  for (const field of Object.keys(NUMERIC_MIN) as NumericField[]) {
    const value = draft[field];
    if (value === null || value === undefined || rules[field] !== null) continue;
    const beyond = figureOutOfBounds(field, value);
    if (figures.length === 0) ignored.push({ field, reason: 'the text states no figure' });
    else if (beyond !== null) ignored.push({ field, reason: beyond });
    else if (value < NUMERIC_MIN[field])
      ignored.push({ field, reason: `${formatFigure(value)} is below ${NUMERIC_MIN[field]}` });
    else if (!statedIn(figures, field, value))
      ignored.push({ field, reason: `${formatFigure(value)} is no figure the text states` });
    else {
      merged[field] = ROUNDING[field](value);
      adopted.push(field);
    }
  }

  if (!rules.priorityStated && draft.priority) {
    if (draft.priority === 'balanced' && !/balanc/i.test(text)) {
      ignored.push({ field: 'priority', reason: 'balanced is the default, not something the text says' });
    } else {
      merged.priority = draft.priority;
      merged.priorityStated = true;
      adopted.push('priority');
    }
  }

  const pickKnown = (field: 'gpuTypes' | 'models', known: readonly { id: string }[]) => {
    const answer = draft[field];
    if (!answer?.length || rules[field].length > 0) return;
    const byLowerId = new Map(known.map((entry) => [entry.id.toLowerCase(), entry.id]));
    const ids = answer.map((id) => byLowerId.get(id.trim().toLowerCase()));
    const valid = [...new Set(ids.filter((id): id is string => id !== undefined))].sort();
    const unknown = answer.filter((_, index) => ids[index] === undefined);
    if (unknown.length > 0) ignored.push({ field, reason: `unknown ids: ${unknown.join(', ')}` });
    if (valid.length > 0) {
      merged[field] = valid;
      adopted.push(field);
    }
  };
  pickKnown('gpuTypes', vocab.gpus);
  pickKnown('models', vocab.models);

  return { intent: withinBounds(merged), adopted, ignored };
}
