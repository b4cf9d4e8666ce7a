import { describe, expect, it } from 'vitest';
import { bareCount, converse, quickPlan, SHOWN_OPTIONS, saysNotSure } from '../../src/conversation/engine.js';
import { canTransition, newConversationData, TRANSITIONS } from '../../src/conversation/schema.js';
import { extractIntent } from '../../src/intent/index.js';
import { ACTION } from '../../src/slack/blocks/actions.js';
import { validateMessage } from '../../src/slack/blocks/kit.js';
import { catalogKnowledge, play, seen } from './dialogue.js';

const knowledge = catalogKnowledge();

describe('dialogue engine: collecting', () => {
  it('shows the spec card and the recommendations at once when nothing that changes the answer is missing', () => {
    const [turn] = play(['chatbot for 1000 users, low latency matters']);
    expect(turn!.data.state).toBe('options_shown');
    expect(turn!.replies.map((reply) => reply.message.blocks[0])).toMatchObject([
      { type: 'header', text: { text: 'Deployment spec' } },
      { type: 'header', text: { text: expect.stringMatching(/^Top \d options · priority latency$/) } },
    ]);
    const spec = turn!.data.spec!;
    expect(spec.users).toEqual({ value: 1000, source: 'stated' });
    expect(spec.priority).toEqual({ value: 'latency', source: 'stated' });
    expect(turn!.data.options.length).toBeGreaterThan(0);
    expect(turn!.data.options.length).toBeLessThanOrEqual(SHOWN_OPTIONS);
    // The card says which values the user gave and which are defaults.
    expect(seen(turn!.replies[0]!.message)).toMatch(/Users: 1,000 · stated/);
    expect(seen(turn!.replies[0]!.message)).toMatch(/TTFT p95 target: ≤ 500 ms · default/);
  });

  it('asks one or two targeted questions, then plans with the answers', () => {
    const [asked, answered] = play([
      'we need an LLM for our team',
      'a customer support chatbot for about 800 people',
    ]);
    expect(asked!.data.state).toBe('collecting');
    expect(asked!.data.dialogue.pending).toEqual(['useCase', 'audience']);
    expect(asked!.replies).toHaveLength(1);
    expect(seen(asked!.replies[0]!.message)).toMatch(/What will the model do\?[\s\S]*How many people/);
    expect(answered!.data.state).toBe('options_shown');
    expect(answered!.data.spec!.useCase).toEqual({ value: 'chatbot_conversational', source: 'stated' });
    expect(answered!.data.spec!.users).toEqual({ value: 800, source: 'stated' });
    expect(answered!.data.dialogue.pending).toEqual([]);
  });

  it('reads a bare figure as the user count it was asked for', () => {
    const [asked, answered] = play(['a chatbot for our support team', 'about 2k']);
    expect(asked!.data.dialogue.pending).toEqual(['audience']);
    expect(seen(asked!.replies[0]!.message)).toMatch(/^Got it: chatbot/);
    expect(answered!.data.spec!.users).toEqual({ value: 2000, source: 'stated' });
  });

  it('accepts "I don’t know": plans on defaults and says which', () => {
    const [, answered] = play(['hello', 'I don’t know yet']);
    expect(answered!.data.state).toBe('options_shown');
    expect(answered!.data.spec!.users).toEqual({ value: 100, source: 'default' });
    expect(answered!.data.spec!.useCase.source).toBe('default');
    expect(answered!.data.dialogue.assumed).toEqual(['useCase', 'audience']);
    const notice = seen(answered!.replies[0]!.message);
    expect(notice).toMatch(/^No problem — I assumed the use case is chatbot .* and 100 users/);
  });

  it('never asks the same question twice: an unanswered one falls back to its default, said aloud', () => {
    const [, answered] = play(['hi', 'it is for code completion']);
    expect(answered!.data.state).toBe('options_shown');
    expect(answered!.data.spec!.useCase).toEqual({ value: 'code_completion', source: 'stated' });
    expect(answered!.data.spec!.users.source).toBe('default');
    expect(seen(answered!.replies[0]!.message)).toMatch(/^I assumed 100 users/);
  });

  it('records the user message and every reply posted in the thread', () => {
    const [turn] = play(['chatbot for 1000 users']);
    expect(turn!.messages.map((message) => message.role)).toEqual(['user', 'bot', 'bot']);
    expect(turn!.messages[0]).toMatchObject({ role: 'user', userId: 'U1', text: 'chatbot for 1000 users' });
    expect(turn!.messages[2]!.blocks).toEqual(turn!.replies[1]!.message.blocks);
  });
});

