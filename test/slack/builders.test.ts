import { describe, expect, it } from 'vitest';
import { approvalHash } from '../../src/approval/hash.js';
import type { ApprovalPolicy, ApprovalRequest } from '../../src/approval/schema.js';
import { specFormFields } from '../../src/conversation/spec-form.js';
import { whatIfFields } from '../../src/conversation/what-if.js';
import type { Knowledge } from '../../src/knowledge/catalog.js';
import { sloListBlocks } from '../../src/monitor/blocks.js';
import { digestBlocks } from '../../src/monitor/digest.js';
import type { Plan, PlannedOption, WhatIfResult } from '../../src/planner/index.js';
import { planDeployment, whatIf } from '../../src/planner/index.js';
import type { FormField, SlackMessage, SlackView } from '../../src/slack/blocks/index.js';
import * as blocks from '../../src/slack/blocks/index.js';
import * as kit from '../../src/slack/blocks/kit.js';
import { buildSpec } from '../../src/spec/index.js';
import { deployListBlocks } from '../../src/worker/status-blocks.js';
import { catalogKnowledge } from '../conversation/dialogue.js';
import { deployRequest } from '../fixtures/deploy.js';
import { intentWith } from '../fixtures/intent.js';

const knowledge = catalogKnowledge();
const spec = buildSpec(intentWith({ useCase: 'chatbot_conversational', users: 1000 }), knowledge.useCases);
const plan = planDeployment(spec, knowledge);
const option = plan.recommendations[0]!;
const long = 'a very long explanation <with> & markup * _ `'.repeat(300);

/** The catalog blown up past every list limit: 200 models and 120 GPUs with long names. */
const huge: Knowledge = {
  ...knowledge,
  models: Array.from({ length: 200 }, (_, index) => ({
    ...knowledge.models[0]!,
    id: `acme/model-${index}-${'x'.repeat(150)}`,
    name: `Model ${index} ${'with a very long name '.repeat(10)}`,
  })),
  gpus: Array.from({ length: 120 }, (_, index) => ({
    ...knowledge.gpus[0]!,
    id: `GPU${index}${'X'.repeat(80)}`,
  })),
};
const monster: PlannedOption = {
  ...option,
  id: `acme/${'m'.repeat(300)}|GPU|tp8|bf16`,
  modelId: `acme/${'m'.repeat(300)}`,
  modelName: `Model ${'with a long name '.repeat(30)}`,
  rationale: long,
};
const bigPlan: Plan = {
  ...plan,
  recommendations: Array.from({ length: 40 }, (_, index) => ({ ...monster, id: `${monster.id}-${index}` })),
  nearMisses: Array.from({ length: 30 }, () => ({ ...option, reason: long, relax: long }) as never),
  warnings: Array.from({ length: 30 }, () => long),
};

/** A Home tab's worth of everything: 60 deployments (then 500), plans and pending requests past what it lists. */
const homeData = (deployments: number, over: Partial<blocks.HomeData> = {}): blocks.HomeData => ({
  userId: 'U0ADA',
  plans: Array.from({ length: 40 }, (_, index) => ({
    channelId: 'C0PLANNING',
    threadTs: index % 2 ? 'dm' : `1700000000.${index}`,
    state: 'options_shown' as const,
    useCase: index % 3 ? 'Chatbot' : long,
    users: 1000 + index,
    top: index % 5 ? option : index % 2 ? monster : null,
    updatedAt: new Date('2026-01-02T03:04:05Z'),
  })),
  approvals: Array.from({ length: 30 }, (_, index) => request({ option: index % 2 ? option : monster })),
  deployments: Array.from({ length: deployments }, (_, index) => ({
    name: `${'chat'.repeat(10)}-${index}`,
    namespace: 'llm',
    context: index % 2 ? 'prod' : null,
    option: index % 7 ? option : monster,
    slo:
      index % 4 === 0
        ? { status: 'breach' as const, since: new Date('2026-01-02T03:04:05Z') }
        : { status: (['meeting', 'missing', 'no-traffic'] as const)[index % 3]! },
  })),
  ...over,
});

