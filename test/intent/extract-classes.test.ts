import { describe, expect, it } from 'vitest';
import { extractIntent } from '../../src/intent/extract.js';
import type { UseCaseId } from '../../src/knowledge/catalog.js';
import { catalogVocabulary, familyIds } from './vocabulary.js';

const extract = (text: string) => extractIntent(text, catalogVocabulary);

describe('use case', () => {
  const cases: [UseCaseId, string[]][] = [
    [
      'chatbot_conversational',
      [
        'customer support assistant',
        'a help desk bot for IT questions',
        'FAQ bot for our website',
        'internal chatbot for HR',
        'conversational agent on our app',
        'virtual assistant that talks to customers',
        'we need a chatbto for our shop',
        'Chat-Bot for the service desk',
        'multi-turn chat assistant in Slack',
      ],
    ],
    [
      'code_completion',
      [
        'autocomplete for our terminal tool',
        'tab completion in the IDE',
        'copilot-style suggestions for our engineers',
        'IDE completions for Python',
        'code completion in VS Code',
        'inline code suggestions as you type',
        'fill-in-the-middle completions in JetBrains',
        'autocomplet for devs',
      ],
    ],
    [
      'code_generation_detailed',
      [
        'write whole programs with explanations',
        'generate code with explanations',
        'automated code review on pull requests',
        'refactoring legacy Java services',
        'a coding assistant that writes functions and unit tests',
        'text-to-SQL for analysts',
        'help developers debug and fix bugs',
        'generate python scripts',
      ],
    ],
    [
      'translation',
      [
        'translate support tickets',
        'localization of our app strings',
        'English to Korean',
        'translate legal contracts from French',
        'translaton of product manuals into German',
        'machine translation between Spanish and Portuguese',
        'localise marketing copy into 12 languages',
      ],
    ],
    [
      'content_generation',
      [
        'write blog posts',
        'marketing copy for campaigns',
        'generate social media posts',
        'product descriptions for our shop',
        'draft newsletters and press releases',
        'SEO articles at scale',
        'creative writing for a game studio',
      ],
    ],
    [
      'summarization_short',
      [
        'summarize incident reports in two sentences',
        'a TL;DR of each email',
        'summaries of customer calls',
        'sumarize support tickets',
        'one-line recaps of meetings',
        'condense news articles into bullet points',
        'give me the gist of each email',
      ],
    ],
    [
      'document_analysis_rag',
      [
        'Q&A over our wiki',
        'RAG over Confluence',
        'search our docs and answer questions',
        'answer questions about PDFs',
        'answer employee questions about our HR documents',
        'document Q&A for the support team',
        'retrieval augmented generation on our knowledge base',
        'chat with your PDFs',
        'extract fields from invoices',
      ],
    ],
    [
      'long_document_summarization',
      [
        'summarize 300-page manuals',
        'book-length summaries',
        'condense long reports into chapter summaries',
        'summaries of entire books',
        'summarise lengthy annual reports',
        'sumarize hundreds of pages of transcripts',
      ],
    ],
    [
      'research_legal_analysis',
      [
        'legal research assistant',
        'contract analysis for M&A',
        'analyze regulatory filings in depth',
        'due diligence on acquisitions',
        'patent prior art search',
        'case law research for litigation',
        'in-depth analysis of scientific literature',
        'reviewing contracts for risky clauses',
        'legal reserch for paralegals',
      ],
    ],
  ];
  for (const [useCase, texts] of cases) {
    it.each(texts)(`%s → ${useCase}`, (text) => {
      expect(extract(text).useCase).toBe(useCase);
    });
  }

  it.each([
    'we need an LLM for 500 users',
    'deploy something on H100s',
    'budget $5k per month, low latency',
    'hello',
    'what can you do?',
    '',
  ])('no use case in %j', (text) => {
    expect(extract(text).useCase).toBeNull();
  });

  it('takes casing and punctuation in its stride', () => {
    expect(extract('SUMMARIZE... INCIDENT REPORTS!!!').useCase).toBe('summarization_short');
    expect(extract('translate: korean -> english').useCase).toBe('translation');
  });

  it('does not turn common words into keywords', () => {
    expect(extract('contact center chatbot').useCase).toBe('chatbot_conversational');
    expect(extract('chatbot for 30 analysts').useCase).toBe('chatbot_conversational');
  });
});

