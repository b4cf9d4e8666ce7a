import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageKind, Situation } from '../../src/classify/index.js';
import {
  classifyMessage,
  didYouMean,
  editDistance,
  llmOpinion,
  unavailableModelNotice,
  unavailableModels,
} from '../../src/classify/index.js';
import { createConversationService } from '../../src/conversation/service.js';
import { createConversationStore } from '../../src/conversation/store.js';
import { extractIntent } from '../../src/intent/index.js';
import { createOllamaClient } from '../../src/intent/llm.js';
import { openKnowledgeBase } from '../../src/knowledge/open.js';
import { parseCommand } from '../../src/slack/handlers.js';
import { catalogKnowledge } from '../conversation/dialogue.js';
import type { OllamaStandIn } from '../standins/ollama.js';
import { startOllamaStandIn } from '../standins/ollama.js';
import { capturedLogger } from '../support/log.js';
import type { TestDatabase } from '../support/postgres.js';
import { createTestDatabase } from '../support/postgres.js';
import { quietMs } from '../support/timing.js';

const planned: Situation = { conversation: 'planned', addressed: false, states: false };
const fresh: Situation = { conversation: 'none', addressed: true, states: false };
const kindIn = (situation: Situation) => (text: string) => classifyMessage(text, situation).kind;

describe('classifyMessage: the rules', () => {
  const cases: [MessageKind, string[]][] = [
    [
      'chatter',
      [
        "sounds good to me, let's ship it",
        'thanks!',
        'Thank you so much',
        ':+1:',
        ':tada::tada:',
        '👍🏽',
        'lgtm :rocket:',
        'ok cool, thanks Compass',
        "I'll check with finance tomorrow",
        '@bob what do you think?',
        'hi all',
        'makes sense',
        '',
      ],
    ],
    ['off_topic', ["what's the weather in Paris?", 'lunch at noon?', 'who won the game last night?']],
    ['help', ['help', 'what can you do?', 'How does this work?', 'what can I ask you?', 'who are you?']],
    ['status', ['status of my deployments?', 'are we meeting our SLOs?', 'how are our deployments doing?']],
    ['plan_question', ['why H100?', 'how much does the top option cost?', 'why is it so expensive?']],
  ];
  for (const [kind, texts] of cases)
    it(`reads ${kind} in a planned thread`, () => {
      expect(texts.map(kindIn(planned))).toEqual(texts.map(() => kind));
    });

  it('a message that states or changes something is planning: a request first, a refinement or correction later', () => {
    const states = (conversation: Situation['conversation']) => ({ ...planned, conversation, states: true });
    expect(classifyMessage('chatbot for 500 users', states('none')).kind).toBe('request');
    expect(classifyMessage('make it 3000 users', states('planned')).kind).toBe('refinement');
    expect(classifyMessage('thanks, make it 3000 users', states('planned')).kind).toBe('refinement');
    expect(classifyMessage('actually it is a chatbot', states('planned')).kind).toBe('correction');
    expect(classifyMessage('sorry, I meant 1200 users', states('collecting')).kind).toBe('correction');
    expect(classifyMessage('no, 40 ms ITL', states('planned')).kind).toBe('correction');
  });

  it('a status question with a figure in it is still a status question', () => {
    expect(classifyMessage('are we meeting our SLOs at 500 ms?', { ...planned, states: true }).kind).toBe(
      'status',
    );
  });

  it('a greeting is help when Compass is asked and nothing is planned, chatter between people in a thread', () => {
    expect(kindIn(fresh)('hello')).toBe('help');
    expect(kindIn({ ...fresh, conversation: 'collecting', addressed: false })('hello')).toBe('chatter');
  });

  it('domain words without facts: a request when nothing is planned, a refinement attempt when asked', () => {
    expect(kindIn(fresh)('we need an LLM for our team')).toBe('request');
    expect(kindIn({ ...planned, addressed: true })('we need an LLM for our team')).toBe('refinement');
    expect(kindIn({ ...planned, conversation: 'collecting' })('the model should be good')).toBe('refinement');
  });

  it('a change the extractor could not place is a refinement, answered rather than taken for chatter', () => {
    for (const text of ['make it 1200', '1200', 'about 2k', 'double it', 'set it to 40 ms'])
      expect(classifyMessage(text, planned), text).toEqual({ kind: 'refinement', sure: true });
    expect(kindIn(fresh)('1200')).not.toBe('refinement');
  });

  it('teammates discussing the plan in its thread without changing it are left alone', () => {
    expect(classifyMessage('I think the model choice is fine', planned)).toEqual({
      kind: 'chatter',
      sure: false,
    });
  });

  it('marks what it is not sure of, so a second opinion may decide', () => {
    expect(classifyMessage("what's the weather in Paris?", planned)).toEqual({
      kind: 'off_topic',
      sure: false,
    });
    expect(classifyMessage('the printer is broken again', planned)).toEqual({ kind: 'chatter', sure: false });
    expect(classifyMessage('asdf qwerty', fresh)).toEqual({ kind: 'off_topic', sure: false });
    expect(classifyMessage('thanks!', planned).sure).toBe(true);
  });

  it('survives hostile text: long, control characters, regex bait', () => {
    const long = `${'a? '.repeat(4000)}`;
    const { models, gpus } = catalogKnowledge();
    const read = () => {
      for (const text of [
        long,
        '\u0000\u0007?',
        '((((((((((',
        `${':+1:'.repeat(2000)}x`,
        '.*+?',
        // Repeated acknowledgements that fail at the very end: a regex that backtracks without end hangs here.
        `${"i'll check ".repeat(400)}?x`,
        `${'ok, thanks '.repeat(400)}?x`,
        `${'falcon-'.repeat(600)}180b`,
      ]) {
        expect(typeof classifyMessage(text, planned).kind).toBe('string');
        expect(Array.isArray(unavailableModels(text, models, gpus))).toBe(true);
      }
    };
    // Generous: a pathological backtracking regex would take seconds, not milliseconds.
    expect(quietMs(read, 2000)).toBeLessThan(2000);
  });
});

