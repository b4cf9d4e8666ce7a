import { describe, expect, it } from 'vitest';
import { chooseScenario, submitSpecEdit } from '../../src/conversation/engine.js';
import type { ConversationData, WhatIfSession } from '../../src/conversation/schema.js';
import { findOption } from '../../src/conversation/schema.js';
import { readSpecForm, SPEC_FIELD, specFormFields } from '../../src/conversation/spec-form.js';
import { readWhatIfForm, WHAT_IF_FIELD, whatIfFields } from '../../src/conversation/what-if.js';
import { type PlannedOption, whatIf } from '../../src/planner/plan.js';
import { cachesPrefixesByDefault } from '../../src/planner/prefix-cache.js';
import type { FormValues } from '../../src/slack/blocks/form.js';
import { formValuesFromLine, formValuesOf } from '../../src/slack/blocks/form.js';
import { BATCH_SLO } from '../../src/spec/build.js';
import { catalogKnowledge, play, seen } from './dialogue.js';

const knowledge = catalogKnowledge();
const base = play(['chatbot for 1000 users'])[0]!.data;

/** The form as submitted untouched, with `changes` applied: what Slack sends for a prefilled modal. */
function submitted(fields: ReturnType<typeof specFormFields>, changes: FormValues = {}): FormValues {
  return { ...formValuesFromLine('', fields).values, ...changes };
}

