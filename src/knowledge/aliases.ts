import type { Gpu, Model } from './catalog.js';
import { TakenSpans } from './spans.js';

export type GpuVocabulary = Pick<Gpu, 'id' | 'aliases'>[];
export type ModelVocabulary = Pick<Model, 'id' | 'name' | 'family' | 'aliases'>[];

/** Where in a text something from the catalog was named, and which ids that name stands for. */
export interface CatalogMention {
  ids: string[];
  start: number;
  end: number;
}

/** Indexes are derived from the vocabulary array alone, so one built per array is reused (a catalog is read once). */
const gpuIndexes = new WeakMap<GpuVocabulary, GpuIndex>();
const modelIndexes = new WeakMap<ModelVocabulary, ModelIndex>();

function cached<K extends object, V>(cache: WeakMap<K, V>, key: K, build: (key: K) => V): V {
  const hit = cache.get(key);
  if (hit) return hit;
  const built = build(key);
  cache.set(key, built);
  return built;
}

// ---------------------------------------------------------------------------------------------------------------
// GPUs

/** Words around a GPU name that do not change which GPU it is. */
const GPU_NOISE =
  /\b(?:nvidia|amd|instinct|tesla|hgx|dgx|sxm\d?|pcie|nvl|gpus?|cards?|accelerators?|graphics|tensor core)\b/g;

/** Lower-case, memory size as "<n>gb", no vendor/form-factor words, letters and digits only: "A100 80GB" → "a10080gb". */
export function gpuKey(phrase: string): string {
  return phrase
    .toLowerCase()
    .replace(GPU_NOISE, ' ')
    .replace(/(?<=[\s-])(\d+)\s*g(?:i?b)?\b/g, '$1gb')
    .replace(/[^a-z0-9]/g, '');
}

/**
 * Names people use that neither ids nor usual aliases spell out; applied only when the catalog has the target.
 * The MI300 family is sold as the MI300X for inference and AWS's A10G is the A10 most people can rent.
 */
const GPU_COLLOQUIAL: Record<string, string> = { mi300: 'MI300X', a10: 'A10G' };

interface GpuIndex {
  /** Key → ids; built from ids and aliases. */
  exact: Map<string, Set<string>>;
  /** Key without a memory size → ids of every size ("a100" → both A100s). */
  bySeries: Map<string, Set<string>>;
  /** Aliases that are words rather than model numbers ("hopper"), matched as phrases. */
  phrases: { pattern: RegExp; id: string }[];
}

