import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPEC_FIELD } from '../../src/conversation/spec-form.js';
import { WHAT_IF_FIELD } from '../../src/conversation/what-if.js';
import { ACTION } from '../../src/slack/blocks/actions.js';
import { mrkdwnToPlain } from '../../src/slack/blocks/text.js';
import { viewSeal } from '../../src/slack/trust.js';
import type { PostedMessage, StoredView } from '../standins/slack.js';
import type { BotHarness } from './harness.js';
import { CHANNEL, headerOf, SIGNING_SECRET, startHarness, USER } from './harness.js';

const ACK_BUDGET_MS = 1000;

/** Everything a view says, as a person reads it. */
const viewText = (view: StoredView) => mrkdwnToPlain(JSON.stringify(view.blocks)).replace(/\\n/g, '\n');
const messageText = (message: PostedMessage) =>
  mrkdwnToPlain(JSON.stringify(message.blocks)).replace(/\\n/g, '\n');
const inputOf = (view: StoredView, blockId: string) =>
  view.blocks.find((block) => block.block_id === blockId) as { element: Record<string, unknown> } | undefined;

describe('modals through the Slack stand-in: Edit spec, Details, What if…', () => {
  let bot: BotHarness;
  let thread: string;
  let card: PostedMessage;
  let options: PostedMessage;

  const key = () => ({ teamId: bot.slack.teamId, channelId: CHANNEL, threadTs: thread });
  const conversation = async () => (await bot.store.find(key()))!;

  beforeAll(async () => {
    bot = await startHarness();
    ({ ts: thread } = await bot.mention('chatbot for 1000 users'));
    const posted = await bot.slack.waitFor(() => {
      const messages = bot.slack.thread(CHANNEL, thread);
      return messages.length === 2 && messages;
    });
    card = posted[0]!;
    options = posted[1]!;
  });
  afterAll(() => bot.close());

  describe('Edit spec', () => {
    let form: StoredView;

    it('opens from the spec card with every field prefilled from the spec', async () => {
      expect(card.blocks.at(-1)).toMatchObject({
        type: 'actions',
        elements: [{ action_id: ACTION.editSpec, text: { text: 'Edit spec' } }],
      });
      form = await bot.pressForView(ACTION.editSpec, { message: { ts: card.ts, thread_ts: thread } });
      const { spec, id } = await conversation();
      expect(form.callback_id).toBe('compass_edit_spec_form');
      expect(viewSeal(SIGNING_SECRET).open(form.private_metadata, USER)).toEqual({ ok: true, metadata: id });
      expect(inputOf(form, SPEC_FIELD.useCase)!.element).toMatchObject({
        type: 'static_select',
        initial_option: { value: 'chatbot_conversational' },
      });
      expect(inputOf(form, SPEC_FIELD.users)!.element).toMatchObject({
        type: 'number_input',
        initial_value: '1000',
      });
      expect(inputOf(form, SPEC_FIELD.peakQps)!.element.initial_value).toBe(
        String(spec!.traffic.peakQps.value),
      );
      expect(inputOf(form, SPEC_FIELD.avgQps)!.element.initial_value).toBe(
        String(spec!.traffic.avgQps.value),
      );
      expect(inputOf(form, SPEC_FIELD.ttft)!.element.initial_value).toBe('500');
      expect(inputOf(form, SPEC_FIELD.priority)!.element).toMatchObject({
        initial_option: { value: 'balanced' },
      });
      expect(inputOf(form, SPEC_FIELD.gpus)!.element).toMatchObject({ type: 'multi_static_select' });
      expect(inputOf(form, SPEC_FIELD.gpus)!.element.initial_options).toBeUndefined();
      expect(inputOf(form, SPEC_FIELD.models)!.element).toMatchObject({ type: 'multi_static_select' });
      expect(form.blocks.filter((block) => block.type === 'input')).toHaveLength(
        Object.keys(SPEC_FIELD).length,
      );
    });

    it('answers invalid values with an error under each field, and changes nothing', async () => {
      const before = bot.slack.thread(CHANNEL, thread).length;
      const { delivery, response } = await bot.submit(form, {
        [SPEC_FIELD.users]: 'lots',
        [SPEC_FIELD.avgQps]: '999',
        [SPEC_FIELD.e2e]: '100',
        [SPEC_FIELD.budget]: '-5',
        [SPEC_FIELD.gpus]: ['H100', 'TPU-v9'],
      });
      expect(delivery.status).toBe(200);
      expect(delivery.ms).toBeLessThan(ACK_BUDGET_MS);
      expect(response).toEqual({
        response_action: 'errors',
        errors: {
          [SPEC_FIELD.users]: '“lots” is not a decimal number: write 1500, 1,500 or 1.5.',
          [SPEC_FIELD.avgQps]: expect.stringMatching(/^The average cannot exceed the peak/),
          [SPEC_FIELD.budget]: 'Must be at least 1.',
          [SPEC_FIELD.gpus]: 'Not in the catalog: TPU-v9.',
        },
      });
      // The E2E target is checked against TTFT + tokens × ITL once the single fields are right.
      const e2e = await bot.submit(form, { [SPEC_FIELD.e2e]: '100' });
      expect(e2e.response.errors).toEqual({
        [SPEC_FIELD.e2e]: expect.stringMatching(/^E2E p95 target 100 ms is below/),
      });
      expect(bot.slack.thread(CHANNEL, thread)).toHaveLength(before);
      expect((await conversation()).spec!.users.value).toBe(1000);
    });

    it('takes valid values: stores the spec, re-plans, edits the card in place and says what changed', async () => {
      const { delivery, response } = await bot.submit(form, {
        [SPEC_FIELD.users]: '3000',
        [SPEC_FIELD.gpus]: ['H100'],
        [SPEC_FIELD.ttft]: '300',
      });
      expect(delivery.ms).toBeLessThan(ACK_BUDGET_MS);
      expect(response).toEqual({});
      expect(bot.slack.view(form.id)!.closed).toBe(true);
      // One new message, the change note; the plan message is edited in place.
      const [changes] = await bot.slack.waitFor(() => {
        const posted = bot.slack.thread(CHANNEL, thread).slice(2);
        return posted.length === 1 && posted;
      });
      const replanned = await bot.slack.waitFor(() => {
        const now = bot.slack.message(CHANNEL, options.ts)!;
        return JSON.stringify(now.blocks).includes('× H100') && now;
      });
      expect(mrkdwnToPlain(changes!.text)).toMatch(
        /^Updated by @U0ADA: users 1,000 → 3,000 · peak load .* · TTFT p95 target 500 ms → 300 ms · GPU types any → H100/,
      );
      expect(headerOf(replanned!)).toMatch(/^Top \d options · priority balanced$/);
      const optionLines = replanned!.blocks.filter(
        (block) => block.type === 'section' && /^\*\d+\. /.test((block.text as { text: string }).text),
      );
      expect(optionLines.length).toBeGreaterThan(0);
      for (const block of optionLines) expect((block.text as { text: string }).text).toMatch(/ on \d+× H100/);
      // The card in the thread now reads the new spec.
      const edited = await bot.slack.waitFor(() => {
        const now = bot.slack.message(CHANNEL, card.ts)!;
        return messageText(now).includes('Users\n3,000') && now;
      });
      expect(messageText(edited)).toContain('Users\n3,000 · stated');
      expect(messageText(edited)).toContain('TTFT p95 target\n≤ 300 ms · stated');
      const stored = await conversation();
      expect(stored.spec!.users).toEqual({ value: 3000, source: 'stated' });
      expect(stored.spec!.gpuTypes).toEqual({ value: ['H100'], source: 'stated' });
      expect(stored.spec!.traffic.promptTokens.source).toBe('default');
      expect(new Set(stored.options.map((option) => option.gpuId))).toEqual(new Set(['H100']));
      const history = await bot.store.messages(stored.id);
      expect(history.at(-3)).toMatchObject({ role: 'user', userId: USER, text: 'Edit spec (form)' });
    });

    it('an average load set in the form holds; a form that changes nothing says so to the presser only', async () => {
      const again = await bot.pressForView(ACTION.editSpec, { message: { ts: card.ts, thread_ts: thread } });
      const peak = Number(inputOf(again, SPEC_FIELD.peakQps)!.element.initial_value);
      await bot.submit(again, { [SPEC_FIELD.avgQps]: String(peak / 4) });
      await bot.slack.waitFor(() => bot.slack.thread(CHANNEL, thread).length === 4);
      expect((await conversation()).spec!.traffic.avgQps).toEqual({ value: peak / 4, source: 'stated' });
      const unchanged = await bot.pressForView(ACTION.editSpec, {
        message: { ts: card.ts, thread_ts: thread },
      });
      await bot.submit(unchanged);
      const notice = await bot.slack.waitFor(() =>
        bot.ephemerals(USER).find((reply) => /Nothing in the spec/.test(reply.text)),
      );
      expect(notice.text).toBe('Nothing in the spec changed.');
      expect(bot.slack.thread(CHANNEL, thread)).toHaveLength(4);
    });
  });

  describe('Details', () => {
    it('opens a loading view at once, then shows the full prediction, costs, memory and rank', async () => {
      const { options: shown } = await conversation();
      const option = shown[1]!;
      const updates = bot.slack.callsOf('views.update').length;
      const view = await bot.pressForView(ACTION.details, {
        value: option.id,
        message: { ts: options.ts, thread_ts: thread },
      });
      const opened = bot.slack.callsOf('views.open').at(-1)!.args.view;
      expect(JSON.stringify(opened)).toContain('Working it out');
      await bot.slack.waitFor(() => bot.slack.callsOf('views.update').length > updates);
      const details = viewText(bot.slack.view(view.id)!);
      expect(details).toContain(option.modelId);
      expect(details).toMatch(/TTFT p50 \/ p95\n[\d.]+ m?s \/ [\d.]+ m?s ±\d+% [✓✗] target 300 ms/);
      expect(details).toMatch(/\$[\d.,]+\/month \(\$[\d.]+\/h\)\n\$[\d.]+ per million output tokens/);
      expect(details).toMatch(
        /Memory per GPU \(80(\.0)? GB\)\n• Weights [\d.]+ GB \(\d+%\)\n• KV cache [\d.]+ GB/,
      );
      expect(details).toMatch(/• Headroom [\d.]+ GB/);
      // What Request deploy would apply, rendered from the option's own engine settings.
      expect(details).toContain('Manifest preview');
      expect(details).toContain('kind: InferenceService');
      expect(details).toContain(`--max-model-len`);
      expect(details).toContain(`Why it ranks #2 of ${shown.length}`);
    });

    it('an option no longer in the plan says so in the modal', async () => {
      const updates = bot.slack.callsOf('views.update').length;
      const view = await bot.pressForView(ACTION.details, {
        value: 'gone/model|H100|tp1|bf16',
        message: { ts: options.ts, thread_ts: thread },
      });
      await bot.slack.waitFor(() => bot.slack.callsOf('views.update').length > updates);
      expect(viewText(bot.slack.view(view.id)!)).toMatch(/not in the current plan any more/);
    });
  });

  describe('What if…', () => {
    let view: StoredView;
    let latest: PostedMessage;

    it('opens on an option with its values prefilled', async () => {
      latest = bot.slack
        .thread(CHANNEL, thread)
        .filter((message) => /^Top/.test(headerOf(message) ?? ''))
        .at(-1)!;
      const { options: shown, spec } = await conversation();
      const baseline = shown[0]!;
      view = await bot.pressForView(ACTION.whatIf, {
        value: baseline.id,
        message: { ts: latest.ts, thread_ts: thread },
      });
      expect(view.callback_id).toBe('compass_what_if_form');
      expect(inputOf(view, WHAT_IF_FIELD.model)!.element).toMatchObject({
        initial_option: { value: baseline.modelId },
      });
      expect(inputOf(view, WHAT_IF_FIELD.gpu)!.element).toMatchObject({ initial_option: { value: 'H100' } });
      expect(inputOf(view, WHAT_IF_FIELD.gpuCount)!.element.initial_value).toBe(String(baseline.gpuCount));
      expect(inputOf(view, WHAT_IF_FIELD.peakQps)!.element.initial_value).toBe(
        String(spec!.traffic.peakQps.value),
      );
      expect(viewText(view)).toMatch(/press Update to see the prediction and the cost/);
    });

    it('Use this before any prediction says what to do, in the modal', async () => {
      await bot.pressInView(view, ACTION.useScenario, { value: view.private_metadata });
      const updated = await bot.slack.waitFor(() => {
        const current = bot.slack.view(view.id)!;
        return current.hash !== view.hash && current;
      });
      expect(viewText(updated)).toMatch(/no feasible scenario to use yet/);
      view = updated;
    });

    it('invalid changes come back as errors under their inputs', async () => {
      const { response } = await bot.submit(view, {
        [WHAT_IF_FIELD.tensorParallel]: '3',
        [WHAT_IF_FIELD.peakQps]: '0',
      });
      expect(response).toEqual({
        response_action: 'errors',
        errors: {
          [WHAT_IF_FIELD.tensorParallel]: '“3” is not one of the choices.',
          [WHAT_IF_FIELD.peakQps]: 'Must be more than 0.',
        },
      });
      const odd = await bot.submit(view, {
        [WHAT_IF_FIELD.tensorParallel]: '2',
        [WHAT_IF_FIELD.gpuCount]: '3',
      });
      expect(odd.response.errors).toEqual({
        [WHAT_IF_FIELD.gpuCount]: expect.stringMatching(/multiple of the tensor parallelism \(2\)/),
      });
    });

    it('Update shows "Predicting…" in the acknowledgement, then the scenario in place', async () => {
      const updates = bot.slack.callsOf('views.update').length;
      const { delivery, response } = await bot.submit(view, {
        [WHAT_IF_FIELD.peakQps]: '20',
        [WHAT_IF_FIELD.ttft]: '400',
      });
      expect(delivery.ms).toBeLessThan(ACK_BUDGET_MS);
      expect(response.response_action).toBe('update');
      expect(viewText(bot.slack.view(view.id)!)).toContain('Predicting…');
      await bot.slack.waitFor(() => bot.slack.callsOf('views.update').length > updates);
      view = bot.slack.view(view.id)!;
      const shown = viewText(view);
      expect(shown).toMatch(/Scenario: .* on \d+× H100/);
      expect(shown).toMatch(/TTFT [\d.]+ m?s [✓✗] ≤ 400 ms/);
      expect(shown).toMatch(/vs baseline: Cost [+−±][^·]* · TTFT [+−±]/);
      // The inputs keep what was entered.
      expect(inputOf(view, WHAT_IF_FIELD.peakQps)!.element.initial_value).toBe('20');
    });

    let compare: StoredView;
    it('Compare pushes baseline and scenario side by side, with the differences and ✓/✗ against the targets', async () => {
      const before = bot.slack.views.length;
      await bot.pressInView(view, ACTION.compareScenario, { value: view.private_metadata });
      compare = await bot.slack.waitFor(() => bot.slack.views[before]);
      expect(compare.parent).toBe(view.id);
      const shown = viewText(compare);
      expect(shown).toMatch(/\*?Baseline\*?.*\*?Scenario\*?/s);
      expect(shown).toMatch(/TTFT p95\n[\d.]+ m?s [✓✗] ≤ 300 ms/);
      expect(shown).toMatch(/TTFT p95\n[\d.]+ m?s [✓✗] ≤ 400 ms/);
      expect(shown).toMatch(/Max load\n[\d.]+ req\/s \(peak 20 req\/s\)/);
      expect(shown).toMatch(
        /Differences \(scenario − baseline\)\nCost .* · TTFT .* · ITL .* · E2E .* · max load .* · quality/,
      );
    });

    it('Use this makes the scenario the thread’s chosen option, with the spec it changed', async () => {
      const posted = bot.slack.thread(CHANNEL, thread).length;
      await bot.pressInView(compare, ACTION.useScenario, { value: compare.private_metadata });
      const [changes, chosen] = await bot.slack.waitFor(() => {
        const fresh = bot.slack.thread(CHANNEL, thread).slice(posted);
        return fresh.length === 2 && fresh;
      });
      expect(viewText(bot.slack.view(compare.id)!)).toMatch(/✓ Chosen/);
      expect(mrkdwnToPlain(changes!.text)).toMatch(
        /^Updated by @U0ADA: peak load [\d.]+ req\/s → 20 req\/s .*TTFT p95 target 300 ms → 400 ms/,
      );
      expect(headerOf(chosen!)).toBe('Chosen option');
      const stored = await conversation();
      expect(stored.spec!.traffic.peakQps).toEqual({ value: 20, source: 'stated' });
      expect(stored.chosen).not.toBeNull();
      const buttons = chosen!.blocks.find((block) => block.type === 'actions') as {
        elements: { value: string }[];
      };
      expect(buttons.elements.map((element) => element.value)).toEqual([
        stored.chosen!.id,
        stored.chosen!.id,
        stored.chosen!.id,
      ]);
      await bot.slack.waitFor(() =>
        /Peak load\n20 req\/s/.test(messageText(bot.slack.message(CHANNEL, card.ts)!)),
      );
    });
  });

  it('every message and view Compass sent was one Slack accepts, and every view opened within its trigger’s life', () => {
    const rejected = bot.slack.calls.filter(
      (call) => call.result?.ok === false && /invalid|trigger/.test(String(call.result.error)),
    );
    expect(rejected.map((call) => [call.method, call.result])).toEqual([]);
    expect(bot.slack.callsOf('views.open').length).toBeGreaterThanOrEqual(6);
  });
});
