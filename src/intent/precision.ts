/**
 * The weight precisions a request names ("Llama 3.1 405B in bf16", "an AWQ model", "fp8 on H200s"), in the served
 * precisions of the catalog (src/knowledge/precisions.ts). A precision ruled out ("no int4", "avoid AWQ") is left out
 * of what the planner may choose; a request that names none leaves it free to choose any.
 */
import type { Precision } from '../knowledge/catalog.js';
import { PRECISIONS } from '../knowledge/precisions.js';

/** Words for each served precision: formats, quantization methods and bit widths as people write them. */
const PRECISION_WORDS: readonly [RegExp, readonly Precision[]][] = [
  [
    /\b(?:bf16|bfloat16|fp16|float16|half[\s-]precision|full[\s-]precision|16[\s-]?bits?|unquantized|un-quantized|no quantization|without quantization|not quantized)\b/gi,
    ['bf16'],
  ],
  [/\b(?:fp8|float8|e4m3|8[\s-]?bit float)\b/gi, ['fp8']],
  [/\b(?:w8a8|int8|8[\s-]?bit int(?:eger)?)\b/gi, ['w8a8']],
  // "8-bit" alone is either 8-bit format.
  [/\b8[\s-]?bits?\b(?![\s-](?:float|int))/gi, ['fp8', 'w8a8']],
  [/\b(?:int4|w4a16|awq|gptq|4[\s-]?bit int(?:eger)?)\b/gi, ['int4']],
  [/\bmxfp4\b/gi, ['mxfp4']],
  [/\bnvfp4\b/gi, ['nvfp4']],
  // "4-bit" alone is any 4-bit format.
  [/\b4[\s-]?bits?\b(?![\s-](?:float|int))/gi, ['int4', 'mxfp4', 'nvfp4']],
];

/** Words before a precision that rule it out: "no int4", "avoid AWQ", "not fp8". */
const RULED_OUT_BEFORE = /\b(?:no|not|avoid|without|except|never|rather than|instead of)\s+(?:\w+\s+)?$/;

/** What joins the items of one list: "AWQ, GPTQ or W8A8". */
const LIST_JOIN = /^\s*(?:,|\/|and|or|nor)\s*(?:,\s*)?(?:and\s+|or\s+)?$/i;

/** The precisions a text names, apart from the ones it rules out ("no int4", "avoid AWQ"), in catalog order. */
export function readPrecisions(text: string): { asked: Precision[]; ruledOut: Precision[] } {
  const asked = new Set<Precision>();
  const ruledOut = new Set<Precision>();
  const matches = PRECISION_WORDS.flatMap(([pattern, precisions]) =>
    [...text.matchAll(pattern)].map((match) => ({
      start: match.index,
      end: match.index + match[0].length,
      word: match[0],
      precisions,
    })),
  ).sort((a, b) => a.start - b.start);
  let ruledOutUpTo = -1;
  for (const { start, end, word, precisions } of matches) {
    const before = text.slice(Math.max(0, start - 20), start).toLowerCase();
    // "no quantization" names bf16 itself; its "no" is not a ruling out. "avoid AWQ and GPTQ" rules out both.
    const isRuledOut =
      !/^no/i.test(word) &&
      (RULED_OUT_BEFORE.test(before) ||
        (ruledOutUpTo >= 0 && LIST_JOIN.test(text.slice(ruledOutUpTo, start))));
    if (isRuledOut) ruledOutUpTo = end;
    for (const precision of precisions) (isRuledOut ? ruledOut : asked).add(precision);
  }
  return {
    asked: PRECISIONS.filter((precision) => asked.has(precision)),
    ruledOut: PRECISIONS.filter((precision) => ruledOut.has(precision) && !asked.has(precision)),
  };
}

/**
 * The precisions a request allows, in catalog order: the ones it asks for; every other one when it only rules some
 * out ("no int4"); [] (any) when it names none.
 */
export function extractPrecisions(text: string): Precision[] {
  const { asked, ruledOut } = readPrecisions(text);
  if (asked.length > 0 || ruledOut.length === 0) return asked;
  return PRECISIONS.filter((precision) => !ruledOut.includes(precision));
}

/** The precisions allowed after a follow-up: a list it asks for replaces `current`; ones it rules out leave it. */
export function refinePrecisions(current: readonly Precision[], text: string): Precision[] {
  const { asked, ruledOut } = readPrecisions(text);
  if (asked.length > 0) return asked;
  if (ruledOut.length === 0) return [...current];
  const left = (current.length > 0 ? current : PRECISIONS).filter(
    (precision) => !ruledOut.includes(precision),
  );
  return left.length > 0 ? left : PRECISIONS.filter((precision) => !ruledOut.includes(precision));
}

/** The text with every precision word blanked, so "4-bit" or "bf16" is not read as a figure. */
export function withoutPrecisionWords(text: string): string {
  return PRECISION_WORDS.reduce((blanked, [pattern]) => blanked.replace(pattern, ' '), text);
}