describe('the spec form', () => {
  const fields = specFormFields(base.spec!, knowledge);
  const read = (changes: FormValues, data: ConversationData = base) =>
    readSpecForm(data, submitted(fields, changes), knowledge);

  it('submitted unchanged, it gives the same spec: defaults stay defaults', () => {
    const result = read({});
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.value.spec).toEqual(base.spec);
    expect(result.value.avgQps).toBeNull();
  });

  it('changed values become stated; a new user count re-derives the load', () => {
    const result = read({
      [SPEC_FIELD.users]: '3000',
      [SPEC_FIELD.itl]: '25',
      [SPEC_FIELD.priority]: 'cost',
    });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const { spec } = result.value;
    expect(spec.users).toEqual({ value: 3000, source: 'stated' });
    expect(spec.traffic.peakQps.source).toBe('derived');
    expect(spec.traffic.peakQps.value).toBeCloseTo(base.spec!.traffic.peakQps.value * 3, 2);
    expect(spec.slo.itlP95Ms).toEqual({ value: 25, source: 'stated' });
    expect(spec.slo.ttftP95Ms.source).toBe('default');
    expect(spec.priority).toEqual({ value: 'cost', source: 'stated' });
  });

  it('a new use case brings its defaults for what the form left alone', () => {
    const result = read({ [SPEC_FIELD.useCase]: 'code_completion' });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const codeCompletion = knowledge.useCases.find((useCase) => useCase.id === 'code_completion')!;
    expect(result.value.spec.slo.ttftP95Ms.value).toBe(codeCompletion.slo.ttftP95Ms);
    expect(result.value.spec.traffic.promptTokens.value).toBe(codeCompletion.traffic.promptTokens);
  });

  it('a stated peak sizes the plan; a stated average holds until the peak changes', () => {
    const peak = read({ [SPEC_FIELD.peakQps]: '12', [SPEC_FIELD.avgQps]: '3' });
    if (!peak.ok) throw new Error(JSON.stringify(peak.errors));
    expect(peak.value.spec.traffic.peakQps).toEqual({ value: 12, source: 'stated' });
    expect(peak.value.spec.traffic.avgQps).toEqual({ value: 3, source: 'stated' });
    const edited = submitSpecEdit(base, peak.value, 'U1', knowledge);
    const [later] = play(['make it 2000 users'], edited.data);
    expect(later!.data.avgQps).toBeNull();
    expect(later!.data.spec!.traffic.avgQps.source).toBe('derived');
    const [priority] = play(['cheaper?'], edited.data);
    expect(priority!.data.spec!.traffic.avgQps).toEqual({ value: 3, source: 'stated' });
  });

  it('clears optional values: no users (the load stays), no budget, any GPU', () => {
    const budgeted = play(['budget $20000 a month, only H100'], base)[0]!.data;
    const form = specFormFields(budgeted.spec!, knowledge);
    const result = readSpecForm(
      budgeted,
      submitted(form, { [SPEC_FIELD.users]: null, [SPEC_FIELD.budget]: null, [SPEC_FIELD.gpus]: [] }),
      knowledge,
    );
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.value.spec.users.value).toBeNull();
    expect(result.value.spec.traffic.peakQps.value).toBe(budgeted.spec!.traffic.peakQps.value);
    expect(result.value.spec.budgetMonthlyUsd.value).toBeNull();
    expect(result.value.spec.gpuTypes.value).toEqual([]);
  });

  it('names every bad field, including the cross-field rules', () => {
    const result = read({
      [SPEC_FIELD.useCase]: 'astrology',
      [SPEC_FIELD.users]: '2.5',
      [SPEC_FIELD.avgQps]: '100',
      [SPEC_FIELD.peakQps]: '10',
      [SPEC_FIELD.promptTokens]: '0',
      [SPEC_FIELD.ttft]: '1e9',
      [SPEC_FIELD.priority]: null,
      [SPEC_FIELD.models]: ['acme/unknown'],
      [SPEC_FIELD.maxGpus]: 'eight',
    });
    expect(result).toEqual({
      ok: false,
      errors: {
        [SPEC_FIELD.useCase]: '“astrology” is not one of the choices.',
        [SPEC_FIELD.users]: 'Must be a whole number.',
        [SPEC_FIELD.avgQps]: 'The average cannot exceed the peak (10 requests/s).',
        [SPEC_FIELD.promptTokens]: 'Must be at least 1.',
        [SPEC_FIELD.ttft]: 'Must be at most 600,000.',
        [SPEC_FIELD.priority]: 'Choose one.',
        [SPEC_FIELD.models]: 'Not in the catalog: acme/unknown.',
        [SPEC_FIELD.maxGpus]: '“eight” is not a decimal number: write 1500, 1,500 or 1.5.',
      },
    });
    const e2e = read({ [SPEC_FIELD.e2e]: '1000' });
    expect(e2e.ok ? {} : e2e.errors).toEqual({
      [SPEC_FIELD.e2e]: expect.stringMatching(/^E2E p95 target 1000 ms is below TTFT/),
    });
  });

  it('edits a batch job: prefilled from the text, window and API changed, emptied back to interactive', () => {
    const job = play(['process 300k documents a day'])[0]!.data;
    expect(job.spec!.batch?.value).toEqual({ itemsPerDay: 300_000, windowHours: 24 });
    const form = specFormFields(job.spec!, knowledge);
    const edit = (changes: FormValues) => readSpecForm(job, submitted(form, changes), knowledge);
    const unchanged = edit({});
    if (!unchanged.ok) throw new Error(JSON.stringify(unchanged.errors));
    expect(unchanged.value.spec).toEqual(job.spec);

    const night = edit({ [SPEC_FIELD.batchWindow]: '8', [SPEC_FIELD.batchApi]: 'chat' });
    if (!night.ok) throw new Error(JSON.stringify(night.errors));
    expect(night.value.spec.batch?.value).toEqual({ itemsPerDay: 300_000, windowHours: 8, api: 'chat' });
    expect(night.value.spec.traffic.peakQps.value).toBeCloseTo(300_000 / (8 * 3600), 2);

    const interactive = edit({ [SPEC_FIELD.batchItems]: null });
    if (!interactive.ok) throw new Error(JSON.stringify(interactive.errors));
    expect(interactive.value.spec.batch).toBeUndefined();
    // The load stays; the batch job's default targets, which nobody stated, give way to the use case's: someone
    // waits on each answer now.
    expect(interactive.value.spec.traffic.peakQps.value).toBeCloseTo(job.spec!.traffic.peakQps.value, 2);
    const slo = knowledge.useCases.find((useCase) => useCase.id === job.spec!.useCase.value)!.slo;
    expect(job.spec!.slo.ttftP95Ms).toEqual({ value: BATCH_SLO.ttftP95Ms, source: 'default' });
    expect(interactive.value.spec.slo.ttftP95Ms).toEqual({ value: slo.ttftP95Ms, source: 'default' });
    expect(interactive.value.spec.slo.itlP95Ms).toEqual({ value: slo.itlP95Ms, source: 'default' });

    const peak = edit({ [SPEC_FIELD.peakQps]: '50' });
    expect(peak.ok ? {} : peak.errors).toEqual({
      [SPEC_FIELD.peakQps]: expect.stringMatching(/^A batch job is sized by its items a day over its window/),
    });
  });

  it('turns interactive traffic into a batch job', () => {
    const result = read({ [SPEC_FIELD.batchItems]: '2,000,000', [SPEC_FIELD.batchWindow]: '6' });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.value.spec.batch?.value).toEqual({ itemsPerDay: 2_000_000, windowHours: 6 });
    expect(result.value.spec.traffic.peakQps.value).toBeCloseTo(2_000_000 / (6 * 3600), 2);
    // Said in the thread afterwards, "interactive after all" undoes a job the form set, as it does the text's.
    const edited = submitSpecEdit(base, result.value, 'U1', knowledge).data;
    const [later] = play(["it's interactive after all"], edited);
    expect(later!.data.spec!.batch).toBeUndefined();
    const bad = read({ [SPEC_FIELD.batchItems]: '10', [SPEC_FIELD.batchWindow]: '30' });
    expect(bad.ok ? {} : bad.errors).toEqual({ [SPEC_FIELD.batchWindow]: 'Must be at most 24.' });
  });

  it('edits the shared prompt prefix in percent: prefilled from the use case, stated once changed, checked', () => {
    const field = fields.find((candidate) => candidate.name === SPEC_FIELD.prefixShare);
    expect(field).toMatchObject({
      kind: 'number',
      label: 'Shared prompt prefix (%)',
      value: 50,
      optional: true,
    });
    const result = read({ [SPEC_FIELD.prefixShare]: '80' });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.value.spec.traffic.prefixShare).toEqual({ value: 0.8, source: 'stated' });
    // The plan follows: more of each prompt served from the prefix cache, a shorter prefill, a lower TTFT for the same
    // deployment. (The plan's first option may be another deployment altogether once the spec changes, so its TTFT
    // says nothing about the prefix.) Only where vLLM caches prefixes: not for a hybrid model such as Qwen3.5.
    const turn = submitSpecEdit(base, result.value, 'U0ADA', knowledge);
    expect(seen(turn.replies[0]!.message)).toMatch(/shared prompt prefix 50% → 80%/);
    const caches = (option: PlannedOption) =>
      cachesPrefixesByDefault(knowledge.models.find((m) => m.id === option.modelId)!);
    const cached = base.options.find(caches)!;
    const sameDeployment = whatIf(turn.data.spec!, cached, {}, knowledge);
    expect(sameDeployment.scenario.kind).toBe('planned');
    expect(sameDeployment.difference!.ttftP95Ms).toBeLessThan(0);
    const hybrid = base.options.find((option) => !caches(option))!;
    expect(whatIf(turn.data.spec!, hybrid, {}, knowledge).difference!.ttftP95Ms).toBe(0);
    // Emptied: no shared prefix at all (stated), not the use case's default.
    const none = read({ [SPEC_FIELD.prefixShare]: null });
    if (!none.ok) throw new Error(JSON.stringify(none.errors));
    expect(none.value.spec.traffic.prefixShare).toEqual({ value: 0, source: 'stated' });
    for (const [typed, error] of [
      ['100', 'Must be at most 99.'],
      ['-5', 'Must be more than 0.'],
      ['half', '“half” is not a decimal number: write 1500, 1,500 or 1.5.'],
    ] as const) {
      const bad = read({ [SPEC_FIELD.prefixShare]: typed });
      expect(bad.ok ? {} : bad.errors, typed).toEqual({ [SPEC_FIELD.prefixShare]: error });
    }
  });

  it("edits the length spreads: prefilled from the use case's trace, stated once changed, and the p95s follow", () => {
    for (const [name, value] of [
      [SPEC_FIELD.promptCv, 0.96],
      [SPEC_FIELD.outputCv, 0.77],
    ] as const) {
      expect(fields.find((candidate) => candidate.name === name)).toMatchObject({
        kind: 'number',
        value,
        optional: true,
      });
    }
    const result = read({ [SPEC_FIELD.promptCv]: '2', [SPEC_FIELD.outputCv]: null });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.value.spec.traffic.promptTokensCv).toEqual({ value: 2, source: 'stated' });
    // Emptied: every reply the mean length (stated), not the use case's spread.
    expect(result.value.spec.traffic.outputTokensCv).toEqual({ value: 0, source: 'stated' });
    const turn = submitSpecEdit(base, result.value, 'U0ADA', knowledge);
    expect(seen(turn.replies[0]!.message)).toMatch(/prompt length spread 0\.96 → 2/);
    expect(seen(turn.replies[0]!.message)).toMatch(/output length spread 0\.77 → 0/);
    // The same deployment: longer long prompts wait longer for their first token; replies of one length end sooner.
    const option = base.options[0]!;
    const same = whatIf(turn.data.spec!, option, {}, knowledge);
    expect(same.scenario.kind).toBe('planned');
    expect(same.difference!.ttftP95Ms).toBeGreaterThan(0);
    const repliesOnly = read({ [SPEC_FIELD.outputCv]: null });
    if (!repliesOnly.ok) throw new Error(JSON.stringify(repliesOnly.errors));
    const fixedReplies = whatIf(repliesOnly.value.spec, option, {}, knowledge);
    expect(fixedReplies.difference!.e2eP95Ms).toBeLessThan(0);
    for (const [typed, error] of [
      ['11', 'Must be at most 10.'],
      ['-1', 'Must be more than 0.'],
    ] as const) {
      const bad = read({ [SPEC_FIELD.promptCv]: typed });
      expect(bad.ok ? {} : bad.errors, typed).toEqual({ [SPEC_FIELD.promptCv]: error });
    }
  });

  it('a submitted edit re-plans, reports who changed what, and leaves a card to edit in place', () => {
    const result = read({ [SPEC_FIELD.users]: '3000' });
    if (!result.ok) throw new Error('valid');
    const turn = submitSpecEdit(base, result.value, 'U0ADA', knowledge);
    expect(seen(turn.replies[0]!.message)).toMatch(/^Updated by @U0ADA: users 1,000 → 3,000/);
    expect(seen(turn.specCard!)).toMatch(/Users: 3,000 · stated/);
    expect(turn.messages[0]).toMatchObject({ role: 'user', userId: 'U0ADA', text: 'Edit spec (form)' });
    const nothing = submitSpecEdit(
      base,
      { intent: base.intent!, avgQps: null, spec: base.spec! },
      'U0ADA',
      knowledge,
    );
    expect(nothing.replies).toEqual([{ message: expect.anything(), ephemeral: true }]);
    expect(nothing.data).toEqual(base);
  });
});

