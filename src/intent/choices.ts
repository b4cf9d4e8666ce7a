import type { CatalogMention } from '../knowledge/aliases.js';
import { locateGpuMentions } from '../knowledge/aliases.js';
import type { ExtractionVocabulary } from './schema.js';

/**
 * What a text says about each catalog name it mentions: allowed ("we have H100s"), ruled out ("no H100s",
 * "anything but AMD") or allowed back in addition to what was allowed ("H100s are fine again", "L40S too").
 */
export interface CatalogChoice {
  allowed: string[];
  excluded: string[];
  added: string[];
}

/** A word before a catalog name that rules it out: "no H100s", "avoid llama", "we can't use A100". */
const NEGATION_BEFORE =
  /\b(?:no|not|non|anything but|everything but|anything except|avoid|avoiding|without|except|excluding|exclude|never|nor|don't|dont|do not|doesn't|doesnt|can't|cant|cannot|won't|wont|haven't|havent|lack|lacking|no access to|instead of|rather than|other than|drop|remove|ban|forget|skip|stay away from)\b(?! (?:more|less|fewer|sure|preference|idea|only|just|exceed|over|above|below|under|longer)\b)[^,.;:!?]{0,25}$/;
/** Words after a catalog name that rule it out: "H100s are not available", "H200 is too expensive". */
const NEGATION_AFTER =
  /^\s*(?:(?:gpus?|cards?)\s+)?(?:(?:is|are|'s)\s+(?:not|never)\b|isn't|aren't|(?:is|are)\s+(?:all\s+)?(?:reserved|taken|booked|busy|in use|allocated|earmarked|maxed out|sold out|gone|out)\b|(?:is|are)\s+(?:unavailable|off the table|out of the question|excluded|not an option|overkill|too (?:expensive|pricey|costly|slow|big|large|old))|unavailable|(?:is|are)\s+a no[\s-]go|(?:please\s+)?no\b)/;
/** Words that allow a name in addition to the ones already allowed: "H100s are fine again", "also L40S". */
const ADDED_AFTER =
  /^\s*(?:(?:gpus?|cards?)\s+)?(?:(?:is|are|'s|would be|will be)\s+(?:(?:also|actually|now|still|all)\s+)?(?:fine|ok|okay|good|allowed|available|acceptable|back(?: in)?|an option|on the table)\b|too\b|as well\b|again\b|(?:is|are)\s+back\b)/;
const ADDED_BEFORE =
  /\b(?:also|allow|re-?allow|bring back|add|include|plus|and also|we can use \w+ again|we can also use|can also use|un-?exclude)\s+(?:the\s+)?$/;
/** What may separate two names in one list: "no H100 or H200", "H100 and H200 are not available". */
const LIST_JOIN = /^\s*(?:,|\/|or|nor|and|,\s*or|,\s*and|,\s*nor)?\s*$/;

/**
 * Sorts each mention into allowed, excluded or added. A negation before a name carries forward through a list
 * ("no H100 or H200"), one after it carries backward ("H100 and H200 are not available"); so do the words that
 * allow a name back.
 */
export function chooseMentions(text: string, mentions: CatalogMention[]): CatalogChoice {
  const lower = text.toLowerCase().replace(/[\u2018\u2019]/g, "'");
  const joined = mentions.map(
    (mention, index) => index > 0 && LIST_JOIN.test(lower.slice(mentions[index - 1]!.end, mention.start)),
  );
  const before = (mention: CatalogMention, index: number) => {
    const from = index > 0 ? mentions[index - 1]!.end : 0;
    return lower.slice(Math.max(from, mention.start - 40), mention.start);
  };
  const after = (mention: CatalogMention) => lower.slice(mention.end, mention.end + 40);
  const forward = (marks: boolean[]) => {
    for (let index = 1; index < marks.length; index++) marks[index] ||= marks[index - 1]! && joined[index]!;
    return marks;
  };
  const backward = (marks: boolean[]) => {
    for (let index = marks.length - 2; index >= 0; index--)
      marks[index] ||= marks[index + 1]! && joined[index + 1]!;
    return marks;
  };
  const negatedBefore = forward(
    mentions.map((mention, index) => NEGATION_BEFORE.test(before(mention, index))),
  );
  const negatedAfter = backward(mentions.map((mention) => NEGATION_AFTER.test(after(mention))));
  const addedBefore = forward(mentions.map((mention, index) => ADDED_BEFORE.test(before(mention, index))));
  const addedAfter = backward(mentions.map((mention) => ADDED_AFTER.test(after(mention))));
  const ids = (keep: (index: number) => boolean) =>
    [...new Set(mentions.filter((_, index) => keep(index)).flatMap((mention) => mention.ids))].sort();
  const excluded = (index: number) => negatedBefore[index]! || negatedAfter[index]!;
  const added = (index: number) => !excluded(index) && (addedBefore[index]! || addedAfter[index]!);
  return {
    allowed: ids((index) => !excluded(index)),
    excluded: ids(excluded),
    added: ids(added),
  };
}

/** "AMD", "NVIDIA": a vendor stands for each of its catalog GPUs ("anything but AMD", "NVIDIA only"). */
const VENDOR = /(?<![\w-])(nvidia|amd)(?![\w-])/g;

/** GPU mentions by name and by vendor, in text order; a vendor word inside a GPU's name ("nvidia h100") is part of it. */
export function gpuMentions(text: string, gpus: ExtractionVocabulary['gpus']): CatalogMention[] {
  const named = locateGpuMentions(text, gpus);
  const lower = text.toLowerCase();
  const vendors: CatalogMention[] = [];
  for (const match of lower.matchAll(VENDOR)) {
    const start = match.index;
    const end = start + match[0].length;
    if (named.some((mention) => mention.start < end + 2 && start < mention.end)) continue;
    // "NVIDIA H100": the vendor word introduces the name right after it.
    if (named.some((mention) => mention.start >= end && /^[\s-]*$/.test(lower.slice(end, mention.start))))
      continue;
    const ids = gpus.filter((gpu) => gpu.vendor === match[1]).map((gpu) => gpu.id);
    if (ids.length > 0) vendors.push({ ids, start, end });
  }
  return [...named, ...vendors].sort((a, b) => a.start - b.start);
}