describe('dialogue engine: refinement', () => {
  const base = play(['chatbot for 1000 users'])[0]!.data;

  it('"make it 3000 users" re-plans for the new count and says what changed', () => {
    const [turn] = play(['make it 3000 users'], base);
    expect(turn!.data.spec!.users).toEqual({ value: 3000, source: 'stated' });
    expect(turn!.data.spec!.traffic.peakQps.value).toBeCloseTo(base.spec!.traffic.peakQps.value * 3, 2);
    const said = seen(turn!.replies[0]!.message);
    expect(said).toMatch(/Updated: users 1,000 → 3,000 · peak load [\d.]+ req\/s → [\d.]+ req\/s/);
    expect(said).toMatch(/Top option (now|unchanged|stays)/);
    expect(turn!.replies[1]!.message.blocks[0]).toMatchObject({ type: 'header' });
  });

  it('the change note gives the top option’s price and p95 latency deltas', () => {
    const [turn] = play(['make it 3000 users'], base);
    const [before, after] = [base.options[0]!, turn!.data.options[0]!];
    const said = seen(turn!.replies[0]!.message);
    const change = said.match(/Change: cost ([+−±][^·]*) · p95 TTFT ([^·]+) · ITL ([^·]+) · E2E (.+)\./);
    expect(change, said).not.toBeNull();
    const [, cost, ttft, itl, e2e] = change!;
    const sign = (delta: number) => (Math.abs(delta) < 0.05 ? '±' : delta > 0 ? '+' : '−');
    expect(cost!.startsWith(sign(after.monthlyCostUsd - before.monthlyCostUsd))).toBe(true);
    expect(cost).toMatch(/^(±0|[+−]\$[\d,]+\/month)$/);
    if (cost !== '±0')
      expect(Number(cost!.replace(/[^\d]/g, ''))).toBe(
        Math.abs(Math.round(after.monthlyCostUsd - before.monthlyCostUsd)),
      );
    expect(ttft!.startsWith(sign(after.predicted.ttftP95Ms - before.predicted.ttftP95Ms))).toBe(true);
    expect(itl!.startsWith(sign(after.predicted.itlP95Ms - before.predicted.itlP95Ms))).toBe(true);
    expect(e2e!.startsWith(sign(after.predicted.e2eP95Ms - before.predicted.e2eP95Ms))).toBe(true);
  });

  it('a new user count replaces an earlier request rate, which would otherwise still size the plan', () => {
    const [, turn] = play(['translate chat messages, 15 requests/s', 'make it 3000 users']);
    expect(turn!.data.spec!.traffic.peakQps.source).toBe('derived');
    expect(turn!.data.spec!.traffic.peakQps.value).not.toBe(15);
  });

  it('"we only have H100s" replaces the GPU types; every option runs on H100', () => {
    const [turn] = play(['we only have H100s'], base);
    expect(turn!.data.spec!.gpuTypes).toEqual({ value: ['H100'], source: 'stated' });
    expect(turn!.data.options.length).toBeGreaterThan(0);
    expect(new Set(turn!.data.options.map((option) => option.gpuId))).toEqual(new Set(['H100']));
    expect(seen(turn!.replies[0]!.message)).toMatch(/GPU types any → H100/);
  });

  it('"no H100s" rules a GPU out without letting it back in through "any"', () => {
    const [onlyH100, noH100] = play(['we only have H100s', 'no H100s'], base);
    expect(onlyH100!.data.spec!.gpuTypes.value).toEqual(['H100']);
    const allowed = noH100!.data.spec!.gpuTypes.value;
    expect(allowed).not.toContain('H100');
    expect(allowed.length).toBe(knowledge.gpus.length - 1);
    expect(noH100!.data.options.every((option) => option.gpuId !== 'H100')).toBe(true);
  });

  it('"cheaper?" sets the cost priority: the options come cheapest first', () => {
    const [turn] = play(['cheaper?'], base);
    expect(turn!.data.spec!.priority).toEqual({ value: 'cost', source: 'stated' });
    const costs = turn!.data.options.map((option) => option.monthlyCostUsd);
    expect(costs).toEqual([...costs].sort((a, b) => a - b));
    expect(costs[0]).toBeLessThanOrEqual(base.options[0]!.monthlyCostUsd);
    expect(seen(turn!.replies[0]!.message)).toMatch(/priority balanced → cost/);
  });

  it('"what if TTFT must be under 200 ms?" tightens the target; every option shown meets it', () => {
    const [turn] = play(['what if TTFT must be under 200 ms?'], base);
    expect(turn!.data.spec!.slo.ttftP95Ms).toEqual({ value: 200, source: 'stated' });
    for (const option of turn!.data.options) expect(option.predicted.ttftP95Ms).toBeLessThanOrEqual(200);
    expect(seen(turn!.replies[0]!.message)).toMatch(/TTFT p95 target 500 ms → 200 ms/);
  });

  it('a message that changes nothing gets a hint, not a re-plan', () => {
    const [turn] = play(['thanks, looks great'], base);
    expect(turn!.replies).toHaveLength(1);
    expect(seen(turn!.replies[0]!.message)).toMatch(/found nothing to change/);
    expect(turn!.data.options).toEqual(base.options);
    expect(turn!.data.state).toBe('options_shown');
    expect(turn!.messages).toHaveLength(2);
  });

  it('falls back to spec_ready when nothing meets the constraints, with near misses to act on', () => {
    const [turn] = play(['budget is $100 a month'], base);
    expect(turn!.data.state).toBe('spec_ready');
    expect(turn!.data.options).toEqual([]);
    const shown = seen(turn!.replies[1]!.message);
    expect(shown).toMatch(/No option meets every constraint/);
    expect(shown).toMatch(/raise the budget/);
  });

  it('once a deploy is under way, messages do not re-plan', () => {
    const [turn] = play(['make it 3000 users'], { ...base, state: 'deploying' });
    expect(turn!.data).toEqual({ ...base, state: 'deploying' });
    expect(turn!.specCard).toBeUndefined();
    expect(seen(turn!.replies[0]!.message)).toMatch(/moved on \(deploying\)/);
  });

  it('while a deploy awaits approval (or waits to start) the spec can still change: re-plan, back to the options', () => {
    for (const state of ['approval_requested', 'approved'] as const) {
      const [turn] = play(['make it 3000 users'], { ...base, state });
      expect(turn!.data.state).toBe('options_shown');
      expect(turn!.data.spec!.users.value).toBe(3000);
      // The card to edit in place says the new count.
      expect(seen(turn!.specCard!)).toMatch(/Users: 3,000 · stated/);
    }
  });

  it('a spec change drops a what-if’s chosen option (sized for the old spec); a message that changes nothing keeps it', () => {
    const chosen = { ...base.options[0]!, id: `${base.options[0]!.id}|x9` };
    const [changed] = play(['make it 3000 users'], { ...base, chosen });
    expect(changed!.data.chosen).toBeNull();
    const [kept] = play(['thanks'], { ...base, chosen });
    expect(kept!.data.chosen).toEqual(chosen);
    expect(kept!.specCard).toBeUndefined();
  });

  it('every reply fits Slack’s limits and has a text fallback', () => {
    const turns = play(['we need an LLM', 'no idea', 'make it 3000 users', 'we only have L4s', 'cheaper?']);
    for (const turn of turns)
      for (const reply of turn.replies) {
        expect(validateMessage(reply.message)).toEqual([]);
        expect(reply.message.text.length).toBeGreaterThan(10);
      }
  });
});

