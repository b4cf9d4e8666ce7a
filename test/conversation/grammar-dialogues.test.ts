import { describe, expect, it } from 'vitest';
import type { Intent } from '../../src/intent/index.js';
import { gpusBut } from '../intent/vocabulary.js';
import { play, seen } from './dialogue.js';

type Expected = Partial<Intent> & { absent?: (keyof Intent)[] };

/**
 * Refinement sequences as people type them, each with the conversation's intent after the last message. Every
 * dialogue runs through the pure engine (rules only), planning included, so the merged intent is the one the plan,
 * the spec card and `compass chat --json` show.
 */
const DIALOGUES: [string, string[], Expected][] = [
  // Bare figures: the question last asked, else the figure last discussed.
  [
    'bare number after a head count',
    ['support chatbot for about 800 agents', 'make it 1200'],
    { users: 1200 },
  ],
  [
    'bare number answers the audience question',
    ['we need a chatbot', 'about 800', 'make it 1200'],
    { users: 1200 },
  ],
  [
    'bare number after a budget change',
    ['chatbot for 500 users', 'budget $5000 a month', 'make it 8000'],
    { users: 500, budgetMonthlyUsd: 8000 },
  ],
  [
    'bare duration after a TTFT target',
    ['chatbot for 500 users', 'TTFT under 800 ms', 'make it 300ms'],
    { ttftP95Ms: 300, users: 500 },
  ],
  [
    'bare number after a request rate',
    ['translation service, 15 requests/s', '25 instead'],
    { qps: 25, users: null },
  ],
  [
    'a model version is no answer to a count',
    ['a Llama 3 chatbot for our staff', '300'],
    { users: 300, useCase: 'chatbot_conversational' },
  ],
  // Negation, exclusion, allowing back.
  [
    'no H100s, then H100s are fine again',
    ['chatbot for 500 users', 'no H100s', 'actually H100s are fine again'],
    { gpuTypes: [] },
  ],
  [
    'restricted list, then one allowed back',
    ['chatbot for 500 users on H200 or B200', 'L40S too'],
    { gpuTypes: ['B200', 'H200', 'L40S'] },
  ],
  [
    'exclusion narrows a stated list',
    ['chatbot for 500 users on H100 or H200', 'no H100s'],
    { gpuTypes: ['H200'] },
  ],
  [
    'exclusion by vendor in the first message, then any GPU',
    ['anything but AMD, chatbot for 300 users', 'any GPU is fine'],
    { gpuTypes: [] },
  ],
  [
    'first-message exclusion holds through refinements',
    ['no MI300X, chatbot for 300 users', 'double the users'],
    { gpuTypes: gpusBut('MI300X'), users: 600 },
  ],
  ['we only have, then ruled out', ['chatbot for 50 users', 'we only have L4s'], { gpuTypes: ['L4'] }],
  // Replacement of the use case.
  [
    'chatbot, not summarization',
    ['summarize incident reports for 200 engineers', "actually it's a chatbot, not summarization"],
    { useCase: 'chatbot_conversational', users: 200 },
  ],
  [
    'audience noun does not switch the use case',
    ['code completion for 150 devs', 'make it 300 developers'],
    { useCase: 'code_completion', users: 300 },
  ],
  [
    'translation instead of chat',
    ['chatbot for 100 users', 'no wait, translation rather than chat'],
    { useCase: 'translation', users: 100 },
  ],
  // Removals.
  [
    'forget the budget',
    ['chatbot for 500 users, budget $5000 a month', 'forget the budget'],
    { budgetMonthlyUsd: null },
  ],
  [
    'no budget limit',
    ['chatbot for 500 users, budget $5000 a month', 'no budget limit'],
    { budgetMonthlyUsd: null },
  ],
  [
    'remove the budget',
    ['RAG for 300 employees, $6k/month max', 'remove the budget'],
    { budgetMonthlyUsd: null },
  ],
  [
    'without a budget',
    ['chatbot for 500 users, budget $5000 a month', 'plan it without a budget'],
    { budgetMonthlyUsd: null, users: 500 },
  ],
  ['drop the GPU cap', ['chatbot for 500 users, at most 4 GPUs', 'drop the GPU limit'], { maxGpus: null }],
  [
    'forget the model',
    ['chatbot for 500 users with Llama 3.1 8B', 'any model is fine'],
    { models: [], users: 500 },
  ],
  [
    'no latency targets',
    ['chatbot for 500 users, TTFT under 300 ms, ITL 20 ms', 'no latency targets'],
    { ttftP95Ms: null, itlP95Ms: null },
  ],
  // Relative changes.
  ['double the users', ['chatbot for 500 users', 'double the users'], { users: 1000 }],
  ['add users', ['chatbot for 500 users', 'add 300 more users'], { users: 800 }],
  [
    '20% cheaper',
    ['chatbot for 500 users, budget $5000 a month', '20% cheaper'],
    { budgetMonthlyUsd: 4000, priority: 'cost' },
  ],
  [
    'half the budget',
    ['chatbot for 500 users, budget $5000 a month', 'half the budget'],
    { budgetMonthlyUsd: 2500 },
  ],
  ['triple the traffic', ['chatbot, peak 20 qps', 'triple the traffic'], { qps: 60 }],
  [
    'users grow with their stated rate',
    ['chatbot for 1000 users at 10 requests/s', '50% more users'],
    { users: 1500, qps: 15 },
  ],
  ['tighter latency', ['chatbot for 500 users, TTFT under 1 s', '20% faster'], { ttftP95Ms: 800 }],
  // Waived latency and batch jobs.
  [
    'latency waived later',
    ['summarize reports for 50 people', "actually latency doesn't matter, cheapest possible"],
    { latencyWaived: true, ttftP95Ms: null, itlP95Ms: null, priority: 'cost' },
  ],
  [
    'batch job refined',
    [
      'nightly batch job classifying 2 million support tickets, throughput matters',
      'it is short summaries',
      'double the volume',
    ],
    { batchItemsPerDay: 4_000_000, qps: 46.3, useCase: 'summarization_short', priority: 'cost' },
  ],
  [
    'interactive after all: the waived latency of the batch job goes with it',
    ['chatbot summarizing 300k documents a day in a batch job', "it's interactive after all, 1000 users"],
    { users: 1000, ttftP95Ms: null, itlP95Ms: null },
  ],
  // Corrections of a figure, and "it".
  ['not A but B', ['chatbot for 500 users', 'not 500 users but 5000'], { users: 5000 }],
  ['not A, B with its noun', ['chatbot for 80 agents', 'not 80, 800 agents'], { users: 800 }],
  ['sorry I meant', ['chatbot for 500 users', 'sorry I meant 1200'], { users: 1200 }],
  ['double it: the audience', ['chatbot for 500 users', 'double it'], { users: 1000 }],
  [
    'double it: the figure last discussed',
    ['chatbot for 500 users', 'budget $5000', 'double it'],
    { users: 500, budgetMonthlyUsd: 10_000 },
  ],
  ['ruling out a model', ['chatbot for 500 users on Llama 3.1 70B', 'no llama'], { models: [] }],
  [
    'chatter changes nothing',
    ['chatbot for 500 users, budget $5000 a month', 'thanks!'],
    { users: 500, budgetMonthlyUsd: 5000 },
  ],
  // Several changes in one message, and a correction of a correction.
  [
    'several changes at once',
    [
      'chatbot for 500 users, budget $5000 a month, no H100s',
      'forget the budget, double the users, H100s are ok again',
    ],
    { budgetMonthlyUsd: null, users: 1000, gpuTypes: [] },
  ],
  [
    'other language refinement',
    ['chatbot pour 2000 utilisateurs', 'make it 2500'],
    { users: 2500, useCase: 'chatbot_conversational' },
  ],
];

