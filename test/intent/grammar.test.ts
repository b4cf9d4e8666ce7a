import { describe, expect, it } from 'vitest';
import { extractIntent } from '../../src/intent/extract.js';
import { normalizeFigures } from '../../src/intent/numbers.js';
import type { ClearableFact, RelativeChange } from '../../src/intent/refinement.js';
import { discussedFigure, readRefinement } from '../../src/intent/refinement.js';
import { intentWith } from '../fixtures/intent.js';
import { catalogVocabulary, gpusBut } from './vocabulary.js';

const extract = (text: string) => extractIntent(text, catalogVocabulary);
const refinement = (text: string) => readRefinement(text, catalogVocabulary);
const NVIDIA = gpusBut('MI300X');

describe('first-message exclusions allow every other catalog GPU', () => {
  it.each<[string, string[]]>([
    ['chatbot for 300 users, no MI300X', gpusBut('MI300X')],
    ['anything but AMD, chatbot for 300 users', NVIDIA],
    ['no AMD GPUs please', NVIDIA],
    ['we cannot use H100 or H200', gpusBut('H100', 'H200')],
    ['H100s are not available', gpusBut('H100')],
    ['NVIDIA only', NVIDIA],
    ['any NVIDIA GPU', NVIDIA],
    ['no MI300X, we have L40S', ['L40S']],
    ['prefer H100 (no AMD)', ['H100']],
  ])('%s', (text, gpus) => {
    expect(extract(text).gpuTypes).toEqual(gpus);
  });
});

describe('model names with versions are never counts', () => {
  it.each([
    'a Llama 3 chatbot for our staff',
    'Gemma 2 assistant for the team',
    'Qwen 2.5 for our staff',
    'Phi 4 chatbot for employees',
    'Llama 3.1 8B for the support agents',
    'Mistral Small 3.2 for our users',
    'use GPT-4o for the developers',
    'Qwen3-235B for analysts',
    'something like Claude 3.5 Sonnet for our lawyers',
    'DeepSeek V3 for customers',
    'gpt-oss 20b for the engineers',
  ])('%s → no user count', (text) => {
    expect(extract(text).users).toBeNull();
  });

  it.each<[string, number]>([
    ['a Llama 3 chatbot for 250 staff', 250],
    ['Qwen 2.5 72B for 40 analysts', 40],
    ['Gemma 2 9B, 1200 employees', 1200],
    ['phi-4 on 2 L4s for 30 devs', 30],
  ])('%s → %d users', (text, users) => {
    expect(extract(text).users).toBe(users);
  });

  // Every name and alias of the catalog, in the phrasings that read a version as a count before.
  const names = catalogVocabulary.models.flatMap((model) => [model.name, ...model.aliases]);
  it.each(names)('%s, in four phrasings', (name) => {
    for (const text of [
      `a ${name} chatbot for our staff`,
      `${name} for our team`,
      `we want ${name} for employees`,
      `${name} assistant for the agents`,
    ])
      expect(extract(text).users, text).toBeNull();
    expect(extract(`${name} for 321 employees`).users).toBe(321);
  });
});

describe('latency waived relaxes the defaults', () => {
  it.each([
    'latency not important, cheapest possible, chatbot for 50 users',
    "latency doesn't matter, summarize reports for 20 people",
    'we do not care about speed, translation for 40 translators',
    'not latency sensitive at all, RAG over docs for 100 users',
    'no rush, research assistant for 5 lawyers',
  ])('%s', (text) => {
    // The spec relaxes the targets the text does not state, shown as assumed (test/spec/build.test.ts).
    expect(extract(text)).toMatchObject({ latencyWaived: true, ttftP95Ms: null, itlP95Ms: null });
  });

  it('a stated target wins over the waiver, and a target that is only slow is no waiver', () => {
    expect(extract("latency doesn't matter but TTFT under 5 s").ttftP95Ms).toBe(5000);
    expect(extract('e2e can be slow (up to 5 min)')).toMatchObject({ ttftP95Ms: null, itlP95Ms: null });
    expect(extract('low latency chatbot for 50 users')).toMatchObject({ ttftP95Ms: null, itlP95Ms: null });
    expect(extract('low latency chatbot for 50 users').latencyWaived).toBeUndefined();
    expect(extract('e2e can be slow (up to 5 min)').latencyWaived).toBeUndefined();
  });
});