const policy: ApprovalPolicy = { userIds: ['U1', 'U2'], usergroupId: 'S1', requesterMayApprove: false };
const manyApprovers: ApprovalPolicy = {
  userIds: Array.from({ length: 400 }, (_, index) => `U${index}`),
  usergroupId: 'S1',
  requesterMayApprove: false,
};
const request = (over: Partial<ApprovalRequest> = {}): ApprovalRequest =>
  deployRequest({
    id: '6f1c1b8e-8d7a-4a8e-9f57-3c2b7a1d0e11',
    conversationId: '6f1c1b8e-8d7a-4a8e-9f57-3c2b7a1d0e12',
    option,
    spec,
    specHash: approvalHash(spec, option),
    clusterContext: 'prod',
    namespace: 'llm',
    requestedBy: 'U0ADA',
    createdAt: new Date('2026-01-02T03:04:05Z'),
    ...over,
  });
const decided = (status: ApprovalRequest['status'], reason: string | null, picked = option) =>
  request({ option: picked, status, decidedBy: 'U2', decidedAt: new Date('2026-01-02T04:00:00Z'), reason });

const results = (base: PlannedOption, of: Knowledge): WhatIfResult[] => [
  whatIf(spec, base, {}, of),
  whatIf(spec, base, { gpuCount: base.gpuCount * 2, peakQps: 30 }, of),
  whatIf(spec, base, { slo: { itlP95Ms: 0.5 } }, of),
  { ...whatIf(spec, base, {}, of), scenario: { kind: 'infeasible', reason: long } },
];
const memory = {
  gpuMemoryGb: 80,
  weightsGb: 16,
  kvCacheGb: 50,
  runtimeGb: 4,
  headroomGb: 10,
  gpuMemoryUtilization: 0.9,
  kvTokens: 400_000,
  concurrentRequests: 200,
};
const session = { baseline: option, spec, overrides: {} };
const reason: FormField = {
  kind: 'text',
  name: 'reason',
  label: 'Why?',
  value: long,
  multiline: true,
  maxLength: 500,
};

/**
 * Every builder the blocks module exports, each with ordinary and extreme inputs. Adding a builder without cases here
 * fails the coverage test below.
 */
