import { NUM, wholeCount } from './clauses.js';

/**
 * Rules for how many people use the deployment and how many requests per second it carries. Both read text
 * prepared by `normalizeFigures` (lower case, numbers as plain decimals).
 */

/** The same in French, Spanish, Portuguese, Italian, German, Dutch and Arabic: "2000 utilisateurs", "2000 Nutzer". */
const FOREIGN_PEOPLE =
  '(?:utilisateur(?:rice)?s?|usuari[oa]s?|usuários?|utent[ei]|utilizzator[ei]|(?:be)?nutzer(?:innen)?|anwender(?:innen)?|mitarbeiter(?:innen|n)?|mitarbeitende|beschäftigte|kunden|gebruikers?|medewerkers?|employé(?:e)?s?|salariés?|empleados?|funcionários?|dipendenti|collaborat(?:eur|rice)s?|colaboradores|personnes|personas|pessoas|persone|clientes|agentes|développeurs|desarrolladores|entwickler(?:innen)?|étudiants?|estudiantes|studenten|مستخدم(?:ين|ون)?|موظف(?:ين|ون)?)';

/** Nouns for people, singular or plural; a count in front of one is a number of users. */
export const PEOPLE_NOUN = `(?:users?|people|ppl|pax|persons?|employees?|staff(?:ers)?|customers?|clients?|agents?|developers?|devs?|engineers?|programmers?|coders?|writers?|copywriters?|authors?|editors?|marketers?|marketeers?|reps?|representatives?|analysts?|students?|learners?|pupils?|teachers?|tutors?|faculty|professors?|members?|seats?|licen[cs]es?|paralegals?|lawyers?|attorneys?|solicitors?|associates?|researchers?|scientists?|doctors?|clinicians?|nurses?|physicians?|translators?|linguists?|operators?|workers?|colleagues?|coworkers?|teammates?|subscribers?|visitors?|readers?|players?|patients?|consultants?|accountants?|auditors?|traders?|bankers?|managers?|salespeople|sellers?|buyers?|shoppers?|partners?|contractors?|volunteers?|officers?|individuals?|humans?|folks|testers?|designers?|creators?|journalists?|reporters?|moderators?|recruiters?|interns?|specialists?|advisors?|advisers?|technicians?|officials?|citizens?|residents?|guests?|travell?ers?|passengers?|drivers?|fans?|followers?|viewers?|listeners?|heads|ftes?|daus?|maus?|actives|caseworkers?|underwriters?|adjusters?|brokers?|dispatchers?|tellers?|cashiers?|clerks?|admins?|administrators?|sysadmins?|sres|candidates?|applicants?|hires|trainees?|instructors?|trainers?|coaches|pharmacists?|therapists?|surgeons?|caregivers?|radiologists?|dentists?|merchants?|vendors?|investors?|planners?|inspectors?|investigators?|examiners?|reviewers?|maintainers?|contributors?|architects?|riders?|couriers?|tenants?|donors?|parents?|kids|children|mentors?|mentees?|facilitators?|coordinators?|supervisors?|executives?|execs?|leaders?|directors?|owners?|${FOREIGN_PEOPLE})`;

/** Words that make a nearby number something other than a head count. */
const NOT_PEOPLE =
  /^(?:requests?|reqs?|queries|query|calls?|messages?|tokens?|pages?|documents?|docs?|files?|pdfs?|tickets?|emails?|words?|gpus?|cards?|nodes?|instances?|replicas?|servers?|hours?|minutes?|seconds?|days?|weeks?|months?|years?|ms|qps|rps|dollars?|usd|euros?|percent|times|articles?|posts?|reports?|contracts?|books?|chapters?|manuals?|languages?|models?|conversations?|chats?|sessions?|per|each|every|x|gb|tb|b|k|m)$/;

/** What may follow a bare count for it to be complete ("for 40, on L4", "team of 40 and ..."). */
const COUNT_ENDS =
  '(?=\\s*(?:$|[,.;:!?)\\]]|(?:of them|and|with|on|in|at|using|who|that|which|but|so|plus|across|from|via|need|needs|want|wants|running|requiring|on-prem)\\b))';

/** "1,200 employees", "400 sales reps", "30-40 paralegals", "2000 of our staff", "a 500-person company". */
const COUNT_BEFORE_PEOPLE = new RegExp(
  `(?<![\\w$€£.,/-])(?:${NUM}\\s*(?:-|to)\\s*)?${NUM}\\+?((?:[\\s-]+[a-z][a-z&'.]*){0,3}?)[\\s-]+${PEOPLE_NOUN}(?![a-z])`,
  'g',
);

