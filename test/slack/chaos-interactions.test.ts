/**
 * Durable interactions under process faults: a bot killed with SIGKILL while it handles a slash command, an Edit spec
 * submission or a deploy request, then restarted; each is carried out, and posted, exactly once.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DEPLOY_FIELD } from '../../src/approval/service.js';
import { SPEC_FIELD } from '../../src/conversation/spec-form.js';
import { ACTION } from '../../src/slack/blocks/actions.js';
import { buttonPressBody, deliver, slashCommandBody, viewSubmissionBody } from '../standins/slack.js';
import { ANSWER_MS, chaosBots, FORM, REQUEST, type RunningBot, settle } from './chaos-harness.js';
import { APPROVERS_CHANNEL, CHANNEL, headerOf, SIGNING_SECRET, USER } from './harness.js';

describe('a bot killed mid-interaction carries it out exactly once after a restart', () => {
  const chaos = chaosBots();
  const { startBot, mention, answeredOnce, unfinishedEvents, kill } = chaos;

  it('SIGKILL 20 ms after a slash command’s acknowledgement: the restarted bot answers it, once', async () => {
    const first = await startBot();
    const id = 'chaos-command';
    const body = slashCommandBody({
      teamId: chaos.slack.teamId,
      channelId: CHANNEL,
      userId: USER,
      text: `plan ${REQUEST}`,
      responseUrl: chaos.slack.responseUrl(id),
    });
    expect((await deliver(first.url, SIGNING_SECRET, body, FORM)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await kill(first, 'SIGKILL');
    await startBot();
    await chaos.slack.waitFor(() => chaos.slack.responses.some((entry) => entry.id === id), ANSWER_MS);
    await settle();
    const answers = chaos.slack.responses.filter((entry) => entry.id === id);
    expect(answers).toHaveLength(1);
    expect(answers[0]!.body.text).toMatch(/^Quick plan for/);
  }, 180_000);

  /** The Edit spec modal of a thread's spec card, opened through `bot`. */
  async function specForm(bot: RunningBot, cardTs: string, thread: string) {
    const opened = chaos.slack.views.length;
    const press = buttonPressBody({
      teamId: chaos.slack.teamId,
      channelId: CHANNEL,
      userId: USER,
      actionId: ACTION.editSpec,
      responseUrl: chaos.slack.responseUrl(`chaos-edit-${thread}`),
      message: { ts: cardTs, thread_ts: thread },
      triggerId: chaos.slack.newTrigger(),
    });
    expect((await deliver(bot.url, SIGNING_SECRET, press, FORM)).status).toBe(200);
    return chaos.slack.waitFor(() => chaos.slack.views[opened], ANSWER_MS);
  }

  /** The Edit spec form submitted with 3,000 users. */
  const usersTo3000 = (form: Parameters<typeof viewSubmissionBody>[0]['view']) =>
    viewSubmissionBody({
      teamId: chaos.slack.teamId,
      userId: USER,
      view: form,
      inputs: { [SPEC_FIELD.users]: '3000' },
      triggerId: chaos.slack.newTrigger(),
    });

  it('SIGKILL 20 ms after an Edit spec submission’s acknowledgement: the restarted bot applies it, once', async () => {
    const first = await startBot();
    const { ts: thread } = await mention(first, REQUEST);
    await answeredOnce(thread);
    const card = chaos.slack.thread(CHANNEL, thread)[0]!;
    const form = await specForm(first, card.ts, thread);
    const before = chaos.slack.thread(CHANNEL, thread).length;
    expect((await deliver(first.url, SIGNING_SECRET, usersTo3000(form), FORM)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await kill(first, 'SIGKILL');
    await startBot();
    await chaos.slack.waitFor(() => chaos.slack.thread(CHANNEL, thread).length > before, ANSWER_MS);
    await settle();
    // One change note, and the spec card edited in place to the new figure.
    expect(chaos.slack.thread(CHANNEL, thread)).toHaveLength(before + 1);
    expect(JSON.stringify(chaos.slack.message(CHANNEL, card.ts))).toMatch(/3,000|3000/);
  }, 180_000);

  it('SIGKILL while Slack takes an Edit spec submission’s change note (it lands, the bot never hears back): the restarted bot does not post it again', async () => {
    const first = await startBot();
    const { ts: thread } = await mention(first, REQUEST);
    await answeredOnce(thread);
    const card = chaos.slack.thread(CHANNEL, thread)[0]!;
    const form = await specForm(first, card.ts, thread);
    const before = chaos.slack.thread(CHANNEL, thread).length;
    const posts = chaos.slack.callsOf('chat.postMessage').length;
    // The change note lands 3 s after it was sent, when the process is gone: in the thread, never counted as posted.
    chaos.slack.holdNext('chat.postMessage', { kind: 'delay', ms: 3000 });
    expect((await deliver(first.url, SIGNING_SECRET, usersTo3000(form), FORM)).status).toBe(200);
    await chaos.slack.waitFor(() => chaos.slack.callsOf('chat.postMessage').length > posts, ANSWER_MS);
    await kill(first, 'SIGKILL');
    await chaos.slack.waitFor(() => chaos.slack.thread(CHANNEL, thread).length > before, ANSWER_MS);
    await startBot();
    await chaos.slack.waitFor(async () => (await unfinishedEvents()) === 0, ANSWER_MS);
    await settle();
    expect(chaos.slack.thread(CHANNEL, thread)).toHaveLength(before + 1);
    expect(JSON.stringify(chaos.slack.message(CHANNEL, card.ts))).toMatch(/3,000|3000/);
  }, 180_000);

  /** The Request deploy modal for the first option of an answered thread, opened through `bot`. */
  async function deployForm(bot: RunningBot, thread: string) {
    const options = chaos.slack.thread(CHANNEL, thread)[1]!;
    const button = options.blocks
      .flatMap((block) => (block.elements as { action_id?: string; value?: string }[] | undefined) ?? [])
      .find((element) => element.action_id === ACTION.requestDeploy)!;
    const opened = chaos.slack.views.length;
    const press = buttonPressBody({
      teamId: chaos.slack.teamId,
      channelId: CHANNEL,
      userId: USER,
      actionId: ACTION.requestDeploy,
      value: button.value!,
      responseUrl: chaos.slack.responseUrl(`chaos-request-${thread}`),
      message: { ts: options.ts, thread_ts: thread },
      triggerId: chaos.slack.newTrigger(),
    });
    expect((await deliver(bot.url, SIGNING_SECRET, press, FORM)).status).toBe(200);
    return chaos.slack.waitFor(() => chaos.slack.views[opened], ANSWER_MS);
  }

  const isRequest = (message: { blocks: Record<string, unknown>[] }) =>
    headerOf(message) === 'Deploy request';
  const requestIdOf = (message: { blocks: Record<string, unknown>[] }) =>
    message.blocks
      .flatMap((block) => (block.elements as { action_id?: string; value?: string }[] | undefined) ?? [])
      .find((element) => element.action_id === ACTION.approve)?.value;

  it.each([
    ['before it posts anything', 0],
    ['between the thread’s message and the approvers’ copy', 1],
  ])(
    'SIGKILL right after filing a deploy request (%s): the restarted bot files it once and posts each copy once',
    async (_point, postedFirst) => {
      const first = await startBot();
      const { ts: thread } = await mention(first, REQUEST);
      await answeredOnce(thread);
      const form = await deployForm(first, thread);
      const approversBefore = chaos.slack.thread(APPROVERS_CHANNEL).length;
      const postsBefore = chaos.slack.callsOf('chat.postMessage').length;
      // The request is filed before the acknowledgement; the bot dies on the post that hangs.
      chaos.slack.holdNext('chat.postMessage', { kind: 'hang' }, postedFirst);
      const submission = viewSubmissionBody({
        teamId: chaos.slack.teamId,
        userId: USER,
        view: form,
        inputs: { [DEPLOY_FIELD.namespace]: 'compass' },
        triggerId: chaos.slack.newTrigger(),
      });
      expect((await deliver(first.url, SIGNING_SECRET, submission, FORM)).status).toBe(200);
      await chaos.slack.waitFor(
        () => chaos.slack.callsOf('chat.postMessage').length > postsBefore + postedFirst,
        ANSWER_MS,
      );
      await kill(first, 'SIGKILL');
      await startBot();
      const approvers = () => chaos.slack.thread(APPROVERS_CHANNEL).slice(approversBefore).filter(isRequest);
      await chaos.slack.waitFor(() => approvers().length > 0, ANSWER_MS);
      await settle();
      const inThread = chaos.slack.thread(CHANNEL, thread).filter(isRequest);
      expect(inThread).toHaveLength(1);
      expect(approvers()).toHaveLength(1);
      const admin = new pg.Client({ connectionString: chaos.database.url });
      await admin.connect();
      try {
        const { rows } = await admin.query(
          'select r.id, r.status from approval_requests r join conversations c on c.id = r.conversation_id where c.thread_ts = $1',
          [thread],
        );
        expect(rows).toEqual([{ id: requestIdOf(inThread[0]!), status: 'pending' }]);
        expect(requestIdOf(approvers()[0]!)).toBe(rows[0].id);
      } finally {
        await admin.end();
      }
    },
    180_000,
  );
});