describe('context and long prompts', () => {
  it.each<[string, number]>([
    ['32k context prompts, chatbot for 50 users', 32_000],
    ['RAG over docs, requests with 32000 tokens of context', 32_000],
    ['prompts of 16k context', 16_000],
    ['documents of 10 million tokens, summarize them', 10_000_000],
  ])('%s → %d prompt tokens', (text, tokens) => {
    expect(extract(text).promptTokens).toBe(tokens);
  });

  it('a context window is what a model takes, not what requests send', () => {
    expect(extract('we need a 128k context window').promptTokens).toBeNull();
  });

  it('a document beyond every bound is refused by name', () => {
    const intent = extract('documents of 50 million tokens');
    expect(intent.promptTokens).toBeNull();
    expect(intent.refused?.[0]).toMatch(/50,000,000 prompt tokens .*at most 10,000,000/);
  });
});

describe('batch jobs', () => {
  it('a nightly job: items a day, a rate that carries them, throughput first, no latency target stated', () => {
    // The spec gives a batch job its relaxed defaults (BATCH_SLO), shown as assumed rather than as the user's.
    expect(
      extract('nightly batch job classifying 2 million support tickets, throughput matters'),
    ).toMatchObject({
      batchItemsPerDay: 2_000_000,
      qps: 23.15,
      priority: 'cost',
      priorityStated: true,
      ttftP95Ms: null,
      itlP95Ms: null,
      users: null,
      missing: ['useCase'],
    });
  });

  it.each<[string, number, number]>([
    ['offline batch: 500k documents per week', 500_000 / 7, 0.83],
    ['bulk summarization of 120000 emails, finish within 6 hours', 120_000, 5.56],
    ['backfill 3 million records daily', 3_000_000, 34.72],
  ])('%s', (text, items, qps) => {
    const intent = extract(text);
    expect(intent.batchItemsPerDay).toBe(Math.round(items));
    expect(intent.qps).toBeCloseTo(qps, 2);
  });

  it('"process 300k documents a day" is an offline job without the word batch (issue #14)', () => {
    expect(extract('process 300k documents a day')).toMatchObject({
      batchItemsPerDay: 300_000,
      qps: 3.47,
      ttftP95Ms: null,
      users: null,
    });
    expect(extract("we're processing about 2M tickets per day").batchItemsPerDay).toBe(2_000_000);
    // Targets the text states still hold for the job.
    expect(extract('We process ~50k support emails/day, TTFT(p95)=0.3 s')).toMatchObject({
      batchItemsPerDay: 50_000,
      ttftP95Ms: 300,
    });
  });

  it('a processed volume beside an audience, or another verb, stays interactive', () => {
    const assistant = extract('a document assistant for 200 lawyers that processes 5000 contracts a day');
    expect(assistant.batchItemsPerDay).toBeUndefined();
    expect(assistant.users).toBe(200);
    expect(extract('translate 20k documents per day').batchItemsPerDay).toBeUndefined();
  });

  it('an interactive request has no batch volume, and "batch jobs" without a volume has none', () => {
    expect(extract('chatbot for 2 million customers').batchItemsPerDay).toBeUndefined();
    expect(
      extract('translate legal contracts from French, batch jobs, end to end within 2 minutes')
        .batchItemsPerDay,
    ).toBeUndefined();
  });
});

describe('other languages and scripts', () => {
  it.each<[string, Partial<ReturnType<typeof extract>>]>([
    ['chatbot pour 2000 utilisateurs', { users: 2000, useCase: 'chatbot_conversational' }],
    ['asistente para 2000 usuarios', { users: 2000, useCase: 'chatbot_conversational' }],
    ['Chatbot für 2000 Nutzer, Budget 5000 € pro Monat', { users: 2000, budgetMonthlyUsd: 5000 }],
    ['chatbot per 300 utenti', { users: 300 }],
    ['traducción de documentos, 50 solicitudes por segundo', { useCase: 'translation', qps: 50 }],
    ['résumer des rapports pour 300 utilisateurs', { useCase: 'summarization_short', users: 300 }],
    ['Übersetzung für 150 Mitarbeiter', { useCase: 'translation', users: 150 }],
    ['chatbot for ٢٠٠٠ users', { users: 2000 }],
    ['chatbot for ۱۵۰۰ users', { users: 1500 }],
    ['chatbot for ２０００ users', { users: 2000 }],
    ['ＴＴＦＴ under ５００ms', { ttftP95Ms: 500 }],
  ])('%s', (text, expected) => {
    expect(extract(text)).toMatchObject(expected);
  });

  it('folded digits keep their positions, so catalog names are found where they were', () => {
    expect(normalizeFigures('٢٠٠٠ users')).toBe('2000 users');
    expect(extract('chatbot for ２０００ users on Ｈ１００').gpuTypes).toEqual(['H100']);
  });
});

