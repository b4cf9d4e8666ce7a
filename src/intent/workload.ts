import { clauseSides, NUM } from './clauses.js';

/** Rules for the GPU-count cap and token lengths, on text prepared by `normalizeFigures`. */

/** A GPU word: generic ("gpus", "cards") or a model number ("h100s", "a100"). */
const GPU_NOUN = '(?:gpus?|cards?|accelerators?|[a-z]{1,3}-?\\d{1,4}[a-z]{0,2})';
/** Words that may sit between a count and its GPU noun: "8 nvidia h100 gpus", "4x a100 80gb cards". */
const GPU_FILLER =
  '(?:(?:nvidia|amd|instinct|more|additional|total|[a-z]{1,3}-?\\d{1,4}[a-z]{0,2}|\\d{2,3}\\s?gb|sxm\\d?|pcie)[\\s-]+){0,3}?';
const GPU_COUNT = `${NUM}\\s*(?:x\\s*)?${GPU_FILLER}${GPU_NOUN}(?![a-z0-9]|[\\s-]*(?:boxes|box|nodes?|servers?|machines?|instances?|hosts?|pods?|vms?)\\b)`;

const AT_MOST_BEFORE =
  "(?:at most|no more than|not more than|max(?:imum)?\\.?(?:\\s+of)?|up to|upto|limit(?:ed)?(?:\\s+(?:of|to))?|cap(?:ped)?(?:\\s+(?:at|of))?|<=|only|just|a maximum of|not exceed(?:ing)?|within|(?:we|i)\\s+(?:only\\s+)?(?:have|got|own)|we've got|have only|only have|there are only|budget for|afford)";
const FEWER_THAN_BEFORE = '(?:fewer than|less than|under|below|<)';

const CAP_BEFORE = new RegExp(`\\b${AT_MOST_BEFORE}\\s*(?:about\\s+)?${GPU_COUNT}`, 'g');
const LESS_BEFORE = new RegExp(`(?:\\b|(?<=<))${FEWER_THAN_BEFORE}\\s*${GPU_COUNT}`, 'g');
const CAP_AFTER = new RegExp(
  `(?<![\\w.])${GPU_COUNT}\\s*(?:max(?:imum)?|at most|or (?:fewer|less)|tops|in total|total|limit)\\b`,
  'g',
);
const LABELLED_CAP = new RegExp(
  `\\b(?:max(?:imum)?\\s+(?:number of\\s+)?gpus?|gpu\\s+(?:limit|cap|budget|count|quota)|gpus?\\s+(?:limit|cap|max))\\s*(?:of|:|=|is|<=|at|to)?\\s*${NUM}(?!\\w|\\.\\d)`,
  'g',
);
/** "DeepSeek V3 on 2 L4s": the GPUs a team names for a model are the ones it has. */
const ON_COUNT = new RegExp(`\\bon\\s+${GPU_COUNT}`, 'g');
const SINGLE_GPU =
  /\b(?:a single|single|one single|just one|only one|only 1|just 1|on 1|on one)[\s-](?:gpus?|cards?)\b/;

