import { PEOPLE_NOUN } from './audience.js';
import { CLAUSE_REACH, clauseSides, NUM, wholeCount } from './clauses.js';

/**
 * The monthly budget in text prepared by `normalizeFigures`. Other currencies are taken at face value (no
 * exchange rates in a pure core). A month is 730 hours, so a day is 730/24 of a month and a week 730/168.
 */

export const MONTHS_PER: Record<string, number> = {
  hour: 1 / 730,
  day: 24 / 730,
  week: 168 / 730,
  month: 1,
  quarter: 3,
  year: 12,
};

const CURRENCY_BEFORE = '(?:us\\$|\\$|€|£|usd|eur|gbp)';
const CURRENCY_AFTER = '(?:usd|us dollars|dollars?|bucks|eur|euros?|gbp|pounds?)';

/**
 * An amount with its currency: "$8000", "usd 500", "5000 dollars"; of a range ("$5-10000", "$4000 to $6000",
 * "between $4000 and $6000") the upper end, since a budget is a ceiling.
 */
const MONEY = new RegExp(
  `(?:${CURRENCY_BEFORE}\\s?${NUM}(?:\\s*(?:-|to)\\s*${CURRENCY_BEFORE}?\\s?${NUM}|\\s+and\\s+${CURRENCY_BEFORE}\\s?${NUM})?(?:\\s*${CURRENCY_AFTER}\\b)?|(?<![\\w.])${NUM}(?:\\s*(?:-|to)\\s*${NUM})?\\s*(?:${CURRENCY_AFTER}\\b|[$€£]))`,
  'g',
);

/** "5000 budget", "3000 usd monthly budget": the figure before the budget word. */
const FIGURE_BEFORE_BUDGET = new RegExp(
  `(?<![\\w.$€£])${NUM}\\s*(?:${CURRENCY_AFTER}\\s*)?(?:(?:a|per) month\\s+|(?:monthly|annual|yearly)\\s+)?(?:budget|cap|spend)\\b`,
  'g',
);

/** A figure right after a budget word, with no currency: "budget 1500 a month", "can spend 3000 monthly". */
const BUDGET_FIGURE = new RegExp(
  `(?<!\\b(?:gpu|token|latency|time|error|compute)\\s)\\b(?:budget|spend|spending|afford|allowance|ceiling|cost|costs)\\b(?:\\s+(?:is|of|at|around|about|approximately|roughly|under|below|max|maximum|up to|less than|no more than|not exceeding|will be|would be|stays?|should|must|we have|has|have|per month|monthly|a month|cap|limit|total|<=?|~|:|=))*\\s*(?:<=?|~|:|=)?\\s*(?<![\\w.])${NUM}(?!\\w|\\.\\d|\\s*(?:%|x\\b|-?(?:${PEOPLE_NOUN}|gpus?|cards?|[a-z]{1,3}-?\\d{1,4}[a-z]{0,2}|tokens?|pages?|requests?|queries|qps|rps|ms|s|sec|seconds?|minutes?|hours?)\\b))`,
  'g',
);

/** "20000/mo", "1500 per month": a bare figure per month or year is money; requests per month name their noun. */
const FIGURE_PER_MONTH =
  /(?<![\w.$€£])(\d+(?:\.\d+)?)\s*(?:\/|per|a|an|each|every)\s*(?:month|mo|mth|quarter|qtr|year|yr|annum)\b/g;

const PERIOD_AFTER =
  /^\s*(?:(?:\/|per|a|an|each|every|in an?|for (?:the|a|one|each)|over (?:the|a))\s*(month|mo|mth|quarter|qtr|year|yr|annum|week|wk|day|hour|hr|h)\b|(monthly|quarterly|annually|yearly|annual|weekly|daily|hourly|pm|pa)\b)/;
const PERIOD_BEFORE =
  /\b(monthly|quarterly|annual|annually|yearly|weekly|daily|hourly)\s+(?:budget|spend|spending|cap|limit|cost)[^,;]*$/;
const PERIOD_BEFORE_PER = /\b(?:per|a|each|every)\s+(month|quarter|year|week|day|hour)\b[^,;]*$/;

/** Prices of a unit (a GPU hour, a million tokens, a seat) rather than a budget for the whole deployment. */
const UNIT_PRICE_AFTER =
  /^\s*(?:(?:\/|\bper|\ban?|\beach)\s*(?:hour|hr|h)\s*)?(?:\/|\bper|\ban?|\beach)\s*(?:\d+\s*)?(?:million\s+|thousand\s+)?(?:gpus?|cards?|instances?|nodes?|tokens?|requests?|query|queries|calls?|[a-z]{1,3}-?\d{1,4}[a-z]{0,2})\b/;