describe('out-of-range figures are refused with their bound, never replaced by a default', () => {
  it.each<[string, keyof ReturnType<typeof extract>, RegExp]>([
    ['chatbot for 1e12 users', 'users', /1,000,000,000,000 users .*at most 100,000,000/],
    ['chatbot for -500 users', 'users', /−500 is not a number of users .*at least 1/],
    ['chatbot for 0 users', 'users', /^0 is not a number of users .*at least 1/],
    ['TTFT under 0 ms', 'ttftP95Ms', /time-to-first-token target .*above 0/],
    ['budget -100 dollars', 'budgetMonthlyUsd', /−100 is not a budget .*above 0/],
    ['budget $0 a month', 'budgetMonthlyUsd', /\$0 is not a budget/],
    ['-5 qps', 'qps', /request rate .*above 0/],
    ['at most 0 GPUs', 'maxGpus', /GPU limit .*at least 1/],
    ['1.5e9 requests per second', 'qps', /at most 1,000,000/],
  ])('%s', (text, field, message) => {
    const intent = extract(text);
    expect(intent[field]).toBeNull();
    expect(intent.refused?.join(' ')).toMatch(message);
  });

  it('keeps what is in range beside a refusal, and reads ranges and bullets as no sign', () => {
    const intent = extract('budget -100 dollars, chatbot for 40 users');
    expect(intent).toMatchObject({ users: 40, budgetMonthlyUsd: null });
    expect(extract('between 5-10 users').refused).toBeUndefined();
    expect(extract('- 500 users\n- TTFT 300ms')).toMatchObject({ users: 500, ttftP95Ms: 300 });
    expect(extract('zero downtime chatbot for 50 users').refused).toBeUndefined();
    expect(extract('TTFT 0.5 s').ttftP95Ms).toBe(500);
  });
});

describe('readRefinement: removals', () => {
  it.each<[string, ClearableFact[]]>([
    ['forget the budget', ['budgetMonthlyUsd']],
    ['no budget limit', ['budgetMonthlyUsd']],
    ['remove the budget', ['budgetMonthlyUsd']],
    ['without a budget', ['budgetMonthlyUsd']],
    ['budget is no object', ['budgetMonthlyUsd']],
    ['drop the GPU limit', ['maxGpus']],
    ['as many GPUs as needed', ['maxGpus']],
    ['any GPU is fine', ['gpuTypes']],
    ['remove the GPU restriction', ['gpuTypes']],
    ['any model', ['models']],
    ['forget the model preference', ['models']],
    ['no latency targets', ['ttftP95Ms', 'itlP95Ms', 'e2eP95Ms']],
    ['drop the TTFT target', ['ttftP95Ms']],
    ['no ITL requirement', ['itlP95Ms']],
    ['forget the priority', ['priority']],
    ["it's interactive after all", ['batchItemsPerDay']],
  ])('%s', (text, cleared) => {
    expect(refinement(text).cleared.sort()).toEqual([...cleared].sort());
  });

  it.each([
    'budget of $5000',
    'no more than $5000 a month',
    'on a tight budget',
    'no budget of more than 5k',
    'max 4 GPUs',
    'we only have H100s',
    'TTFT under 300ms',
  ])('%s removes nothing', (text) => {
    expect(refinement(text).cleared).toEqual([]);
  });
});

