import { describe, expect, it } from 'vitest';
import type { Plan, PlannedOption } from '../../src/planner/index.js';
import { planDeployment } from '../../src/planner/index.js';
import { ACTION } from '../../src/slack/blocks/actions.js';
import { MANIFEST_PREVIEW_BLOCK, optionDetailsView } from '../../src/slack/blocks/details.js';
import {
  helpBlocks,
  questionBlocks,
  quickPlanBlocks,
  threadStarterBlocks,
} from '../../src/slack/blocks/dialogue.js';
import type { SlackMessage } from '../../src/slack/blocks/kit.js';
import { button, clip, fitLines, LIMITS, message, section } from '../../src/slack/blocks/kit.js';
import { recommendationsBlocks } from '../../src/slack/blocks/recommendations.js';
import { specCardBlocks } from '../../src/slack/blocks/spec-card.js';
import { mrkdwnToPlain, renderAsText } from '../../src/slack/blocks/text.js';
import { validateMessage, validateView } from '../../src/slack/blocks/validate.js';
import { buildSpec } from '../../src/spec/index.js';
import { catalogKnowledge } from '../conversation/dialogue.js';
import { intentWith } from '../fixtures/intent.js';

const knowledge = catalogKnowledge();
const plan = planDeployment(
  buildSpec(
    intentWith({ useCase: 'chatbot_conversational', users: 1000, budgetMonthlyUsd: 20_000 }),
    knowledge.useCases,
  ),
  knowledge,
);
const buttonsOf = (msg: SlackMessage) =>
  msg.blocks.flatMap((block) =>
    block.type === 'actions'
      ? block.elements
      : block.type === 'section' && block.accessory
        ? [block.accessory]
        : [],
  );
const sectionTexts = (msg: SlackMessage) =>
  msg.blocks.flatMap((block) => (block.type === 'section' && block.text ? [block.text.text] : []));

describe('validateMessage', () => {
  it('accepts a small valid message', () => {
    expect(validateMessage(message('hello', [section('hi', button('Go', 'go', 'v'))]))).toEqual([]);
  });

  it('reports every limit a message breaks', () => {
    const problems = validateMessage({
      text: '',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } },
        { type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3001) } },
        {
          type: 'section',
          fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn' as const, text: 'f' })),
        },
        { type: 'section' },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'b'.repeat(76) },
              action_id: 'a',
              value: 'v'.repeat(2001),
            },
            { type: 'button', text: { type: 'plain_text', text: 'ok' }, action_id: 'a' },
          ],
        },
        ...Array.from({ length: 46 }, () => ({ type: 'divider' as const })),
      ],
    });
    expect(problems).toEqual([
      'text: a fallback text is required',
      'blocks: more than 50',
      'blocks[0] (header).text: longer than 150',
      'blocks[1] (section).text: longer than 3000',
      'blocks[2] (section): more than 10 fields',
      'blocks[3] (section): needs text or fields',
      'blocks[4] (actions).elements[0].text: longer than 75',
      'blocks[4] (actions).elements[0].value: longer than 2000',
      'blocks[4] (actions): action_id values must be unique within the block',
    ]);
  });

  it('the constructors clip to the limits, so builders cannot exceed them', () => {
    const msg = message('x'.repeat(10_000), [
      section('y'.repeat(10_000), button('z'.repeat(200), 'id', 'v'.repeat(5000))),
      ...Array.from({ length: 60 }, () => section('filler')),
    ]);
    expect(validateMessage(msg)).toEqual([]);
    expect(msg.blocks).toHaveLength(LIMITS.blocksPerMessage);
    expect(clip('abcdef', 4)).toBe('abc…');
  });

  it('fitLines keeps whole lines and counts what it left out', () => {
    const lines = Array.from({ length: 100 }, (_, index) => `line ${index} ${'.'.repeat(40)}`);
    const fitted = fitLines(lines, 500);
    expect(fitted.length).toBeLessThanOrEqual(500);
    const kept = fitted.split('\n');
    expect(kept.at(-1)).toBe(`…and ${100 - (kept.length - 1)} more`);
    expect(kept.slice(0, -1)).toEqual(lines.slice(0, kept.length - 1));
    expect(fitLines(['a', 'b'], 500)).toBe('a\nb');
  });
});