/** Upper bound on the number of GPUs; the tightest one stated. */
export function extractMaxGpus(text: string): number | null {
  const caps: number[] = [];
  for (const rule of [CAP_BEFORE, CAP_AFTER, LABELLED_CAP, ON_COUNT]) {
    for (const match of text.matchAll(rule)) caps.push(Number(match[1]));
  }
  for (const match of text.matchAll(LESS_BEFORE)) caps.push(Number(match[1]) - 1);
  if (SINGLE_GPU.test(text)) caps.push(1);
  const whole = caps.filter((cap) => Number.isInteger(cap) && cap >= 1);
  return whole.length > 0 ? Math.min(...whole) : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Token lengths

const TOKEN_COUNT = new RegExp(
  `(?<![\\w.])(?:${NUM}\\s*(?:-|to)\\s*)?${NUM}\\s*-?\\s*(?:(input|prompt|context|output|completion|generated|response|answer|reply)\\s+)?(?:tokens?|toks?)\\b(?!\\s*(?:\\/|per)\\s*(?:s|sec|second|minute|min)\\b)`,
  'g',
);

type Role = 'prompt' | 'output';

const PROMPT_WORD =
  /^(?:in|input|inputs|prompts?|context|questions?|quer(?:y|ies)|requests?|documents?|docs?|pages?|articles?|transcripts?|tickets?|messages?|conversations?|history|send|sends|sent|ingest|read|reads|source)$/;
const OUTPUT_WORD =
  /^(?:out|outputs?|responses?|answers?|repl(?:y|ies)|completions?|generations?|generates?|generated|generate|write|writes|produce|produces|summar(?:y|ies)|returns?|max_tokens|translations?)$/;

function roleOfWord(word: string): Role | null {
  if (PROMPT_WORD.test(word)) return 'prompt';
  if (OUTPUT_WORD.test(word)) return 'output';
  return null;
}

/** Which length a token count is: said in the phrase, by the word after it, or by the nearest cue before it. */
function roleOf(text: string, start: number, end: number, label: string | undefined): Role | null {
  if (label) return /input|prompt|context/.test(label) ? 'prompt' : 'output';
  const { before, after } = clauseSides(text, start, end);
  // A context window is what a model can take, not what the requests send.
  if (/\b(?:context (?:window|length)|max(?:imum)? context|per\s*$)/.test(before)) return null;
  if (/^\s*(?:of\s+)?context[\s-](?:window|length|size)/.test(after)) return null;
  const next = /^\s*(?:of\s+)?([a-z_]+)/.exec(after)?.[1];
  const nextRole = next === undefined ? null : roleOfWord(next);
  if (nextRole) return nextRole;
  const words = before
    .split(/[^a-z_]+/)
    .filter(Boolean)
    .reverse();
  for (const word of words.slice(0, 8)) {
    const role = roleOfWord(word);
    if (role) return role;
  }
  return null;
}

/** "1500 in and 300 out", "1500 in / 300 out" in a sentence about tokens. */
const IN_OUT = new RegExp(`(?<![\\w.])${NUM}\\s*(in|out)\\b`, 'g');

/**
 * "32k context prompts", "requests with 32000 tokens of context", "prompts of 16k context": the context a request
 * carries is its prompt, and a plan for it needs a max-model-len that holds it.
 */
const CONTEXT_PROMPT = new RegExp(
  `(?<![\\w.])${NUM}\\s*-?\\s*(?:tokens?\\s+(?:of\\s+)?)?context\\s+(?:prompts?|requests?|inputs?|queries|documents?|docs?|conversations?|calls?)\\b|\\b(?:prompts?|requests?|inputs?|queries|documents?|docs?|conversations?)\\s+(?:of|with|at|using|carrying)\\s+(?:up to\\s+|about\\s+|around\\s+|~\\s*)?${NUM}\\s*-?\\s*(?:tokens?\\s+(?:of\\s+)?)?context\\b`,
  'g',
);

/** Prompt and output lengths in tokens where the text states them (the upper end of a range). */
export function extractTokenLengths(text: string): {
  promptTokens: number | null;
  outputTokens: number | null;
} {
  const found: Record<Role, number | null> = { prompt: null, output: null };
  for (const match of text.matchAll(TOKEN_COUNT)) {
    const role = roleOf(text, match.index, match.index + match[0].length, match[3]);
    const value = Math.round(Number(match[2]));
    if (role && found[role] === null && value >= 1) found[role] = value;
  }
  for (const match of text.matchAll(CONTEXT_PROMPT)) {
    const value = Math.round(Number(match[1] ?? match[2]));
    if (found.prompt === null && value >= 1) found.prompt = value;
  }
  if (/\btok(?:en)?s?\b/.test(text)) {
    for (const match of text.matchAll(IN_OUT)) {
      const role = match[2] === 'in' ? 'prompt' : 'output';
      if (found[role] === null) found[role] = Math.round(Number(match[1]));
    }
  }
  return { promptTokens: found.prompt, outputTokens: found.output };
}
