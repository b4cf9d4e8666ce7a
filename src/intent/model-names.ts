import type { CatalogMention } from '../knowledge/aliases.js';

/**
 * Model names carry versions and sizes ("Llama 3", "Qwen 2.5", "GPT-4o", "Mistral Small 3.2", "Qwen3-235B") that
 * the figure rules would otherwise read as counts: "a Llama 3 chatbot for our staff" is not 3 users. Names are
 * blanked out before figures are read, catalog mentions by position and other families (closed models, versions
 * the catalog lacks) by pattern.
 */

/** Families people name with a version, in or out of the catalog; the catalog's own family words are added. */
const FAMILIES = [
  'llama',
  'code ?llama',
  'gemma',
  'codegemma',
  'qwen',
  'qwq',
  'phi',
  'mistral(?: (?:small|medium|large|nemo|tiny))?',
  'ministral',
  'mixtral',
  'codestral',
  'magistral',
  'devstral',
  'pixtral',
  'gpt',
  'chat ?gpt',
  'o',
  'claude(?: (?:instant|sonnet|opus|haiku))?',
  'gemini(?: (?:pro|flash|ultra|nano))?',
  'deepseek(?: (?:coder|math|vl))?',
  'glm',
  'chatglm',
  'granite',
  'falcon',
  'yi',
  'command(?: r\\+?| a)?',
  'olmo',
  'nemotron',
  'jamba',
  'dbrx',
  'starcoder',
  'smollm',
  'internlm',
  'baichuan',
  'minicpm',
  'kimi(?: k)?',
  'grok',
  'ernie',
  'hunyuan',
  'exaone',
  'solar',
  'aya',
  'vicuna',
  'zephyr',
  'stablelm',
  'seed',
  'minimax',
];

/** A version or size right after a family word: "3", "3.1", "v3", "4o", "r1", "2.5-72b", "3-235b-a22b", "8x7b". */
const VERSION =
  '[\\s_-]?(?:v|r|k)?\\d+(?:\\.\\d+)*(?:o|x\\d+b|b|m)?(?:[\\s_-](?:\\d+(?:\\.\\d+)?(?:b|m)|a\\d+b|\\d+x\\d+b|\\d+e|mini|nano|turbo|pro|flash|instruct|it|chat|coder|vision|small|medium|large|\\d{4}))*(?![\\w.]*\\d)';

const familyPattern = (families: readonly string[]) =>
  new RegExp(`(?<![\\w.])(?:${families.join('|')})${VERSION}`, 'gi');

const BUILT_IN = familyPattern(FAMILIES);

/** The text with each catalog mention and each versioned model name replaced by the word "model". */
export function withoutModelNames(text: string, mentions: readonly CatalogMention[]): string {
  let blanked = '';
  let from = 0;
  for (const mention of mentions) {
    if (mention.start < from) continue;
    blanked += `${text.slice(from, mention.start)} model `;
    from = mention.end;
  }
  blanked += text.slice(from);
  return blanked.replace(BUILT_IN, ' model ');
}
