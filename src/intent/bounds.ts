/**
 * The largest figure of each kind Compass plans for: far beyond any real deployment, so that a typo (an extra 0 or
 * three), a number too long to be exact (above 2^53) or an invented figure is refused with a message instead of
 * planned. The intent schema, the extractor, the LLM pass, the forms and the CLI flags all read these.
 */
export const FIGURE_MAX = {
  users: 1e8,
  qps: 1e6,
  budgetMonthlyUsd: 1e9,
  tokens: 10_000_000,
  /** Spread of request lengths (standard deviation ÷ mean); published traces stay below 3. */
  lengthCv: 10,
  gpus: 100_000,
  ttftP95Ms: 600_000,
  itlP95Ms: 60_000,
  e2eP95Ms: 3_600_000,
  itemsPerDay: 1e10,
} as const;

/** The intent's figures, with the bound each one has and the words that name it for a user. */
export const BOUNDED_FIGURES = {
  users: { max: FIGURE_MAX.users, unit: 'users' },
  qps: { max: FIGURE_MAX.qps, unit: 'requests/s' },
  budgetMonthlyUsd: { max: FIGURE_MAX.budgetMonthlyUsd, unit: 'USD a month' },
  maxGpus: { max: FIGURE_MAX.gpus, unit: 'GPUs' },
  promptTokens: { max: FIGURE_MAX.tokens, unit: 'prompt tokens' },
  outputTokens: { max: FIGURE_MAX.tokens, unit: 'output tokens' },
  ttftP95Ms: { max: FIGURE_MAX.ttftP95Ms, unit: 'ms time to first token' },
  itlP95Ms: { max: FIGURE_MAX.itlP95Ms, unit: 'ms between tokens' },
  e2eP95Ms: { max: FIGURE_MAX.e2eP95Ms, unit: 'ms end to end' },
  batchItemsPerDay: { max: FIGURE_MAX.itemsPerDay, unit: 'items a day' },
} as const;
export type BoundedFigure = keyof typeof BOUNDED_FIGURES;

const exact = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

/** A figure as a user reads it: digits while they are exact, powers of ten beyond. */
export function formatFigure(value: number): string {
  return Number.isFinite(value) && Math.abs(value) < Number.MAX_SAFE_INTEGER
    ? exact.format(value)
    : value.toExponential(2);
}

/** Why `value` is refused for `field`, or null when Compass plans for it. */
export function figureOutOfBounds(field: BoundedFigure, value: number): string | null {
  const { max, unit } = BOUNDED_FIGURES[field];
  if (Number.isFinite(value) && value > 0 && value <= max) return null;
  return `${formatFigure(value)} ${unit} is beyond what Compass plans for (at most ${formatFigure(max)}), so I left it out.`;
}
