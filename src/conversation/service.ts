import { randomUUID } from 'node:crypto';
import type { ApprovalRequest } from '../approval/schema.js';
import type { ChartRef } from '../chart/link.js';
import type { LoadChart } from '../chart/render.js';
import type { MessageKind } from '../classify/index.js';
import { asksAboutSlos, PLANNING_KINDS } from '../classify/index.js';
import type { Database } from '../db/client.js';
import { retryOnConnectionLoss } from '../db/connection.js';
import { LeaseLostError } from '../inbox/store.js';
import { prepareUserText } from '../intent/input.js';
import type { Intent } from '../intent/schema.js';
import type { KnowledgeSource } from '../knowledge/live.js';
import type { Logger } from '../log/index.js';
import type { PlannedOption, PlanPolicy, WhatIfOverrides } from '../planner/plan.js';
import { noticeView, optionDetailsView } from '../slack/blocks/details.js';
import { helpBlocks, noticeBlocks, turnFailureBlocks } from '../slack/blocks/dialogue.js';
import type { FormValues } from '../slack/blocks/form.js';
import type { SlackMessage, SlackView } from '../slack/blocks/kit.js';
import { context } from '../slack/blocks/kit.js';
import { specFormView } from '../slack/blocks/spec-form.js';
import { nothingToPlanBlocks } from '../slack/blocks/understanding.js';
import type { ScenarioState } from '../slack/blocks/what-if.js';
import { compareView, whatIfView } from '../slack/blocks/what-if.js';
import type { DeploymentSpec } from '../spec/schema.js';
import type { Reply, Turn, UserMessage } from './engine.js';
import { canEditSpec, OPTION_GONE } from './engine.js';
import type { FieldErrors, FormResult } from './form.js';
import type { PlanningPool } from './pool.js';
import { createInlinePool } from './pool.js';
import type { Conversation, ThreadKey, WhatIfSession } from './schema.js';
import { findOption } from './schema.js';
import type { SpecEdit } from './spec-form.js';
import { readSpecForm, specFormFields } from './spec-form.js';
import type { ConversationStore } from './store.js';
import { directAnswer, statesFacts, unavailableNotices, understand } from './understand.js';
import { readWhatIfForm, whatIfFields } from './what-if.js';

/** The intent of one message: the rules, improved by the LLM pass when one is configured. */
export type ExtractIntent = (text: string) => Promise<Intent>;

export interface ConversationServiceDeps {
  store: ConversationStore;
  /** Read at each use: a long-running bot swaps the snapshot when the database changes. */
  knowledge: KnowledgeSource;
  extract: ExtractIntent;
  log: Logger;
  /** Where planning runs (worker threads in the bot, so a burst of plans cannot starve Slack's acknowledgements). */
  planning?: PlanningPool;
  /** Supersedes a conversation's live deploy requests when its spec changes (a new spec needs a new approval). */
  supersedeRequests?: (conversationId: string, reason: string) => Promise<ApprovalRequest[]>;
  /** The manifests an option would deploy, for its Details modal. */
  manifestPreview?: (conversationId: string, option: PlannedOption, spec: DeploymentSpec) => string;
  /** A public link to an option's chart PNG, for its Details modal; absent when the bot has no public URL. */
  chartUrl?: (ref: ChartRef) => string;
  /** What kind a message is when the rules are not sure (the LLM pass, where one is configured); null: no opinion. */
  secondOpinion?: (text: string) => Promise<MessageKind | null>;
  /**
   * What the deploy policy lets a plan deploy (`planPolicy`): options beyond it are near misses that name the
   * setting, as in `compass plan`. Absent: anything.
   */
  policy?: PlanPolicy;
}

/** What a status question needs that the conversation cannot give: the deployments, or their SLOs. */
export type Lookup = 'deployments' | 'slo';

/** What a turn says in Slack, as plain data (it is saved with the turn for a resumed one to post). */
export interface AnsweredTurn {
  /** Null when the failure came before the conversation existed. */
  conversationId: string | null;
  replies: Reply[];
  /** The thread's spec card, edited in place: the spec changed. */
  specCard?: { ts: string; message: SlackMessage };
  /** What the message was understood to be; absent for a failed turn. */
  kind?: MessageKind;
  /** A status question: the chat surface answers it from the deployments (`/compass status`, `/compass slo`). */
  lookup?: Lookup;
  /** The thread's plan message, which a plan reply edits in place instead of posting another. */
  planTs?: string;
}

