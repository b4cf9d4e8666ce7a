import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WhatIfSession } from '../../src/conversation/schema.js';
import { readSpecForm, SPEC_FIELD, specFormFields } from '../../src/conversation/spec-form.js';
import { readWhatIfForm, WHAT_IF_FIELD, whatIfFields } from '../../src/conversation/what-if.js';
import { FIGURE_MAX } from '../../src/intent/bounds.js';
import type { FormValues } from '../../src/slack/blocks/form.js';
import { formValuesFromLine } from '../../src/slack/blocks/form.js';
import { DeploymentSpec } from '../../src/spec/schema.js';
import { numberLikeText } from '../support/fuzz.js';
import { quietMs } from '../support/timing.js';
import { catalogKnowledge, play } from './dialogue.js';

const knowledge = catalogKnowledge();
const base = play(['chatbot for 1000 users'])[0]!.data;
const specFields = specFormFields(base.spec!, knowledge);
const readSpec = (changes: FormValues) =>
  readSpecForm(base, { ...formValuesFromLine('', specFields).values, ...changes }, knowledge);

const session: WhatIfSession = {
  id: '00000000-0000-4000-8000-000000000001',
  conversationId: '00000000-0000-4000-8000-000000000002',
  baseline: base.options[0]!,
  spec: base.spec!,
  overrides: {},
  result: null,
};
const whatIfFieldList = whatIfFields(session, knowledge);
const readWhatIf = (changes: FormValues) =>
  readWhatIfForm(session, { ...formValuesFromLine('', whatIfFieldList).values, ...changes }, knowledge);

const NOT_DECIMAL = /is not a decimal number/;

describe('numbers in forms are read as decimals only (issue 16: 0x10 was 16, 0b11 was 3, 1,5 was 15)', () => {
  it.each([
    [SPEC_FIELD.users, '0x10'],
    [SPEC_FIELD.peakQps, '0b11'],
    [SPEC_FIELD.itl, '1,5'],
    [SPEC_FIELD.promptTokens, '0o17'],
  ])('the spec form refuses %s = %j', (field, text) => {
    const result = readSpec({ [field]: text });
    expect(result.ok ? {} : result.errors[field]).toMatch(NOT_DECIMAL);
  });

  it('the spec form reads thousands separators and fractions as written', () => {
    const result = readSpec({ [SPEC_FIELD.users]: '1,500', [SPEC_FIELD.itl]: '12.5' });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.value.spec.users.value).toBe(1500);
    expect(result.value.spec.slo.itlP95Ms.value).toBe(12.5);
  });

  it('the what-if form refuses hexadecimal and a decimal comma', () => {
    const result = readWhatIf({ [WHAT_IF_FIELD.peakQps]: '0x20', [WHAT_IF_FIELD.ttft]: '2,5' });
    expect(result.ok ? {} : result.errors).toEqual({
      [WHAT_IF_FIELD.peakQps]: expect.stringMatching(NOT_DECIMAL),
      [WHAT_IF_FIELD.ttft]: expect.stringMatching(NOT_DECIMAL),
    });
  });
});

describe('fuzzed forms: no crash, no slow input, nothing out of bounds accepted', () => {
  const SPEC_NUMBERS = [
    SPEC_FIELD.users,
    SPEC_FIELD.avgQps,
    SPEC_FIELD.peakQps,
    SPEC_FIELD.promptTokens,
    SPEC_FIELD.outputTokens,
    SPEC_FIELD.ttft,
    SPEC_FIELD.itl,
    SPEC_FIELD.e2e,
    SPEC_FIELD.budget,
    SPEC_FIELD.maxGpus,
  ];

  it('the spec form', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...SPEC_NUMBERS), numberLikeText), (changes) => {
        let result: ReturnType<typeof readSpec> | undefined;
        expect(quietMs(() => (result = readSpec(changes)), 100)).toBeLessThan(100);
        if (!result!.ok) return;
        const { spec } = result!.value;
        expect(DeploymentSpec.safeParse(spec).success).toBe(true);
        expect(spec.users.value ?? 0).toBeLessThanOrEqual(FIGURE_MAX.users);
        expect(spec.traffic.peakQps.value).toBeLessThanOrEqual(FIGURE_MAX.qps);
        expect(spec.budgetMonthlyUsd.value ?? 0).toBeLessThanOrEqual(FIGURE_MAX.budgetMonthlyUsd);
        expect(spec.traffic.promptTokens.value).toBeLessThanOrEqual(FIGURE_MAX.tokens);
        for (const [field, text] of Object.entries(changes)) {
          // An accepted figure is the digits as written: never a radix prefix, never a decimal comma.
          expect(text, field).toMatch(/^\s*[+-]?[\d,_ ]+(?:\.\d+)?(?:e[+-]?\d+)?\s*$/i);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the what-if form', () => {
    const numbers = [
      WHAT_IF_FIELD.peakQps,
      WHAT_IF_FIELD.ttft,
      WHAT_IF_FIELD.itl,
      WHAT_IF_FIELD.e2e,
      WHAT_IF_FIELD.gpuCount,
    ];
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...numbers), numberLikeText), (changes) => {
        let result: ReturnType<typeof readWhatIf> | undefined;
        expect(quietMs(() => (result = readWhatIf(changes)), 100)).toBeLessThan(100);
        if (!result!.ok) return;
        const { peakQps, slo } = result!.value;
        expect(peakQps ?? 0).toBeLessThanOrEqual(FIGURE_MAX.qps);
        expect(slo?.ttftP95Ms ?? 0).toBeLessThanOrEqual(FIGURE_MAX.ttftP95Ms);
        for (const value of [peakQps, slo?.ttftP95Ms, slo?.itlP95Ms, slo?.e2eP95Ms])
          if (value !== undefined) expect(value).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});
