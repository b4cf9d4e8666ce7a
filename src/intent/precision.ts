/**
 * The weight precisions a request names ("Llama 3.1 405B in bf16", "an AWQ model", "fp8 on H200s"), in the served
 * precisions of the catalog (src/knowledge/precisions.ts). A precision ruled out ("no int4", "not quantized") is left
 * out; one stated nowhere leaves the planner free to choose.
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

/** The precisions the text asks for, in catalog order; [] when it names none (or only rules some out). */
export function extractPrecisions(text: string): Precision[] {
  const asked = new Set<Precision>();
  for (const [pattern, precisions] of PRECISION_WORDS) {
    for (const match of text.matchAll(pattern)) {
      const before = text.slice(Math.max(0, match.index - 20), match.index).toLowerCase();
      // "no quantization" names bf16 itself; its "no" is not a ruling out.
      if (!/^no/i.test(match[0]) && RULED_OUT_BEFORE.test(before)) continue;
      for (const precision of precisions) asked.add(precision);
    }
  }
  return PRECISIONS.filter((precision) => asked.has(precision));
}

/** The text with every precision word blanked, so "4-bit" or "bf16" is not read as a figure. */
export function withoutPrecisionWords(text: string): string {
  return PRECISION_WORDS.reduce((blanked, [pattern]) => blanked.replace(pattern, ' '), text);
}