describe('spec card', () => {
  const spec = buildSpec(
    intentWith({ useCase: 'code_completion', users: 150, gpuTypes: ['L40S'], ttftP95Ms: 150 }),
    knowledge.useCases,
  );
  const card = specCardBlocks(spec, 'Code completion (IDE autocomplete)');

  it('shows every field with where it came from', () => {
    const shown = renderAsText(card).text;
    expect(shown).toMatch(/Use case: Code completion \(IDE autocomplete\) · stated/);
    expect(shown).toMatch(/Users: 150 · stated/);
    expect(shown).toMatch(/Peak load: [\d.]+ req\/s \(avg [\d.]+ req\/s\) · derived/);
    expect(shown).toMatch(/TTFT p95 target: ≤ 150 ms · stated/);
    expect(shown).toMatch(/ITL p95 target: ≤ 20 ms · default/);
    expect(shown).toMatch(/GPU types: L40S · stated/);
    expect(shown).toMatch(/Budget: none · default/);
    expect(shown).toMatch(/Peak [\d.]+ requests\/s = 150 users/);
    expect(validateMessage(card)).toEqual([]);
  });

  it('has a fallback text with the essentials', () => {
    expect(card.text).toMatch(
      /^Deployment spec: Code completion .*, 150 users, peak [\d.]+ req\/s, p95 targets TTFT 150 ms/,
    );
  });
});

