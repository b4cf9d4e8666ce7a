import { TakenSpans } from '../knowledge/spans.js';
import { CLAUSE_REACH } from './clauses.js';
import type { Priority } from './schema.js';

/**
 * What the user says matters most. Each cue adds weight to a priority; a cue that is negated ("cost is not a
 * concern") adds nothing; a stated balance outweighs single cues. A budget figure alone is not a cost priority.
 */

interface Cue {
  priority: Priority;
  weight: number;
  pattern: RegExp;
}

const CUES: Cue[] = [
  // latency
  {
    priority: 'latency',
    weight: 3,
    pattern:
      /\b(?:low(?:est)?[\s-]latency|minimal latency|minimi[sz]e (?:the )?latency|latency[\s-](?:critical|sensitive|bound|matters|first)|latency (?:is|matters)(?: \w+)? (?:critical|crucial|key|important|everything|king|paramount|a priority|the priority|our priority|top priority|what matters|most)|as fast as possible|(?:fast|quick|rapid|speedy|instant)(?:est|er)? (?:responses?|answers?|replies|completions?|suggestions?|inference|turnaround|results?|generation|output)|(?:speed|response times?|responsiveness) (?:is|are|matters?)(?: \w+)? (?:critical|crucial|key|important|everything|paramount|a lot|most)|(?:speed|response times?|responsiveness) matters?|speed[\s-]critical|latency above all|prioriti[sz]e (?:speed|latency)|optimi[sz]e for (?:speed|latency)|(?:speed|latency) is (?:the )?(?:top )?priority)\b/g,
  },
  {
    priority: 'latency',
    weight: 2,
    pattern:
      /\b(?:snappy|responsive|real[\s-]?time|instant(?:ly|aneous)?|blazing(?:ly)?[\s-]fast|lightning[\s-]fast|ultra[\s-]fast|super[\s-]fast|no lag|low lag|without lag|lag[\s-]free|sub[\s-]?second|fastest|speedy)\b/g,
  },
  {
    priority: 'latency',
    weight: 1.5,
    pattern:
      /\b(?:fast(?:er)?|quick(?:ly|er)?|speed|latency)\b(?![\s-](?:growing|paced|moving|summar|recaps?|overviews?|questions?|q|qq|one|thing|ask|favou?r|sync|chat|call|update|estimates?|tell|check|help|sanity|glance|intro|demo|pocs?|prototypes?|pilots?|test|overview|looks?|notes?|start|wins?|up|food))/g,
  },
  // cost
  {
    priority: 'cost',
    weight: 3,
    pattern:
      /\b(?:cheap(?:er|est|ly)?|inexpensive|low(?:est)?[\s-]cost|cost[\s-](?:effective(?:ness)?|efficient|efficiency|sensitive|conscious|constrained|optimi[sz]ed|first|matters|is (?:key|critical|crucial|important|everything|king|paramount|the priority|our priority|a priority|top priority|what matters))|on a (?:tight |limited |small |shoestring )?budget|(?:tight|limited|small|modest|low|shoestring|lean) budget|keep(?:ing)? (?:the )?(?:costs?|spend(?:ing)?|bills?|prices?) (?:down|low|minimal|in check|under control|reasonable)|minimi[sz]e (?:the |our )?(?:costs?|spend(?:ing)?|price|bill)|(?:reduce|cut|lower) (?:the |our |my )?(?:\w+ )?(?:costs?|spend(?:ing)?|bills?)|(?:costs?|prices?|bills?|spend(?:ing)?) (?:is|are) too high|pay(?:ing)? too much|sav(?:e|ing) money|cost savings?|affordable|economical|frugal|budget[\s-](?:friendly|conscious|constrained|sensitive)|bang for (?:the |our |my )?buck|(?:lowest|minimal|minimum|least) (?:possible )?(?:cost|price|spend(?:ing)?)|price[\s-]sensitive|as cheap as possible|(?:least|less) expensive|(?:not|nothing|isn't|shouldn't be) (?:too |very |overly |that )?(?:expensive|pricey|costly)|without breaking the bank|on a shoestring|(?:low(?:er|est)?|minimal|minimi[sz]e|reduce) (?:the |our )?tco|(?:don't|do not|can't|cannot|won't) (?:want to |wanna )?spend (?:too |very |that |so )?much|(?:money|budget|funds|cash|spend(?:ing)?) (?:is|are) (?:tight|limited|constrained|scarce)|(?:good |best |great )?value for (?:the |our )?money|prioriti[sz]e cost|optimi[sz]e for cost|cost above all|(?:cost|price|money|spend) is (?:the )?(?:top |main |biggest |primary )?(?:priority|concern|constraint))\b/g,
  },
  { priority: 'cost', weight: 1.5, pattern: /\b(?:too expensive|pricey|costly|expensive)\b/g },
  // accuracy
  {
    priority: 'accuracy',
    weight: 3,
    pattern:
      /\b(?:(?:best|highest|top|maximum|max|high|great|excellent|premium|superior)[\s-](?:possible[\s-])?(?:accuracy|quality|answers|results|output|model)|most (?:accurate|capable|intelligent|precise|reliable)|(?:accuracy|quality|correctness|precision) (?:is|matters)(?: \w+)? (?:critical|crucial|key|important|everything|king|paramount|a priority|the priority|our priority|top priority|what matters|most|first)|quality is what matters|(?:quality|accuracy|correctness)[\s-](?:critical|sensitive|first|matters|above all)|accuracy above all|prioriti[sz]e (?:quality|accuracy)|optimi[sz]e for (?:quality|accuracy)|(?:deepest|most thorough|most detailed|most rigorous|best possible) (?:analysis|answers?|results?|research|reasoning|review)|as (?:accurate|precise|correct) as possible|state[\s-]of[\s-]the[\s-]art|sota|smartest|top[\s-]notch|no hallucinations?|can't afford (?:mistakes|errors|hallucinations?)|must be (?:accurate|correct|right))\b/g,
  },
  {
    priority: 'accuracy',
    weight: 2,
    pattern:
      /\b(?:accura(?:te|tely|cy)(?! (?:(?:cost|price|gpu|capacity) )?(?:estimates?|sizing|numbers|quotes?|counts?|forecasts?))|high[\s-]quality|precise|correctness|hallucinat\w*|reliable answers?)\b/g,
  },
  {
    priority: 'accuracy',
    weight: 1.5,
    pattern:
      /\bquality\b(?![\s-](?:assurance|control|checks?|team|department|dept|engineers?|managers?|metrics?))/g,
  },
  // balanced
  {
    priority: 'balanced',
    weight: 5,
    pattern:
      /(?<!load[\s-]?)\b(?:balanced?|balancing|trade[\s-]?offs?|middle ground|best of both|reasonable (?:cost|price|latency|speed|quality) and|both (?:cost|speed|latency|quality) and|(?:cost|speed|latency|quality) and (?:cost|speed|latency|quality) (?:equally|matter equally|both)|equally important)\b/g,
  },
];

/** Words before a cue that turn it around: "not latency sensitive", "don't care about cost". */
const NEGATED_BEFORE =
  /\b(?:not|no|never|without|nor|don't|doesn't|isn't|aren't|less|irrespective of|regardless of|don't care about|not worried about|not concerned (?:about|with))\s+(?:\w+\s+){0,2}$/;
/** Words after a cue that turn it around: "cost is not a concern", "latency doesn't matter", "money is no object". */
const NEGATED_AFTER =
  /^\s*(?:is|are|'s)?\s*(?:not|no|isn't|aren't|doesn't|don't|never)\s+(?:\w+\s+){0,2}?(?:matter|important|a concern|concern|an issue|issue|a problem|problem|object|a priority|priority|critical|needed|required|a constraint|constraint|a factor|factor|big deal)|^\s*(?:is|are)?\s*(?:secondary|irrelevant|less important|not important|unimportant|negotiable|flexible)/;

/** A figure right after the cue makes it a target ("latency under 500ms", "p95 latency: 2s"), not a priority. */
const SLO_AFTER =
  /^(?:\s*(?:\(?p\d\d\)?|[<≤]=?|:|under|below|within|of|at|target|budget|slo|sla|is|must be|should be|needs to be|less than|no more than|at most))*\s*~?\d/;

const EMPHASIS =
  /\b(?:critical|crucial|key|most important|matters most|top priority|main priority|priority|above all|paramount|essential|must|everything|what matters|number one|#1|first and foremost)\b/;

/** Hits within a clause are boosted when the clause stresses them; a clause reaches CLAUSE_REACH either side. */
function clauseOf(text: string, index: number): string {
  const from = Math.max(0, index - CLAUSE_REACH);
  const window = text.slice(from, index + CLAUSE_REACH);
  const at = index - from;
  const start =
    Math.max(window.lastIndexOf(',', at), window.lastIndexOf(';', at), window.lastIndexOf('.', at)) + 1;
  const ends = [',', ';', '.'].map((mark) => window.indexOf(mark, at)).filter((end) => end !== -1);
  return window.slice(start, ends.length > 0 ? Math.min(...ends) : window.length);
}

/** Words for each priority as they appear in comparisons ("cost over latency"). */
const PRIORITY_WORDS: Record<Exclude<Priority, 'balanced'>, string> = {
  latency: 'latency|speed|response times?|responsiveness|performance|being fast|fast(?:er)?',
  cost: 'costs?|price|money|budget|spend(?:ing)?|being cheap|cheap(?:er)?',
  accuracy: 'accuracy|quality|correctness|precision|being accurate|accurate',
};
const ANY_PRIORITY_WORD = Object.values(PRIORITY_WORDS).join('|');
const MORE_THAN =
  '(?:over|>>?|(?:is |are )?more important than|matters? more than|before|above|rather than|trumps|beats|then)';
const LESS_THAN = '(?:<<?|(?:is |are )?less important than|matters? less than|after|below)';
const COMPARISON = new RegExp(
  `\\b(${ANY_PRIORITY_WORD})\\s*(?:(${MORE_THAN})|${LESS_THAN})\\s*(${ANY_PRIORITY_WORD})\\b`,
  'g',
);

/** "priority: cost", "optimize for quality", "cost matters more": one priority named as the one that counts. */
const NAMED_PRIORITY = new RegExp(
  `\\b(?:(?:top |main |our |the )?priority|priorities|main concern|focus(?: is)?(?: on)?)\\s*(?:is|:|=|-)?\\s*(${ANY_PRIORITY_WORD})\\b|\\b(${ANY_PRIORITY_WORD})\\s+(?:matters?|counts?|is|are)\\s+(?:even |much |a lot |way |far )?more(?: important)?\\b(?! than)`,
  'g',
);

function priorityOfWord(word: string): Priority {
  const found = Object.entries(PRIORITY_WORDS).find(([, words]) => new RegExp(`^(?:${words})$`).test(word));
  return found ? (found[0] as Priority) : 'balanced';
}

export function extractPriority(text: string): { priority: Priority; priorityStated: boolean } {
  const lower = text.toLowerCase().replace(/[\u2018\u2019]/g, "'");
  const score = new Map<Priority, { weight: number; first: number }>();
  const claimed = new TakenSpans(lower.length);
  // A stated ranking ("cost over latency", "quality > speed") decides more than any single word.
  for (const match of lower.matchAll(COMPARISON)) {
    const [whole, first, more, second] = match;
    const winner = priorityOfWord(more ? first! : second!);
    const current = score.get(winner)?.weight ?? 0;
    score.set(winner, { weight: current + 6, first: match.index });
    claimed.take(match.index, match.index + whole.length);
  }
  for (const match of lower.matchAll(NAMED_PRIORITY)) {
    const winner = priorityOfWord((match[1] ?? match[2])!);
    const current = score.get(winner)?.weight ?? 0;
    score.set(winner, { weight: current + 6, first: match.index });
    claimed.take(match.index, match.index + match[0].length);
  }
  for (const { priority, weight, pattern } of CUES) {
    for (const match of lower.matchAll(pattern)) {
      const start = match.index;
      const end = start + match[0].length;
      // A phrase already counted by a stronger cue ("low latency") is not counted again as "latency".
      if (claimed.overlaps(start, end)) continue;
      claimed.take(start, end);
      const before = lower.slice(Math.max(0, start - 40), start);
      const after = lower.slice(end, end + 40);
      if (priority !== 'balanced' && (NEGATED_BEFORE.test(before) || NEGATED_AFTER.test(after))) continue;
      if (priority !== 'balanced' && SLO_AFTER.test(after)) {
        continue; // "latency under 500ms" is a target, not a priority.
      }
      const boosted = EMPHASIS.test(clauseOf(lower, start)) ? weight * 1.5 : weight;
      const current = score.get(priority) ?? { weight: 0, first: start };
      score.set(priority, { weight: current.weight + boosted, first: Math.min(current.first, start) });
    }
  }
  const ranked = [...score].sort(([, a], [, b]) => b.weight - a.weight || a.first - b.first);
  const best = ranked[0];
  return best ? { priority: best[0], priorityStated: true } : { priority: 'balanced', priorityStated: false };
}