describe('readRefinement: relative changes', () => {
  it.each<[string, Pick<RelativeChange, 'figure' | 'factor' | 'delta'>]>([
    ['double the users', { figure: 'users', factor: 2, delta: 0 }],
    ['twice as many users', { figure: 'users', factor: 2, delta: 0 }],
    ['triple the traffic', { figure: 'load', factor: 3, delta: 0 }],
    ['10x the load', { figure: 'load', factor: 10, delta: 0 }],
    ['half the budget', { figure: 'budgetMonthlyUsd', factor: 0.5, delta: 0 }],
    ['halve the budget', { figure: 'budgetMonthlyUsd', factor: 0.5, delta: 0 }],
    ['budget cut in half', { figure: 'budgetMonthlyUsd', factor: 0.5, delta: 0 }],
    ['20% cheaper', { figure: 'budgetMonthlyUsd', factor: 0.8, delta: 0 }],
    ['30% more users', { figure: 'users', factor: 1.3, delta: 0 }],
    ['50 percent more traffic', { figure: 'load', factor: 1.5, delta: 0 }],
    ['10% faster', { figure: 'latency', factor: 0.9, delta: 0 }],
    ['increase the budget by 25%', { figure: 'budgetMonthlyUsd', factor: 1.25, delta: 0 }],
    ['raise the budget by $2000', { figure: 'budgetMonthlyUsd', factor: 1, delta: 2000 }],
    ['cut users by 300', { figure: 'users', factor: 1, delta: -300 }],
    ['add 500 users', { figure: 'users', factor: 1, delta: 500 }],
    ['500 more agents', { figure: 'users', factor: 1, delta: 500 }],
    ['another 200 developers', { figure: 'users', factor: 1, delta: 200 }],
    ['200 fewer seats', { figure: 'users', factor: 1, delta: -200 }],
    ['2 more GPUs', { figure: 'maxGpus', factor: 1, delta: 2 }],
    ['double it', { figure: 'focus', factor: 2, delta: 0 }],
    ['make that 3x', { figure: 'focus', factor: 3, delta: 0 }],
  ])('%s', (text, change) => {
    expect(refinement(text).relative).toEqual([change]);
  });

  it.each(['3000 users', 'budget $5000', 'cheaper?', 'Llama 3 please', '2 GPUs max'])(
    '%s is no relative change',
    (text) => {
      expect(refinement(text).relative).toEqual([]);
    },
  );
});

describe('readRefinement: bare figures', () => {
  it.each<[string, { value: number; unit: 'count' | 'ms' } | null]>([
    ['make it 1200', { value: 1200, unit: 'count' }],
    ['1200', { value: 1200, unit: 'count' }],
    ["let's say 1.5k instead", { value: 1500, unit: 'count' }],
    ['no, 800', { value: 800, unit: 'count' }],
    ['actually more like two thousand', { value: 2000, unit: 'count' }],
    ['make it 300ms', { value: 300, unit: 'ms' }],
    ['change that to 2 seconds', { value: 2000, unit: 'ms' }],
    ['make it 1200 users', null],
    ['H100 x 8', null],
    ['use Llama 3.1 please', null],
    ['between 5 and 10', null],
    ['the weather in Paris is 20 degrees', null],
  ])('%s', (text, bare) => {
    expect(refinement(text).bare).toEqual(bare);
  });
});

describe('readRefinement: catalog names allowed back, ruled out, listed', () => {
  it.each<[string, { allowed: string[]; excluded: string[]; added: string[] }]>([
    ['actually H100s are fine again', { allowed: ['H100'], excluded: [], added: ['H100'] }],
    ['H100 and H200 are ok now', { allowed: ['H100', 'H200'], excluded: [], added: ['H100', 'H200'] }],
    ['also L40S', { allowed: ['L40S'], excluded: [], added: ['L40S'] }],
    ['L4 too', { allowed: ['L4'], excluded: [], added: ['L4'] }],
    ['no H100s', { allowed: [], excluded: ['H100'], added: [] }],
    ['H100s are not fine', { allowed: [], excluded: ['H100'], added: [] }],
    ['we only have H100s', { allowed: ['H100'], excluded: [], added: [] }],
    ['anything but AMD', { allowed: [], excluded: ['MI300X'], added: [] }],
  ])('%s', (text, choice) => {
    expect(refinement(text).gpus).toEqual(choice);
  });

  it('reads the use cases a message rules out', () => {
    expect(refinement("actually it's a chatbot, not summarization").ruledOutUseCases).toEqual([
      'summarization_short',
    ]);
    expect(refinement('not just chat').ruledOutUseCases).toEqual([]);
  });
});

describe('readRefinement: a figure corrected', () => {
  it.each<[string, string | null]>([
    ['not 500 users but 5000', '5000 users'],
    ['not 80, 800 agents', '800  agents'],
    ['not $50k, $5k', '$5000 '],
    ['not now', null],
    ['not on H100', null],
  ])('%s', (text, corrected) => {
    expect(refinement(text).corrected?.trim() ?? null).toBe(corrected?.trim() ?? null);
  });
});

describe('discussedFigure', () => {
  it('is the figure a turn changed, the audience first, null when none changed', () => {
    const before = intentWith({ users: 800 });
    expect(discussedFigure(null, intentWith({ users: 800, budgetMonthlyUsd: 5000 }))).toBe('users');
    expect(discussedFigure(before, intentWith({ users: 800, budgetMonthlyUsd: 5000 }))).toBe(
      'budgetMonthlyUsd',
    );
    expect(discussedFigure(before, intentWith({ users: 800, ttftP95Ms: 300 }))).toBe('ttftP95Ms');
    expect(discussedFigure(before, before)).toBeNull();
  });
});
