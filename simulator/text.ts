/**
 * Deterministic stand-ins for what a real server derives from its model: a seeded random source, a token count for
 * text, and filler text to stream.
 *
 * Token counts use a fixed approximation, not the model's tokenizer: ceil(characters / 4) for text (the usual rule of
 * thumb for English BPE vocabularies), token-id arrays counted exactly, and a chat template that costs 5 tokens per
 * message plus 5 for the conversation (Llama 3's header/end-of-turn markers and the assistant prefix). Generated
 * tokens are four-character filler words, so the text a client receives re-counts to the tokens it was billed.
 */

/** Mulberry32: a small, fast, seedable generator with a full 2³² period; plenty for faults and jitter. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller) from a uniform source. */
export function normalDraw(random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export const CHARS_PER_TOKEN = 4;
export const CHAT_TOKENS_PER_MESSAGE = 5;
export const CHAT_TOKENS_PER_CONVERSATION = 5;

export function textTokens(text: string): number {
  return Math.ceil([...text].length / CHARS_PER_TOKEN);
}

const WORDS = [
  ' the',
  ' and',
  ' sim',
  ' gpu',
  ' run',
  ' for',
  ' can',
  ' one',
  ' new',
  ' way',
  ' use',
  ' may',
  ' all',
  ' any',
  ' set',
  ' key',
];

/** The filler word for generated token `index`; deterministic per request seed. */
export function fillerToken(seed: number, index: number): string {
  const mixed = Math.imul(seed ^ (index * 0x9e3779b1), 0x85ebca6b) >>> 0;
  return WORDS[(mixed >>> 13) % WORDS.length]!;
}
