import { describe, expect, it } from 'vitest';
import { extractQps, extractUsers } from '../../src/intent/audience.js';
import { extractBudget } from '../../src/intent/budget.js';
import { extractIntent, MAX_MESSAGE_CHARS, prepareUserText } from '../../src/intent/index.js';
import { extractLatencyTargets } from '../../src/intent/latency.js';
import { normalizeFigures } from '../../src/intent/numbers.js';
import { extractPriority } from '../../src/intent/priority.js';
import { classifyUseCase } from '../../src/intent/use-case.js';
import { extractMaxGpus, extractTokenLengths } from '../../src/intent/workload.js';
import { locateGpuMentions, locateModelMentions } from '../../src/knowledge/aliases.js';
import { PATHOLOGICAL_ATOMS } from '../support/fuzz.js';
import { quietMs } from '../support/timing.js';
import { catalogVocabulary } from './vocabulary.js';

describe('prepareUserText', () => {
  it('removes NUL and other control characters, keeps tabs and line breaks, and says so', () => {
    expect(prepareUserText('chatbot\u0000 for 10\tusers\r\n\u001b[31mnow\u0085')).toEqual({
      text: 'chatbot for 10\tusers\r\n[31mnow',
      notes: ['I ignored 3 control characters (such as NUL) in your message.'],
    });
    expect(prepareUserText('a\u0000b').notes).toEqual([
      'I ignored a control character (such as NUL) in your message.',
    ]);
  });

  it('replaces half a surrogate pair, keeps whole ones', () => {
    expect(prepareUserText('ok 🚀 \ud83d then \ude80').text).toBe('ok 🚀 \ufffd then \ufffd');
  });

  it('reads at most MAX_MESSAGE_CHARS characters, without cutting a character in half', () => {
    const long = prepareUserText('x'.repeat(MAX_MESSAGE_CHARS + 10));
    expect(long.text).toHaveLength(MAX_MESSAGE_CHARS);
    expect(long.notes).toEqual([
      `Your message is ${(MAX_MESSAGE_CHARS + 10).toLocaleString('en-US')} characters long; I read only the first ${MAX_MESSAGE_CHARS.toLocaleString('en-US')}.`,
    ]);
    const emoji = prepareUserText(`${'x'.repeat(MAX_MESSAGE_CHARS - 1)}🚀🚀`).text;
    expect(emoji).toBe('x'.repeat(MAX_MESSAGE_CHARS - 1));
  });

  it('leaves ordinary text alone', () => {
    expect(prepareUserText('chatbot for 1,000 users — p95 < 2 s')).toEqual({
      text: 'chatbot for 1,000 users — p95 < 2 s',
      notes: [],
    });
  });

  it('the extractor reads the bounded text: a figure past the bound is not read', () => {
    const padding = ' '.repeat(MAX_MESSAGE_CHARS);
    expect(extractIntent(`chatbot for 30 users${padding}`, catalogVocabulary).users).toBe(30);
    expect(extractIntent(`chatbot${padding}for 30 users`, catalogVocabulary).users).toBeNull();
  });
});

const BUDGET_MS = 100;

describe('figure rules take linear time (issue 16: 40k digits took 17 s and froze the bot)', () => {
  const fill = (atom: string, length: number) =>
    atom.repeat(Math.ceil(length / atom.length)).slice(0, length);

  it.each(PATHOLOGICAL_ATOMS)('a 40,000-character message of %j is read in under 100 ms', (atom) => {
    const text = fill(atom, 40_000);
    expect(quietMs(() => extractIntent(text, catalogVocabulary), BUDGET_MS)).toBeLessThan(BUDGET_MS);
  });

  // Every rule on its own, at the longest text it is given: none may lean on the bound to stay fast.
  const rules: [string, (text: string) => unknown][] = [
    ['normalizeFigures', normalizeFigures],
    ['extractUsers', extractUsers],
    ['extractQps', (text) => extractQps(text, null)],
    ['extractBudget', (text) => extractBudget(text, 100)],
    ['extractLatencyTargets', extractLatencyTargets],
    ['extractMaxGpus', extractMaxGpus],
    ['extractTokenLengths', extractTokenLengths],
    ['extractPriority', extractPriority],
    ['classifyUseCase', classifyUseCase],
    ['locateGpuMentions', (text) => locateGpuMentions(text, catalogVocabulary.gpus)],
    ['locateModelMentions', (text) => locateModelMentions(text, catalogVocabulary.models)],
  ];
  it.each(rules)('%s reads every pathological message of the bounded length in under 50 ms', (_, rule) => {
    for (const atom of PATHOLOGICAL_ATOMS) {
      const text = fill(atom, MAX_MESSAGE_CHARS);
      expect(
        quietMs(() => rule(text), 50),
        JSON.stringify(atom),
      ).toBeLessThan(50);
    }
  });
});
