import { describe, expect, it } from 'vitest';
import { RELAXED_LATENCY } from '../../src/intent/latency.js';
import type { Intent } from '../../src/intent/schema.js';
import type { UseCase } from '../../src/knowledge/catalog.js';
import {
  assumptionsOf,
  buildSpec,
  checkSpec,
  FALLBACK_USERS,
  trafficFromUsers,
} from '../../src/spec/index.js';
import { fixtureUseCase } from '../fixtures/catalog.js';
import { intentWith } from '../fixtures/intent.js';

const chatbot = fixtureUseCase;
const translation: UseCase = {
  ...chatbot,
  id: 'translation',
  name: 'Translation',
  traffic: { ...chatbot.traffic, burstiness: 1.5 },
};
const useCases = [chatbot, translation];

const intent = (overrides: Partial<Intent> = {}) =>
  intentWith({ useCase: 'chatbot_conversational', ...overrides });

describe('trafficFromUsers', () => {
  it('is users × active share × requests per minute ÷ 60, times burstiness at peak', () => {
    expect(trafficFromUsers(1000, chatbot.traffic)).toEqual({
      avgQps: (1000 * 0.1 * 2) / 60,
      peakQps: (200 / 60) * 2,
    });
  });

  it('grows linearly with users', () => {
    const one = trafficFromUsers(500, chatbot.traffic).peakQps;
    expect(trafficFromUsers(1500, chatbot.traffic).peakQps).toBeCloseTo(one * 3, 10);
  });
});

describe('buildSpec', () => {
  it('derives load from users and takes the rest from the use case, marking each source', () => {
    const spec = buildSpec(intent({ users: 1000 }), useCases);
    expect(spec.users).toEqual({ value: 1000, source: 'stated' });
    expect(spec.traffic.peakQps).toEqual({ value: 6.667, source: 'derived' });
    expect(spec.traffic.avgQps).toEqual({ value: 3.333, source: 'derived' });
    expect(spec.traffic.promptTokens).toEqual({ value: 512, source: 'default' });
    expect(spec.slo.ttftP95Ms).toEqual({ value: 500, source: 'default' });
    expect(spec.priority).toEqual({ value: 'balanced', source: 'default' });
    expect(spec.notes.join(' ')).toMatch(/1000 users × 10% active × 2 requests\/min/);
  });

  it('takes a stated QPS as the peak and derives the average with the use case burstiness', () => {
    const spec = buildSpec(intent({ useCase: 'translation', qps: 15 }), useCases);
    expect(spec.traffic.peakQps).toEqual({ value: 15, source: 'stated' });
    expect(spec.traffic.avgQps).toEqual({ value: 10, source: 'derived' });
    expect(spec.users).toEqual({ value: null, source: 'default' });
  });

  it('keeps stated values and marks them', () => {
    const spec = buildSpec(
      intent({
        users: 50,
        priority: 'cost',
        priorityStated: true,
        budgetMonthlyUsd: 5000,
        gpuTypes: ['L4'],
        models: ['meta-llama/Llama-3.1-8B-Instruct'],
        maxGpus: 4,
        promptTokens: 2000,
        outputTokens: 100,
        ttftP95Ms: 800,
      }),
      useCases,
    );
    expect(spec.priority).toEqual({ value: 'cost', source: 'stated' });
    expect(spec.budgetMonthlyUsd).toEqual({ value: 5000, source: 'stated' });
    expect(spec.gpuTypes).toEqual({ value: ['L4'], source: 'stated' });
    expect(spec.models.source).toBe('stated');
    expect(spec.maxGpus).toEqual({ value: 4, source: 'stated' });
    expect(spec.traffic.promptTokens).toEqual({ value: 2000, source: 'stated' });
    expect(spec.slo.ttftP95Ms).toEqual({ value: 800, source: 'stated' });
  });

  it('assumes a use case and a user count when none is given, and says so', () => {
    const spec = buildSpec(intent({ useCase: null }), useCases);
    expect(spec.useCase).toEqual({ value: 'chatbot_conversational', source: 'default' });
    expect(spec.users).toEqual({ value: FALLBACK_USERS, source: 'default' });
    expect(spec.notes.some((note) => note.includes('No use case'))).toBe(true);
    expect(spec.notes.some((note) => note.includes(`assumed ${FALLBACK_USERS} users`))).toBe(true);
  });

  it('raises a defaulted E2E target that the stated targets would contradict', () => {
    const spec = buildSpec(intent({ users: 10, itlP95Ms: 100, ttftP95Ms: 2000 }), useCases);
    expect(spec.slo.e2eP95Ms).toEqual({ value: 2000 + 256 * 100, source: 'derived' });
    expect(checkSpec(spec)).toEqual([]);
  });

  it('takes the length spread from the use case unless stated, and leaves room in a defaulted E2E for the p95 reply', () => {
    const varied: UseCase = {
      ...chatbot,
      traffic: { ...chatbot.traffic, promptTokensCv: 0.96, outputTokensCv: 0.77 },
    };
    const spec = buildSpec(intent({ users: 10, itlP95Ms: 100, ttftP95Ms: 2000 }), [varied]);
    expect(spec.traffic.promptTokensCv).toEqual({ value: 0.96, source: 'default' });
    expect(spec.traffic.outputTokensCv).toEqual({ value: 0.77, source: 'default' });
    // 256 tokens at spread 0.77: the p95 reply (log-normal) has 624 tokens.
    expect(spec.slo.e2eP95Ms).toEqual({ value: 2000 + 624 * 100, source: 'derived' });
    expect(spec.notes).toContain(
      'E2E p95 target raised to 64,400 ms = TTFT + 624 output tokens (the p95 reply) × ITL, to match the stated targets.',
    );
    expect(assumptionsOf(spec)).toContain(
      "Request lengths vary as the use case's published trace does (standard deviation ÷ mean: prompt 0.96, output 0.77), so p95s are those of long requests.",
    );
    const fixed = buildSpec(
      intent({ users: 10, itlP95Ms: 100, ttftP95Ms: 2000, promptTokensCv: 0, outputTokensCv: 1.5 }),
      [varied],
    );
    expect(fixed.traffic.promptTokensCv).toEqual({ value: 0, source: 'stated' });
    expect(fixed.traffic.outputTokensCv).toEqual({ value: 1.5, source: 'stated' });
    expect(assumptionsOf(fixed).some((line) => line.startsWith('Request lengths vary'))).toBe(false);
  });

  it('keeps contradictory stated targets and reports them', () => {
    const spec = buildSpec(intent({ users: 10, itlP95Ms: 100, e2eP95Ms: 5000 }), useCases);
    expect(spec.slo.e2eP95Ms).toEqual({ value: 5000, source: 'stated' });
    const problems = checkSpec(spec);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe('slo.e2eP95Ms');
    expect(problems[0]!.message).toMatch(/below TTFT 500 ms \+ 256 output tokens × ITL 100 ms = 26100 ms/);
  });

  it('refuses a use case the knowledge base does not have', () => {
    expect(() => buildSpec(intent({ useCase: 'translation' }), [chatbot])).toThrow(
      /no use case "translation"/,
    );
  });
});