function addTo(map: Map<string, Set<string>>, key: string, id: string): void {
  if (!key) return;
  const ids = map.get(key) ?? new Set<string>();
  ids.add(id);
  map.set(key, ids);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A phrase as a regex that tolerates any spacing/hyphenation between its words and needs word boundaries. */
function phrasePattern(phrase: string): RegExp {
  const words = phrase
    .toLowerCase()
    .split(/[\s_-]+/)
    .filter(Boolean)
    .map(escapeRegExp);
  return new RegExp(`(?<![a-z0-9])${words.join('[\\s_-]*')}(?![a-z0-9])`, 'g');
}

function buildGpuIndex(gpus: GpuVocabulary): GpuIndex {
  const exact = new Map<string, Set<string>>();
  const bySeries = new Map<string, Set<string>>();
  const phrases: GpuIndex['phrases'] = [];
  for (const gpu of gpus) {
    for (const name of [gpu.id, ...gpu.aliases]) {
      addTo(exact, gpuKey(name), gpu.id);
      addTo(bySeries, gpuKey(name.replace(/[\s-]+\d+\s*gi?b\b/i, '')), gpu.id);
      if (!/\d/.test(name)) phrases.push({ pattern: phrasePattern(name), id: gpu.id });
    }
  }
  for (const [key, id] of Object.entries(GPU_COLLOQUIAL)) {
    if (gpus.some((gpu) => gpu.id === id) && !exact.has(key)) addTo(exact, key, id);
  }
  return { exact, bySeries, phrases };
}

/**
 * A GPU model number with optional vendor word before and form factor / memory after: "nvidia h100 sxm",
 * "a100-80gb", "a100-40", "l40s", "mi300x", "8xh100". Letters are 1–3 long and joined to the digits so "a 100" is not
 * a GPU; a memory size needs "gb" unless it is hyphenated on ("a100-40").
 */
const GPU_TOKEN =
  /(?:(?<![a-z0-9])|(?<=\dx))(?:(?:nvidia|amd)[\s-]+)?(?:(?:instinct|tesla)[\s-]+)?([a-z]{1,3})-?(\d{1,4})([a-z]{0,2})((?:[\s-]*(?:sxm\d?|pcie|nvl))?(?:[\s-]*\(?(\d{2,3})\s*g(?:i?b)?\)?|-(\d{2,3})(?![\d.]))?(?:[\s-]*(?:sxm\d?|pcie|nvl))?)(?![a-z0-9])/g;

function resolveGpuToken(
  index: GpuIndex,
  series: string,
  memory: string | undefined,
): Set<string> | undefined {
  const candidates = series.endsWith('s') ? [series, series.slice(0, -1)] : [series];
  for (const key of candidates) {
    if (memory) {
      const sized = index.exact.get(`${key}${memory}gb`);
      if (sized) return sized;
    }
    const found = index.exact.get(key) ?? index.bySeries.get(key);
    if (found) return found;
  }
  return undefined;
}

/** Every GPU named in a text, with its position; a series without a size ("A100") stands for every size. */
export function locateGpuMentions(text: string, gpus: GpuVocabulary): CatalogMention[] {
  const index = cached(gpuIndexes, gpus, buildGpuIndex);
  const lower = text.toLowerCase();
  const mentions: CatalogMention[] = [];
  const taken = new TakenSpans(lower.length);
  for (const match of lower.matchAll(GPU_TOKEN)) {
    const [whole, letters, digits, suffix, , memory, hyphenatedMemory] = match;
    const ids = resolveGpuToken(index, `${letters}${digits}${suffix}`, memory ?? hyphenatedMemory);
    // A memory group that made the token unresolvable may belong to the next words; the bare series still counts.
    if (!ids) continue;
    mentions.push({ ids: [...ids].sort(), start: match.index, end: match.index + whole.length });
    taken.take(match.index, match.index + whole.length);
  }
  for (const { pattern, id } of index.phrases) {
    for (const match of lower.matchAll(pattern)) {
      const start = match.index;
      const end = start + match[0].length;
      if (taken.overlaps(start, end)) continue;
      mentions.push({ ids: [id], start, end });
      taken.take(start, end);
    }
  }
  return mentions.sort((a, b) => a.start - b.start);
}

/** Canonical ids of every GPU a text names, sorted alphabetically. */
export function findGpuMentions(text: string, gpus: GpuVocabulary): string[] {
  return [...new Set(locateGpuMentions(text, gpus).flatMap((mention) => mention.ids))].sort();
}

/** The one GPU a short phrase ("h100", "A100 80GB", "l40s") names; null when it names none or several. */
export function resolveGpuId(text: string, gpus: GpuVocabulary): string | null {
  const ids = findGpuMentions(text, gpus);
  return ids.length === 1 ? ids[0]! : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Models

/**
 * Lower-case words for model matching: separators become spaces and letters are split from the digits after
 * them, so "Llama-3.1-70B", "llama3.1 70b" and "llama 3.1 70B" all read "llama 3.1 70b". `origin[i]` is the
 * index in `text` that character i of `words` came from.
 */
export function modelWordsWithOrigin(text: string): { words: string; origin: number[] } {
  const chars: string[] = [];
  const origin: number[] = [];
  const push = (char: string, from: number) => {
    chars.push(char);
    origin.push(from);
  };
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!.toLowerCase();
    const last = chars.at(-1);
    const keptDot = char === '.' && /\d/.test(text[index - 1] ?? '') && /\d/.test(text[index + 1] ?? '');
    if (/^[a-z0-9]$/.test(char) || keptDot) {
      if (last !== undefined && /[a-z]/.test(last) && /\d/.test(char)) push(' ', index);
      push(char, index);
    } else if (last !== undefined && last !== ' ') push(' ', index);
  }
  if (chars.at(-1) === ' ') {
    chars.pop();
    origin.pop();
  }
  return { words: chars.join(''), origin };
}

function modelWords(text: string): string {
  return modelWordsWithOrigin(text).words;
}

/** Trailing words of a checkpoint name that say how it was tuned, packed or dated, not which model it is. */
const CHECKPOINT_SUFFIX =
  / (?:instruct|it|chat|hf|base|fp 8|bf 16|awq|gptq|int 4|int 8|w 4a 16|w 8a 8|dynamic|preview|latest|v \d+(?:\.\d+)*|\d{4})$/;

function withoutSuffixes(words: string): string {
  let stripped = words;
  while (CHECKPOINT_SUFFIX.test(stripped)) stripped = stripped.replace(CHECKPOINT_SUFFIX, '');
  return stripped;
}

/** "llama 3.1" → "llama", "gpt oss" → "gpt oss", "deepseek r 1" → "deepseek r": the family without its version. */
function familyWord(family: string): string {
  const tokens = modelWords(family).split(' ');
  const firstVersioned = tokens.findIndex((token) => /\d/.test(token));
  return (firstVersioned === -1 ? tokens : tokens.slice(0, firstVersioned)).join(' ');
}

/** Family words that are also everyday words; they name a model only with a version or size after them. */
const AMBIGUOUS_FAMILY_WORDS = new Set(['command', 'falcon', 'aya']);

/** Words after a family word that narrow it down: versions, sizes, variants. */
const MODEL_QUALIFIER =
  /^(?:\d+(?:\.\d+)*|\d+(?:\.\d+)?[bm]|\d+x|coder|code|instruct|oss|mini|small|medium|large|nemo|vision|math|turbo|distill)$/;

interface ModelIndex {
  /** Names and aliases as words, longest first, with the ids each stands for. */
  phrases: { words: string; pattern: RegExp; ids: string[] }[];
  families: { word: string; pattern: RegExp; models: { id: string; tokens: string[] }[] }[];
}

/** A phrase of model words at word boundaries; "3.1" does not match inside "3.15". */
function modelPhrasePattern(phrase: string): RegExp {
  return new RegExp(`(?<![a-z0-9.])${escapeRegExp(phrase)}(?![a-z0-9]|\\.\\d)`, 'g');
}

function buildModelIndex(models: ModelVocabulary): ModelIndex {
  // A phrase that is a model's own name belongs to it alone: "deepseek r1" is DeepSeek R1, not also R1 0528 with
  // its date stripped. Stripped names only claim phrases no model is named by.
  const named = new Map<string, Set<string>>();
  const stripped = new Map<string, Set<string>>();
  const byFamily = new Map<string, { id: string; tokens: string[] }[]>();
  for (const model of models) {
    const repo = model.id.slice(model.id.indexOf('/') + 1);
    const names = [model.id, repo, model.name, ...model.aliases].map(modelWords);
    for (const name of names) {
      if (name) addTo(named, name, model.id);
      const bare = withoutSuffixes(name);
      if (bare && bare !== name) addTo(stripped, bare, model.id);
    }
    const word = familyWord(model.family);
    if (word.length >= 3) {
      const tokens = [...new Set(names.flatMap((name) => name.split(' ')))];
      byFamily.set(word, [...(byFamily.get(word) ?? []), { id: model.id, tokens }]);
    }
  }
  // A bare family word is handled as a family so that "qwen 2.5" can narrow it down.
  const byPhrase = new Map([...stripped, ...named]);
  const phrases = [...byPhrase]
    .filter(([words]) => !byFamily.has(words))
    .map(([words, ids]) => ({ words, pattern: modelPhrasePattern(words), ids: [...ids].sort() }))
    .sort((a, b) => b.words.length - a.words.length);
  const families = [...byFamily].map(([word, members]) => ({
    word,
    pattern: modelPhrasePattern(word),
    models: members,
  }));
  return { phrases, families };
}

/** A qualifier the user typed matches a model token exactly, or as a version prefix ("3" matches "3.1"). */
function qualifierFits(qualifier: string, tokens: string[]): boolean {
  return tokens.some(
    (token) => token === qualifier || (/^\d+$/.test(qualifier) && token.startsWith(`${qualifier}.`)),
  );
}

/**
 * Every model a text names, with its position in the text. Full names and aliases win; a family word ("llama",
 * "qwen 2.5", "gpt-oss") stands for every catalog model it fits.
 */
export function locateModelMentions(text: string, models: ModelVocabulary): CatalogMention[] {
  const { words, origin } = modelWordsWithOrigin(text);
  const index = cached(modelIndexes, models, buildModelIndex);
  const mentions: CatalogMention[] = [];
  const taken = new TakenSpans(words.length);
  const overlaps = (start: number, end: number) => taken.overlaps(start, end);
  const add = (mention: CatalogMention) => {
    mentions.push(mention);
    taken.take(mention.start, mention.end);
  };

  for (const { words: phrase, pattern, ids } of index.phrases) {
    // A plain substring test first: most of the catalog's names are not in a given message.
    if (!words.includes(phrase)) continue;
    for (const match of words.matchAll(pattern)) {
      const end = match.index + phrase.length;
      if (!overlaps(match.index, end)) add({ ids, start: match.index, end });
    }
  }
  for (const family of index.families) {
    if (!words.includes(family.word)) continue;
    for (const match of words.matchAll(family.pattern)) {
      const start = match.index;
      let end = start + family.word.length;
      if (overlaps(start, end)) continue;
      // Version and size words right after the family word, within one phrase of the original text; a size
      // ("70b") ends the name, so "llama 70b 2 gpus" is a Llama 70B.
      const qualifiers: string[] = [];
      for (const next of words.slice(end).matchAll(/ ([a-z0-9.]+)/gy)) {
        const gap = text.slice(origin[end - 1]! + 1, origin[end + 1]!);
        if (!MODEL_QUALIFIER.test(next[1]!) || /[^\s_.-]/.test(gap)) break;
        qualifiers.push(next[1]!);
        end += next[0].length;
        if (/^\d+(?:\.\d+)?[bm]$/.test(next[1]!)) break;
      }
      if (qualifiers.length === 0 && AMBIGUOUS_FAMILY_WORDS.has(family.word)) continue;
      const ids = family.models
        .filter((model) => qualifiers.every((qualifier) => qualifierFits(qualifier, model.tokens)))
        .map((model) => model.id)
        .sort();
      if (ids.length > 0) add({ ids, start, end });
    }
  }
  return mentions
    .map((mention) => ({ ...mention, start: origin[mention.start]!, end: origin[mention.end - 1]! + 1 }))
    .sort((a, b) => a.start - b.start);
}

/** Hugging Face ids of every model a text names, sorted alphabetically. */
export function findModelMentions(text: string, models: ModelVocabulary): string[] {
  return [...new Set(locateModelMentions(text, models).flatMap((mention) => mention.ids))].sort();
}

/** The one model a short phrase names (id, name, alias or "llama 3.1 70b"); null when it names none or several. */
export function resolveModelId(text: string, models: ModelVocabulary): string | null {
  const exact = models.find((model) => model.id.toLowerCase() === text.trim().toLowerCase());
  if (exact) return exact.id;
  const ids = findModelMentions(text, models);
  return ids.length === 1 ? ids[0]! : null;
}
