import { createInterface } from 'node:readline';
import type { MessageKind } from '../classify/index.js';
import type { ThreadKey } from '../conversation/schema.js';
import { findOption } from '../conversation/schema.js';
import type { ConversationService, Lookup, TurnOutcome, ViewAnswer } from '../conversation/service.js';
import { createConversationService } from '../conversation/service.js';
import { specFormFields } from '../conversation/spec-form.js';
import type { ConversationStore } from '../conversation/store.js';
import { createConversationStore } from '../conversation/store.js';
import { whatIfFields } from '../conversation/what-if.js';
import { planPolicy } from '../deploy/index.js';
import type { Intent } from '../intent/schema.js';
import type { Knowledge } from '../knowledge/catalog.js';
import type { PlannedOption } from '../planner/plan.js';
import { deploymentConfigOf } from '../planner/plan.js';
import { ACTION } from '../slack/blocks/actions.js';
import { noticeBlocks } from '../slack/blocks/dialogue.js';
import type { FormField } from '../slack/blocks/form.js';
import { formValuesFromLine } from '../slack/blocks/form.js';
import type { SlackMessage, SlackView } from '../slack/blocks/kit.js';
import type { Choice } from '../slack/blocks/text.js';
import { mrkdwnToPlain, renderAsText } from '../slack/blocks/text.js';
import type { DeploymentSpec } from '../spec/schema.js';
import { deployListBlocks } from '../worker/status-blocks.js';
import { createDeployStore } from '../worker/store.js';
import type { CliContext } from './context.js';
import { withKnowledgeBase } from './context.js';
import { intentOf, secondOpinionOf } from './extract.js';
import { writeLine } from './io.js';

/** The `compass predict --chart` command that draws the chart of an option's Details for its spec. */
export function predictChartCommand(option: PlannedOption, spec: DeploymentSpec): string {
  const config = deploymentConfigOf(option, spec);
  return [
    `compass predict --model ${option.modelId} --gpu ${option.gpuId} --tp ${option.tensorParallel}`,
    `--gpu-count ${config.gpuCount} --quantization ${option.precision}`,
    `--prompt-tokens ${config.promptTokens} --output-tokens ${config.outputTokens} --prefix-share ${config.prefixShare}`,
    `--prompt-cv ${config.promptTokensCv} --output-cv ${config.outputTokensCv}`,
    `--rate ${Number(Math.max(option.predicted.loadPerReplicaRps, 0.01).toPrecision(3))}`,
    `--slo-ttft-ms ${spec.slo.ttftP95Ms.value} --slo-itl-ms ${spec.slo.itlP95Ms.value} --chart chart.png`,
  ].join(' ');
}

export interface ChatCommandOptions {
  /** Continue (or name) a conversation; a new one each run otherwise. */
  session?: string;
  /** One JSON object per line for each reply: { reply, intent, spec, kind }. */
  json?: boolean;
}

/** What a JSON line carries besides the reply: the conversation after the turn, and what the message was. */
interface TurnState {
  /** The input line this answers (1-based): a turn may answer with several messages, or none (reply null). */
  turn: number;
  intent: Intent | null;
  spec: DeploymentSpec | null;
  kind?: MessageKind;
}

/** The team and channel `compass chat` conversations live under, apart from any Slack workspace's. */
export const CHAT_CHANNEL = { teamId: 'local', channelId: 'compass-chat' } as const;

const WELCOME =
  'Compass chat. Describe the deployment you need, e.g. “chatbot for 1000 users, low latency matters”.\n' +
  'Type a number to press a button, “quit” to leave.';

/** Deploy requests need an approver's decision, which only Slack's buttons (with who pressed them) can give. */
export const DEPLOY_IN_SLACK =
  'Deploy requests are made and approved in Slack: press Request deploy on the option in the Slack thread, where ' +
  'an approver can approve it. The terminal has no approvers.';

/** A form the next line fills in: the spec form, or a what-if's changes. */
type PendingForm =
  | { kind: 'spec'; conversationId: string; fields: FormField[] }
  | { kind: 'whatIf'; whatIfId: string; fields: FormField[] };

const formHelp = (example: string) =>
  `Type the changes on one line as name=value (lists comma-separated, “none” clears), e.g. “${example}”; ` +
  'an empty line cancels.';

/**
 * The terminal: rendered messages and views, with one numbering of buttons per answer. With `json`, each message is
 * a line `{ turn, reply: blocks, intent, spec, kind }` (a turn answered with silence: reply null), each view
 * `{ view: { title, blocks }, intent, spec }`, and other text `{ note }`; the buttons are numbered alike.
 */