describe('the what-if form and Use this', () => {
  const baseline = base.options[0]!;
  const session: WhatIfSession = {
    id: '00000000-0000-4000-8000-000000000001',
    conversationId: '00000000-0000-4000-8000-000000000002',
    baseline,
    spec: base.spec!,
    overrides: {},
    result: null,
  };
  const fields = whatIfFields(session, knowledge);
  const read = (changes: FormValues) =>
    readWhatIfForm(session, { ...formValuesFromLine('', fields).values, ...changes }, knowledge);

  it('only what differs from the baseline becomes an override', () => {
    const otherGpu = baseline.gpuId === 'A100-80GB' ? 'H100' : 'A100-80GB';
    expect(read({})).toEqual({ ok: true, value: {} });
    expect(
      read({ [WHAT_IF_FIELD.peakQps]: '20', [WHAT_IF_FIELD.itl]: '25', [WHAT_IF_FIELD.gpu]: otherGpu }),
    ).toEqual({
      ok: true,
      value: { gpuId: otherGpu, peakQps: 20, slo: { itlP95Ms: 25 } },
    });
  });

  it('checks the precision against the model, TP against the node, and GPUs against whole replicas', () => {
    // gpt-oss ships in bf16 and MXFP4 (int4) only.
    const model = knowledge.models.find((candidate) => candidate.id === 'openai/gpt-oss-20b')!;
    const result = read({
      [WHAT_IF_FIELD.model]: model.id,
      [WHAT_IF_FIELD.precision]: 'fp8',
      [WHAT_IF_FIELD.gpu]: 'L4',
      [WHAT_IF_FIELD.tensorParallel]: '8',
      [WHAT_IF_FIELD.gpuCount]: '12',
    });
    const l4 = knowledge.gpus.find((gpu) => gpu.id === 'L4')!;
    expect(result.ok ? {} : result.errors).toEqual({
      [WHAT_IF_FIELD.precision]: `${model.name} is served in bf16, mxfp4.`,
      ...(l4.maxPerNode < 8
        ? { [WHAT_IF_FIELD.tensorParallel]: `A L4 node holds at most ${l4.maxPerNode} GPUs.` }
        : {}),
      [WHAT_IF_FIELD.gpuCount]: 'Must be whole replicas: a multiple of the tensor parallelism (8).',
    });
  });

  it('Use this needs a feasible prediction, and a spec that has not moved on', () => {
    expect(chooseScenario(base, session, 'U1', knowledge)).toEqual({
      ok: false,
      reason: expect.stringMatching(/no feasible scenario/),
    });
    const overrides = { gpuCount: baseline.gpuCount * 2 };
    const predicted = { ...session, overrides, result: whatIf(base.spec!, baseline, overrides, knowledge) };
    const moved = play(['make it 3000 users'], base)[0]!.data;
    expect(chooseScenario(moved, predicted, 'U1', knowledge)).toMatchObject({
      ok: false,
      reason: /spec changed/,
    });
    const chosen = chooseScenario(base, predicted, 'U1', knowledge);
    if (!chosen.ok) throw new Error(chosen.reason);
    // Same spec: no re-plan, the options stay, the doubled option is the thread's choice under its own id.
    expect(chosen.turn.specCard).toBeUndefined();
    expect(chosen.turn.data.options).toEqual(base.options);
    expect(chosen.option.gpuCount).toBe(baseline.gpuCount * 2);
    expect(chosen.option.id).toBe(`${baseline.id}|x${chosen.option.replicas}`);
    expect(findOption(chosen.turn.data, chosen.option.id)).toEqual(chosen.option);
    expect(seen(chosen.turn.replies[0]!.message)).toMatch(/^── Chosen option ──/);
  });
});