describe('the quick plan', () => {
  it('the quick plan shows three options and a button that carries the request into a thread', () => {
    const text = 'code completion for 150 developers';
    const message = quickPlan(text, knowledge, extractIntent(text, knowledge));
    expect(validateMessage(message)).toEqual([]);
    const details = message.blocks.flatMap((block) =>
      block.type === 'section' && block.accessory ? [block] : [],
    );
    expect(details).toEqual([]);
    const buttons = message.blocks.flatMap((block) => (block.type === 'actions' ? block.elements : []));
    expect(buttons).toEqual([expect.objectContaining({ action_id: ACTION.startThread, value: text })]);
    expect(seen(message)).toMatch(/^Quick plan for “code completion for 150 developers”/);
    expect(message.text).toMatch(/Top options: 1\. .*2\. .*3\. /);
  });
});

describe('reading answers', () => {
  it.each([
    ['about 500', 500],
    ['~2k', 2000],
    ['1,200 people', 1200],
    ['maybe 1.5 thousand', 1500],
  ])('bareCount(%j) = %d', (text, expected) => {
    expect(bareCount(text)).toBe(expected);
  });

  it.each(['H100', 'between 500 and 600', 'use llama 3.1 8b', 'nope'])('bareCount(%j) is null', (text) => {
    expect(bareCount(text)).toBeNull();
  });

  it.each(['I don’t know', 'dont know', 'not sure yet', 'no idea', 'just use the defaults', 'idk'])(
    '%j means not sure',
    (text) => {
      expect(saysNotSure(text)).toBe(true);
    },
  );

  it.each(['I know exactly: 500 users', 'sure, chatbot'])('%j is an answer', (text) => {
    expect(saysNotSure(text)).toBe(false);
  });
});

describe('conversation states', () => {
  it('allow the dialogue’s moves and leave room for approval and deploy', () => {
    expect(canTransition('collecting', 'options_shown')).toBe(true);
    expect(canTransition('options_shown', 'approval_requested')).toBe(true);
    expect(canTransition('approved', 'deploying')).toBe(true);
    expect(canTransition('deploying', 'collecting')).toBe(false);
    expect(TRANSITIONS.closed).toEqual([]);
  });

  it('a new conversation starts collecting with nothing known', () => {
    const data = newConversationData();
    expect(data).toMatchObject({ state: 'collecting', intent: null, spec: null, options: [] });
    const turn = converse(data, { text: 'hi', userId: 'U1' }, knowledge, extractIntent('hi', knowledge));
    expect(turn.data.dialogue.asked).toEqual(['useCase', 'audience']);
  });
});