describe('recommendations', () => {
  const msg = recommendationsBlocks(plan);

  it('one section per option: model, GPUs, monthly cost, p95s against the targets, basis, and a rationale', () => {
    expect(plan.recommendations.length).toBeGreaterThan(1);
    const texts = sectionTexts(msg);
    for (const [index, option] of plan.recommendations.entries()) {
      const text = texts[index]!;
      expect(text).toContain(`*${index + 1}. ${option.modelName}`);
      // The plan notation: GPUs of one replica, its split, then the replicas.
      expect(text).toContain(`${option.gpusPerReplica}× ${option.gpuId}`);
      if (option.replicas > 1) expect(text).toContain(` × ${option.replicas} replicas`);
      expect(text).toContain(`$${Math.round(option.monthlyCostUsd).toLocaleString('en-US')}/month`);
      expect(text).toMatch(/TTFT [\d.]+ m?s ✓ ≤ 500 ms · ITL [\d.]+ ms ✓ ≤ 40 ms · E2E [\d.]+ m?s ✓ ≤ 29 s/);
      expect(text).toContain(`Basis: ${option.basis}`);
    }
    const rationales = msg.blocks.flatMap((block) =>
      block.type === 'context' ? [block.elements[0]!.text] : [],
    );
    expect(rationales.slice(0, plan.recommendations.length)).toEqual(
      plan.recommendations.map((option) => option.rationale),
    );
    expect(validateMessage(msg)).toEqual([]);
  });

  it('marks a missed target with ✗', () => {
    const missing: PlannedOption = {
      ...plan.recommendations[0]!,
      sloChecks: { ttft: true, itl: false, e2e: true },
      meetsSlo: false,
    };
    const text = sectionTexts(recommendationsBlocks({ ...plan, recommendations: [missing] }))[0]!;
    expect(text).toMatch(/TTFT [\d.]+ m?s ✓ .* ITL [\d.]+ ms ✗ ≤ 40 ms/);
  });

  it('offers Details, What if… and Request deploy per option (its id as value), and Edit spec under them', () => {
    const buttons = buttonsOf(msg);
    for (const actionId of [ACTION.details, ACTION.whatIf, ACTION.requestDeploy])
      expect(
        buttons.filter((element) => element.action_id === actionId).map((element) => element.value),
      ).toEqual(plan.recommendations.map((option) => option.id));
    expect(buttons.at(-1)).toMatchObject({ text: { text: 'Edit spec' }, action_id: ACTION.editSpec });
    expect(buttons.at(-1)!.value).toBeUndefined();
  });

  it('stays inside Slack’s limits however long the plan is', () => {
    const long = 'a very long explanation '.repeat(200);
    const huge: Plan = {
      ...plan,
      recommendations: Array.from({ length: 40 }, (_, index) => ({
        ...plan.recommendations[0]!,
        id: `option-${index}`,
        modelName: `Model ${index} ${'with a long name '.repeat(20)}`,
        rationale: long,
      })),
      nearMisses: Array.from(
        { length: 30 },
        () => ({ ...plan.recommendations[0]!, reason: long, relax: long }) as never,
      ),
      warnings: Array.from({ length: 30 }, () => long),
    };
    const result = recommendationsBlocks(huge);
    expect(validateMessage(result)).toEqual([]);
    expect(result.blocks.at(-1)).toMatchObject({ type: 'actions' });
  });

  it('says so when nothing meets the constraints, keeping the near misses and warnings', () => {
    const none = recommendationsBlocks({
      ...plan,
      recommendations: [],
      nearMisses: [
        {
          ...plan.recommendations[0]!,
          reason: 'X on 1× L4 misses ITL p95 by 3 ms',
          relax: 'relax ITL p95 to 45 ms',
        } as never,
      ],
      warnings: ['The budget is below the cheapest option.'],
    });
    const shown = renderAsText(none).text;
    expect(shown).toMatch(/^── No option meets every constraint ──/);
    expect(shown).toContain('X on 1× L4 misses ITL p95 by 3 ms; to admit it, relax ITL p95 to 45 ms.');
    expect(shown).toContain('⚠️ The budget is below the cheapest option.');
    expect(none.text).toMatch(/No option meets every constraint/);
  });

  it('Details shows p50 and p95 of every latency, capacity, costs, memory and why it ranks there', () => {
    const option = plan.recommendations[1]!;
    const memory = {
      gpuMemoryGb: 80,
      weightsGb: 16.1,
      kvCacheGb: 52.3,
      runtimeGb: 3.4,
      headroomGb: 8.2,
      gpuMemoryUtilization: 0.9,
      kvTokens: 428_000,
      concurrentRequests: 213,
    };
    const details = optionDetailsView(
      { option, spec: plan.spec, rank: 2, ranked: 5, memory },
      { conversationId: 'c-1' },
    );
    const shown = renderAsText(details).text;
    expect(shown).toMatch(/TTFT p50 \/ p95: [\d.]+ m?s \/ [\d.]+ m?s ±\d+% ✓ target 500 ms/);
    // The ± is explained: where the band comes from and how many held-out comparisons it rests on.
    expect(shown).toMatch(
      /Expected error \(±\): 9 in 10 predictions .* TTFT ±\d+%, ITL ±\d+%, E2E ±\d+%: .*comparisons/,
    );
    expect(shown).toMatch(/Capacity: up to [\d.]+ req\/s in total/);
    expect(shown).toMatch(/\$[\d.]+\/h/);
    expect(shown).toMatch(/per million output tokens/);
    expect(shown).toContain('Weights 16.1 GB (20%)');
    expect(shown).toContain('KV cache 52.3 GB (65%): 428,000 tokens, 213 requests of this length at once');
    expect(shown).toContain('Headroom 8.2 GB (10%)');
    expect(shown).toContain(`Why it ranks #2 of 5 (priority balanced)\n${option.rationale}`);
    expect(shown).toContain(option.id);
    expect(validateView(details)).toEqual([]);
    expect(JSON.stringify(details)).not.toContain('manifest_preview');
    // Without a public URL the chart is a button that posts it in the thread; the modal names its conversation.
    expect(details.private_metadata).toBe('c-1');
    expect(details.blocks.some((block) => block.type === 'image')).toBe(false);
    expect(renderAsText(details).choices).toContainEqual(
      expect.objectContaining({ actionId: ACTION.postChart, value: option.id }),
    );
  });

  it('Details shows the chart as an image when the bot serves it publicly, with its button still there', () => {
    const option = plan.recommendations[0]!;
    const chartUrl = 'https://compass.example.com/charts/abc.def.png';
    const view = optionDetailsView(
      { option, spec: plan.spec, rank: 1, ranked: 5, memory: null },
      { conversationId: 'c-1', chartUrl },
    );
    expect(view.blocks).toContainEqual(expect.objectContaining({ type: 'image', image_url: chartUrl }));
    expect(renderAsText(view).text).toContain(`Open the chart full size (${chartUrl})`);
    expect(renderAsText(view).choices.map((choice) => choice.actionId)).toContain(ACTION.postChart);
    expect(validateView(view)).toEqual([]);
    expect(
      validateView({ ...view, blocks: [{ type: 'image', image_url: 'file:///etc/passwd', alt_text: 'x' }] }),
    ).toEqual(['blocks[0] (image).image_url: must be an http(s) URL']);
  });

  it('Details keeps a named slot for the manifest preview a later release fills', () => {
    const option = plan.recommendations[0]!;
    const view = optionDetailsView(
      { option, spec: plan.spec, rank: null, ranked: 5, memory: null },
      { conversationId: 'c-1', manifestPreview: 'apiVersion: apps/v1\nkind: Deployment\n'.repeat(200) },
    );
    expect(
      view.blocks.find((block) => 'block_id' in block && block.block_id === MANIFEST_PREVIEW_BLOCK),
    ).toBeDefined();
    expect(renderAsText(view).text).toMatch(/Chosen in a what-if rather than ranked/);
    expect(validateView(view)).toEqual([]);
  });
});