const CASES: Record<string, () => (SlackMessage | SlackView | blocks.SlackHomeView)[]> = {
  approvalRequestBlocks: () =>
    [
      request(),
      decided('approved', null),
      decided('rejected', long, monster),
      decided('superseded', long),
    ].flatMap((each) => [
      blocks.approvalRequestBlocks(each, blocks.approversLine(policy)),
      blocks.approvalRequestBlocks(each, blocks.approversLine(manyApprovers)),
    ]),
  decisionNoticeBlocks: () => [
    blocks.decisionNoticeBlocks(decided('approved', null), 'llama-3-1-8b-instruct'),
    blocks.decisionNoticeBlocks(decided('rejected', long, monster), null),
  ],
  deployRequestView: () => [
    blocks.deployRequestView(
      '{"conversationId":"c","optionId":"o"}',
      option,
      spec,
      [
        {
          kind: 'select',
          name: 'namespace',
          label: 'Namespace',
          value: 'llm',
          options: [{ value: 'llm', label: 'llm' }],
        },
      ],
      blocks.approversLine(policy),
      'C0APPROVALS',
    ),
    blocks.deployRequestView(
      JSON.stringify({ conversationId: 'c', optionId: monster.id }),
      monster,
      spec,
      [
        {
          kind: 'select',
          name: 'namespace',
          label: long,
          value: 'ns-149',
          options: Array.from({ length: 150 }, (_, index) => ({
            value: `ns-${index}`,
            label: `ns-${index}-${long}`,
          })),
        },
      ],
      blocks.approversLine(manyApprovers),
      undefined,
    ),
  ],
  rejectView: () => [
    blocks.rejectView(request(), reason),
    blocks.rejectView(request({ option: monster }), reason),
  ],
  optionDetailsView: () => [
    blocks.optionDetailsView({ option, spec, rank: 1, ranked: 5, memory }, { conversationId: 'c-1' }),
    blocks.optionDetailsView(
      { option: monster, spec, rank: null, ranked: 5, memory: null },
      {
        conversationId: 'c-1',
        manifestPreview: long,
        chartUrl: `https://compass.example.com/${'x'.repeat(500)}`,
      },
    ),
  ],
  noticeView: () => [blocks.noticeView('Option details', 'Gone.'), blocks.noticeView(long, long)],
  loadingView: () => [blocks.loadingView('What if…'), blocks.loadingView(long)],
  changesBlocks: () => [
    blocks.changesBlocks(['users 1 → 2'], 'Top option unchanged.'),
    blocks.changesBlocks(
      Array.from({ length: 200 }, () => long),
      long,
      'U0ADA',
    ),
  ],
  failureBlocks: () => [blocks.failureBlocks('abcd1234')],
  onboardingBlocks: () => [blocks.onboardingBlocks('U0ADA')],
  stalePressBlocks: () => [
    blocks.stalePressBlocks(undefined),
    blocks.stalePressBlocks('https://compass-test.slack.com/archives/C1/p1700000000000200'),
  ],
  retiredPlanBlocks: () => [
    blocks.retiredPlanBlocks({}, undefined),
    blocks.retiredPlanBlocks(
      blocks.recommendationsBlocks(bigPlan) as unknown as { text: string; blocks: Record<string, unknown>[] },
      'https://compass-test.slack.com/archives/C1/p1700000000000200',
    ),
  ],
  helpBlocks: () => [blocks.helpBlocks()],
  noticeBlocks: () => [blocks.noticeBlocks('Nothing changed.'), blocks.noticeBlocks(long.repeat(3))],
  questionBlocks: () => [
    blocks.questionBlocks(['useCase', 'audience'], []),
    blocks.questionBlocks(['audience'], [long]),
  ],
  quickPlanBlocks: () => [
    blocks.quickPlanBlocks(plan, 'chatbot', 'Chatbot'),
    blocks.quickPlanBlocks(bigPlan, long, long),
  ],
  threadStarterBlocks: () => [
    blocks.threadStarterBlocks('U1', 'chatbot'),
    blocks.threadStarterBlocks('U1', long),
  ],
  recommendationsBlocks: () => [
    blocks.recommendationsBlocks(plan),
    blocks.recommendationsBlocks(bigPlan),
    blocks.recommendationsBlocks({ ...plan, recommendations: [] }),
    blocks.recommendationsBlocks(bigPlan, { optionButtons: false, buttons: [] }),
  ],
  specCardBlocks: () => [
    blocks.specCardBlocks(spec, 'Chatbot'),
    blocks.specCardBlocks({ ...spec, notes: Array.from({ length: 100 }, () => long) }, long),
  ],
  specFormView: () => [
    blocks.specFormView('6f1c1b8e-8d7a-4a8e-9f57-3c2b7a1d0e12', specFormFields(spec, knowledge)),
    blocks.specFormView(
      '6f1c1b8e-8d7a-4a8e-9f57-3c2b7a1d0e12',
      specFormFields(
        {
          ...spec,
          gpuTypes: { value: huge.gpus.slice(100).map((gpu) => gpu.id), source: 'stated' },
          models: { value: huge.models.slice(120).map((model) => model.id), source: 'stated' },
        },
        huge,
      ),
    ),
  ],
  whatIfView: () => {
    const states: blocks.ScenarioState[] = [
      { kind: 'pending' },
      { kind: 'loading' },
      ...results(option, knowledge).map((result) => ({ kind: 'result' as const, result })),
      { kind: 'notice', text: long, result: results(option, knowledge)[1]! },
      { kind: 'notice', text: long, result: null },
    ];
    return [
      ...states.map((state) => blocks.whatIfView('w', option, spec, whatIfFields(session, knowledge), state)),
      blocks.whatIfView('w', monster, spec, whatIfFields({ ...session, baseline: monster }, huge), {
        kind: 'pending',
      }),
    ];
  },
  compareView: () => results(option, knowledge).map((result) => blocks.compareView('w', result, spec)),
  homeView: () => [
    blocks.homeView(homeData(0, { plans: [], approvals: null })),
    blocks.homeView(homeData(0, { plans: [], approvals: [] })),
    blocks.homeView(homeData(60)),
    blocks.homeView(homeData(500)),
  ],
  chosenOptionBlocks: () => [
    blocks.chosenOptionBlocks(option, spec, 'U1', plan.recommendations[1]!),
    blocks.chosenOptionBlocks(monster, spec, 'U1', monster),
  ],
};

type Surface = SlackMessage | SlackView | blocks.SlackHomeView;
const problemsOf = (surface: Surface) =>
  !('type' in surface)
    ? blocks.validateMessage(surface)
    : surface.type === 'home'
      ? blocks.validateHomeView(surface)
      : blocks.validateView(surface);