function printer(context: CliContext, json: boolean, state: () => Promise<TurnState>) {
  const line = (value: unknown) => writeLine(context.io.stdout, JSON.stringify(value));
  const print = (text: string) => (json ? line({ note: text }) : writeLine(context.io.stdout, `${text}\n`));
  return {
    print,
    /** Prints messages; their buttons become numbered choices. */
    async messages(messages: SlackMessage[], kind?: MessageKind): Promise<Choice[]> {
      const choices: Choice[] = [];
      const now = json ? { ...(await state()), ...(kind && { kind }) } : undefined;
      if (now && messages.length === 0) line({ reply: null, ...now });
      for (const message of messages) {
        const rendered = renderAsText(message, choices.length + 1);
        if (now) line({ reply: message.blocks, ...now });
        else print(rendered.text);
        choices.push(...rendered.choices);
      }
      return choices;
    },
    async view(view: SlackView): Promise<Choice[]> {
      const rendered = renderAsText(view);
      if (json) line({ view: { title: view.title.text, blocks: view.blocks }, ...(await state()) });
      else print(`── ${view.title.text} ──\n${rendered.text}`);
      return rendered.choices;
    },
  };
}

/**
 * One line of the conversation: a message, a numbered button, or the answer to a form the last button opened. Returns
 * the choices it offers and the form awaiting the next line, if any.
 */
function chatTurns(
  service: ConversationService,
  store: ConversationStore,
  knowledge: Knowledge,
  key: ThreadKey,
  userId: string,
  out: ReturnType<typeof printer>,
  lookup: (wanted: Lookup) => Promise<SlackMessage>,
) {
  const showOutcome = async (outcome: TurnOutcome | undefined): Promise<Choice[]> => {
    if (!outcome) {
      out.print('Nothing to press yet: describe what you need first.');
      return [];
    }
    const replies = outcome.replies.map((reply) => reply.message);
    if (outcome.lookup) replies.push(await lookup(outcome.lookup));
    return out.messages(replies, outcome.kind);
  };
  const showAnswer = (answer: ViewAnswer | undefined): Promise<Choice[]> =>
    !answer ? showOutcome(undefined) : answer.ok ? out.view(answer.view) : out.messages([answer.message]);

  async function press(choice: Choice): Promise<{ choices: Choice[]; form?: PendingForm }> {
    switch (choice.actionId) {
      case ACTION.details:
        return { choices: await showAnswer(await service.optionDetails(key, choice.value)) };
      case ACTION.editSpec: {
        const answer = await service.specForm(key);
        const conversation = await store.find(key);
        if (!answer?.ok || !conversation?.spec) return { choices: await showAnswer(answer) };
        await out.view(answer.view);
        out.print(formHelp('users=3000 ttft=200 gpus=H100,A100'));
        const fields = specFormFields(conversation.spec, knowledge);
        return { choices: [], form: { kind: 'spec', conversationId: conversation.id, fields } };
      }
      case ACTION.whatIf: {
        const answer = await service.startWhatIf(key, choice.value);
        const session = answer?.ok ? await store.findWhatIf(answer.view.private_metadata ?? '') : undefined;
        if (!answer?.ok || !session) return { choices: await showAnswer(answer) };
        await out.view(answer.view);
        out.print(formHelp('gpu=H100 tp=2 gpu_count=4 peak_qps=30'));
        return {
          choices: [],
          form: { kind: 'whatIf', whatIfId: session.id, fields: whatIfFields(session, knowledge) },
        };
      }
      case ACTION.compareScenario: {
        const view = await service.compareWhatIf(choice.value ?? '');
        return { choices: view ? await out.view(view) : [] };
      }
      case ACTION.postChart: {
        const conversation = await store.find(key);
        const option = conversation && findOption(conversation, choice.value);
        out.print(
          option && conversation.spec
            ? `The same chart, in a file: ${predictChartCommand(option, conversation.spec)}`
            : 'That option is no longer in the plan.',
        );
        return { choices: [] };
      }
      case ACTION.useScenario: {
        const used = await service.useWhatIf(choice.value ?? '', userId);
        if (!used) return { choices: [] };
        await out.view(used.view);
        return { choices: used.outcome ? await showOutcome(used.outcome) : [] };
      }
      default:
        out.print(
          choice.actionId === ACTION.requestDeploy ? DEPLOY_IN_SLACK : 'That button works in Slack only.',
        );
        return { choices: [] };
    }
  }

  /** The line that fills in a form: errors keep the form open, anything else ends it. */
  async function fill(form: PendingForm, line: string): Promise<{ choices: Choice[]; form?: PendingForm }> {
    if (line === '') {
      out.print('Cancelled; nothing changed.');
      return { choices: [] };
    }
    const { values, unknown } = formValuesFromLine(line, form.fields);
    if (unknown.length > 0) {
      out.print(
        `Not understood: ${unknown.join(' ')}. Fields: ${form.fields.map((field) => field.name).join(', ')}.`,
      );
      return { choices: [], form };
    }
    const errors = (problems: Record<string, string>) => {
      out.print(
        Object.entries(problems)
          .map(([name, problem]) => `${name}: ${mrkdwnToPlain(problem)}`)
          .join('\n'),
      );
      return { choices: [], form };
    };
    if (form.kind === 'spec') {
      const checked = await service.checkSpecForm(form.conversationId, values);
      if (!checked.ok) return errors(checked.errors);
      return {
        choices: await showOutcome(await service.submitSpecForm(form.conversationId, values, userId)),
      };
    }
    const checked = await service.checkWhatIf(form.whatIfId, values);
    if (!checked) return { choices: await showOutcome(undefined) };
    if (!checked.ok) return errors(checked.errors);
    await service.runWhatIf(form.whatIfId, checked.overrides);
    const compared = await service.compareWhatIf(form.whatIfId);
    return { choices: compared ? await out.view(compared) : [] };
  }

  return { press, fill, showOutcome };
}