describe('form values', () => {
  it('read Slack’s view state: numbers and text as typed, choices by value, empty as null', () => {
    expect(
      formValuesOf({
        users: { users: { type: 'number_input', value: '3000' } },
        budget: { budget: { type: 'number_input', value: null } },
        reason: { reason: { type: 'plain_text_input', value: '  too big ' } },
        priority: { priority: { type: 'static_select', selected_option: { value: 'cost' } } },
        use_case: { use_case: { type: 'static_select', selected_option: null } },
        gpus: {
          gpus: { type: 'multi_static_select', selected_options: [{ value: 'H100' }, { value: 'L4' }] },
        },
      }),
    ).toEqual({
      users: '3000',
      budget: null,
      reason: 'too big',
      priority: 'cost',
      use_case: null,
      gpus: ['H100', 'L4'],
    });
  });

  it('read a terminal line of name=value pairs over the prefilled values', () => {
    const fields = specFormFields(base.spec!, knowledge);
    const { values, unknown } = formValuesFromLine(
      'users=3000 gpus=H100,L4 budget=none models=any colour=red x',
      fields,
    );
    expect(values).toMatchObject({
      users: '3000',
      gpus: ['H100', 'L4'],
      budget: null,
      models: [],
      ttft: '500',
    });
    expect(unknown).toEqual(['colour=red', 'x']);
  });
});