describe('every Block Kit builder', () => {
  it('is exercised here', () => {
    // inputBlocks builds parts of the modals above, never a whole surface.
    const builders = Object.entries(blocks)
      .filter(([name, value]) => typeof value === 'function' && /(Blocks|View)$/.test(name))
      .map(([name]) => name)
      .filter((name) => !name.startsWith('validate') && name !== 'inputBlocks');
    expect(Object.keys(CASES).sort()).toEqual(builders.sort());
  });

  for (const [name, build] of Object.entries(CASES)) {
    it(`${name} stays inside Slack’s limits, ordinary or extreme`, () => {
      const surfaces = build();
      expect(surfaces.length).toBeGreaterThan(0);
      for (const surface of surfaces) {
        expect(problemsOf(surface)).toEqual([]);
        if (!('type' in surface)) expect(surface.text.trim().length).toBeGreaterThan(0);
      }
    });
  }

  it('select menus past 100 choices list every one in option groups, the current choices first', () => {
    const form = CASES.specFormView!()[1] as SlackView;
    const field = (name: string) =>
      (
        form.blocks.find((block) => 'block_id' in block && block.block_id === name) as {
          element: {
            options?: unknown;
            option_groups: { label: { text: string }; options: { value: string }[] }[];
            initial_options: { value: string }[];
          };
        }
      ).element;
    const gpus = field('gpus');
    expect(gpus.options).toBeUndefined();
    const listed = gpus.option_groups.flatMap((group) => group.options.map((option) => option.value));
    expect(listed.sort()).toEqual(huge.gpus.map((gpu) => gpu.id).sort());
    expect(gpus.option_groups.map((group) => group.label.text)).toEqual(['Other (1 of 2)', 'Other (2 of 2)']);
    expect(gpus.initial_options.map((option) => option.value)).toEqual(
      huge.gpus.slice(100).map((gpu) => gpu.id),
    );
    // Models are grouped by family.
    const models = field('models');
    const family = huge.models[0]!.family;
    expect(models.option_groups.map((group) => group.label.text)).toEqual([
      `${family} (1 of 2)`,
      `${family} (2 of 2)`,
    ]);
    expect(models.option_groups.flatMap((group) => group.options)).toHaveLength(huge.models.length);
  });

  it('a menu says how many choices even 100 option groups could not list', () => {
    const options = Array.from({ length: 10_050 }, (_, index) => ({
      value: `v${index}`,
      label: `V ${index}`,
    }));
    const [block] = blocks.inputBlocks([
      { kind: 'select', name: 'pick', label: 'Pick', value: 'v5', options },
    ]);
    expect(block!.hint?.text).toBe('…and 50 more not listed.');
    const view = {
      ...blocks.noticeView('Pick', 'one'),
      blocks: [block!],
      submit: { type: 'plain_text', text: 'Go' },
    };
    expect(blocks.validateView(view)).toEqual([]);
  });
});

