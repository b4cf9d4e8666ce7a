/**
 * Text preparation for figure extraction: one lower-case spelling for every way people write a number, so the
 * field rules only ever see plain decimals ("1,500" → 1500, "2.5k" → 2500, "two hundred" → 200, "a million" →
 * 1000000).
 */

const SMALL: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
};
const TENS: Record<string, number> = {
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
const SCALES: Record<string, number> = { dozen: 12, hundred: 100, thousand: 1e3, million: 1e6, billion: 1e9 };

const NUMBER_WORD = [...Object.keys(SMALL), ...Object.keys(TENS), ...Object.keys(SCALES)].join('|');
/** A run of number words and at most a leading decimal, e.g. "twenty-five", "2 hundred", "a thousand". */
const NUMBER_PHRASE = new RegExp(
  `(?<![\\w.])(?:an?\\s+(?=(?:dozen|hundred|thousand|million|billion)\\b)|\\d+(?:\\.\\d+)?\\s*(?=(?:hundred|thousand|million|billion|dozen)\\b))?(?:${NUMBER_WORD})(?:(?:[\\s-]+|\\s+and\\s+)(?:${NUMBER_WORD}))*\\b`,
  'g',
);

/** Removes float noise from scaled values: 1.1 × 1000 → 1100, not 1100.0000000000002. */
function clean(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** Value of a number-word phrase, or null when the words do not form one number ("one two"). */
export function parseNumberPhrase(phrase: string): number | null {
  const words = phrase.split(/[\s-]+/).filter((word) => word !== 'and' && word !== '');
  let total = 0;
  let current: number | null = null;
  let lastSmall: 'unit' | 'tens' | null = null;
  for (const [position, word] of words.entries()) {
    if ((word === 'a' || word === 'an') && position === 0) current = 1;
    else if (/^\d/.test(word)) {
      if (position !== 0) return null;
      current = Number(word);
      lastSmall = 'unit';
    } else if (Object.hasOwn(SMALL, word)) {
      if (lastSmall === 'unit' || (lastSmall === 'tens' && SMALL[word]! >= 10)) return null;
      current = (current ?? 0) + SMALL[word]!;
      lastSmall = 'unit';
    } else if (Object.hasOwn(TENS, word)) {
      if (lastSmall !== null) return null;
      current = (current ?? 0) + TENS[word]!;
      lastSmall = 'tens';
    } else if (Object.hasOwn(SCALES, word)) {
      const scale = SCALES[word]!;
      if (scale < 1000) current = (current ?? 1) * scale;
      else {
        total += (current ?? 1) * scale;
        current = null;
      }
      lastSmall = null;
    } else return null;
  }
  return clean(total + (current ?? 0));
}

/** Words after "Nm" that show the m is not "million" ("2m to respond", "under 5m in total"). */
const NOT_MILLION_AFTER =
  /^\s*(?:$|[^a-z\s/+]|(?:to|or|and|in|of|for|at|on|end|e2e|total|max|p\d\d|per|each|a|an)\b)/;

/** Digit blocks people type besides ASCII: Arabic-Indic, Extended Arabic-Indic (Persian, Urdu), Devanagari. */
const DIGIT_BLOCKS = [0x0660, 0x06f0, 0x0966];
const OTHER_DIGIT = /[\u0660-\u0669\u06f0-\u06f9\u0966-\u096f]/g;
/** Full-width ASCII (U+FF01–FF5E), as typed with a CJK input method, and the ideographic space. */
const FULL_WIDTH = /[\uff01-\uff5e]/g;

/**
 * The text with every digit an ASCII digit ("٢٠٠٠" → "2000", "２０００" → "2000") and full-width letters and signs
 * as ASCII. Each character maps to one character, so positions in the folded text are positions in the original.
 */
export function foldScripts(text: string): string {
  return text
    .replace(OTHER_DIGIT, (digit) => {
      const code = digit.charCodeAt(0);
      const block = DIGIT_BLOCKS.find((start) => code >= start && code <= start + 9)!;
      return String(code - block);
    })
    .replace(/\u066b/g, '.')
    .replace(/\u066c/g, ',')
    .replace(FULL_WIDTH, (char) => String.fromCharCode(char.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ');
}

/** Time units after "per" in French, Spanish, Portuguese, Italian, German and Dutch, as the English rules spell them. */
const FOREIGN_UNIT: Record<string, string> = {
  seconde: 'second',
  segundo: 'second',
  secondo: 'second',
  sekunde: 'second',
  minuto: 'minute',
  minuten: 'minute',
  heure: 'hour',
  hora: 'hour',
  ora: 'hour',
  stunde: 'hour',
  uur: 'hour',
  jour: 'day',
  día: 'day',
  dia: 'day',
  giorno: 'day',
  tag: 'day',
  dag: 'day',
  semaine: 'week',
  semana: 'week',
  settimana: 'week',
  woche: 'week',
  mois: 'month',
  mes: 'month',
  mês: 'month',
  mese: 'month',
  monat: 'month',
  maand: 'month',
  an: 'year',
  año: 'year',
  ano: 'year',
  anno: 'year',
  jahr: 'year',
  jaar: 'year',
};
const FOREIGN_PER = new RegExp(
  `(?<!\\p{L})(?:par|por|pro|je|al|ao|au|à la|a la|per)\\s+(${Object.keys(FOREIGN_UNIT).join('|')})(?!\\p{L})`,
  'gu',
);
/** Budget words of those languages. */
const FOREIGN_BUDGET = /(?<!\p{L})(?:presupuesto|or[cç]amento|bilancio)(?!\p{L})/gu;

/** "2.5e3" → "2500": scientific notation as plain digits, exactly (no float rounding on the way). */
function expandExponent(mantissa: string, power: number): string {
  const [whole, fraction = ''] = mantissa.split('.');
  const digits = `${whole}${fraction}`;
  const point = whole!.length + power;
  const expanded =
    point >= digits.length
      ? digits + '0'.repeat(point - digits.length)
      : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return expanded.replace(/^0+(?=\d)/, '');
}

/** Lower-case text with unified punctuation and every number spelled as a plain decimal. */
export function normalizeFigures(text: string): string {
  let prepared = foldScripts(text)
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/\u00d7/g, 'x')
    .replace(/\u2264/g, '<=')
    .replace(/\u2265/g, '>=')
    .replace(/\u2248/g, '~')
    .replace(/[\u00a0\u2009\u202f]/g, ' ')
    // "TTFT (p95) < 300ms": a percentile in brackets qualifies the figure beside it rather than ending a clause.
    .replace(/\(\s*(p\d\d(?:\.\d+)?|\d\dth percentile)\s*\)/g, ' $1 ');
  prepared = prepared
    .replace(FOREIGN_PER, (_, unit: string) => `per ${FOREIGN_UNIT[unit]}`)
    .replace(FOREIGN_BUDGET, 'budget');
  // Scientific notation ("1e6", "2.5e3") as digits, so that every rule reads it and the bounds can refuse "1e12".
  prepared = prepared.replace(
    /(?<![\w.])(\d+(?:\.\d+)?)e\+?(\d{1,2})\b/g,
    (_, mantissa: string, power: string) => expandExponent(mantissa, Number(power)),
  );
  // "1,5k" is a decimal comma: only a thousands separator has three digits after it.
  prepared = prepared.replace(
    /(?<![\d.,])(\d{1,3}),(\d{1,2})\s?(?=(?:k|m|mm|mn|mil|bn|thousand|million|billion)\b)/g,
    '$1.$2',
  );
  // Thousands separators: 1,500 / 1'500 / 1_500 / 1 500 (a European "1.500" is left to the fields that can tell).
  prepared = prepared.replace(/(?<![\d.,])\d{1,3}(?:[,'_]\d{3})+(?![\d,])/g, (digits) =>
    digits.replace(/[,'_]/g, ''),
  );
  prepared = prepared.replace(/(?<![\d.,] ?)\b\d{1,3}(?: \d{3})+\b(?![.,]\d)/g, (digits) =>
    digits.replace(/ /g, ''),
  );
  // Loose quantities get a value a plan can start from: "a couple hundred" → 200, "a few thousand" → 3000.
  prepared = prepared
    .replace(/\bhalf an?\s+(?=(?:dozen|hundred|thousand|million|billion)\b)/g, '0.5 ')
    .replace(/\ba couple(?: of)?\s+(?=(?:dozen|hundred|thousand|million|billion)\b)/g, '2 ')
    .replace(/\ba few\s+(?=(?:dozen|hundred|thousand|million|billion)\b)/g, '3 ')
    .replace(/(?<![\d/])1\/2\s*(?=(?:s|secs?|seconds?|mins?|minutes?|hours?)\b)/g, '0.5 ')
    .replace(/\u00bd\s*/g, '0.5 ')
    .replace(/(\d)-?ish\b/g, '$1');
  prepared = prepared.replace(NUMBER_PHRASE, (phrase) => {
    const value = parseNumberPhrase(phrase.trim());
    return value === null ? phrase : String(value);
  });
  prepared = prepared.replace(
    /(?<!\d)(\d+(?:\.\d+)?)\s+grand\b/g,
    (_, digits: string) => `${clean(Number(digits) * 1e3)} dollars`,
  );
  prepared = prepared.replace(/(?<!\d)(\d+(?:\.\d+)?)\s?k\b/g, (_, digits: string) =>
    String(clean(Number(digits) * 1e3)),
  );
  prepared = prepared.replace(/(?<!\d)(\d+(?:\.\d+)?)\s?bn\b/g, (_, digits: string) =>
    String(clean(Number(digits) * 1e9)),
  );
  prepared = prepared.replace(
    /(?<!\d)(\d+(?:\.\d+)?)\s?(?:mm|mn|mil|m)\b/g,
    (match, digits: string, offset: number) => {
      const money = /[$€£]\s?$/.test(prepared.slice(Math.max(0, offset - 2), offset));
      const million = money || !NOT_MILLION_AFTER.test(prepared.slice(offset + match.length));
      return million ? String(clean(Number(digits) * 1e6)) : match;
    },
  );
  return prepared;
}

/** A figure as it is reported: `digits` decimals from `from` up, three significant digits below that. */
function roundFigure(value: number, from: number, digits: number): number {
  if (value >= from) return Math.round(value * 10 ** digits) / 10 ** digits;
  return Number(value.toPrecision(3));
}

/** Requests per second: 200 per minute → 3.33, 10 per hour → 0.00278. */
export const roundRate = (perSecond: number): number => roundFigure(perSecond, 0.1, 2);
/** Money: to the cent. */
export const roundMoney = (amount: number): number => Math.round(amount * 100) / 100;
/** Latency targets: whole milliseconds unless below one. */
export const roundMs = (ms: number): number => roundFigure(ms, 1, 0);

/**
 * Plain decimal digits, or thousands grouped in threes by one kind of separator ("1,500", "1 500", "1_500"); a
 * fraction after a point and a power of ten ("1e6") as scientific notation writes it.
 */
const DECIMAL = /^[+-]?(?:\d{1,3}([,_ ])\d{3}(?:\1\d{3})*|\d+)(?:\.\d+)?(?:e[+-]?\d+)?$/i;

/**
 * A number as people type it into a form field or a command-line flag, or null when it is not one. Only decimal
 * digits count: JavaScript's Number() would read "0x10" as 16, "0b11" as 3 and (once separators are dropped) the
 * decimal comma of "1,5" as 15, so hexadecimal, binary, octal and a comma not followed by three digits are refused
 * rather than misread.
 */
export function parseDecimal(text: string): number | null {
  const trimmed = text.trim();
  if (!DECIMAL.test(trimmed)) return null;
  const value = Number(trimmed.replace(/[,_ ]/g, ''));
  // "-0" is zero: a negative zero would pass a `min(0)` bound and then print as "-0".
  return Number.isFinite(value) ? value + 0 : null;
}
