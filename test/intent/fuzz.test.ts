import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChatClient } from '../../src/intent/index.js';
import { extractIntent, extractIntentWithLlm, Intent } from '../../src/intent/index.js';
import { normalizeFigures } from '../../src/intent/numbers.js';
import { pathologicalText, requestText } from '../support/fuzz.js';
import { quietMs } from '../support/timing.js';
import { catalogVocabulary } from './vocabulary.js';

const BUDGET_MS = 100;

/** Whatever it is given: an intent the schema accepts, in under 100 ms. */
function checkExtraction(text: string): Intent {
  let intent: Intent | undefined;
  const ms = quietMs(() => {
    intent = extractIntent(text, catalogVocabulary);
  }, BUDGET_MS);
  expect(ms, `${text.length} characters: ${JSON.stringify(text.slice(0, 60))}`).toBeLessThan(BUDGET_MS);
  const parsed = Intent.safeParse(intent);
  expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  return intent!;
}

describe('the extractor, fuzzed: 0 crashes, 0 inputs over 100 ms, 0 schema-violating intents', () => {
  it('requests made of figures, units and catalog words in any order', () => {
    fc.assert(
      fc.property(requestText, (text) => void checkExtraction(text)),
      { numRuns: 400 },
    );
  });

  it('pathological runs up to 40,000 characters', () => {
    fc.assert(
      fc.property(pathologicalText, (text) => void checkExtraction(text)),
      { numRuns: 60 },
    );
  });
});

describe('the LLM pass, fuzzed: whatever the model answers, the intent stays valid and its figures are the text’s', () => {
  const figure = fc.oneof(
    fc.double({ noNaN: true }),
    fc.integer({ min: 1, max: 2_000_000_000 }),
    fc.constantFrom(999_999_999, 1e9, 1e23, 100, 3.33, 5000),
  );
  const draft = fc.record(
    {
      useCase: fc.constantFrom('chatbot_conversational', 'translation', null),
      users: fc.option(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
      qps: fc.option(figure),
      budgetMonthlyUsd: fc.option(figure),
      ttftP95Ms: fc.option(figure),
      itlP95Ms: fc.option(figure),
      e2eP95Ms: fc.option(figure),
      gpuTypes: fc.option(fc.array(fc.constantFrom('H100', 'h100', 'TPU', 'L4'))),
    },
    { requiredKeys: [] },
  );

  it('merged intents parse, and an adopted figure is one the text states', async () => {
    await fc.assert(
      fc.asyncProperty(requestText, draft, async (text, answer) => {
        const client: ChatClient = { chat: async () => ({ message: { content: JSON.stringify(answer) } }) };
        const { intent, llm } = await extractIntentWithLlm(text, catalogVocabulary, {
          client,
          model: 'fuzz',
          timeoutMs: 1000,
        });
        const parsed = Intent.safeParse(intent);
        expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
        if (llm.status !== 'used') return;
        const numeric = llm.adopted.filter((field) => typeof intent[field as keyof Intent] === 'number');
        // A figure can only be adopted from a text that states one, however the model answers.
        if (numeric.length > 0) expect(normalizeFigures(text)).toMatch(/\d/);
      }),
      { numRuns: 300 },
    );
  });
});