describe('validateView', () => {
  const view = (over: Record<string, unknown>) => ({
    type: 'modal',
    title: { type: 'plain_text', text: 'Edit spec' },
    submit: { type: 'plain_text', text: 'Save' },
    blocks: [],
    ...over,
  });
  const select = (over: Record<string, unknown>) => ({
    type: 'input',
    block_id: 'pick',
    label: { type: 'plain_text', text: 'Pick' },
    element: {
      type: 'static_select',
      action_id: 'pick',
      options: [{ text: { type: 'plain_text', text: 'A' }, value: 'a' }],
      ...over,
    },
  });

  it('accepts a valid modal', () => {
    expect(blocks.validateView(view({ blocks: [select({})] }))).toEqual([]);
  });

  it('reports what Slack would reject in a modal', () => {
    const problems = blocks.validateView({
      type: 'modal',
      title: { type: 'mrkdwn', text: 'A title that is far too long for Slack' },
      close: { type: 'plain_text', text: '' },
      private_metadata: 'x'.repeat(3001),
      blocks: [
        select({ initial_option: { text: { type: 'plain_text', text: 'B' }, value: 'b' } }),
        select({
          options: Array.from({ length: 101 }, (_, index) => ({
            text: { type: 'plain_text', text: 'o'.repeat(76) },
            value: `${index}`.padEnd(151, 'v'),
          })),
        }),
        {
          type: 'input',
          block_id: 'n',
          label: { type: 'plain_text', text: 'N' },
          element: { type: 'number_input', action_id: 'n', is_decimal_allowed: false, initial_value: '2.5' },
        },
        {
          type: 'input',
          block_id: 't',
          label: { type: 'plain_text', text: 'T' },
          element: { type: 'plain_text_input', action_id: 't', max_length: 5, initial_value: 'toolong' },
        },
        { type: 'video' },
      ],
    });
    expect(problems).toEqual([
      'title: must be plain_text',
      'title: longer than 24',
      'close: empty',
      'private_metadata: longer than 3000',
      'blocks[0] (input).element.initial_option: must be one of the options',
      'blocks[1] (input).element.options: more than 100',
      ...Array.from({ length: 101 }, (_, index) => [
        `blocks[1] (input).element.options[${index}].text: longer than 75`,
        `blocks[1] (input).element.options[${index}].value: 1–150 characters`,
      ]).flat(),
      'blocks[2] (input).element.initial_value: must be whole (no decimals allowed)',
      'blocks[3] (input).element.initial_value: longer than 5',
      'blocks[4] (video): video blocks are not allowed in a modal',
      'blocks: block_id values must be unique',
      'submit: required when the view has input blocks',
    ]);
  });

  it('reports option groups Slack would reject', () => {
    const option = (value: string) => ({ text: { type: 'plain_text', text: value }, value });
    const group = (label: string, values: string[]) => ({
      label: { type: 'plain_text', text: label },
      options: values.map(option),
    });
    expect(
      blocks.validateView(
        view({
          blocks: [select({ options: undefined, option_groups: [group('A', ['a']), group('B', ['b'])] })],
        }),
      ),
    ).toEqual([]);
    const at = 'blocks[0] (input).element';
    expect(blocks.validateView(view({ blocks: [select({ option_groups: [group('A', ['a'])] })] }))).toEqual([
      `${at}: options and option_groups are exclusive`,
    ]);
    const many = Array.from({ length: 101 }, (_, index) => `v${index}`);
    expect(
      blocks.validateView(
        view({
          blocks: [
            select({
              options: undefined,
              option_groups: [
                group('L'.repeat(76), many),
                group('B', ['v0']),
                ...Array.from({ length: 99 }, (_, index) => group(`G${index}`, [`g${index}`])),
              ],
              initial_option: option('zzz'),
            }),
          ],
        }),
      ),
    ).toEqual([
      `${at}.option_groups: more than 100`,
      `${at}.option_groups[0].label: longer than 75`,
      `${at}.option_groups[0].options: more than 100`,
      `${at}.options: values must be unique`,
      `${at}.initial_option: must be one of the options`,
    ]);
  });

  it('keeps input blocks out of messages and wants 100 blocks at most in a modal', () => {
    expect(blocks.validateMessage({ text: 'x', blocks: [select({})] })).toEqual([
      'blocks[0] (input): input blocks are not allowed in a message',
    ]);
    expect(
      blocks.validateView(view({ blocks: Array.from({ length: 101 }, () => ({ type: 'divider' })) })),
    ).toEqual(['blocks: more than 100']);
  });
});