describe('other messages', () => {
  it('questions number themselves only when there are two', () => {
    expect(renderAsText(questionBlocks(['audience'], ['chatbot'])).text).toMatch(
      /^Got it: chatbot\.\nOne question/,
    );
    expect(renderAsText(questionBlocks(['useCase', 'audience'], [])).text).toMatch(
      /\n1\. What .*\n2\. How many/,
    );
  });

  it('help and the thread starter are valid and escape what users typed', () => {
    expect(validateMessage(helpBlocks())).toEqual([]);
    const starter = threadStarterBlocks('U1', 'plan <script> & more');
    expect(starter.text).toBe('<@U1> asked Compass to plan: “plan &lt;script&gt; &amp; more”');
    expect(validateMessage(starter)).toEqual([]);
  });

  it('a quick plan for a very long request stays valid, with the request clipped to the button’s limit', () => {
    const request = `chatbot for 1000 users ${'and more details '.repeat(400)}`;
    const quick = quickPlanBlocks(plan, request, 'Chatbot');
    expect(validateMessage(quick)).toEqual([]);
    expect(buttonsOf(quick)[0]!.value!.length).toBeLessThanOrEqual(LIMITS.buttonValue);
  });
});

describe('text rendering for the terminal', () => {
  it('turns buttons into numbered choices, continuing a numbering', () => {
    const rendered = renderAsText(recommendationsBlocks(plan), 4);
    expect(rendered.choices[0]).toMatchObject({ number: 4, label: 'Details', actionId: ACTION.details });
    expect(rendered.choices.at(-1)).toMatchObject({ label: 'Edit spec', actionId: ACTION.editSpec });
    expect(rendered.text).toContain('[4] Details   [5] What if…   [6] Request deploy');
  });

  it('resolves mrkdwn', () => {
    expect(
      mrkdwnToPlain(
        '*bold* and _it_ in chatbot_conversational, <@U1>, <https://x.io|docs> `code` &lt;3 &amp;',
      ),
    ).toBe('bold and it in chatbot_conversational, @U1, docs (https://x.io) code <3 &');
  });
});