describe('priority', () => {
  it.each([
    ['low latency is critical', 'latency'],
    ['latency critical', 'latency'],
    ['we need fast responses', 'latency'],
    ['it has to feel snappy', 'latency'],
    ['real-time suggestions', 'latency'],
    ['keep it cheap', 'cost'],
    ['cheapest setup', 'cost'],
    ['keep costs down', 'cost'],
    ["we're on a budget", 'cost'],
    ['cost-effective please', 'cost'],
    ['minimize spend', 'cost'],
    ['quality is what matters', 'accuracy'],
    ['best accuracy', 'accuracy'],
    ['most accurate answers', 'accuracy'],
    ['highest quality output', 'accuracy'],
    ['accuracy is critical', 'accuracy'],
    ['balanced', 'balanced'],
    ['a good balance of cost and speed', 'balanced'],
    ['cost does not matter, we need the best quality', 'accuracy'],
    ['Low Latency!', 'latency'],
    ['cost over latency', 'cost'],
    ['quality > speed', 'accuracy'],
    ['speed is more important than cost', 'latency'],
    ['lowest possible cost', 'cost'],
    ["i don't care about latency, just make it cheap", 'cost'],
    ['deepest analysis possible', 'accuracy'],
    ['Response time matters a lot', 'latency'],
  ])('%s → %s', (text, priority) => {
    const intent = extract(text);
    expect(intent.priority).toBe(priority);
    expect(intent.priorityStated).toBe(true);
  });

  it.each([
    'budget $5,000 per month',
    'chatbot for 300 users',
    'TTFT p95 under 800ms',
    'p95 latency under 2 seconds',
    'latency is not a concern',
    'fast-growing startup needs a chatbot',
  ])('no stated priority in %s', (text) => {
    const intent = extract(text);
    expect(intent.priority).toBe('balanced');
    expect(intent.priorityStated).toBe(false);
  });
});

describe('GPU types', () => {
  it.each([
    ['we have L40S GPUs', ['L40S']],
    ['only A100 80GB cards', ['A100-80GB']],
    ['on H200', ['H200']],
    ['L4 or A10G', ['A10G', 'L4']],
    ['internal chatbot on MI300X', ['MI300X']],
    ['H100 SXM nodes', ['H100']],
    ['a few h100s', ['H100']],
    ['a100s', ['A100-80GB']],
    ['A100 40GB and H100 80GB', ['A100-40GB', 'H100']],
    ['A100-40GB', ['A100-40GB']],
    ['L40s', ['L40S']],
    ['AMD Instinct mi300', ['MI300X']],
    ['nvidia b200 or h200 gpus', ['B200', 'H200']],
    ['8xH100', ['H100']],
    ['L4s are fine, no H100s', ['L4']],
    ['not H100 or H200, but L40S works', ['L40S']],
    ['H100s are not available, use A10G', ['A10G']],
    ['H100 and H200 are not available, L4 is', ['L4']],
    ['H200 is too expensive, L40S instead', ['L40S']],
    ['we would rather avoid AMD MI300X; b200s ok', ['B200']],
    ['no preference, H100 is fine', ['H100']],
    ['no more than 4 A100 40GB', ['A100-40GB']],
  ])('%s → %j', (text, ids) => {
    expect(extract(text).gpuTypes).toEqual(ids);
  });

  it.each([
    'chatbot for 100 users',
    'llama 3.1 8b',
    'p95 under 100 ms',
    'for a 100 people',
    'gpt-4 quality',
    'GH200 or RTX 4090',
    'T4 and V100',
  ])('no GPUs in %s', (text) => {
    expect(extract(text).gpuTypes).toEqual([]);
  });
});