export interface TurnOutcome extends AnsweredTurn {
  /** Deploy requests the changed spec superseded; their messages say so once edited. */
  superseded?: ApprovalRequest[];
}

/** Saves what a turn answered in the transaction that saves the turn (the inbox's record of the event). */
export type RecordAnswer = (tx: Database, answer: AnsweredTurn) => Promise<void>;

/** A modal to open, or why not (a message for the presser only). */
export type ViewAnswer = { ok: true; view: SlackView } | { ok: false; message: SlackMessage };

/** A checked what-if submission: the overrides, and the view to show while they are predicted. */
export type WhatIfCheck =
  | { ok: true; overrides: WhatIfOverrides; loading: SlackView }
  | { ok: false; errors: FieldErrors };

export interface ConversationService {
  isConversation(key: ThreadKey): Promise<boolean>;
  /**
   * The ts of the thread's current plan message when a press on an option button of message `messageTs` is stale: the
   * message is an older plan (the plan is edited in place since), and not the what-if choice still in force.
   * Undefined when the press may act (or the thread has no plan message to point to).
   */
  stalePlanPress(
    key: ThreadKey,
    messageTs: string,
    optionId: string | undefined,
  ): Promise<string | undefined>;
  /**
   * Runs a user message through the conversation of its thread, starting one when `start` is set. Undefined when the
   * thread is no conversation and none may start. A failure is logged with the conversation id and answered with a
   * short message carrying a reference to the log line.
   */
  handleMessage(
    key: ThreadKey,
    message: UserMessage,
    start: boolean,
    record?: RecordAnswer,
  ): Promise<TurnOutcome | undefined>;
  /** Remembers where the spec card was posted, to edit it when the spec changes. */
  rememberSpecCard(conversationId: string, ts: string): Promise<void>;
  /** Remembers where the plan message was posted, to edit it when the plan changes. */
  rememberPlanMessage(conversationId: string, ts: string): Promise<void>;
  /** A plan for a one-off request (`/compass plan`), outside any conversation. */
  quickPlan(text: string): Promise<SlackMessage>;
  threadOf(conversationId: string): Promise<ThreadKey | undefined>;

  /** The Edit spec modal of the thread's conversation. */
  specForm(key: ThreadKey): Promise<ViewAnswer | undefined>;
  /** Checks a submitted spec form (fast: before Slack's 3 s acknowledgement). */
  checkSpecForm(conversationId: string, values: FormValues): Promise<FormResult<SpecEdit>>;
  /** Applies a checked spec form: stores the spec, re-plans, and says what changed. */
  submitSpecForm(
    conversationId: string,
    values: FormValues,
    userId: string,
    record?: RecordAnswer,
  ): Promise<TurnOutcome | undefined>;

  /** The Details modal of one option (it repeats the prediction: open a loading view first). */
  optionDetails(key: ThreadKey, optionId: string | undefined): Promise<ViewAnswer | undefined>;
  /** The load chart of one option of a conversation (it predicts a curve); undefined when either is gone. */
  optionChart(ref: ChartRef): Promise<LoadChart | undefined>;

  /** The what-if modal on one option: a new what-if in the database, its id in the view. */
  startWhatIf(key: ThreadKey, optionId: string | undefined): Promise<ViewAnswer | undefined>;
  checkWhatIf(whatIfId: string, values: FormValues): Promise<WhatIfCheck | undefined>;
  /** Predicts the scenario, stores it, and answers with the updated modal. */
  runWhatIf(whatIfId: string, overrides: WhatIfOverrides): Promise<SlackView | undefined>;
  compareWhatIf(whatIfId: string): Promise<SlackView | undefined>;
  /** Use this: the scenario becomes the thread's chosen option; the view confirms or says why not. */
  useWhatIf(
    whatIfId: string,
    userId: string,
  ): Promise<{ view: SlackView; key?: ThreadKey; outcome?: TurnOutcome } | undefined>;
}

