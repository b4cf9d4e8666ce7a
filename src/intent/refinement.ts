import { z } from 'zod';
import { locateModelMentions } from '../knowledge/aliases.js';
import type { UseCaseId } from '../knowledge/catalog.js';
import { PEOPLE_NOUN } from './audience.js';
import type { BoundedFigure } from './bounds.js';
import { BOUNDED_FIGURES } from './bounds.js';
import type { CatalogChoice } from './choices.js';
import { chooseMentions, gpuMentions } from './choices.js';
import { readableText } from './extract.js';
import { MS_PER } from './latency.js';
import { withoutModelNames } from './model-names.js';
import { normalizeFigures } from './numbers.js';
import type { ExtractionVocabulary, Intent } from './schema.js';
import { classifyUseCase } from './use-case.js';

/**
 * The grammar of a follow-up message, beyond the facts it states: what it removes ("forget the budget"), what it
 * changes relative to what was said ("double the users", "20% cheaper"), a bare figure that answers the question
 * last asked or changes the figure last discussed ("make it 1200"), the catalog names it rules out or allows back,
 * and the use case it rules out ("not summarization"). Pure; `refineIntent` in the conversation applies it.
 */

/** Figures a conversation can be discussing, so a bare "make it 1200" knows what it changes. */
export const FocusFigure = z.enum(Object.keys(BOUNDED_FIGURES) as [BoundedFigure, ...BoundedFigure[]]);
export type FocusFigure = z.infer<typeof FocusFigure>;

/** What a message may remove: every stated constraint. */
export type ClearableFact =
  | 'budgetMonthlyUsd'
  | 'gpuTypes'
  | 'models'
  | 'maxGpus'
  | 'ttftP95Ms'
  | 'itlP95Ms'
  | 'e2eP95Ms'
  | 'promptTokens'
  | 'outputTokens'
  | 'priority'
  | 'precisions'
  | 'batchItemsPerDay';

/** A change relative to the current value: × factor, or + delta. "The load" is users or the request rate. */
export interface RelativeChange {
  /** `focus`: "double it", the figure last discussed. */
  figure:
    | 'users'
    | 'load'
    | 'budgetMonthlyUsd'
    | 'latency'
    | 'maxGpus'
    | 'promptTokens'
    | 'outputTokens'
    | 'focus';
  factor: number;
  delta: number;
}

export interface Refinement {
  cleared: ClearableFact[];
  relative: RelativeChange[];
  /** A figure said on its own ("make it 1200", "1.5k", "300 ms instead"), in the unit it names (ms for a duration). */
  bare: { value: number; unit: 'count' | 'ms' } | null;
  gpus: CatalogChoice;
  models: CatalogChoice;
  /** Use cases the message rules out ("not summarization"). */
  ruledOutUseCases: UseCaseId[];
  /** "not 500 users but 5000" said as what it means ("5000 users"); null when the message corrects no figure so. */
  corrected: string | null;
}