describe('refinement dialogues end with the intended intent', () => {
  it.each(DIALOGUES)('%s', (_, messages, expected) => {
    const { absent = [], ...fields } = expected;
    const intent = play(messages).at(-1)!.data.intent!;
    expect(intent).toMatchObject(fields);
    for (const field of absent) expect(intent[field]).toBeUndefined();
  });

  it('has at least 25 dialogues', () => {
    expect(DIALOGUES.length).toBeGreaterThanOrEqual(25);
  });
});

describe('refusals in a dialogue', () => {
  it('a refused first figure is said, the fact left open, and the question asked', () => {
    const [turn] = play(['chatbot for -500 users']);
    const text = turn!.replies.map((reply) => seen(reply.message)).join('\n');
    expect(text).toMatch(/−500 is not a number of users .*at least 1/);
    expect(turn!.data.intent).toMatchObject({ users: null });
    expect(turn!.data.dialogue.pending).toEqual(['audience']);
  });

  it('a refinement that would leave the bounds is refused and changes nothing', () => {
    const turns = play(['chatbot for 500 users', 'budget -100 dollars']);
    const last = turns.at(-1)!;
    expect(last.data.intent).toMatchObject({ users: 500, budgetMonthlyUsd: null });
    expect(last.replies.map((reply) => seen(reply.message)).join('\n')).toMatch(/−100 is not a budget/);
  });

  it('a relative change beyond the bound is refused by name', () => {
    const turns = play(['chatbot for 90 million users', '10x the users']);
    const last = turns.at(-1)!;
    expect(last.data.intent?.users).toBeNull();
    expect(last.replies.map((reply) => seen(reply.message)).join('\n')).toMatch(
      /900,000,000 users .*at most 100,000,000/,
    );
  });
});
