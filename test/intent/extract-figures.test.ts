import { describe, expect, it } from 'vitest';
import { extractIntent } from '../../src/intent/extract.js';
import { normalizeFigures, parseNumberPhrase } from '../../src/intent/numbers.js';
import { catalogVocabulary } from './vocabulary.js';

const extract = (text: string) => extractIntent(text, catalogVocabulary);

describe('number spellings', () => {
  it.each([
    ['1,500 users', '1500 users'],
    ["1'500 users", '1500 users'],
    ['2.5k and 5k', '2500 and 5000'],
    ['5 k users', '5000 users'],
    ['2 hundred', '200'],
    ['1 million', '1000000'],
    ['1.5 million', '1500000'],
    ['twenty', '20'],
    ['twenty-five', '25'],
    ['a thousand people', '1000 people'],
    ['two hundred fifty thousand', '250000'],
    ['one hundred and fifty', '150'],
    ['a dozen', '12'],
    ['2M requests per day', '2000000 requests per day'],
    ['$1.2m per year', '$1200000 per year'],
    ['e2e under 2m.', 'e2e under 2m.'],
    ['thousands of users', 'thousands of users'],
    ['4k-token inputs', '4000-token inputs'],
    ['llama 70b', 'llama 70b'],
  ])('%s → %s', (text, expected) => {
    expect(normalizeFigures(text)).toBe(expected);
  });

  it.each([
    ['three', 3],
    ['seventeen', 17],
    ['ninety nine', 99],
    ['two thousand five hundred', 2500],
    ['a million', 1e6],
    ['one two', null],
    ['twenty thirty', null],
    // Object.prototype's names are not number words.
    ['constructor', null],
    ['two toString', null],
  ])('parses %s', (phrase, value) => {
    expect(parseNumberPhrase(phrase)).toBe(value);
  });
});

describe('users', () => {
  it.each([
    ['chatbot for 1,200 employees', 1200],
    ['chatbot for 1.500 employees', 1500],
    ['5k users', 5000],
    ['2.5k customers', 2500],
    ['2 hundred agents', 200],
    ['serve 1 million users', 1_000_000],
    ['twenty people will use it', 20],
    ['a thousand students', 1000],
    ['internal tool for 20k employees', 20000],
    ['a compliance team of 40', 40],
    ['a team of 40 lawyers', 40],
    ['150 developers use VS Code', 150],
    ['research help for 30 paralegals', 30],
    ['3k agents in our call centre', 3000],
    ['for 400 sales reps', 400],
    ['2,000 of our staff', 2000],
    ['about 500 concurrent users', 500],
    ['30-40 paralegals', 40],
    ['5000+ customers', 5000],
    ['Users: 750', 750],
    ['number of users is 90', 90],
    ['a chatbot for 800, on L4', 800],
    ['used by 250', 250],
    ['a 500-person company', 500],
    ['Chatbot For 1,000 USERS', 1000],
    ['one hundred and twenty analysts', 120],
    ['seats: 60', 60],
    ['user base: ~50k', 50000],
    ['a chat assistant for our people, like 300 of them', 300],
    ['our analysts (about 45 of them)', 45],
    ['300 ppl', 300],
    ['we need a model for our 1 000 employees', 1000],
  ])('%s → %d', (text, users) => {
    expect(extract(text).users).toBe(users);
  });

  it.each([
    'we have 8 GPUs',
    'prompts of 2000 tokens',
    'summarize 300-page manuals',
    'peak 50 QPS',
    'budget $5,000 per month',
    'runs for 3 months',
    'llama 3.1 70b on 4 h100s',
    '10 requests per minute per user',
    'launch in 2025',
    'TTFT under 800ms',
    'process 200 documents per day',
  ])('no users in %s', (text) => {
    expect(extract(text).users).toBeNull();
  });
});