const keyOf = ({ teamId, channelId, threadTs }: Conversation): ThreadKey => ({ teamId, channelId, threadTs });

/** What a saved turn says: its replies, and the spec card edited when the spec changed and the card is known. */
function answerOf(conversation: Conversation, outcome: Turn): AnsweredTurn {
  const answer: AnsweredTurn = { conversationId: conversation.id, replies: outcome.replies };
  if (outcome.specCard && conversation.specCardTs)
    answer.specCard = { ts: conversation.specCardTs, message: outcome.specCard };
  if (conversation.planTs) answer.planTs = conversation.planTs;
  return answer;
}

/** The dialogue engine between the store and a chat surface (Slack or the terminal). */
export function createConversationService({
  store,
  knowledge,
  extract,
  log,
  planning = createInlinePool(),
  supersedeRequests,
  manifestPreview,
  chartUrl,
  secondOpinion,
  policy,
}: ConversationServiceDeps): ConversationService {
  /** The message's kind: the rules, or where they are not sure, the second opinion when it has one. */
  async function kindOf(text: string, understood: { kind: MessageKind; sure: boolean }) {
    if (understood.sure || !secondOpinion) return understood.kind;
    return (await secondOpinion(text)) ?? understood.kind;
  }

  async function failed(key: ThreadKey, error: unknown, start: boolean): Promise<TurnOutcome | undefined> {
    const reference = randomUUID().slice(0, 8);
    const conversation = await retryOnConnectionLoss(() => store.find(key)).catch(() => undefined);
    log.error(
      {
        event: 'conversation.failed',
        conversationId: conversation?.id ?? null,
        reference,
        thread: key,
        err: error,
      },
      'conversation turn failed',
    );
    // Outside a conversation, silence: a thread Compass is not part of must not hear about Compass's troubles.
    if (!conversation && !start) return undefined;
    const message = turnFailureBlocks(error, reference);
    return { conversationId: conversation?.id ?? null, replies: [{ message }] };
  }

  /** Runs one turn through the store, then what a changed spec entails: the card, the approvals. */
  async function turn(
    key: ThreadKey,
    start: { startedBy: string } | undefined,
    play: (conversation: Conversation) => Turn | Promise<Turn>,
    record?: RecordAnswer,
  ): Promise<TurnOutcome | undefined> {
    // A turn's write is one transaction (the inbox's record with it): when its connection dropped, nothing of it
    // was saved and it can run again.
    const result = await retryOnConnectionLoss(
      () =>
        store.runTurn(
          key,
          start,
          play,
          record && ((tx, conversation, outcome) => record(tx, answerOf(conversation, outcome))),
        ),
      {
        onRetry: (error) =>
          log.warn({ event: 'conversation.turn_retried', thread: key, err: error }, 'connection lost'),
      },
    );
    if (!result) return undefined;
    const { conversation, outcome } = result;
    const answer: TurnOutcome = answerOf(conversation, outcome);
    if (outcome.specCard) {
      if (supersedeRequests)
        answer.superseded = await supersedeRequests(conversation.id, 'the spec changed after the request');
    }
    log.info(
      {
        event: 'conversation.turn',
        conversationId: conversation.id,
        state: conversation.state,
        replies: outcome.replies.length,
        superseded: answer.superseded?.length ?? 0,
      },
      'conversation turn',
    );
    return answer;
  }

  const refusal = (text: string): ViewAnswer => ({ ok: false, message: noticeBlocks(text) });

  /** The conversation and the option a button names, or why the button no longer applies. */
  async function optionOf(key: ThreadKey, optionId: string | undefined) {
    const conversation = await store.find(key);
    if (!conversation) return undefined;
    const option = findOption(conversation, optionId);
    if (!option || !conversation.spec) return { conversation, refusal: refusal(OPTION_GONE) };
    return { conversation, option, spec: conversation.spec };
  }

  const whatIfState = (session: WhatIfSession, state: ScenarioState) =>
    whatIfView(session.id, session.baseline, session.spec, whatIfFields(session, knowledge()), state);

  return {
    async isConversation(key) {
      return (await store.find(key)) !== undefined;
    },

    async stalePlanPress(key, messageTs, optionId) {
      const conversation = await store.find(key);
      if (!conversation?.planTs || conversation.planTs === messageTs) return undefined;
      if (optionId !== undefined && conversation.chosen?.id === optionId) return undefined;
      return conversation.planTs;
    },

    async handleMessage(key, message, start, record) {
      const input = prepareUserText(message.text);
      const read = { ...message, text: input.text };
      try {
        const current = await retryOnConnectionLoss(() => store.find(key));
        const said = await extract(read.text);
        const known = knowledge();
        const understood = understand(read.text, said, current, start, known);
        const kind = await kindOf(read.text, understood);
        const conversationId = current?.id ?? null;
        log.info(
          { event: 'conversation.understood', kind, sure: understood.sure, conversationId, thread: key },
          'message understood',
        );
        if (!PLANNING_KINDS.includes(kind)) {
          // Chatter gets no reply; help, off-topic and plan questions one message; status a lookup.
          const answer = directAnswer(kind, current);
          return {
            conversationId,
            kind,
            replies: answer ? [{ message: answer }] : [],
            ...(kind === 'status' && { lookup: asksAboutSlos(read.text) ? 'slo' : 'deployments' }),
          };
        }
        const models = unavailableNotices(understood, known, current?.intent ?? said);
        // "use gpt-4o" in a conversation changes nothing: say why, without a "nothing to change".
        if (current?.intent && !understood.usable && models.length > 0)
          return { conversationId, kind, replies: [{ message: noticeBlocks(models.join('\n')) }] };
        const notes = [...input.notes, ...(said.refused ?? []), ...models];
        // The notices are part of the turn, so the inbox records and replays them with the rest of its answer.
        const withNotices = (answered: Turn): Turn =>
          notes.length === 0
            ? answered
            : { ...answered, replies: [{ message: noticeBlocks(notes.join(' ')) }, ...answered.replies] };
        const outcome = await turn(
          key,
          start ? { startedBy: message.userId } : undefined,
          async (conversation) =>
            withNotices(await planning.run('converse', known, conversation, read, said, policy)),
          record,
        );
        return outcome && { ...outcome, kind };
      } catch (error) {
        // Another bot process holds the event now: the turn is its to answer.
        if (error instanceof LeaseLostError) throw error;
        return failed(key, error, start);
      }
    },

    rememberSpecCard: (conversationId, ts) =>
      retryOnConnectionLoss(() => store.setSpecCard(conversationId, ts)),
    rememberPlanMessage: (conversationId, ts) =>
      retryOnConnectionLoss(() => store.setPlanMessage(conversationId, ts)),

    async quickPlan(raw) {
      const input = prepareUserText(raw);
      const { text } = input;
      const said = await extract(text);
      const known = knowledge();
      const understood = understand(text, said, undefined, true, known);
      const kind = await kindOf(text, understood);
      if (kind === 'help') return helpBlocks();
      if (kind === 'status')
        return noticeBlocks('For the deployments, use `/compass status` (or `/compass slo`).');
      const models = unavailableNotices(understood, known, said);
      // A plan needs something to plan for: a word salad or a closed model alone gets what is missing, not a guess.
      if (!statesFacts(said)) {
        if (models.length > 0) return noticeBlocks(models.join('\n'));
        return nothingToPlanBlocks(text);
      }
      const plan = await planning.run('quickPlan', known, text, said, policy);
      const notes = [...input.notes, ...(said.refused ?? []), ...models];
      return notes.length > 0 ? { ...plan, blocks: [context(notes.join(' ')), ...plan.blocks] } : plan;
    },

    async threadOf(conversationId) {
      const conversation = await store.findById(conversationId);
      return conversation && keyOf(conversation);
    },

    async specForm(key) {
      const conversation = await store.find(key);
      if (!conversation) return undefined;
      if (!canEditSpec(conversation))
        return refusal(
          conversation.spec
            ? `This conversation has moved on (${conversation.state.replace(/_/g, ' ')}); the spec can no longer change.`
            : 'There is no spec to edit yet: answer the questions above first.',
        );
      return {
        ok: true,
        view: specFormView(conversation.id, specFormFields(conversation.spec!, knowledge())),
      };
    },

    async checkSpecForm(conversationId, values) {
      const conversation = await store.findById(conversationId);
      if (!conversation) return { ok: false, errors: { use_case: 'This conversation no longer exists.' } };
      return readSpecForm(conversation, values, knowledge());
    },

    async submitSpecForm(conversationId, values, userId, record) {
      const conversation = await store.findById(conversationId);
      if (!conversation) return undefined;
      return turn(
        keyOf(conversation),
        undefined,
        (current) => planning.run('submitSpecForm', knowledge(), current, values, userId, policy),
        record,
      );
    },

    async optionDetails(key, optionId) {
      const found = await optionOf(key, optionId);
      if (!found || 'refusal' in found) return found?.refusal;
      const { conversation, option, spec } = found;
      const details = await planning.run('details', knowledge(), option, spec, conversation.options);
      const preview = manifestPreview?.(conversation.id, option, spec);
      const chart = chartUrl?.({ conversationId: conversation.id, optionId: option.id });
      return {
        ok: true,
        view: optionDetailsView(details, {
          conversationId: conversation.id,
          ...(preview !== undefined && { manifestPreview: preview }),
          ...(chart !== undefined && { chartUrl: chart }),
        }),
      };
    },

    async optionChart(ref) {
      const conversation = await store.findById(ref.conversationId);
      const option = conversation && findOption(conversation, ref.optionId);
      if (!option || !conversation.spec) return undefined;
      return planning.run('chart', knowledge(), option, conversation.spec);
    },

    async startWhatIf(key, optionId) {
      const found = await optionOf(key, optionId);
      if (!found || 'refusal' in found) return found?.refusal;
      const session = await store.startWhatIf(found.conversation.id, found.option, found.spec);
      log.info(
        { event: 'what_if.started', conversationId: session.conversationId, whatIfId: session.id },
        'what-if',
      );
      return { ok: true, view: whatIfState(session, { kind: 'pending' }) };
    },

    async checkWhatIf(whatIfId, values) {
      const session = await store.findWhatIf(whatIfId);
      if (!session) return undefined;
      const read = readWhatIfForm(session, values, knowledge());
      if (!read.ok) return read;
      return {
        ok: true,
        overrides: read.value,
        loading: whatIfState({ ...session, overrides: read.value }, { kind: 'loading' }),
      };
    },

    async runWhatIf(whatIfId, overrides) {
      const session = await store.findWhatIf(whatIfId);
      if (!session) return undefined;
      const result = await planning.run('whatIf', knowledge(), session.spec, session.baseline, overrides);
      await store.saveWhatIf(whatIfId, overrides, result);
      log.info(
        {
          event: 'what_if.predicted',
          conversationId: session.conversationId,
          whatIfId,
          scenario: result.scenario.kind,
        },
        'what-if predicted',
      );
      return whatIfState({ ...session, overrides, result }, { kind: 'result', result });
    },

    async compareWhatIf(whatIfId) {
      const session = await store.findWhatIf(whatIfId);
      if (!session) return undefined;
      if (!session.result)
        return noticeView(
          'Compare',
          'Nothing to compare yet: change something in the what-if and press *Update*.',
        );
      return compareView(session.id, session.result, session.spec);
    },

    async useWhatIf(whatIfId, userId) {
      const session = await store.findWhatIf(whatIfId);
      if (!session) return undefined;
      const conversation = await store.findById(session.conversationId);
      if (!conversation) return undefined;
      const key = keyOf(conversation);
      let refused: string | undefined;
      const outcome = await turn(key, undefined, async (current) => {
        const choice = await planning.run('chooseScenario', knowledge(), current, session, userId, policy);
        if (choice.ok) return choice.turn;
        refused = choice.reason;
        return { data: current, messages: [], replies: [] };
      });
      if (refused !== undefined)
        return { view: whatIfState(session, { kind: 'notice', text: refused, result: session.result }) };
      return {
        view: noticeView('What if…', '✓ Chosen. The option is posted in the thread, with its buttons.'),
        key,
        ...(outcome ? { outcome } : {}),
      };
    },
  };
}
