import type { CatalogMention, GpuVocabulary } from '../knowledge/aliases.js';
import { locateGpuMentions, locateModelMentions } from '../knowledge/aliases.js';
import type { Model, UseCaseId } from '../knowledge/catalog.js';
import { USE_CASE_IDS } from '../knowledge/catalog.js';

/**
 * Hosted models whose weights are not published: no amount of GPUs serves them. Vendors' families, not a catalog:
 * the catalog holds what can be deployed, these are what people name instead. `small` are the vendors' light tiers,
 * compared with catalog models of a similar size rather than the largest.
 */
const CLOSED_FAMILIES: { vendor: string; pattern: RegExp; small: RegExp }[] = [
  {
    vendor: 'OpenAI',
    // gpt-oss is open (in the catalog); GPT-3.5/4/4o/4.1/5 and the o-series are not.
    pattern:
      /\b(?:chat ?gpt(?:[- ]?\d(?:\.\d)?o?)?|gpt[- ]?(?:3\.5|4(?:\.\d)?o?|5(?:\.\d)?)(?:[- ](?:turbo|mini|nano|pro))?|o[134][- ](?:mini|pro|preview)|openai o[134])\b/i,
    small: /mini|nano|3\.5/i,
  },
  {
    vendor: 'Anthropic',
    pattern: /\bclaude(?:[- ](?:\d(?:\.\d)?|instant|opus|sonnet|haiku)){0,3}\b/i,
    small: /haiku|instant/i,
  },
  {
    vendor: 'Google',
    // Gemma is Google's open family (in the catalog); Gemini is served only by Google.
    pattern: /\bgemini(?:[- ](?:\d(?:\.\d)?|pro|flash|ultra|nano|lite)){0,3}\b/i,
    small: /flash|nano|lite/i,
  },
  { vendor: 'xAI', pattern: /\bgrok[- ]?[3-9](?:[- ]mini)?\b/i, small: /mini/i },
];

/** Light closed tiers are compared with catalog models up to this size (billions of parameters). */
const SMALL_MODEL_MAX_B = 35;
const SUGGESTIONS = 3;

export const IMPORT_HINT =
  'add it with `compass models import --hf-config config.json` (its Hugging Face config.json)';

type Catalog = Pick<Model, 'id' | 'name' | 'family' | 'aliases' | 'paramsTotalB' | 'quality'>[];

interface Span {
  text: string;
  start: number;
  end: number;
}

/** "a 13b model" names no model: words that may stand before a size or a version without being a model's name. */
const NOT_A_NAME = new Set(
  'a an the of on for with use using run serve host try to at up only just about around max min most least under over peak top p tp fp int bf v version model models gpu gpus user users node nodes replica replicas size sized and or but not no than like say said something maybe approx approximately some any each per all new old our my your their this that these those it its is are be'.split(
    ' ',
  ),
);

/** A name with a size ("falcon 180b", "yi-34b", "gemma 2 9b"): a model, whatever its family. */
const SIZED_NAME =
  /\b([a-z][a-z0-9]*(?:[.-][a-z0-9]+)*)(?:[ -]([a-z]?\d+(?:\.\d+)?))?[ -]?(\d+(?:\.\d+)?)b\b(?![\w-]*\s*(?:users|tokens|params|parameters|\$))/gi;
/** "use gemma 2", "deploy kimi k2": a name and a version after a verb that picks a model. */
const PICKED_NAME =
  /\b(?:use|using|deploy|run|serve|host|try|switch to|go with|prefer|want)\s+([a-z][a-z]+(?:[- ][a-z]{3,})?)[ -]?((?:v|k|r)?\d+(?:\.\d+)?)\b/gi;
/** A version right after a family's name: "v2", "1.5" (a bare integer may be a count: "qwen 500 users"). */
const FAMILY_VERSION = /^[ -]?(?:v\d+(?:\.\d+)?|\d+\.\d+)\b(?![ -]?\d*\s*(?:users|people|requests))/i;
/** A Hugging Face id: "tiiuae/falcon-40b". Not a URL's path, not a ratio ("24/7"). */
/** "3/4", "10k/month", "5 req/s", "tokens/sec": a figure per unit or a ratio, not `owner/model`. */
const RATE_OR_RATIO =
  /^(?:\d+(?:\.\d+)?[kmb]?\/[\w.-]+|[\w.-]+\/(?:s|sec|secs?|seconds?|min|mins?|minutes?|h|hr|hrs?|hours?|d|days?|wk|weeks?|mo|mos|months?|y|yr|yrs?|years?|users?|requests?|reqs?|tokens?|toks?|gpus?|replicas?|queries|query|q))$/i;
const HF_ID = /(?<![\w/.:])([a-z0-9][\w.-]*\/[\w.-]*[a-z][\w.-]*)(?![\w/])/gi;

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }) =>
  a.start < b.end && b.start < a.end;

/** The spans of a pattern's matches that name something; the first group, when there is one, is the name's start. */
function spansOf(text: string, pattern: RegExp, named: (match: RegExpMatchArray) => boolean): Span[] {
  return [...text.matchAll(pattern)].filter(named).map((match) => {
    const end = match.index! + match[0]!.length;
    const start = match[1] === undefined ? match.index! : match.index! + match[0]!.indexOf(match[1]);
    return { text: text.slice(start, end), start, end };
  });
}

/** A model the user named that the catalog cannot plan: closed, or open but not imported. */
export type UnavailableModel =
  | { kind: 'closed'; named: string; vendor: string; small: boolean }
  | { kind: 'unknown'; named: string; sizeB: number | null; family: Catalog[number][] };

