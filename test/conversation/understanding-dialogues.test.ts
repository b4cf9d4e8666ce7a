import type { Dialogue } from '../support/dialogues.js';
import { describeDialogues } from '../support/dialogues.js';

const WHAT_COMPASS_DOES = /I plan and deploy self-hosted LLMs/;
const CHATBOT_800 = 'customer support chatbot for 800 agents';
const chatbot800 = { useCase: 'chatbot_conversational', users: 800 } as const;
const none = (say: string) => ({ say, answer: 'none', kind: 'chatter' }) as const;

/** Issue #15: Compass reads each message before acting, in a thread and in `compass chat`. */
const DIALOGUES: Dialogue[] = [
  // Chatter and acknowledgements between teammates: no reply, nothing changes.
  {
    name: 'ship-it agreement',
    turns: [CHATBOT_800, none("sounds good to me, let's ship it")],
    intent: chatbot800,
  },
  { name: 'thanks', turns: [CHATBOT_800, none('thanks!')], intent: chatbot800 },
  { name: 'thumbs-up code', turns: [CHATBOT_800, none(':+1:')], intent: chatbot800 },
  { name: 'thumbs-up emoji', turns: [CHATBOT_800, none('👍')], intent: chatbot800 },
  { name: 'lgtm with an emoji', turns: [CHATBOT_800, none('lgtm :rocket:')], intent: chatbot800 },
  { name: 'thanks to Compass', turns: [CHATBOT_800, none('ok cool, thanks Compass')], intent: chatbot800 },
  { name: 'teammate asked', turns: [CHATBOT_800, none('@bob what do you think?')], intent: chatbot800 },
  {
    name: 'promise to follow up',
    turns: [CHATBOT_800, none("I'll check with finance tomorrow")],
    intent: chatbot800,
  },
  { name: 'greeting inside a thread', turns: [CHATBOT_800, none('hi all')], intent: chatbot800 },
  {
    name: 'teammates discussing the plan',
    turns: [CHATBOT_800, none('I think the model choice is fine'), none('the GPUs look reasonable to me')],
    intent: { ...chatbot800, gpuTypes: [] },
  },
  {
    name: 'chatter while questions are open, then the answer',
    turns: [
      { say: 'we need an LLM for our team', answer: /What will the model do\?/, kind: 'request' },
      none('thanks!'),
      { say: 'a support chatbot for about 800 people', kind: 'refinement' },
    ],
    intent: chatbot800,
  },
  {
    name: 'chatter, then a refinement still lands',
    turns: [
      'chatbot for 1000 users',
      none('nice'),
      { say: 'make it 3000 users', answer: /users 1,000 → 3,000/ },
    ],
    intent: { useCase: 'chatbot_conversational', users: 3000 },
  },
  {
    name: 'thanks with a change is a refinement',
    turns: ['chatbot for 1000 users', { say: 'thanks, make it 2000 users', kind: 'refinement' }],
    intent: { users: 2000 },
  },
  // Off-topic: one short line saying what Compass does.
  {
    name: 'weather in a thread',
    turns: [
      CHATBOT_800,
      { say: "what's the weather in Paris?", answer: WHAT_COMPASS_DOES, kind: 'off_topic' },
    ],
    intent: chatbot800,
  },
  {
    name: 'weather as the first message',
    turns: [{ say: "what's the weather in Paris?", answer: WHAT_COMPASS_DOES, kind: 'off_topic' }],
    intent: null,
  },
  {
    name: 'a lunch question in a thread',
    turns: [CHATBOT_800, { say: 'lunch at noon?', answer: WHAT_COMPASS_DOES, kind: 'off_topic' }],
    intent: chatbot800,
  },
  {
    name: 'word salad when asked',
    turns: [{ say: 'asdf qwerty', answer: WHAT_COMPASS_DOES, kind: 'off_topic' }],
    intent: null,
  },
  // Help and capabilities.
  {
    name: 'what can you do',
    turns: [{ say: 'what can you do?', answer: /Refine by saying so in the thread/, kind: 'help' }],
    intent: null,
  },
  {
    name: 'help, then a request',
    turns: [
      { say: 'help', kind: 'help' },
      { say: 'code completion for 150 developers', kind: 'request' },
    ],
    intent: { useCase: 'code_completion', users: 150 },
  },
  {
    name: 'help inside a planned thread',
    turns: [CHATBOT_800, { say: 'how does this work?', answer: /Request deploy/, kind: 'help' }],
    intent: chatbot800,
  },
  {
    name: 'a greeting when asked',
    turns: [{ say: 'hi', kind: 'help', answer: WHAT_COMPASS_DOES }],
    intent: null,
  },
  {
    name: 'what can I ask',
    turns: [CHATBOT_800, { say: 'what can I ask you?', kind: 'help' }],
    intent: chatbot800,
  },
  // Status and SLO questions.
  {
    name: 'status of my deployments',
    turns: [CHATBOT_800, { say: 'status of my deployments?', kind: 'status', answer: /[Dd]eploy/ }],
    intent: chatbot800,
  },
  {
    name: 'SLO question',
    turns: [CHATBOT_800, { say: 'are we meeting our SLOs?', kind: 'status', answer: /slo|SLO|Prometheus/ }],
    intent: chatbot800,
  },
  {
    name: 'status as the first message',
    turns: [{ say: 'what is running right now?', kind: 'status', answer: /[Dd]eploy/ }],
    intent: null,
  },
  // Closed and unknown models.
  {
    name: 'gpt-4o in a thread',
    turns: [
      CHATBOT_800,
      {
        say: 'use gpt-4o',
        answer: /gpt-4o is OpenAI’s hosted model: .*cannot be self-hosted.*Closest models/,
      },
    ],
    intent: { ...chatbot800, models: [] },
  },
  {
    name: 'claude first, then the facts',
    turns: [
      { say: 'we want claude 3.5 sonnet', answer: /Anthropic’s hosted model/, kind: 'request' },
      'support chatbot for 800 users',
    ],
    intent: { ...chatbot800, models: [] },
  },
  {
    name: 'gemini flash compared by size',
    turns: [
      CHATBOT_800,
      { say: 'can we use gemini flash?', answer: /Google’s hosted model.*in its size class/ },
    ],
    intent: { models: [] },
  },
  {
    name: 'gpt-5 with real facts plans anyway',
    turns: [{ say: 'code completion for 200 developers, like gpt-5', answer: /OpenAI’s hosted model/ }],
    intent: { useCase: 'code_completion', users: 200, models: [] },
  },
  {
    name: 'an open model the catalog lacks',
    turns: [
      CHATBOT_800,
      { say: 'use falcon 180b', answer: /falcon 180b is not in the catalog.*compass models import/ },
    ],
    intent: chatbot800,
  },
  {
    name: 'a Hugging Face id the catalog lacks',
    turns: [
      CHATBOT_800,
      { say: 'deploy tiiuae/falcon-40b', answer: /tiiuae\/falcon-40b is not in the catalog/ },
    ],
    intent: chatbot800,
  },
  {
    name: 'a version of a family the catalog lacks',
    turns: [
      { say: 'summarization for 50 users on DeepSeek V2', answer: /DeepSeek V2 is not in the catalog/ },
    ],
    intent: { useCase: 'summarization_short', users: 50 },
  },
  {
    name: 'DeepSeek V3 on 2 L4s says it does not fit',
    turns: [
      'chatbot for 100 users',
      { say: 'DeepSeek V3 on 2 L4s', answer: /DeepSeek V3 does not fit 2 L4/ },
    ],
    intent: { models: ['deepseek-ai/DeepSeek-V3'], gpuTypes: ['L4'], maxGpus: 2 },
  },
  // Corrections and refinements.
  {
    name: 'use case corrected',
    turns: ['summarization for 200 users', { say: "actually it's a chatbot", kind: 'correction' }],
    intent: { useCase: 'chatbot_conversational', users: 200 },
  },
  {
    name: 'user count corrected',
    turns: ['chatbot for 800 users', { say: 'sorry, I meant 1200 users', kind: 'correction' }],
    intent: { users: 1200 },
  },
  {
    name: 'a what-if question is a refinement',
    turns: [CHATBOT_800, { say: 'what if TTFT must be under 200 ms?', kind: 'refinement' }],
    intent: { ...chatbot800, ttftP95Ms: 200 },
  },
  {
    name: 'cheaper',
    turns: [CHATBOT_800, { say: 'cheaper?', kind: 'refinement' }],
    intent: { priority: 'cost', priorityStated: true },
  },
  {
    name: 'bare number answers the audience question',
    turns: ['a chatbot for our support team', { say: 'about 500', kind: 'refinement' }],
    intent: { useCase: 'chatbot_conversational', users: 500 },
  },
  {
    name: 'not sure takes the defaults',
    turns: ['we need an LLM', { say: 'no idea', answer: /assumed/ }],
    intent: { users: null },
  },
  // Questions about the plan: answered from it, never read as a change.
  {
    name: 'why a GPU does not restrict to it',
    turns: [CHATBOT_800, { say: 'why H100?', kind: 'plan_question', answer: /top option is/ }],
    intent: { ...chatbot800, gpuTypes: [] },
  },
  {
    name: 'what the top option costs',
    turns: [
      CHATBOT_800,
      { say: 'how much does the top option cost?', kind: 'plan_question', answer: /\$[\d,]+\/month/ },
    ],
    intent: chatbot800,
  },
];

describeDialogues('understanding (issue #15)', DIALOGUES);
