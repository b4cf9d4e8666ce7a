import { clauseAround, NUM } from './clauses.js';

/** Latency targets (p95, milliseconds) in text prepared by `normalizeFigures`. */

export type LatencyMetric = 'ttft' | 'itl' | 'e2e';

export const MS_PER: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000 };

function unitOf(word: string): keyof typeof MS_PER {
  if (/^(?:ms|msecs?|millis|milliseconds?)$/.test(word)) return 'ms';
  if (/^(?:s|secs?|seconds?)$/.test(word)) return 's';
  if (/^(?:m|mins?|minutes?)$/.test(word)) return 'min';
  return 'h';
}

/** "800ms", "1.5 s", "2 minutes", "half a second", "within a second", "sub-second". */
const DURATION = new RegExp(
  `(?<![\\w.])${NUM}\\s*(ms|msecs?|millis|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?)\\b` +
    '|\\b(half) an? (sec(?:ond)?|min(?:ute)?)\\b' +
    '|(?<=(?:\\b(?:within|under|below|in|than|of|about|around|most|max)|<|<=)\\s)(an?|one) (second|minute)\\b' +
    '|\\b(sub)[\\s-]?(second)\\b',
  'g',
);

/**
 * Words that say which latency a duration bounds. Specific metrics come before the generic "latency" so that
 * "first-token latency" is a TTFT and not an end-to-end target.
 */
const METRIC_CUES: { metric: LatencyMetric; pattern: RegExp }[] = [
  {
    metric: 'ttft',
    pattern:
      /\b(?:ttft|ttfb|time[\s-]to[\s-]first[\s-](?:token|byte|word)|first[\s-](?:token|byte|word|chunk)(?:[\s-]latency)?|initial (?:token|response)|start(?:s)? (?:streaming|responding))\b/g,
  },
  {
    metric: 'itl',
    pattern:
      /\b(?:itl|tpot|tbt|inter[\s-]?token(?:[\s-]latency)?|time[\s-]per[\s-](?:output[\s-])?token|per[\s-]token(?:[\s-]latency)?|token[\s-](?:to[\s-]token|latency)|(?:time )?between tokens|decode latency)\b/g,
  },
  {
    metric: 'e2e',
    pattern:
      /\b(?:e2e|end[\s-]to[\s-]end|total (?:latency|time|response time)|response times?|request latency|(?:full|whole|complete|entire|final) (?:response|answer|reply|completion|summary|translation|output|generation|result)s?|latency|turnaround|responses?|answers?|completions?|suggestions?|repl(?:y|ies)|respond|complete|completed|finish(?:ed)?|done|returned|results?)\b/g,
  },
];

interface Cue {
  metric: LatencyMetric;
  start: number;
  end: number;
}

function cuesIn(clause: string, offset: number): Cue[] {
  const cues: Cue[] = [];
  for (const { metric, pattern } of METRIC_CUES) {
    for (const match of clause.matchAll(pattern)) {
      const start = offset + match.index;
      const end = start + match[0].length;
      if (!cues.some((cue) => cue.start < end && start < cue.end)) cues.push({ metric, start, end });
    }
  }
  return cues;
}

/** "and"/"but" also separate two targets in one clause: "TTFT under 500ms and ITL under 30ms". */
function targetClause(text: string, start: number, end: number): { start: number; end: number } {
  const clause = clauseAround(text, start);
  let from = clause.start;
  let to = clause.end;
  for (const match of text.slice(clause.start, clause.end).matchAll(/\b(?:and|but|while|whereas|plus)\b/g)) {
    const at = clause.start + match.index;
    if (at < start) from = at + match[0].length;
    else if (at >= end) {
      to = at;
      break;
    }
  }
  return { start: from, end: to };
}

function durationMs(match: RegExpMatchArray): number {
  const [, digits, unit, half, halfUnit, one, oneUnit, sub] = match;
  if (digits !== undefined) return Number(digits) * MS_PER[unitOf(unit!)]!;
  if (half) return 0.5 * MS_PER[unitOf(halfUnit!)]!;
  if (one) return MS_PER[unitOf(oneUnit!)]!;
  return sub ? 1000 : Number.NaN;
}

/** "at least 20 tokens per second per user": a streaming speed, i.e. an inter-token target of 1000/20 ms. */
const STREAM_SPEED = new RegExp(
  `${NUM}\\s*(?:tokens?|toks?)\\s*(?:\\/|per)\\s*(?:s|sec|second)\\b\\s*(?:(?:\\/|per|for each|each|for every)\\s*(?:user|stream|request|session|person|conversation))`,
  'g',
);

