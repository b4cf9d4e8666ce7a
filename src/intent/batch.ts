import { clauseSides, NUM } from './clauses.js';

/**
 * Offline (batch) jobs: "a nightly batch job classifying 2 million support tickets". Read from text prepared by
 * `normalizeFigures`. Such a job has a volume of items per day instead of users, and no one waits on a token.
 */

/** Words that make a request an offline job rather than interactive traffic. */
const BATCH_CUE =
  /\b(?:batch(?:es|ed)?(?:[\s-](?:jobs?|runs?|processing|inference|mode|pipeline))?|offline|nightly|overnight|every night|each night|bulk|back-?fill(?:ing)?|cron(?:[\s-]?jobs?)?|scheduled (?:jobs?|runs?)|one[\s-]off (?:jobs?|runs?)|async(?:hronous)? (?:jobs?|processing))\b/;

/**
 * "process 300k documents a day", "we're processing about 2M tickets per day": a volume put through a pipeline, which
 * no one reads token by token. Such a text is an offline job even without the word "batch", unless it names an
 * audience ("an assistant for 200 lawyers that processes 5000 contracts a day" serves people who wait on it).
 */
const PROCESSING_VERB = /\bprocess(?:es|ing)?\s+(?:[a-z]+\s+){0,2}~?$/;

/** Things a batch job processes, one request each. */
const ITEM_NOUN =
  '(?:tickets?|documents?|docs?|items?|records?|emails?|files?|pages?|reviews?|articles?|transcripts?|contracts?|reports?|messages?|texts?|rows?|products?|invoices?|images?|requests?|prompts?|queries|conversations?|chats?|calls?|claims?|forms?|entries|listings?|posts?|comments?|summaries|translations?|sentences?|descriptions?|chunks?|pdfs?|resumes?|cvs?|notes?|logs?|events?|samples?|examples?|questions?|tasks?|jobs?|filings?|papers?|abstracts?|receipts?|orders?|transactions?|cases?|applications?|submissions?|responses?|surveys?|segments?|paragraphs?|passages?|tweets?)';

/** "2000000 support tickets", "500000 pdf documents": a count and what it counts, up to two words between. */
const ITEM_COUNT = new RegExp(`(?<![\\w$€£.])${NUM}\\+?\\s+(?:[a-z][\\w-]*\\s+){0,2}?${ITEM_NOUN}\\b`, 'g');

const PER_PERIOD: { pattern: RegExp; days: number }[] = [
  { pattern: /\b(?:per|an?|each|every|\/)\s*(?:hour|hr|h)\b|\bhourly\b/, days: 1 / 24 },
  { pattern: /\b(?:per|a|each|every|\/)\s*(?:week|wk)\b|\bweekly\b/, days: 7 },
  { pattern: /\b(?:per|a|each|every|\/)\s*(?:month|mo)\b|\bmonthly\b/, days: 30.4 },
];

/** "within 6 hours", "in 4 hours", "by morning in 8 hours": the window a run must finish in. */
const WINDOW =
  /\b(?:within|in|under|over|inside|during|across)\s+(?:an?\s+)?(\d+(?:\.\d+)?)?\s*[-\s]?(?:hours?|hrs?|h)\b(?:\s*window)?/;

export interface BatchJob {
  itemsPerDay: number;
  /** Hours one day's items must be processed in; 24 when the text sets no window. */
  windowHours: number;
}

/**
 * The batch job a text describes, or null when it describes interactive traffic (or no volume). `hasAudience`: the
 * text states a number of users, so a processed volume alone does not make it offline.
 */
export function extractBatchJob(text: string, hasAudience = false): BatchJob | null {
  const cued = BATCH_CUE.test(text);
  if (!cued && hasAudience) return null;
  let best: BatchJob | null = null;
  for (const match of text.matchAll(ITEM_COUNT)) {
    const count = Number(match[1]);
    if (!(count > 0)) continue;
    const { before, after } = clauseSides(text, match.index, match.index + match[0].length);
    if (!cued && !PROCESSING_VERB.test(before)) continue;
    const period = PER_PERIOD.find(({ pattern }) => pattern.test(after.slice(0, 30)));
    const itemsPerDay = count / (period?.days ?? 1);
    const window = WINDOW.exec(text);
    const windowHours = window ? Number(window[1] ?? 1) : 24;
    if (best === null || itemsPerDay > best.itemsPerDay)
      best = { itemsPerDay, windowHours: windowHours > 0 && windowHours <= 24 ? windowHours : 24 };
  }
  return best;
}

/** "throughput matters", "maximise throughput": for an offline job, the most items per dollar. */
export const THROUGHPUT_CUE =
  /\b(?:throughput|volume|as many (?:as possible|items|documents|tickets)|items per (?:dollar|second)|max(?:imi[sz]e)? (?:throughput|volume))\b/;