describe('assumptionsOf', () => {
  it('names each defaulted fact, and nothing once everything is stated', () => {
    const bare = buildSpec(intentWith({ useCase: null, users: null }), useCases);
    expect(assumptionsOf(bare)).toEqual([
      `No use case was named; assumed ${chatbot.name}.`,
      `No user count or request rate was given; assumed ${FALLBACK_USERS} users.`,
      `Request shape is the use case's default: ${chatbot.traffic.promptTokens.toLocaleString('en-US')} prompt tokens and ${chatbot.traffic.outputTokens.toLocaleString('en-US')} output tokens.`,
      `p95 targets not stated are the use case's: TTFT ${chatbot.slo.ttftP95Ms.toLocaleString('en-US')} ms, ITL ${chatbot.slo.itlP95Ms} ms, E2E ${chatbot.slo.e2eP95Ms.toLocaleString('en-US')} ms.`,
    ]);
    const full = buildSpec(
      intent({
        users: 50,
        promptTokens: 800,
        outputTokens: 100,
        ttftP95Ms: 400,
        itlP95Ms: 30,
        e2eP95Ms: 5000,
      }),
      useCases,
    );
    expect(assumptionsOf(full)).toEqual([]);
  });
});

describe('buildSpec when the user waived latency', () => {
  it('relaxes the targets not stated, shows them as assumed, and keeps a stated one', () => {
    const spec = buildSpec(intent({ users: 50, latencyWaived: true, e2eP95Ms: 90_000 }), useCases);
    expect(spec.latencyWaived).toBe(true);
    expect(spec.slo.ttftP95Ms).toEqual({ value: RELAXED_LATENCY.ttftP95Ms, source: 'default' });
    expect(spec.slo.itlP95Ms).toEqual({ value: RELAXED_LATENCY.itlP95Ms, source: 'default' });
    expect(spec.slo.e2eP95Ms).toEqual({ value: 90_000, source: 'stated' });
    expect(assumptionsOf(spec)).toContain(
      'p95 targets not stated are relaxed, as latency was waived: TTFT 30,000 ms, ITL 200 ms.',
    );
    expect(buildSpec(intent({ users: 50 }), useCases).latencyWaived).toBeUndefined();
  });
});

describe('buildSpec for a batch job', () => {
  const job = { itemsPerDay: 2_000_000, windowHours: 8 };

  it('needs neither users nor a rate: the items per day settle the load', () => {
    expect(intent({ batch: job }).missing).toEqual([]);
    expect(intent().missing).toEqual(['users', 'qps']);
  });

  it('sizes for the items spread over the window, averaged over the day', () => {
    const spec = buildSpec(intent({ batch: job }), useCases);
    expect(spec.batch).toEqual({ value: job, source: 'stated' });
    expect(spec.traffic.peakQps.value).toBeCloseTo(2_000_000 / (8 * 3600), 2);
    expect(spec.traffic.avgQps.value).toBeCloseTo(2_000_000 / 86_400, 2);
    expect(spec.users.value).toBeNull();
    expect(spec.notes.join(' ')).toMatch(
      /Batch job: 2,000,000 items a day in a 8-hour window = 69\.44 requests\/s/,
    );
  });

  it("relaxes the targets the user did not state to a batch job's, and keeps the stated ones", () => {
    const spec = buildSpec(intent({ batch: job, itlP95Ms: 80 }), useCases);
    expect(spec.slo.ttftP95Ms).toEqual({ value: 60_000, source: 'default' });
    expect(spec.slo.itlP95Ms).toEqual({ value: 80, source: 'stated' });
    expect(spec.slo.ttftP95Ms.value).toBeGreaterThan(chatbot.slo.ttftP95Ms);
    expect(assumptionsOf(spec).join(' ')).toMatch(
      /are a batch job's \(nobody waits on one item\): TTFT 60,000 ms/,
    );
  });

  it('leaves interactive specs without a batch field', () => {
    expect(buildSpec(intent({ users: 100 }), useCases).batch).toBeUndefined();
  });
});
