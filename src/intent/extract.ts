import type { CatalogMention } from '../knowledge/aliases.js';
import { locateGpuMentions, locateModelMentions } from '../knowledge/aliases.js';
import { extractQps, extractUsers } from './audience.js';
import { extractBudget } from './budget.js';
import { prepareUserText } from './input.js';
import { extractLatencyTargets } from './latency.js';
import { normalizeFigures, roundMoney, roundMs, roundRate } from './numbers.js';
import { extractPriority } from './priority.js';
import type { ExtractionVocabulary, Intent } from './schema.js';
import { withinBounds } from './schema.js';
import { repairTypos } from './typos.js';
import { classifyUseCase } from './use-case.js';
import { extractMaxGpus, extractTokenLengths } from './workload.js';

/** A word before a catalog name that rules it out: "no H100s", "avoid llama", "we can't use A100". */
const NEGATION_BEFORE =
  /\b(?:no|not|anything but|everything but|avoid|avoiding|without|except|excluding|exclude|never|nor|don't|dont|do not|doesn't|doesnt|can't|cant|cannot|won't|wont|haven't|havent|lack|lacking|no access to|instead of|rather than|other than)\b(?! (?:more|less|fewer|sure|preference|idea|only|just|exceed|over|above|below|under)\b)[^,.;:!?]{0,25}$/;
/** Words after a catalog name that rule it out: "H100s are not available", "H200 is too expensive". */
const NEGATION_AFTER =
  /^\s*(?:(?:is|are|'s)\s+(?:not|never)\b|isn't|aren't|(?:is|are)\s+(?:all\s+)?(?:reserved|taken|booked|busy|in use|allocated|earmarked|maxed out|sold out)\b|(?:is|are)\s+(?:unavailable|off the table|out of the question|excluded|not an option|overkill|too (?:expensive|pricey|costly|slow|big|large|old))|unavailable)/;
/** What may separate two names in one list: "no H100 or H200", "H100 and H200 are not available". */
const LIST_JOIN = /^\s*(?:,|\/|or|nor|and|,\s*or|,\s*and|,\s*nor)?\s*$/;

/**
 * Ids of the mentions that the text does not rule out, sorted. A negation before a name carries forward through
 * a list ("no H100 or H200"), one after it carries backward ("H100 and H200 are not available").
 */
function allowedIds(text: string, mentions: CatalogMention[]): string[] {
  const lower = text.toLowerCase().replace(/[\u2018\u2019]/g, "'");
  const joined = mentions.map(
    (mention, index) => index > 0 && LIST_JOIN.test(lower.slice(mentions[index - 1]!.end, mention.start)),
  );
  const negated = mentions.map((mention, index) => {
    const from = index > 0 ? mentions[index - 1]!.end : 0;
    return NEGATION_BEFORE.test(lower.slice(Math.max(from, mention.start - 40), mention.start));
  });
  for (let index = 1; index < mentions.length; index++)
    negated[index] ||= negated[index - 1]! && joined[index]!;
  const negatedAfter = mentions.map((mention) =>
    NEGATION_AFTER.test(lower.slice(mention.end, mention.end + 40)),
  );
  for (let index = mentions.length - 2; index >= 0; index--) {
    negatedAfter[index] ||= negatedAfter[index + 1]! && joined[index + 1]!;
  }
  const allowed = mentions.filter((_, index) => !negated[index] && !negatedAfter[index]);
  return [...new Set(allowed.flatMap((mention) => mention.ids))].sort();
}

const rounded = <T>(value: T | null, round: (value: T) => T): T | null =>
  value === null ? null : round(value);

/** Rule-based reading of a request: every fact the text states, null/[] for the rest. Pure. */
export function extractIntent(text: string, vocab: ExtractionVocabulary): Intent {
  // Typos are repaired once, so that every rule below reads "usres" as "users" and "secnod" as "second".
  const repaired = repairTypos(prepareUserText(text).text);
  const figures = normalizeFigures(repaired);
  const users = extractUsers(figures);
  const latency = extractLatencyTargets(figures);
  const intent: Omit<Intent, 'missing'> = {
    useCase: classifyUseCase(repaired),
    users,
    qps: rounded(extractQps(figures, users), roundRate),
    ...extractPriority(repaired),
    budgetMonthlyUsd: rounded(extractBudget(figures, users), roundMoney),
    gpuTypes: allowedIds(repaired, locateGpuMentions(repaired, vocab.gpus)),
    models: allowedIds(repaired, locateModelMentions(repaired, vocab.models)),
    maxGpus: extractMaxGpus(figures),
    ...extractTokenLengths(figures),
    ttftP95Ms: rounded(latency.ttft, roundMs),
    itlP95Ms: rounded(latency.itl, roundMs),
    e2eP95Ms: rounded(latency.e2e, roundMs),
  };
  return withinBounds(intent);
}