/**
 * The Slack conversation in a terminal, on the same engine and store. Interactive on a terminal; otherwise one user
 * message per stdin line, printing Compass's replies, so it can be scripted. Buttons are numbered choices; Edit spec
 * and What if… read their changes from the next line (`name=value …`); deploy requests stay in Slack.
 */
export async function chatCommand(context: CliContext, options: ChatCommandOptions) {
  await withKnowledgeBase(context, async ({ database, knowledge }) => {
    const store = createConversationStore(database.db);
    const service = createConversationService({
      store,
      knowledge: () => knowledge,
      extract: (text) => intentOf(context, knowledge, text),
      log: context.log,
      ...secondOpinionOf(context),
      policy: planPolicy(context.config),
    });
    const session = options.session?.trim() || `chat-${new Date().toISOString()}`;
    const key: ThreadKey = { ...CHAT_CHANNEL, threadTs: session };
    const interactive = Boolean(context.io.stdin.isTTY) && !options.json;
    const userId = context.io.env.USER?.trim() || 'you';
    let line = 0;
    const state = async (): Promise<TurnState> => {
      const conversation = await store.find(key);
      return { turn: line, intent: conversation?.intent ?? null, spec: conversation?.spec ?? null };
    };
    const out = printer(context, Boolean(options.json), state);
    const deploys = createDeployStore(database.db, context.config.worker.readyTimeoutMs);
    // `/compass status` answers from the same deployments table; SLOs need Prometheus, which `compass slo` reads.
    const lookup = async (wanted: Lookup) =>
      wanted === 'slo'
        ? noticeBlocks('Run `compass slo` for the SLOs of running deployments (it reads PROMETHEUS_URL).')
        : deployListBlocks(await deploys.list());
    const turns = chatTurns(service, store, knowledge, key, userId, out, lookup);
    const lines = createInterface({
      input: context.io.stdin,
      output: interactive ? context.io.stdout : undefined,
      terminal: interactive,
    });
    if (interactive) {
      const existing = await store.find(key);
      writeLine(
        context.io.stdout,
        existing ? `Resuming “${session}” (${existing.state.replace(/_/g, ' ')}).` : WELCOME,
      );
      lines.setPrompt('you › ');
      lines.prompt();
    }
    let choices: Choice[] = [];
    let form: PendingForm | undefined;
    try {
      for await (const typed of lines) {
        line++;
        const text = typed.trim();
        if (interactive && /^(quit|exit|bye)$/i.test(text)) break;
        const choice = /^\d+$/.test(text)
          ? choices.find((candidate) => candidate.number === Number(text))
          : undefined;
        let next: { choices: Choice[]; form?: PendingForm } | undefined;
        if (form) next = await turns.fill(form, text);
        else if (choice) next = await turns.press(choice);
        else if (text) {
          // Like a Slack thread: the first message starts the conversation, later ones continue it (and chatter
          // between them stays unanswered, as it would in the thread).
          const start = (await store.find(key)) === undefined;
          next = {
            choices: await turns.showOutcome(await service.handleMessage(key, { text, userId }, start)),
          };
        }
        if (next) {
          form = next.form;
          // An answer without buttons (Details, a notice) leaves the earlier buttons pressable.
          if (next.choices.length > 0) choices = next.choices;
        }
        if (interactive) lines.prompt();
      }
    } finally {
      lines.close();
    }
    if (interactive) writeLine(context.io.stdout, `\nResume with: compass chat --session "${session}"`);
  });
}