/** "team of 40", "company with 5000", "headcount: 300". */
const GROUP_OF_COUNT = new RegExp(
  `\\b(?:team|staff|company|org|organi[sz]ation|department|dept|group|headcount|user ?base|workforce|population|community|audience|firm|division|cohort|crew|squad|agency|startup|school|university|hospital|enterprise)(?:\\s*:|\\s+(?:of|with|size(?: of)?|is|has|having))?\\s*(?:about|around|roughly|approximately|approx\\.?|some|over|nearly|almost|~|>)?\\s*${NUM}\\+?${COUNT_ENDS}`,
  'g',
);

/** "users: 500", "number of users is 500", "user count ~ 2000", "analysts (about 45 of them)". */
const LABELLED_COUNT = new RegExp(
  `\\b(?:${PEOPLE_NOUN}|user count|number of users|no\\. of users|# ?users|headcount)\\s*\\(?\\s*(?:[:=~-]|is|are|of|count|total|around|about|approx(?:imately)?|roughly|expected|\\s)*\\s*${NUM}\\+?${COUNT_ENDS}`,
  'g',
);

/** "like 300 of them", "about 40 of us": a count of the people the text was about. */
const COUNT_OF_THEM = new RegExp(`(?<![\\w.])${NUM}\\+?\\s+of (?:them|us)\\b`, 'g');

/** "our 45-strong sales team". */
const COUNT_STRONG = new RegExp(`(?<![\\w.])${NUM}[\\s-]strong\\b`, 'g');

/** "chatbot for 500", "serving 2000", "used by 300". */
const COUNT_AFTER_FOR = new RegExp(
  `\\b(?:for|serve|serving|serves|support|supporting|supports|used by|use by|across|handle|handling)\\s+(?:about|around|roughly|approximately|up to|over|some|nearly|almost|~|>)?\\s*${NUM}\\+?${COUNT_ENDS}`,
  'g',
);

function headCount(digits: string): number | null {
  const value = wholeCount(digits);
  return Number.isFinite(value) && value >= 1 ? Math.round(value) : null;
}

interface NamedCount {
  count: number;
  noun: string;
  start: number;
  end: number;
}

/** What joins groups of people into one audience: "20 lawyers, 15 paralegals and 5 partners", "40 devs + 10 testers". */
const PEOPLE_AND = /^\s*,?\s*(?:and|plus|\+|&|as well as)\s*$/;
const PEOPLE_COMMA = /^\s*,\s*$/;

/**
 * Head counts of different groups add up when joined by "and" ("40 devs + 10 testers"), or by commas in a list that
 * ends with one ("20 lawyers, 15 paralegals and 5 partners"). A bare comma does not join: in "5k employees, 12 admins
 * will manage it" the second group is not the audience. The same group named twice ("200 users, later 2000 users")
 * never adds up.
 */
function audienceSizes(text: string, named: NamedCount[]): number[] {
  const joins = named.map((current, index) => {
    const previous = named[index - 1];
    if (previous === undefined || previous.noun === current.noun) return null;
    const between = text.slice(previous.end, current.start);
    return PEOPLE_AND.test(between) ? 'and' : PEOPLE_COMMA.test(between) ? 'comma' : null;
  });
  const joined = joins.map(() => false);
  for (let index = joins.length - 1; index >= 0; index--) {
    joined[index] = joins[index] === 'and' || (joins[index] === 'comma' && (joined[index + 1] ?? false));
  }
  const sizes: number[] = [];
  named.forEach((current, index) => {
    if (joined[index]) sizes[sizes.length - 1]! += current.count;
    else sizes.push(current.count);
  });
  return sizes;
}