describe('unavailableModels: closed and unknown models', () => {
  const { models, gpus } = catalogKnowledge();
  const named = (text: string) =>
    unavailableModels(text, models, gpus).map((model) => [model.kind, model.named]);

  it('finds closed API models, never the open ones with similar names', () => {
    expect(named('use gpt-4o')).toEqual([['closed', 'gpt-4o']]);
    expect(named('Claude 3.5 Sonnet or GPT-4o-mini')).toEqual([
      ['closed', 'GPT-4o-mini'],
      ['closed', 'Claude 3.5 Sonnet'],
    ]);
    expect(named('gemini 2.5 pro')).toEqual([['closed', 'gemini 2.5 pro']]);
    expect(named('use gpt-oss 120b')).toEqual([]);
    expect(named('gemma 3 27b')).toEqual([]);
  });

  it('finds open models the catalog lacks, and leaves catalog models, GPUs and counts alone', () => {
    expect(named('use falcon 180b')).toEqual([['unknown', 'falcon 180b']]);
    expect(named('deploy tiiuae/falcon-40b please')).toEqual([['unknown', 'tiiuae/falcon-40b']]);
    // Figures per unit are not owner/model ids (a thread parent's "under $10k/month" was taken for a model).
    for (const text of ['under $10k/month', '5 req/s at peak', '2000 tokens/s', '24/7 support', '1.5k/day'])
      expect(named(text), text).toEqual([]);
    expect(named('DeepSeek V2 on 2 L4s')).toEqual([['unknown', 'DeepSeek V2']]);
    for (const text of [
      'DeepSeek V3 on 2 L4s',
      'llama 3.1 70b for 300 users',
      'use 4 H100s',
      'chatbot on MI300X',
      'a 13b model',
      'support 24/7',
      'qwen3 32b',
    ])
      expect(named(text), text).toEqual([]);
  });

  it('offers the closest catalog models: by quality for frontier models, by size class for light ones, by size for open ones', () => {
    const notice = (text: string) =>
      unavailableModelNotice(unavailableModels(text, models, gpus)[0]!, models, 'chatbot_conversational');
    const best = [...models].sort(
      (a, b) => (b.quality.chatbot_conversational ?? 0) - (a.quality.chatbot_conversational ?? 0),
    )[0]!;
    expect(notice('gpt-4o')).toContain(`Closest models Compass can deploy: ${best.name}`);
    expect(notice('gpt-4o')).toMatch(/cannot be self-hosted.*compass models import/);
    const small = notice('claude haiku');
    expect(small).toMatch(/in its size class/);
    for (const model of models.filter((entry) => entry.paramsTotalB > 35))
      expect(small).not.toContain(`${model.name} (`);
    expect(notice('falcon 180b')).toMatch(/Closest in size: .*\((?:1\d\d|2\d\d)B/);
    expect(notice('DeepSeek V2')).toMatch(/of that family it has .*DeepSeek V3/);
  });
});

describe('didYouMean and parseCommand', () => {
  it('measures a swap of neighbours as one edit', () => {
    expect(editDistance('stauts', 'status')).toBe(1);
    expect(editDistance('', 'slo')).toBe(3);
    expect(editDistance('digest', 'digest')).toBe(0);
  });

  it('suggests the command meant, not a guess among equals', () => {
    const names = ['status', 'slo', 'digest', 'help', 'plan'];
    expect(didYouMean('stauts', names)).toBe('status');
    expect(didYouMean('sttaus', names)).toBe('status');
    expect(didYouMean('hlep', names)).toBe('help');
    expect(didYouMean('chatbot', names)).toBeNull();
    expect(didYouMean('status', names)).toBeNull();
  });

  it('a mistyped command alone is a typo; a request that starts like one is still a plan', () => {
    const subcommands = ['status', 'slo', 'digest'];
    expect(parseCommand('stauts', subcommands)).toEqual({ kind: 'typo', typed: 'stauts', meant: 'status' });
    expect(parseCommand('digets daily 09:00', subcommands)).toEqual({
      kind: 'typo',
      typed: 'digets',
      meant: 'digest',
    });
    expect(parseCommand('slow chatbot for 10 users', subcommands)).toEqual({
      kind: 'plan',
      request: 'slow chatbot for 10 users',
    });
    expect(parseCommand('plan asdf qwerty', subcommands)).toEqual({ kind: 'plan', request: 'asdf qwerty' });
  });
});

describe('the LLM as a second opinion, over HTTP to the Ollama stand-in', () => {
  let ollama: OllamaStandIn;
  let testDb: TestDatabase;
  beforeAll(async () => {
    ollama = await startOllamaStandIn();
    testDb = await createTestDatabase();
  });
  afterAll(async () => {
    await ollama.close();
    await testDb.drop();
  });
  const client = () => createOllamaClient({ host: ollama.url, model: 'llama3', timeoutMs: 2000 });

  it('adopts a valid kind; nonsense, errors and slowness are no opinion', async () => {
    ollama.behave({ kind: 'answer', content: '{"kind":"chatter"}' });
    expect(await llmOpinion(client(), 'llama3', 'the printer is broken again')).toBe('chatter');
    const sent = ollama.requests.at(-1)!;
    expect(sent.model).toBe('llama3');
    expect(JSON.stringify(sent.messages)).toContain('the printer is broken again');
    ollama.behave({ kind: 'answer', content: '{"kind":"weather"}' });
    expect(await llmOpinion(client(), 'llama3', 'x')).toBeNull();
    ollama.behave({ kind: 'answer', content: 'not json' });
    expect(await llmOpinion(client(), 'llama3', 'x')).toBeNull();
    ollama.behave({ kind: 'error', status: 500, message: 'model not loaded' });
    expect(await llmOpinion(client(), 'llama3', 'x')).toBeNull();
    ollama.behave({ kind: 'answer', content: '{"kind":"help"}', delayMs: 3000 });
    const slow = createOllamaClient({ host: ollama.url, model: 'llama3', timeoutMs: 200 });
    expect(await llmOpinion(slow, 'llama3', 'x')).toBeNull();
  });

  it('is asked only where the rules are not sure, and decides there', async () => {
    const { log } = capturedLogger();
    const kb = await openKnowledgeBase({ databaseUrl: testDb.url, dataDir: '/nonexistent' }, log);
    try {
      const knowledge = kb.knowledge;
      const service = createConversationService({
        store: createConversationStore(kb.database.db),
        knowledge: () => knowledge,
        extract: async (text) => extractIntent(text, knowledge),
        log,
        secondOpinion: (text) => llmOpinion(client(), 'llama3', text),
      });
      const key = (threadTs: string) => ({ teamId: 'T1', channelId: 'C1', threadTs });
      ollama.behave({ kind: 'answer', content: '{"kind":"help"}' });
      const asked = ollama.requests.length;
      const sure = await service.handleMessage(key('1.1'), { text: 'thanks!', userId: 'U1' }, true);
      expect(sure?.kind).toBe('chatter');
      expect(ollama.requests.length).toBe(asked);
      const unsure = await service.handleMessage(
        key('1.2'),
        { text: 'the printer is broken', userId: 'U1' },
        true,
      );
      expect(ollama.requests.length).toBe(asked + 1);
      expect(unsure?.kind).toBe('help');
      expect(unsure?.replies[0]?.message.text).toMatch(/I plan and deploy self-hosted LLMs/);
    } finally {
      await kb.database.close();
    }
  });
});
