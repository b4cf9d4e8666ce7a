/** Shared pieces of the figure rules: the number pattern and clause boundaries. */

/**
 * A plain decimal as `normalizeFigures` leaves every number. It starts where a digit run starts: a match tried
 * from inside the run could only repeat the one tried from its first digit, and trying each would make a long
 * run of digits cost quadratic time.
 */
export const NUM = '(?<!\\d)(\\d+(?:\\.\\d+)?)';

/** Where a clause ends: sentence punctuation, a comma or full stop not inside a number, or a new line. */
const CLAUSE_BREAK = /[;!?\n()[\]]|,(?!\d)|\.(?!\d)/g;

/**
 * How far a clause reaches either side of a figure. No one pairs a figure with a word further away than this, and
 * the bound keeps every figure's look-around constant, so a long text costs linear time however many figures it has.
 */
export const CLAUSE_REACH = 300;

/** Start and end of the clause around `index`; figures and their labels are only paired inside one clause. */
export function clauseAround(text: string, index: number): { start: number; end: number } {
  const from = Math.max(0, index - CLAUSE_REACH);
  const to = Math.min(text.length, index + CLAUSE_REACH);
  let start = from;
  let end = to;
  // One character past the window so that a comma on its edge still sees whether a digit follows.
  for (const match of text.slice(from, to + 1).matchAll(CLAUSE_BREAK)) {
    const at = from + match.index;
    if (at >= to) break;
    if (at < index) start = at + 1;
    else {
      end = at;
      break;
    }
  }
  return { start, end };
}

/** The clause text before and after a span. */
export function clauseSides(text: string, start: number, end: number): { before: string; after: string } {
  const clause = clauseAround(text, start);
  return { before: text.slice(clause.start, start), after: text.slice(end, Math.max(end, clause.end)) };
}

/** "1.500" with a dot every three digits is a European thousands separator when the value must be whole. */
export function wholeCount(digits: string): number {
  return /^\d{1,3}(?:\.\d{3})+$/.test(digits) ? Number(digits.replace(/\./g, '')) : Number(digits);
}