describe('at scale: 200 models and 60 deployments', () => {
  const texts = (surface: { blocks: unknown[] }) =>
    JSON.stringify(surface.blocks)
      .match(/"text":"((?:[^"\\]|\\.)*)"/g)!
      .map((match) => JSON.parse(match.slice(7)) as string);

  it('the Home tab counts every list it cuts, and lists each deployment it shows once', () => {
    for (const deployments of [60, 500]) {
      const home = blocks.homeView(homeData(deployments));
      const said = texts(home);
      expect(said).toContain('…and 30 more — each lives in its thread.');
      expect(said).toContain('…and 20 more — the approvers’ channel has them all.');
      const listed = said.join('\n').match(/^• \*llm\//gm)?.length ?? 0;
      const more = Number(said.join('\n').match(/…and (\d+) more$/m)?.[1] ?? 0);
      expect(listed + more).toBe(deployments);
      // Breaches first.
      expect(said.join('\n').match(/^• .*$/gm)![0]).toMatch(/SLO breach/);
    }
  });

  it('the what-if form offers every one of 200 models', () => {
    // Hugging Face ids fit an option's 150-character value (the hub caps them at 96).
    const models = Array.from({ length: 200 }, (_, index) => ({
      ...knowledge.models[index % knowledge.models.length]!,
      id: `acme/model-${index}`,
    }));
    const catalog: Knowledge = { ...knowledge, models };
    const what = blocks.whatIfView('w', option, spec, whatIfFields(session, catalog), { kind: 'pending' });
    const model = what.blocks.find((block) => 'block_id' in block && block.block_id === 'model') as {
      element: { option_groups: { options: { value: string }[] }[] };
    };
    const values = model.element.option_groups.flatMap((group) => group.options.map((item) => item.value));
    expect(values.sort()).toEqual(models.map((item) => item.id).sort());
    expect(model.element.option_groups.length).toBeGreaterThan(1);
    expect(blocks.validateView(what)).toEqual([]);
  });

  const sixty = Array.from({ length: 60 }, (_, index) => ({
    id: `d${index}`,
    name: `chat-${index}`,
    namespace: 'llm',
    context: index % 2 ? 'prod' : null,
    option: index % 7 ? option : monster,
    spec,
    state: index % 5 ? 'deployed' : 'failed',
    endpoint: `http://chat-${index}.llm.svc`,
  }));
  const shownAndCounted = (message: SlackMessage, listed: RegExp) => {
    expect(blocks.validateMessage(message)).toEqual([]);
    const said = texts(message).join('\n');
    const more = Number(said.match(/…and (\d+) (?:more|older)/)?.[1] ?? 0);
    return (said.match(listed)?.length ?? 0) + more;
  };

  it('/compass status, /compass slo and the digest list or count all 60 deployments', () => {
    expect(shownAndCounted(deployListBlocks(sixty), /\*llm\/chat-\d+/g)).toBe(60);
    const rows = sixty.map((deploy) => ({ target: `llm/${deploy.name}`, error: long }));
    expect(shownAndCounted(sloListBlocks(rows, 'in this workspace'), /\*llm\/chat-\d+\*/g)).toBe(60);
    const fleet = sixty.map((deploy) => ({
      deployId: deploy.id,
      target: `llm/${deploy.name}`,
      state: deploy.state,
      what: long,
      monthlyCostUsd: 1000,
      slo: 'meeting' as const,
      requestsPerSec: 3,
      loadShare: 0.25,
    }));
    const changes = fleet.map((entry) => ({
      kind: 'new' as const,
      target: `${entry.target}-${'&'.repeat(40)}`,
      state: entry.state,
    }));
    const digest = digestBlocks({
      schedule: { cadence: 'daily', hour: 9, minute: 0 },
      periodStart: new Date('2026-05-02T09:00:00Z'),
      late: true,
      fleet,
      previous: { periodStart: new Date('2026-05-01T09:00:00Z'), changes },
      monitoring: false,
    });
    expect(blocks.validateMessage(digest)).toEqual([]);
    const said = texts(digest).join('\n');
    expect(said).toContain('…and 20 more.');
    // The changes are cut at a whole line, with a count, never mid-entity.
    const listedChanges = said.match(/^• new: /gm)!.length;
    expect(listedChanges).toBeLessThan(60);
    expect(said).toContain(`…and ${60 - listedChanges} more`);
    expect(said).not.toMatch(/&(?!amp;|lt;|gt;)/);
  });

  it('a message past 50 blocks says how many it left out', () => {
    const many = Array.from({ length: 70 }, (_, index) => blocks.noticeBlocks(`n${index}`).blocks[0]!);
    const fitted = kit.message('x', many);
    expect(fitted.blocks).toHaveLength(50);
    expect(texts(fitted).at(-1)).toBe('…and 21 more not shown.');
  });

  it('clips mrkdwn before an escape or an entity, never inside one', () => {
    expect(kit.clipMrkdwn('ab &amp; cd', 5)).toBe('ab …');
    expect(kit.clipMrkdwn('hi <@U0ADA> there', 8)).toBe('hi …');
    expect(kit.clipMrkdwn('hi <@U0ADA> there', 13)).toBe('hi <@U0ADA> …');
    expect(kit.clipMrkdwn('&lt;'.repeat(10), 11)).toBe('&lt;&lt;…');
    expect(kit.clipMrkdwn('short', 10)).toBe('short');
  });
});