describe('qps', () => {
  it.each([
    ['20 rps', 20],
    ['50 qps', 50],
    ['50 QPS', 50],
    ['15 requests/s', 15],
    ['8 req/sec', 8],
    ['peak 200 QPS', 200],
    ['200 per minute', 3.33],
    ['90 requests per minute', 1.5],
    ['600 rpm', 10],
    ['1000 requests per hour', 0.28],
    ['2M requests per day', 23.15],
    ['2 million requests a day', 23.15],
    ['30 queries per second', 30],
    ['qps of 12', 12],
    ['QPS: 40', 40],
    ['5 requests a second', 5],
    ['3600 calls an hour', 1],
    ['10k requests daily', 0.12],
    ['avg 10 rps, peak 40 rps', 40],
    ['between 5 rps and 25 rps', 25],
    ['100 users each sending 6 requests per minute', 10],
    ['100 users, 3 requests per user per minute', 5],
    ['1,200 translations per hour', 0.33],
    ['50,000 SKUs per week', 0.0827],
    ['5000 DAU, avg 4 msgs per user per hour', 5.56],
    ['write blog posts, 50 per day', 0.000579],
    ['a burst of ~120 requests per second at launch, normal load 30 rps', 120],
  ])('%s → %d', (text, qps) => {
    expect(extract(text).qps).toBe(qps);
  });

  it.each([
    '$200 per day',
    '20k/mo budget',
    '30 tokens per second per user',
    'a chatbot for 1000 users',
    '5000 dollars monthly',
    '10 requests per minute per user',
    '50 concurrent requests',
  ])('no qps in %s', (text) => {
    expect(extract(text).qps).toBeNull();
  });
});

describe('budget', () => {
  it.each([
    ['$8,000/month', 8000],
    ['budget 20k/mo', 20000],
    ['20k/mo', 20000],
    ['$60k per year', 5000],
    ['$36k per year', 3000],
    ['budget 1.5k a month', 1500],
    ['$25k/month max', 25000],
    ['under $5k', 5000],
    ['5000 dollars monthly', 5000],
    ['€3000 per month', 3000],
    ['$200/day', 6083.33],
    ['$1000 per week', 4345.24],
    ['$10 per hour', 7300],
    ['monthly budget of $4,500', 4500],
    ['annual budget of $120k', 10000],
    ['we can spend 3000 a month', 3000],
    ['USD 7000 monthly', 7000],
    ['a budget of 2 thousand dollars per month', 2000],
    ['$2.4M per year', 200000],
    ['$20 per user per month for 100 users', 2000],
    ['max spend $9,999/mo', 9999],
    ['£1500/month', 1500],
    ['5k budget', 5000],
    ['about five grand a month', 5000],
    ['$2,000-3,000 per month', 3000],
    ['between $4k and $6k a month', 6000],
    ['a monthly budget of 4.000 EUR', 4000],
    ['roughly 120k USD annually', 10000],
    ["we can't spend more than 10 thousand a month", 10000],
  ])('%s → %d', (text, budget) => {
    expect(extract(text).budgetMonthlyUsd).toBe(budget);
  });

  it.each([
    'chatbot for 1000 users',
    'GPUs cost $2 per GPU hour',
    'around $0.50 per million tokens',
    'peak 200 QPS',
    '300-page reports',
    'we pay $1.20/hour per L4 today',
    'gpu budget: 4 l4s',
    'budget is flexible',
  ])('no budget in %s', (text) => {
    expect(extract(text).budgetMonthlyUsd).toBeNull();
  });

  it('takes the amount next to the budget word over a unit price', () => {
    expect(extract('L4s are $0.80 per GPU hour; our budget is $3,000/month').budgetMonthlyUsd).toBe(3000);
  });
});