/**
 * Models the text names that the catalog has not got: closed API models, and open models (a Hugging Face id, a name
 * with a size or a version) that no catalog alias covers. Pure. A family the catalog knows with a version it lacks
 * ("DeepSeek V2") is unknown too, with the family's catalog models to offer.
 */
export function unavailableModels(text: string, models: Catalog, gpus: GpuVocabulary): UnavailableModel[] {
  const found: UnavailableModel[] = [];
  const taken: Span[] = [];
  for (const family of CLOSED_FAMILIES) {
    for (const span of spansOf(text, new RegExp(family.pattern, 'gi'), () => true)) {
      if (taken.some((other) => overlaps(other, span))) continue;
      taken.push(span);
      found.push({
        kind: 'closed',
        named: span.text,
        vendor: family.vendor,
        small: family.small.test(span.text),
      });
    }
  }
  const known: CatalogMention[] = locateModelMentions(text, models);
  const lowerIds = new Set(models.map((model) => model.id.toLowerCase()));
  const gpuSpans = locateGpuMentions(text, gpus);
  // "DeepSeek V2": a family the catalog knows, with a version it has not got.
  const versioned = known.flatMap((mention) => {
    const version = FAMILY_VERSION.exec(text.slice(mention.end));
    return version
      ? [
          {
            text: text.slice(mention.start, mention.end + version[0].length),
            start: mention.start,
            end: mention.end + version[0].length,
          },
        ]
      : [];
  });
  const candidates = [
    ...versioned,
    ...spansOf(
      text,
      HF_ID,
      (match) => !lowerIds.has(match[1]!.toLowerCase()) && !RATE_OR_RATIO.test(match[1]!),
    ),
    ...spansOf(text, SIZED_NAME, (match) => !NOT_A_NAME.has(match[1]!.toLowerCase())),
    ...spansOf(text, PICKED_NAME, (match) => !NOT_A_NAME.has(match[1]!.toLowerCase())),
  ].sort((a, b) => a.start - b.start || b.end - a.end);
  for (const span of candidates) {
    if (taken.some((other) => overlaps(other, span))) continue;
    if (gpuSpans.some((gpu) => overlaps(gpu, span))) continue;
    const covering = known.filter((mention) => overlaps(mention, span));
    // A catalog alias that covers the whole name: the catalog has it.
    if (covering.some((mention) => mention.start <= span.start && mention.end >= span.end)) continue;
    taken.push(span);
    const size = /(\d+(?:\.\d+)?)b\b/i.exec(span.text.split('/').at(-1) ?? '');
    const ids = new Set(covering.flatMap((mention) => mention.ids));
    found.push({
      kind: 'unknown',
      named: span.text,
      sizeB: size ? Number(size[1]) : null,
      family: models.filter((model) => ids.has(model.id)),
    });
  }
  return found;
}

/** A model's quality for the use case; without one, its mean over every use case (a specialist scores low). */
function qualityOf(model: Catalog[number], useCase: UseCaseId | null): number {
  if (useCase) return model.quality[useCase] ?? 0;
  return USE_CASE_IDS.reduce((sum, id) => sum + (model.quality[id] ?? 0), 0) / USE_CASE_IDS.length;
}

/** The catalog models closest to what was named: by quality tier for closed ones, by size for open ones. */
function closest(model: UnavailableModel, catalog: Catalog, useCase: UseCaseId | null): Catalog[number][] {
  const serves = catalog.filter((entry) => useCase === null || entry.quality[useCase] !== undefined);
  if (model.kind === 'closed') {
    const tier = model.small ? serves.filter((entry) => entry.paramsTotalB <= SMALL_MODEL_MAX_B) : serves;
    return [...tier].sort((a, b) => qualityOf(b, useCase) - qualityOf(a, useCase)).slice(0, SUGGESTIONS);
  }
  if (model.family.length > 0) return model.family.slice(0, SUGGESTIONS);
  if (model.sizeB === null) return [];
  const distance = (entry: Catalog[number]) => Math.abs(Math.log(entry.paramsTotalB / model.sizeB!));
  return [...serves].sort((a, b) => distance(a) - distance(b)).slice(0, SUGGESTIONS);
}

const described = (model: Catalog[number], useCase: UseCaseId | null) =>
  `${model.name} (${Math.round(model.paramsTotalB)}B, quality ${Math.round(qualityOf(model, useCase))})`;

/** What to tell the user about a model Compass cannot plan, and what it offers instead. */
export function unavailableModelNotice(
  model: UnavailableModel,
  catalog: Catalog,
  useCase: UseCaseId | null,
): string {
  const offer = closest(model, catalog, useCase);
  const first = offer[0];
  const choice = first ? ` Say “use ${first.aliases[0] ?? first.name}”, or` : ' You can';
  if (model.kind === 'closed')
    return (
      `${model.named} is ${model.vendor}’s hosted model: its weights are not published, so it cannot be ` +
      'self-hosted on your GPUs.' +
      (offer.length > 0
        ? ` Closest models Compass can deploy${model.small ? ' in its size class' : ''}: ` +
          `${offer.map((entry) => described(entry, useCase)).join(', ')}.`
        : '') +
      `${choice} ${IMPORT_HINT}.`
    );
  const lead =
    model.family.length > 0
      ? `${model.named} is not in the catalog; of that family it has ${offer.map((entry) => entry.name).join(', ')}.`
      : `${model.named} is not in the catalog, so I cannot size it.` +
        (offer.length > 0
          ? ` Closest in size: ${offer.map((entry) => described(entry, useCase)).join(', ')}.`
          : '');
  return `${lead}${choice} ${IMPORT_HINT}.`;
}