/** "not 500 users but 5000", "not 80, 800 agents": a figure ruled out and the one meant instead. */
const NOT_BUT =
  /\bnot\s+([$€£]?)(\d+(?:\.\d+)?)\s*((?:[a-z%/]+\s*){0,2}?)\s*,?\s*(?:but|it's|it is|rather|instead|-)?\s*,?\s*([$€£]?)(\d+(?:\.\d+)?)(?!\.?\d)/;

/** The message with a "not A but B" correction said as B with A's words, for the figure rules to read. */
function correctedFigure(figures: string): string | null {
  const match = NOT_BUT.exec(figures);
  if (!match) return null;
  const [whole, currency, , words, newCurrency, figure] = match;
  const said = `${newCurrency || currency}${figure} ${words!.trim()}`;
  return figures.slice(0, match.index) + said + figures.slice(match.index + whole!.length);
}

const VERB =
  "(?:forget|drop|remove|ignore|scrap|ditch|lose|clear|delete|get rid of|cancel|lift|disregard|skip|never ?mind|take (?:away|off|out)|no need for|(?:we |i )?(?:don't|do not|no longer) (?:need|want|have|care about)|there(?:'s| is) no|we have no|without)";
const DET = '(?:\\s+(?:about|of))?(?:\\s+(?:the|that|this|our|my|any|a|an|those|these))?\\s+';
const REMOVE_NOUN =
  '(?:limits?|caps?|ceilings?|constraints?|restrictions?|requirements?|preferences?|targets?|slos?|goals?|choices?|lists?|limitations?|rules?)';

/** What restricts a kind rather than a number: "the GPU restriction", "the model preference". */
const TYPE_NOUN =
  '(?:constraints?|restrictions?|requirements?|preferences?|choices?|lists?|limitations?|rules?)';

/** Patterns that remove one fact each; a phrase may name several ("no latency targets" clears all three). */
const CLEARING: { facts: ClearableFact[]; pattern: RegExp }[] = [
  {
    facts: ['budgetMonthlyUsd'],
    pattern: new RegExp(
      `\\b(?:${VERB}${DET}(?:monthly\\s+|spending\\s+)?(?:budget|(?:cost|spend(?:ing)?|price|money)\\s+${REMOVE_NOUN}|cap on (?:cost|spend(?:ing)?))|no (?:monthly\\s+)?(?:budget|cost|spend(?:ing)?|price)(?:[\\s-]${REMOVE_NOUN})?(?!\\s*(?:of|under|below|over|above|is|at|for|yet|but|\\d|[$€£]))|unlimited budget|(?:budget|money) is (?:unlimited|no (?:object|issue|concern|problem)|not an? (?:issue|concern|problem|constraint|object)|gone|removed|open[\\s-]ended)|budget (?:doesn't|does not) matter|any budget)\\b`,
    ),
  },
  {
    facts: ['maxGpus'],
    pattern: new RegExp(
      `\\b(?:${VERB}${DET}(?:gpu\\s+(?:limits?|caps?|count|quota|maximum|max)|(?:limit|cap|maximum|max) on (?:the )?(?:number of )?gpus|max(?:imum)? (?:number of )?gpus)|no (?:gpu )?(?:limit|cap|maximum|max) on (?:the )?(?:number of )?gpus|no gpu (?:limit|cap|quota|count limit)|as many gpus as (?:needed|it takes|necessary|you (?:need|want|like))|unlimited gpus|any number of gpus)\\b`,
    ),
  },
  {
    facts: ['gpuTypes'],
    pattern: new RegExp(
      `\\b(?:${VERB}${DET}(?:gpu|hardware|card|accelerator)(?:[\\s-]type)?s?(?:\\s+${TYPE_NOUN})?(?!\\s*(?:limit|cap|count|quota|max))|any (?:gpus?|hardware|cards?|accelerators?)(?!\\s*(?:limit|cap|count))|no (?:gpu|hardware)(?:[\\s-]type)? (?:restrictions?|constraints?|requirements?|preferences?)|all gpus are (?:fine|ok|okay|allowed)|whatever gpus?|(?:don't|do not) care (?:about|which) (?:the )?gpus?|every gpu is (?:fine|ok|okay|allowed))\\b`,
    ),
  },
  {
    facts: ['models'],
    pattern: new RegExp(
      `\\b(?:${VERB}${DET}models?(?:\\s+${REMOVE_NOUN})?|any models?(?: (?:is|are|will do|works?))?\\b|no models? (?:preferences?|requirements?|restrictions?)|whatever models?|(?:don't|do not) care (?:about|which) (?:the )?models?|(?:pick|choose) (?:the|a|any) model)\\b`,
    ),
  },
  {
    facts: ['ttftP95Ms', 'itlP95Ms', 'e2eP95Ms'],
    pattern: new RegExp(
      `\\b(?:${VERB}${DET}(?:latency|slo|sla)(?:\\s+${REMOVE_NOUN})?|no (?:latency|slo|sla)(?:\\s+${REMOVE_NOUN})|(?:use|back to) the default (?:latency|slos?|targets?))\\b`,
    ),
  },
  {
    facts: ['ttftP95Ms'],
    pattern: new RegExp(
      `\\b(?:${VERB}${DET}|no\\s+)(?:ttft|time to first token|first[\\s-]token)(?:\\s+${REMOVE_NOUN})?\\b`,
    ),
  },
  {
    facts: ['itlP95Ms'],
    pattern: new RegExp(
      `\\b(?:${VERB}${DET}|no\\s+)(?:itl|tpot|inter[\\s-]?token)(?:[\\s-]latency)?(?:\\s+${REMOVE_NOUN})?\\b`,
    ),
  },
  {
    facts: ['e2eP95Ms'],
    pattern: new RegExp(
      `\\b(?:${VERB}${DET}|no\\s+)(?:e2e|end[\\s-]to[\\s-]end)(?:[\\s-]latency)?(?:\\s+${REMOVE_NOUN})?\\b`,
    ),
  },
  {
    facts: ['promptTokens', 'outputTokens'],
    pattern: new RegExp(
      `\\b(?:${VERB}${DET}(?:token|prompt|output) (?:lengths?|sizes?|counts?)|(?:use|back to) the default (?:token |request )?(?:lengths?|sizes?))\\b`,
    ),
  },
  {
    facts: ['priority'],
    pattern: new RegExp(
      `\\b(?:${VERB}${DET}priorit(?:y|ies)|no (?:particular )?priorit(?:y|ies)|no preference)\\b`,
    ),
  },
  {
    facts: ['precisions'],
    pattern: new RegExp(
      `\\b(?:${VERB}${DET}(?:precision|quantization)(?:\\s+${REMOVE_NOUN})?|any (?:precision|quantization)|whatever (?:precision|quantization)|no (?:precision|quantization) (?:preferences?|requirements?|restrictions?)|(?:precision|quantization) (?:doesn't|does not) matter|(?:don't|do not) care (?:about|which) (?:the )?(?:precision|quantization))\\b`,
    ),
  },
  {
    facts: ['batchItemsPerDay'],
    pattern:
      /\b(?:not (?:a |an )?(?:batch|offline)(?: job)?|no longer (?:a )?batch|(?:it's|it is) (?:interactive|real[\s-]?time|online) (?:now|after all|actually)|interactive after all)\b/,
  },
];

const PEOPLE = `(?:${PEOPLE_NOUN}|headcount|audience|team)`;
const LOAD = '(?:traffic|load|requests?|qps|rps|throughput|volume|request rate|usage)';
const FIGURE_WORDS: [RelativeChange['figure'], string][] = [
  ['users', PEOPLE],
  ['load', LOAD],
  ['budgetMonthlyUsd', '(?:budget|spend(?:ing)?|cost|costs|price|bill)'],
  ['latency', '(?:latency|latencies|ttft|response times?|time to first token|targets?|slos?)'],
  ['maxGpus', '(?:gpu (?:limit|cap|count)|gpus?|cards?)'],
  ['promptTokens', '(?:prompts?|prompt (?:length|size|tokens)|inputs?|context)'],
  ['outputTokens', '(?:outputs?|output (?:length|size|tokens)|responses?|answers?|completions?)'],
  ['focus', '(?:it|that|this)'],
];
const ANY_FIGURE_WORD = FIGURE_WORDS.map(([, words]) => words).join('|');

function figureOf(word: string): RelativeChange['figure'] | null {
  const found = FIGURE_WORDS.find(([, words]) => new RegExp(`^${words}$`).test(word));
  return found ? found[0] : null;
}

const MULTIPLIER: Record<string, number> = {
  double: 2,
  doubled: 2,
  doubles: 2,
  twice: 2,
  triple: 3,
  tripled: 3,
  triples: 3,
  thrice: 3,
  quadruple: 4,
  quadrupled: 4,
  halve: 0.5,
  halved: 0.5,
  halves: 0.5,
  half: 0.5,
};
const MULTIPLIER_WORD = Object.keys(MULTIPLIER).join('|');

/** Directions that raise a figure; every other direction lowers it. */
const MORE =
  /^(?:more|higher|larger|bigger|up|extra|longer|slower|looser|increase|raise|bump|grow|boost|add|scale up|expand)$/;
/** "double the users", "halve the budget", "twice the traffic", "3x the load". */
const MULTIPLY_BEFORE = new RegExp(
  `\\b(${MULTIPLIER_WORD}|(\\d+(?:\\.\\d+)?)\\s*(?:x|times))\\s+(?:as many\\s+|as much\\s+|the\\s+|our\\s+|my\\s+|that\\s+|more\\s+)*(${ANY_FIGURE_WORD})\\b`,
  'g',
);
/** "the users double", "traffic will triple", "budget cut in half". */
const MULTIPLY_AFTER = new RegExp(
  `\\b(${ANY_FIGURE_WORD})\\s+(?:\\w+\\s+){0,2}?(${MULTIPLIER_WORD}|(?:cut\\s+)?in half|by half|(\\d+(?:\\.\\d+)?)\\s*(?:x|times))\\b`,
  'g',
);
/** "20% cheaper", "30% more users", "50 percent more traffic", "10% faster". */
const PERCENT_CHANGE = new RegExp(
  `(?<![\\w.])(\\d+(?:\\.\\d+)?)\\s*(?:%|percent)\\s+(more|less|fewer|higher|lower|bigger|smaller|larger|cheaper|faster|slower|longer|shorter|extra|up|down)\\b(?:\\s+(?:the\\s+|our\\s+)?(${ANY_FIGURE_WORD})\\b)?`,
  'g',
);
/** "increase the budget by 20%", "cut users by 300", "raise the GPU limit by 2", "lower latency by 10%". */
const CHANGE_BY = new RegExp(
  `\\b(increase|raise|bump|grow|boost|up|add to|expand|scale up|reduce|cut|decrease|drop|trim|shrink|lower|scale down)\\s+(?:the\\s+|our\\s+|my\\s+)?(${ANY_FIGURE_WORD})\\s+by\\s+(?:[$€£]\\s?)?(\\d+(?:\\.\\d+)?)\\s*(%|percent|x|times)?`,
  'g',
);
/** "add 500 users", "500 more users", "another 200 agents", "200 fewer seats", "2 more GPUs". */
const COUNT_DELTA = new RegExp(
  `\\b(?:(add|another|plus|remove|minus)\\s+(\\d+(?:\\.\\d+)?)\\s+(?:more\\s+|extra\\s+|additional\\s+)?(${PEOPLE}|gpus?|cards?)|(\\d+(?:\\.\\d+)?)\\s+(more|fewer|less|additional|extra)\\s+(${PEOPLE}|gpus?|cards?))(?![a-z])`,
  'g',
);

/** Relative changes a message asks for, in text order. */
function relativeChanges(text: string): RelativeChange[] {
  const changes: RelativeChange[] = [];
  const push = (figure: RelativeChange['figure'] | null, factor: number, delta = 0) => {
    if (figure && Number.isFinite(factor) && factor > 0 && Number.isFinite(delta))
      changes.push({ figure, factor, delta });
  };
  for (const match of text.matchAll(MULTIPLY_BEFORE)) {
    push(figureOf(match[3]!), match[2] ? Number(match[2]) : MULTIPLIER[match[1]!]!);
  }
  for (const match of text.matchAll(MULTIPLY_AFTER)) {
    const factor = match[3] ? Number(match[3]) : /half/.test(match[2]!) ? 0.5 : MULTIPLIER[match[2]!]!;
    push(figureOf(match[1]!), factor);
  }
  for (const match of text.matchAll(PERCENT_CHANGE)) {
    const share = Number(match[1]) / 100;
    const direction = match[2]!;
    const named = match[3] ? figureOf(match[3]) : null;
    // A comparative names its figure: cheaper is the budget, faster and slower the latency targets.
    const implied = /cheaper/.test(direction)
      ? 'budgetMonthlyUsd'
      : /faster|slower/.test(direction)
        ? 'latency'
        : null;
    push(named ?? implied, MORE.test(direction) ? 1 + share : 1 - share);
  }
  for (const match of text.matchAll(CHANGE_BY)) {
    const up = MORE.test(match[1]!.replace(/ to$/, ''));
    const amount = Number(match[3]);
    const unit = match[4];
    const figure = figureOf(match[2]!);
    if (unit === '%' || unit === 'percent') push(figure, up ? 1 + amount / 100 : 1 - amount / 100);
    else if (unit) push(figure, up ? amount : 1 / amount);
    else push(figure, 1, up ? amount : -amount);
  }
  for (const match of text.matchAll(COUNT_DELTA)) {
    const [, verb, verbAmount, verbNoun, amount, direction, noun] = match;
    const minus = verb ? /remove|minus/.test(verb) : /fewer|less/.test(direction!);
    const figure = /^(?:gpus?|cards?)$/.test((verbNoun ?? noun)!) ? 'maxGpus' : 'users';
    push(figure, 1, (minus ? -1 : 1) * Number(verbAmount ?? amount));
  }
  return changes;
}

/** Words that may surround a bare figure: "make it 1200", "let's say 1.5k instead", "no, 800". */
const BARE_FILLER =
  /^(?:make|made|it|its|it's|that|this|change|changed|set|to|let's|lets|let|us|say|actually|instead|go|with|bump|up|raise|lower|reduce|drop|increase|decrease|more|like|no|nope|sorry|i|meant|mean|rather|about|around|roughly|approximately|approx|~|please|pls|ok|okay|then|and|try|how|what|if|we|use|have|is|was|wait|hmm|correction|typo|oops|should|be|closer|the|number|figure|value|yes|yeah|well|so|but|oh|sure|fine|only|just|maybe|perhaps|put|call|target|limit|cap|new|down|at|a|of)$/;
const BARE_FIGURE = /(?<![\w.])(\d+(?:\.\d+)?)\s*(milliseconds?|ms|seconds?|secs?|s)?(?![a-z])(?![\w.]*\d)/g;

/** A figure said with nothing that names what it counts: the answer to the last question or a new value for the last figure. */
function bareFigure(text: string): Refinement['bare'] {
  if (text.length > 80) return null;
  const figures = [...text.matchAll(BARE_FIGURE)];
  if (figures.length !== 1) return null;
  const [whole, digits, unit] = figures[0]!;
  const rest = (text.slice(0, figures[0]!.index) + text.slice(figures[0]!.index + whole.length))
    .split(/[^a-z'~]+/)
    .filter(Boolean);
  if (!rest.every((word) => BARE_FILLER.test(word))) return null;
  const value = Number(digits);
  if (!unit) return { value, unit: 'count' };
  return { value: value * (/^ms|milli/.test(unit) ? MS_PER.ms! : MS_PER.s!), unit: 'ms' };
}

/** The grammar of a follow-up message; see `Refinement`. */
export function readRefinement(text: string, vocab: ExtractionVocabulary): Refinement {
  const readable = readableText(text);
  const modelMentions = locateModelMentions(readable, vocab.models);
  const figures = normalizeFigures(withoutModelNames(readable, modelMentions));
  const cleared = [
    ...new Set(CLEARING.filter(({ pattern }) => pattern.test(figures)).flatMap(({ facts }) => facts)),
  ];
  const negatedUseCase = [...figures.matchAll(NOT_USE_CASE)]
    .map((match) => classifyUseCase(match[1]!))
    .filter((useCase): useCase is UseCaseId => useCase !== null);
  return {
    cleared,
    relative: relativeChanges(figures),
    bare: bareFigure(figures),
    gpus: chooseMentions(readable, gpuMentions(readable, vocab.gpus)),
    models: chooseMentions(readable, modelMentions),
    ruledOutUseCases: [...new Set(negatedUseCase)],
    corrected: correctedFigure(figures),
  };
}

/** "not summarization", "it's not a chatbot", "rather than translation": the words of a task ruled out. */
const NOT_USE_CASE =
  /\b(?:not|isn't|no longer|rather than|instead of)\s+(?!just\b|only\b)(?:(?:a|an|the|for|about|really|doing)\s+){0,2}([a-z][a-z&;-]*(?:\s+[a-z][a-z&;-]*){0,2})/g;

/** The figure a turn discussed: the one it changed, the audience first when it changed several; null when none. */
export function discussedFigure(before: Intent | null, after: Intent): FocusFigure | null {
  const changed = FocusFigure.options.filter(
    (figure) => after[figure] != null && (before === null || before[figure] !== after[figure]),
  );
  if (changed.length === 0) return null;
  return changed.includes('users') ? 'users' : changed[0]!;
}