describe('models', () => {
  it.each([
    ['llama 3.1 70b please', ['meta-llama/Llama-3.1-70B-Instruct']],
    ['Llama-3.1-8B-Instruct', ['meta-llama/Llama-3.1-8B-Instruct']],
    ['meta-llama/Llama-3.3-70B-Instruct', ['meta-llama/Llama-3.3-70B-Instruct']],
    ['we want llama', familyIds('llama')],
    ['qwen models', familyIds('qwen')],
    ['gpt-oss', ['openai/gpt-oss-120b', 'openai/gpt-oss-20b']],
    ['GPT-OSS please', ['openai/gpt-oss-120b', 'openai/gpt-oss-20b']],
    ['gpt oss 20b', ['openai/gpt-oss-20b']],
    ['llama3.1 8b', ['meta-llama/Llama-3.1-8B-Instruct']],
    ['qwen2.5 72b or mistral 7b', ['Qwen/Qwen2.5-72B-Instruct', 'mistralai/Mistral-7B-Instruct-v0.3']],
    ['qwen3 32b', ['Qwen/Qwen3-32B']],
    // A point release belongs to its major version, as Llama 3.1 does to Llama 3: Qwen3.5 is a Qwen 3.
    [
      'any qwen 3',
      [
        'Qwen/Qwen3-14B',
        'Qwen/Qwen3-235B-A22B',
        'Qwen/Qwen3-235B-A22B-Instruct-2507',
        'Qwen/Qwen3-235B-A22B-Thinking-2507',
        'Qwen/Qwen3-30B-A3B',
        'Qwen/Qwen3-32B',
        'Qwen/Qwen3-Next-80B-A3B-Instruct',
        'Qwen/Qwen3.5-35B-A3B',
        'Qwen/Qwen3.5-9B',
      ],
    ],
    ['deepseek r1 on h200s', ['deepseek-ai/DeepSeek-R1']],
    // A dated release is named by its date; its name without the date stays the original's.
    ['deepseek r1 0528 on h200s', ['deepseek-ai/DeepSeek-R1-0528']],
    ['qwen3 235b a22b thinking', ['Qwen/Qwen3-235B-A22B-Thinking-2507']],
    ['the deepseek r1 distill', ['deepseek-ai/DeepSeek-R1-Distill-Llama-70B']],
    ['glm 4.5 air or llama 4 scout', ['meta-llama/Llama-4-Scout-17B-16E-Instruct', 'zai-org/GLM-4.5-Air']],
    ['Mixtral 8x7B', ['mistralai/Mixtral-8x7B-Instruct-v0.1']],
    ['phi-4 or gemma 3', ['google/gemma-3-27b-it', 'microsoft/phi-4']],
    ['anything but mistral, maybe gpt-oss-120b', ['openai/gpt-oss-120b']],
    ['llama 3.1 70b, not llama 3.3', ['meta-llama/Llama-3.1-70B-Instruct']],
  ])('%s → %j', (text, ids) => {
    expect(extract(text).models).toEqual(ids);
  });

  it.each(['chatbot for 100 users', 'llama 2 13b', 'something like gpt-4', 'on H100s'])(
    'no models in %s',
    (text) => {
      expect(extract(text).models).toEqual([]);
    },
  );
});

describe('whole requests', () => {
  it('reads every field of a long request', () => {
    expect(
      extract(
        'RAG over our Confluence for 2,500 employees, peak 30 rps, llama 3.3 70b on at most 4 H100s, ' +
          'budget $12k/month, TTFT p95 under 1s, prompts ~3000 tokens, answers ~400 tokens, accuracy matters most',
      ),
    ).toEqual({
      useCase: 'document_analysis_rag',
      users: 2500,
      qps: 30,
      priority: 'accuracy',
      priorityStated: true,
      budgetMonthlyUsd: 12000,
      gpuTypes: ['H100'],
      models: ['meta-llama/Llama-3.3-70B-Instruct'],
      maxGpus: 4,
      promptTokens: 3000,
      outputTokens: 400,
      ttftP95Ms: 1000,
      itlP95Ms: null,
      e2eP95Ms: null,
      missing: [],
    });
  });

  it('lists what is missing', () => {
    expect(extract('something on H100s').missing).toEqual(['useCase', 'users', 'qps']);
    expect(extract('a chatbot').missing).toEqual(['users', 'qps']);
    expect(extract('a chatbot at 5 rps').missing).toEqual([]);
  });

  it('finds nothing in small talk', () => {
    const intent = extract('hi there, how are you today?');
    expect(intent).toMatchObject({
      useCase: null,
      users: null,
      qps: null,
      priorityStated: false,
      budgetMonthlyUsd: null,
      gpuTypes: [],
      models: [],
      maxGpus: null,
    });
  });
});