/** "price per 1M tokens under $1", "GPU cost ~$2.50/hr": the figure is a unit price named before it. */
const UNIT_PRICE_BEFORE =
  /\bper\s+(?:\d+\s*)?(?:million\s+|thousand\s+)?(?:tokens?|requests?|quer(?:y|ies)|calls?|gpus?|cards?|instances?|nodes?)\b[^,;]*$/;
const GPU_WORD = /\b(?:gpus?|cards?|instances?|nodes?|[a-z]{1,3}-?\d{1,4}[a-z]{0,2})\b/;

const PER_PERSON_AFTER = new RegExp(`^\\s*(?:\\/|per|a|an|each)\\s*${PEOPLE_NOUN}\\b`);

const BUDGET_WORD =
  /\b(?:budget|spend|spending|afford|allowance|cap|ceiling|max|maximum|limit|under|below|up to|at most|no more than|less than)\b/;

function periodOf(word: string): keyof typeof MONTHS_PER {
  if (/^(?:h|hr|hour|hourly)$/.test(word)) return 'hour';
  if (/^(?:day|daily)$/.test(word)) return 'day';
  if (/^(?:wk|week|weekly)$/.test(word)) return 'week';
  if (/^(?:quarter|qtr|quarterly)$/.test(word)) return 'quarter';
  if (/^(?:year|yr|annum|annual|annually|yearly|pa)$/.test(word)) return 'year';
  return 'month';
}

interface Amount {
  monthly: number;
  budgetWord: boolean;
  start: number;
}

/** The budget in USD per month; amounts with a budget word near them win over other amounts. */
export function extractBudget(text: string, users: number | null): number | null {
  const amounts: Amount[] = [];
  const starts = new Set<number>();
  const consider = (start: number, end: number, value: number) => {
    if (starts.has(start) || !(value > 0)) return;
    const after = text.slice(end, end + CLAUSE_REACH);
    if (UNIT_PRICE_AFTER.test(after)) return;
    const { before, after: clauseAfter } = clauseSides(text, start, end);
    if (UNIT_PRICE_BEFORE.test(before)) return;
    let monthly = value;
    const perPerson = PER_PERSON_AFTER.exec(after);
    if (perPerson) {
      if (users === null) return;
      monthly *= users;
    }
    const periodText = perPerson ? after.slice(perPerson[0].length) : after;
    const period =
      PERIOD_AFTER.exec(periodText) ?? PERIOD_BEFORE.exec(before) ?? PERIOD_BEFORE_PER.exec(before);
    const unit = period && periodOf(period[1] ?? period[2]!);
    // An hourly amount beside a GPU word is what one GPU costs, not what the deployment may.
    if (unit === 'hour' && GPU_WORD.test(before)) return;
    if (unit) monthly /= MONTHS_PER[unit]!;
    const budgetWord =
      BUDGET_WORD.test(before) || /^\s*(?:budget|max|maximum|cap|limit|tops)\b/.test(clauseAfter);
    amounts.push({ monthly, budgetWord, start });
    starts.add(start);
  };
  for (const match of text.matchAll(MONEY)) {
    const upper = match[2] ?? match[3] ?? match[1] ?? match[5] ?? match[4];
    // "4.000 EUR" is four thousand: nobody budgets to the tenth of a cent.
    consider(match.index, match.index + match[0].length, wholeCount(upper!));
  }
  for (const match of text.matchAll(BUDGET_FIGURE)) {
    const digits = match[1]!;
    const start = match.index + match[0].lastIndexOf(digits);
    // An amount with a currency sign was already taken by MONEY.
    if (/[$€£]\s?$|\b(?:usd|eur|gbp)\s?$/.test(text.slice(Math.max(0, start - 6), start))) continue;
    consider(start, start + digits.length, wholeCount(digits));
  }
  for (const match of text.matchAll(FIGURE_BEFORE_BUDGET)) {
    // "the 2025 budget", "Q4 2024 budget": a year's budget, unless a currency says the figure is money.
    const year = /^(?:199\d|20\d\d|2100)$/.test(match[1]!);
    if (year && !/\b(?:usd|us dollars|dollars?|bucks|eur|euros?|gbp|pounds?)\b/.test(match[0])) continue;
    consider(match.index, match.index + match[1]!.length, wholeCount(match[1]!));
  }
  for (const match of text.matchAll(FIGURE_PER_MONTH)) {
    consider(match.index, match.index + match[1]!.length, Number(match[1]));
  }
  if (amounts.length === 0) return null;
  amounts.sort((a, b) => a.start - b.start);
  const chosen = amounts.find((amount) => amount.budgetWord) ?? amounts[0]!;
  return chosen.monthly;
}