describe('GPU count cap', () => {
  it.each([
    ['at most 8 GPUs', 8],
    ['no more than 4 gpus', 4],
    ['max 2 GPUs', 2],
    ['maximum of 16 GPUs', 16],
    ['up to 4 H100s', 4],
    ['4 GPUs max', 4],
    ['we only have 2 A100 80GB cards', 2],
    ['fewer than 8 GPUs', 7],
    ['it must fit on a single GPU', 1],
    ['gpu limit: 6', 6],
    ['llama 70b on 2 L4 GPUs max', 2],
    ['at most eight GPUs', 8],
    // The GPUs a team names for a model are the ones it has.
    ['we want DeepSeek V3 on 2 L4s', 2],
    ['llama 3.1 70b on 4x h100 sxm', 4],
  ])('%s → %d', (text, maxGpus) => {
    expect(extract(text).maxGpus).toBe(maxGpus);
  });

  it.each(['chatbot for 8 users on H100', 'no more than 4 users', 'we like H100s'])(
    'no cap in %s',
    (text) => {
      expect(extract(text).maxGpus).toBeNull();
    },
  );
});

describe('token lengths', () => {
  it.each([
    ['prompts of about 2000 tokens', 2000, null],
    ['responses around 300 tokens', null, 300],
    ['4k-token inputs', 4000, null],
    ['2000 input tokens and 500 output tokens', 2000, 500],
    ['input ~1500 tokens, output ~200 tokens', 1500, 200],
    ['1k tokens in, 200 tokens out', 1000, 200],
    ['summarize 50k-token documents into 500-token summaries', 50000, 500],
    ['answers of up to 800 tokens', null, 800],
    ['tokens: about 1500 in and 300 out per request', 1500, 300],
    ['our requests have 3k tokens of context and generate ~250 tokens', 3000, 250],
  ])('%s → prompt %s, output %s', (text, promptTokens, outputTokens) => {
    const intent = extract(text);
    expect(intent.promptTokens).toBe(promptTokens);
    expect(intent.outputTokens).toBe(outputTokens);
  });

  it.each(['30 tokens per second per user', 'a 128k tokens context window', 'chatbot for 500 users'])(
    'no token lengths in %s',
    (text) => {
      const intent = extract(text);
      expect([intent.promptTokens, intent.outputTokens]).toEqual([null, null]);
    },
  );
});

describe('latency targets', () => {
  it.each([
    ['TTFT p95 under 800ms', { ttftP95Ms: 800 }],
    ['time to first token below 1.5s', { ttftP95Ms: 1500 }],
    ['ITL p95 below 30 ms', { itlP95Ms: 30 }],
    ['TPOT 50ms', { itlP95Ms: 50 }],
    ['inter-token latency under 40 milliseconds', { itlP95Ms: 40 }],
    ['end to end within 2 minutes', { e2eP95Ms: 120_000 }],
    ['e2e under 10 seconds', { e2eP95Ms: 10_000 }],
    ['first token in half a second', { ttftP95Ms: 500 }],
    ['responses within 3s', { e2eP95Ms: 3000 }],
    ['first token in 300 ms', { ttftP95Ms: 300 }],
    ['800ms TTFT and 25 ms ITL', { ttftP95Ms: 800, itlP95Ms: 25 }],
    ['TTFT < 1s, e2e < 20s', { ttftP95Ms: 1000, e2eP95Ms: 20_000 }],
    ['p95 latency under 2 seconds', { e2eP95Ms: 2000 }],
    ['first token within a second', { ttftP95Ms: 1000 }],
    ['at least 20 tokens per second per user', { itlP95Ms: 50 }],
    ['TTFT ≤ 250 ms', { ttftP95Ms: 250 }],
    ['answers in under two seconds', { e2eP95Ms: 2000 }],
  ])('%s', (text, targets) => {
    const intent = extract(text);
    const none = { ttftP95Ms: null, itlP95Ms: null, e2eP95Ms: null };
    expect({ ttftP95Ms: intent.ttftP95Ms, itlP95Ms: intent.itlP95Ms, e2eP95Ms: intent.e2eP95Ms }).toEqual({
      ...none,
      ...targets,
    });
  });

  it.each(['summaries of 5 minute calls', 'batch job every 10 minutes', 'low latency is critical'])(
    'no targets in %s',
    (text) => {
      const intent = extract(text);
      expect([intent.ttftP95Ms, intent.itlP95Ms, intent.e2eP95Ms]).toEqual([null, null, null]);
    },
  );
});