/** Largest count found by the most specific rule that finds any; null when the text names no head count. */
export function extractUsers(text: string): number | null {
  const named: NamedCount[] = [];
  for (const match of text.matchAll(COUNT_BEFORE_PEOPLE)) {
    const fillers = match[3]!.split(/[\s-]+/).filter(Boolean);
    if (fillers.some((word) => NOT_PEOPLE.test(word))) continue;
    const count = headCount(match[2]!);
    const noun = match[0]
      .split(/[\s-]+/)
      .at(-1)!
      .replace(/s$/, '');
    if (count !== null) named.push({ count, noun, start: match.index, end: match.index + match[0].length });
  }
  if (named.length > 0) return Math.max(...audienceSizes(text, named));
  for (const rule of [GROUP_OF_COUNT, LABELLED_COUNT, COUNT_OF_THEM, COUNT_STRONG, COUNT_AFTER_FOR]) {
    const counts: number[] = [];
    for (const match of text.matchAll(rule)) {
      const count = headCount(match[1]!);
      // "for 2025" is a year, not an audience.
      if (count !== null && !(rule === COUNT_AFTER_FOR && count >= 1990 && count <= 2100)) counts.push(count);
    }
    if (counts.length > 0) return Math.max(...counts);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Request rate

/** Things counted per unit of time that are each one request to the model. */
const REQUEST_NOUN =
  '(?:requests?|reqs?|queries|query|calls?|api calls|inferences?|completions?|generations?|prompts?|messages?|questions?|conversations?|chats?|translations?|summaries|summarizations?|documents?|docs?|tickets?|jobs?|emails?|hits|transactions?|lookups?|searches|responses?|answers?|turns?|interactions?|tasks?|predictions?|suggestions?|invocations?|msgs?|items?|records?|listings?|entries|texts?|sentences?|segments?|strings?|transcripts?|contracts?|reports?|articles?|posts?|reviews?|products?|books?|files?|images?|pages?)';

const REQUEST_WORD = new RegExp(`^${REQUEST_NOUN}$`);
const PEOPLE_WORD = new RegExp(`^${PEOPLE_NOUN}$`);
/** Things counted per unit of time that are not requests: throughput in tokens, money, time, hardware. */
const NOT_REQUESTS =
  /^(?:tokens?|toks|dollars?|usd|euros?|bucks|pounds|words|characters|chars|bytes|[kmg]b|gpus?|cards?|nodes?|hours?|hrs|minutes?|mins|seconds?|secs|days?|weeks?|months?|years?|times|percent|ms|per|an?|each|every|in)$/;

/** A known request noun, or any other plural that is not a person or a non-request ("50000 skus per week"). */
function isCountedRequest(noun: string): boolean {
  if (REQUEST_WORD.test(noun)) return true;
  return noun.endsWith('s') && !NOT_REQUESTS.test(noun) && !PEOPLE_WORD.test(noun);
}

const SECONDS_PER: Record<string, number> = {
  s: 1,
  minute: 60,
  hour: 3600,
  day: 86_400,
  week: 604_800,
  // 730 hours, the same month the budget rules use.
  month: 730 * 3600,
};

function timeUnit(word: string): keyof typeof SECONDS_PER {
  if (word === 'nightly') return 'day';
  if (/^(?:s|secs?|seconds?)$/.test(word)) return 's';
  if (/^(?:m|mins?|minutes?)$/.test(word)) return 'minute';
  if (/^(?:h|hrs?|hours?|hourly)$/.test(word)) return 'hour';
  if (/^(?:d|days?|daily)$/.test(word)) return 'day';
  if (/^(?:wk|weeks?|weekly)$/.test(word)) return 'week';
  return 'month';
}

const TIME_WORD = '(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|wk|weeks?|mo|mos|months?)';
const PER_USER = `(?:\\s*(?:/|per|a|an|each|for each|from each|for every)\\s*(?:active\\s+)?${PEOPLE_NOUN}(?![a-z]))`;

/** "each user sends 3 requests per minute": the rate that follows is per user. */
const EACH_USER_BEFORE = new RegExp(
  `\\b(?:(?:each|every|per|a single|an average)\\s+(?:active\\s+)?${PEOPLE_NOUN}|(?:each|every one) of (?:the|our|those|these)?\\s*(?:\\d+\\s+)?(?:[a-z]+\\s+)?${PEOPLE_NOUN}|each\\s+(?:send|sending|sends|make|making|makes|issue|issuing|issues|do|doing|does|run|runs|submit|submits))\\b[^,;.]*$`,
);

/** "15 requests/s", "90 requests per minute", "200 per minute", "2000000 requests daily", "3 requests per user per minute". */
const COUNT_PER_TIME = new RegExp(
  `(?<![\\w$€£.])${NUM}\\+?\\s*(?:((?:[a-z][\\w-]*\\s+){0,2}?)([a-z][\\w-]*)\\s*)?(${PER_USER})?\\s*(?:(?:/|\\bper\\b|\\ban?\\b|\\beach\\b|\\bevery\\b|\\bin an?\\b)\\s*${TIME_WORD}\\b|\\b(hourly|daily|nightly|weekly|monthly)\\b)(${PER_USER})?`,
  'g',
);

/** "1 request every 10 seconds", "a query every 2 minutes per user". */
const EVERY_INTERVAL = new RegExp(
  `(?<![\\w$€£.])(?:(\\d+(?:\\.\\d+)?)|an?)\\s+([a-z][\\w-]*)(${PER_USER})?\\s+every\\s+(?:(\\d+(?:\\.\\d+)?)\\s*)?${TIME_WORD}\\b(${PER_USER})?`,
  'g',
);

/** "50 qps", "20 rps", "8 req/sec", "600 rpm". */
const RATE_ABBREVIATION = new RegExp(
  `(?<![\\w$€£.])${NUM}\\+?\\s*(qps|rps|req/s|reqs/s|req/sec|r/s|q/s|rpm|qpm|rph|rpd)\\b`,
  'g',
);

/** "QPS of 50", "peak qps: 200", "requests per second ~ 30". */
const LABELLED_RATE = new RegExp(
  `\\b(qps|rps|rpm|(?:requests|reqs?|queries|calls)\\s*(?:/|per)\\s*(?:s|sec|second|min|minute|h|hr|hour|d|day)|request rate(?: per second)?)\\s*(?:of|:|=|~|at|around|about|is|are|approximately|roughly|peaks? at|up to|peak|max|\\s)*${NUM}(?!\\w|\\.\\d)`,
  'g',
);

/** Words just before a rate that make it the one to plan for. */
const PEAK_WORD =
  /\b(?:peak|peaks|max|maximum|burst|bursts|spikes?|top|up to|at most|worst case|busiest)\b[^,;]{0,25}$/;

/** A rate is per user when it says so ("per user") or follows "each user sends". */
function isPerUser(text: string, index: number, perUserPhrase: string | undefined): boolean {
  return Boolean(perUserPhrase) || EACH_USER_BEFORE.test(text.slice(Math.max(0, index - 50), index));
}

interface Rate {
  perSecond: number;
  peak: boolean;
}

function unitOfLabel(label: string): keyof typeof SECONDS_PER {
  const time = /(?:\/|per)\s*([a-z]+)$/.exec(label)?.[1];
  if (time) return timeUnit(time);
  return label === 'rpm' ? 'minute' : 's';
}

function unitOfAbbreviation(abbreviation: string): keyof typeof SECONDS_PER {
  if (abbreviation.endsWith('m')) return 'minute';
  if (abbreviation.endsWith('h')) return 'hour';
  if (abbreviation.endsWith('d')) return 'day';
  return 's';
}

/**
 * Peak requests per second; a per-user rate counts only when the number of users is known. Several rates: the
 * one marked as peak, else the largest.
 */
export function extractQps(text: string, users: number | null): number | null {
  const rates: Rate[] = [];
  const add = (index: number, perSecond: number) => {
    if (perSecond > 0 && Number.isFinite(perSecond)) {
      rates.push({ perSecond, peak: PEAK_WORD.test(text.slice(Math.max(0, index - 40), index)) });
    }
  };
  for (const match of text.matchAll(RATE_ABBREVIATION)) {
    add(match.index, Number(match[1]) / SECONDS_PER[unitOfAbbreviation(match[2]!)]!);
  }
  for (const match of text.matchAll(COUNT_PER_TIME)) {
    const [, digits, fillers, noun, perUserBefore, timeWord, adverb, perUserAfter] = match;
    const unit = timeUnit(timeWord ?? adverb!);
    const hasNoun = noun !== undefined;
    if (hasNoun && (!isCountedRequest(noun) || fillers!.split(/\s+/).some((word) => NOT_REQUESTS.test(word))))
      continue;
    // Bare "N per month" is too often money ("20k/mo") to be a request rate.
    if (!hasNoun && (adverb || unit === 'month')) continue;
    const before = text.slice(Math.max(0, match.index - 60), match.index);
    if (!hasNoun && /\b(?:budget|spend|cost|pay|price)\w*\b[^,;]{0,20}$/.test(before)) continue;
    const perUser = isPerUser(text, match.index, perUserBefore ?? perUserAfter);
    if (perUser && users === null) continue;
    add(match.index, (Number(digits) * (perUser ? users! : 1)) / SECONDS_PER[unit]!);
  }
  for (const match of text.matchAll(EVERY_INTERVAL)) {
    const [, count, noun, perUserBefore, interval, timeWord, perUserAfter] = match;
    if (!isCountedRequest(noun!)) continue;
    const perUser = isPerUser(text, match.index, perUserBefore ?? perUserAfter);
    if (perUser && users === null) continue;
    const seconds = Number(interval ?? 1) * SECONDS_PER[timeUnit(timeWord!)]!;
    add(match.index, (Number(count ?? 1) * (perUser ? users! : 1)) / seconds);
  }
  for (const match of text.matchAll(LABELLED_RATE)) {
    add(match.index, Number(match[2]) / SECONDS_PER[unitOfLabel(match[1]!)]!);
  }
  if (rates.length === 0) return null;
  const peaks = rates.filter((rate) => rate.peak);
  return Math.max(...(peaks.length > 0 ? peaks : rates).map((rate) => rate.perSecond));
}