/** "streaming at least 25 tokens/sec", "decode speed of 40 tok/s": a speed said of the stream itself. */
const STREAMING_SPEED = new RegExp(
  `\\b(?:stream(?:s|ing)?|decod(?:e|es|ing)|generation)\\s+(?:speed\\s+|rate\\s+)?(?:of\\s+|at\\s+)?(?:at least\\s+|min(?:imum)?\\s+|>=?\\s*|~\\s*)?${NUM}\\s*(?:tokens?|toks?)\\s*(?:\\/|per)\\s*(?:s|sec|second)\\b`,
  'g',
);

/** A percentile with no metric named ("p95 < 2s") bounds the whole request. */
const PERCENTILE = /\b(?:p\d\d(?:\.\d+)?|\d\dth percentile)\b/;

/** The metric cues that bound a duration in `clause`, or in the clause a bracketed aside ("(up to 5 min)") is part of. */
function cuesAround(text: string, clause: { start: number; end: number }): Cue[] {
  const own = cuesIn(text.slice(clause.start, clause.end), clause.start);
  if (own.length > 0 || text[clause.start - 1] !== '(') return own;
  const outer = clauseAround(text, clause.start - 1);
  return cuesIn(text.slice(outer.start, clause.start - 1), outer.start);
}

/**
 * Each duration belongs to the metric named nearest to it in its clause; a duration with no metric word near it
 * (a batch window, a call length) is not a target. The tightest target per metric wins.
 */
export function extractLatencyTargets(text: string): Record<LatencyMetric, number | null> {
  const targets: Record<LatencyMetric, number | null> = { ttft: null, itl: null, e2e: null };
  const keep = (metric: LatencyMetric, ms: number) => {
    if (!(ms > 0) || !Number.isFinite(ms)) return;
    const current = targets[metric];
    targets[metric] = current === null ? ms : Math.min(current, ms);
  };
  for (const match of text.matchAll(DURATION)) {
    const start = match.index;
    const end = start + match[0].length;
    const clause = targetClause(text, start, end);
    const cues = cuesAround(text, clause);
    const distance = (cue: Cue) =>
      cue.end <= start ? start - cue.end : cue.start >= end ? cue.start - end + 0.5 : 0;
    const nearest = cues
      .filter((cue) => cue.end <= start || cue.start >= end)
      .sort((a, b) => distance(a) - distance(b))[0];
    if (nearest) keep(nearest.metric, durationMs(match));
    else if (PERCENTILE.test(text.slice(clause.start, clause.end))) keep('e2e', durationMs(match));
  }
  for (const rule of [STREAM_SPEED, STREAMING_SPEED]) {
    for (const match of text.matchAll(rule)) keep('itl', 1000 / Number(match[1]));
  }
  return targets;
}

/**
 * "latency doesn't matter", "not latency sensitive", "no rush", "cheapest possible": the user waives the use case's
 * latency defaults, which would otherwise still size the plan (a 2 s first-token default is not "doesn't matter").
 */
const LATENCY_UNIMPORTANT =
  /\b(?:(?:latency|speed|response times?|responsiveness|time to first token|ttft|how (?:fast|quickly|long))\s+(?:is\s+|are\s+)?(?:really\s+)?(?:not|isn't|aren't|doesn't|does not|don't|do not|never|no)\s+(?:\w+\s+){0,2}?(?:matter|matters|important|a concern|concern|an issue|issue|a priority|priority|critical|relevant|a problem|problem|needed|required|big deal)|(?:latency|speed|response times?)\s+(?:is\s+|are\s+)?(?:irrelevant|unimportant|secondary|not important|a non[\s-]issue)|(?:not|isn't|aren't|never)\s+(?:\w+\s+)?(?:latency|time|speed)[\s-](?:sensitive|critical|bound)|(?:don't|do not|doesn't|does not|won't|wouldn't|dont)\s+(?:really\s+)?(?:care|mind|worry)\s+(?:about|how|if|that)\s+(?:the\s+)?(?:latency|speed|response time|(?:it'?s\s+)?slow|fast|long|quick)|no rush|not in a (?:rush|hurry)|not urgent|(?:slow|slower|waiting|latency)\s+is\s+(?:fine|ok|okay|acceptable)|(?:it|answers|results|responses) can wait|at any latency|whatever (?:the )?latency|(?:the\s+)?cheapest possible|as cheap as (?:possible|it gets)|lowest possible (?:cost|price))\b/;

/** Targets that no longer bind anything but a pathological plan: half a minute to the first token, 5 tokens/s. */
export const RELAXED_LATENCY = { ttftP95Ms: 30_000, itlP95Ms: 200 } as const;

/** Whether the text (prepared by `normalizeFigures`) waives latency. */
export function waivesLatency(text: string): boolean {
  return LATENCY_UNIMPORTANT.test(text);
}
