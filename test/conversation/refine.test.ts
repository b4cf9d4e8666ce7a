import { describe, expect, it } from 'vitest';
import { refineIntent, specChanges } from '../../src/conversation/refine.js';
import { extractIntent } from '../../src/intent/index.js';
import { buildSpec } from '../../src/spec/index.js';
import { intentWith } from '../fixtures/intent.js';
import { catalogKnowledge } from './dialogue.js';

const knowledge = catalogKnowledge();
const name = (id: string) => knowledge.useCases.find((useCase) => useCase.id === id)!.name;

describe('refineIntent', () => {
  const earlier = intentWith({
    useCase: 'chatbot_conversational',
    users: 1000,
    priority: 'latency',
    priorityStated: true,
    budgetMonthlyUsd: 5000,
    ttftP95Ms: 400,
  });

  it('keeps what the new message does not state', () => {
    expect(refineIntent(earlier, intentWith(), 'thanks', knowledge)).toEqual(earlier);
  });

  it('lets stated facts win and recomputes what is missing', () => {
    const refined = refineIntent(
      intentWith({ useCase: null }),
      intentWith({ useCase: 'code_completion', users: 40, ttftP95Ms: 150 }),
      'code completion for 40 devs, ttft 150ms',
      knowledge,
    );
    expect(refined).toMatchObject({ useCase: 'code_completion', users: 40, ttftP95Ms: 150, missing: [] });
  });

  it('treats users and a request rate as one fact: new users drop the old rate, a new rate keeps the users', () => {
    const withRate = intentWith({ useCase: 'translation', qps: 15 });
    expect(refineIntent(withRate, intentWith({ users: 3000 }), '3000 users', knowledge)).toMatchObject({
      users: 3000,
      qps: null,
    });
    expect(refineIntent(earlier, intentWith({ qps: 50 }), 'peak 50 qps', knowledge)).toMatchObject({
      users: 1000,
      qps: 50,
    });
  });

  it('changes the precision by a follow-up: a stated one replaces, a ruled-out one leaves, "any precision" clears', () => {
    const refine = (previous: ReturnType<typeof intentWith>, text: string) =>
      refineIntent(previous, extractIntent(text, knowledge), text, knowledge);
    const fp8 = refine(earlier, 'make it fp8');
    expect(fp8.precisions).toEqual(['fp8']);
    expect(fp8).toMatchObject({ users: 1000, budgetMonthlyUsd: 5000 });
    expect(refine(fp8, 'actually bf16 please').precisions).toEqual(['bf16']);
    expect(refine(fp8, 'thanks').precisions).toEqual(['fp8']);
    expect(refine(earlier, 'no int4 please').precisions).toEqual(['bf16', 'fp8', 'w8a8', 'mxfp4', 'nvfp4']);
    expect(refine({ ...earlier, precisions: ['fp8', 'int4'] }, 'avoid AWQ').precisions).toEqual(['fp8']);
    // Ruling out the only one allowed opens every other.
    expect(refine(fp8, 'not fp8').precisions).toEqual(['bf16', 'w8a8', 'int4', 'mxfp4', 'nvfp4']);
    expect(refine(fp8, 'any precision is fine').precisions).toBeUndefined();
    expect(refine(fp8, "we don't care about the quantization").precisions).toBeUndefined();
    const note = specChanges(
      buildSpec(earlier, knowledge.useCases),
      buildSpec(fp8, knowledge.useCases),
      name,
    );
    expect(note).toContain('precisions any → fp8');
  });

  it('keeps an established use case when only the audience noun suggests another', () => {
    const coding = intentWith({ useCase: 'code_completion', users: 150 });
    const text = 'make it 300 developers';
    const refined = refineIntent(coding, extractIntent(text, knowledge), text, knowledge);
    expect(refined).toMatchObject({ useCase: 'code_completion', users: 300 });
    const renamed = 'actually it is document Q&A over our wiki for 300 developers';
    expect(refineIntent(coding, extractIntent(renamed, knowledge), renamed, knowledge).useCase).toBe(
      'document_analysis_rag',
    );
    // An LLM pass may guess a use case for a message that names none; the established one stays.
    const guessed = intentWith({ useCase: 'chatbot_conversational', priority: 'cost', priorityStated: true });
    expect(refineIntent(coding, guessed, 'cheaper?', knowledge)).toMatchObject({
      useCase: 'code_completion',
      priority: 'cost',
    });
  });

  it('takes a new priority only when the message states one', () => {
    expect(
      refineIntent(earlier, intentWith({ priority: 'cost', priorityStated: true }), 'cheaper?', knowledge)
        .priority,
    ).toBe('cost');
    expect(
      refineIntent(earlier, intentWith({ priority: 'balanced' }), '3000 users', knowledge).priority,
    ).toBe('latency');
  });

  it('replaces the GPU list with a stated one and removes the GPUs a message rules out', () => {
    const onlyH100 = refineIntent(
      earlier,
      intentWith({ gpuTypes: ['H100'] }),
      'we only have H100s',
      knowledge,
    );
    expect(onlyH100.gpuTypes).toEqual(['H100']);
    const two = refineIntent(earlier, intentWith({ gpuTypes: ['H100', 'L40S'] }), 'H100 or L40S', knowledge);
    expect(refineIntent(two, intentWith(), 'no H100s please', knowledge).gpuTypes).toEqual(['L40S']);
    const fromAny = refineIntent(earlier, intentWith(), 'no H100s please', knowledge).gpuTypes;
    expect(fromAny).toEqual(
      knowledge.gpus
        .map((gpu) => gpu.id)
        .filter((id) => id !== 'H100')
        .sort(),
    );
  });
});

describe('specChanges', () => {
  it('lists each changed field with its old and new value, in words', () => {
    const before = buildSpec(
      intentWith({ useCase: 'chatbot_conversational', users: 1000 }),
      knowledge.useCases,
    );
    const after = buildSpec(
      intentWith({
        useCase: 'chatbot_conversational',
        users: 3000,
        gpuTypes: ['H100'],
        budgetMonthlyUsd: 9000,
      }),
      knowledge.useCases,
    );
    const changes = specChanges(before, after, name);
    expect(changes).toEqual([
      'users 1,000 → 3,000',
      expect.stringMatching(/^peak load [\d.]+ req\/s → [\d.]+ req\/s$/),
      expect.stringMatching(/^average load [\d.]+ req\/s → [\d.]+ req\/s$/),
      'budget none → $9,000/month',
      'GPU types any → H100',
    ]);
    expect(specChanges(after, after, name)).toEqual([]);
  });
});
