/**
 * Durable turns under process faults: a real `compass bot` (dist/, built by `npm run build`) on its own PostgreSQL
 * database against the Slack stand-in, killed with SIGKILL or stopped with SIGTERM at points of a turn, then
 * restarted; every message must be answered exactly once. Waits are bounded and generous: the machine is shared.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../simulator/text.js';
import { DEPLOY_FIELD } from '../../src/approval/service.js';
import { SPEC_FIELD } from '../../src/conversation/spec-form.js';
import { ACTION } from '../../src/slack/blocks/actions.js';
import type { SlackStandIn } from '../standins/slack.js';
import {
  buttonPressBody,
  deliver,
  eventEnvelope,
  slashCommandBody,
  startSlackStandIn,
  viewSubmissionBody,
} from '../standins/slack.js';
import { freePort } from '../support/ports.js';
import type { TestDatabase } from '../support/postgres.js';
import { createTestDatabase } from '../support/postgres.js';
import { APPROVER, APPROVERS_CHANNEL, CHANNEL, headerOf, newTs, SIGNING_SECRET, USER } from './harness.js';

const BIN = new URL('../../bin/compass.js', import.meta.url).pathname;
/** A request that the bot answers with two messages: the spec card, then the options. */
const REQUEST = 'a customer support chatbot for about 800 people';
const ANSWERED = ['Deployment spec', expect.stringMatching(/^Top \d options/)];
const START_MS = 60_000;
const ANSWER_MS = 60_000;

interface RunningBot {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

describe('a bot killed or stopped mid-turn answers every message exactly once after a restart', () => {
  let slack: SlackStandIn;
  let database: TestDatabase;
  let bots: RunningBot[] = [];

  beforeAll(async () => {
    slack = await startSlackStandIn();
    database = await createTestDatabase();
  });
  afterEach(async () => {
    for (const bot of bots) {
      bot.child.kill('SIGKILL');
      await bot.exited;
    }
    bots = [];
  });
  afterAll(async () => {
    await slack.close();
    await database.drop();
  });

  async function startBot(): Promise<RunningBot> {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'bot'], {
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        SLACK_APP_TOKEN: '',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        // A killed bot's turns resume after about this.
        INBOX_LEASE_MS: '1500',
        BOT_STOP_GRACE_MS: '15000',
        APPROVER_USER_IDS: APPROVER,
        APPROVERS_CHANNEL_ID: APPROVERS_CHANNEL,
        DEPLOY_NAMESPACES: 'compass',
      },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const bot = { child, url: `http://127.0.0.1:${port}/slack/events`, exited };
    bots.push(bot);
    await slack.waitFor(async () => {
      const health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return health?.ok;
    }, START_MS);
    return bot;
  }

  async function mention(bot: RunningBot, text: string, options: { eventId?: string; ts?: string } = {}) {
    const ts = options.ts ?? newTs();
    const { eventId, body } = eventEnvelope(
      { type: 'app_mention', user: USER, text: `<@${slack.botUserId}> ${text}`, ts, channel: CHANNEL },
      {
        teamId: slack.teamId,
        botUserId: slack.botUserId,
        ...(options.eventId ? { eventId: options.eventId } : {}),
      },
    );
    // In Slack's history too, as Slack keeps it: a resumed turn reads the thread.
    slack.said({ channel: CHANNEL, ts, text, blocks: [], user: USER });
    const delivery = await deliver(bot.url, SIGNING_SECRET, body, 'application/json');
    expect(delivery.status).toBe(200);
    return { ts, eventId, body };
  }

  const headers = (thread: string) => slack.thread(CHANNEL, thread).map((message) => headerOf(message));

  async function answeredOnce(thread: string) {
    await slack.waitFor(() => headers(thread).length >= ANSWERED.length, ANSWER_MS);
    // Anything late would be a duplicate: give it a moment to show.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(headers(thread)).toEqual(ANSWERED);
  }

  /** A bot's turn for a new thread, stopped at its second reply (the options) as Slack holds it. */
  async function heldAtOptions(hold: { kind: 'hang' } | { kind: 'delay'; ms: number }) {
    const bot = await startBot();
    const thread = newTs();
    slack.holdNext('chat.postMessage', hold, 1);
    await mention(bot, REQUEST, { ts: thread });
    await slack.waitFor(
      () => slack.callsOf('chat.postMessage', { thread_ts: thread }).length === 2,
      ANSWER_MS,
    );
    return { bot, thread };
  }

  /** Events of the inbox not done yet (pending, or handed back). */
  async function unfinishedEvents(): Promise<number> {
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const { rows } = await admin.query("select count(*)::int as n from inbox_events where state <> 'done'");
      return rows[0].n;
    } finally {
      await admin.end();
    }
  }

  async function kill(bot: RunningBot, signal: NodeJS.Signals) {
    bot.child.kill(signal);
    return bot.exited;
  }

  it('SIGKILL 20 ms after the acknowledgement: the restarted bot answers, and Slack’s retry adds nothing', async () => {
    const first = await startBot();
    const { ts, body } = await mention(first, REQUEST);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await kill(first, 'SIGKILL');
    const second = await startBot();
    // Slack retries the event it saw no answer to (same event id).
    const retry = await deliver(second.url, SIGNING_SECRET, body, 'application/json', {
      headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
    });
    expect(retry.status).toBe(200);
    await answeredOnce(ts);
  }, 180_000);

  it('SIGKILL after the spec card, before the options: the restarted bot posts only the options', async () => {
    // The second reply (the options) never reaches Slack: the process dies while waiting for it.
    const { bot: first, thread } = await heldAtOptions({ kind: 'hang' });
    expect(headers(thread)).toHaveLength(1);
    await kill(first, 'SIGKILL');
    await startBot();
    await answeredOnce(thread);
  }, 180_000);

  it('SIGKILL while Slack takes the options (they land, the bot never hears back): the restarted bot does not post them again', async () => {
    const { bot: first, thread } = await heldAtOptions({ kind: 'delay', ms: 3000 });
    await kill(first, 'SIGKILL');
    // The post lands after the process died: in the thread, never counted as posted.
    await slack.waitFor(() => headers(thread).length === ANSWERED.length, ANSWER_MS);
    await startBot();
    await slack.waitFor(async () => (await unfinishedEvents()) === 0, ANSWER_MS);
    await answeredOnce(thread);
  }, 180_000);

  it('SIGKILL while Slack takes the options of a DM’s answer: the restarted bot finds them in the DM and does not post them again', async () => {
    const first = await startBot();
    const dm = 'D0CHAOS';
    const user = 'U0DMCHAOS';
    const ts = newTs();
    // The bot greets a person's first DM, then answers at the DM's top level: the spec card, then the options, which
    // land 3 s later, after the process died.
    slack.holdNext('chat.postMessage', { kind: 'delay', ms: 3000 }, 2);
    const { body } = eventEnvelope(
      { type: 'message', channel_type: 'im', user, text: REQUEST, ts, channel: dm },
      { teamId: slack.teamId, botUserId: slack.botUserId },
    );
    slack.said({ channel: dm, ts, text: REQUEST, blocks: [], user });
    expect((await deliver(first.url, SIGNING_SECRET, body, 'application/json')).status).toBe(200);
    await slack.waitFor(() => slack.callsOf('chat.postMessage', { channel: dm }).length === 3, ANSWER_MS);
    await kill(first, 'SIGKILL');
    const posted = () => slack.thread(dm).filter((message) => !message.user);
    await slack.waitFor(() => posted().length === 3, ANSWER_MS);
    await startBot();
    await slack.waitFor(async () => (await unfinishedEvents()) === 0, ANSWER_MS);
    await settleMs();
    expect(
      posted()
        .slice(1)
        .map((message) => headerOf(message)),
    ).toEqual(ANSWERED);
  }, 180_000);

  it('SIGTERM mid-turn stops taking new events, finishes the turn in flight, then exits 0', async () => {
    const { bot, thread } = await heldAtOptions({ kind: 'delay', ms: 5000 });
    let exitCode: number | null | undefined;
    void bot.exited.then((code) => {
      exitCode = code;
    });
    bot.child.kill('SIGTERM');
    // New deliveries are refused (Slack delivers them again later) while the turn in flight still runs.
    await slack.waitFor(
      async () => (await fetch(bot.url, { method: 'POST' }).catch(() => 'refused')) === 'refused',
      ANSWER_MS,
    );
    expect(exitCode).toBeUndefined();
    expect(headers(thread)).toHaveLength(1);
    expect(await bot.exited).toBe(0);
    expect(headers(thread)).toEqual(ANSWERED);
    await startBot();
    await answeredOnce(thread);
  }, 180_000);

  it('SIGTERM with a turn that cannot finish hands it back; the next bot completes it once', async () => {
    const { bot: first, thread } = await heldAtOptions({ kind: 'hang' });
    // The grace (15 s) runs out with the reply still hanging; the process exits 0 anyway.
    expect(await kill(first, 'SIGTERM')).toBe(0);
    await startBot();
    await answeredOnce(thread);
    expect(await unfinishedEvents()).toBe(0);
  }, 180_000);

  it('two bots on one database, one killed or stopped at seeded random points of its turns: every message answered exactly once', async () => {
    const random = seededRandom(16);
    /** A turn here takes about a second or two from the acknowledgement to the last reply. */
    const SPAN_MS = 2500;
    const survivor = await startBot();
    const threads: string[] = [];
    const points: string[] = [];
    for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
      const victim = await startBot();
      // Each message is sent a seeded random time before the signal: its turn is acknowledged, planning, or posting.
      const before = [random(), random(), random()].map((share) => Math.round(share * SPAN_MS));
      const started = Date.now();
      const sent = await Promise.all(
        before.map(async (beforeMs, index) => {
          await new Promise((resolve) => setTimeout(resolve, SPAN_MS - beforeMs));
          const { ts, body } = await mention(victim, `${REQUEST} (${signal} ${index})`);
          // Slack's retry of the same event reaches the other bot (both behind one address): still one turn.
          const retry = await deliver(survivor.url, SIGNING_SECRET, body, 'application/json', {
            headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
          });
          expect(retry.status).toBe(200);
          return ts;
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + SPAN_MS - Date.now())));
      await kill(victim, signal);
      threads.push(...sent);
      points.push(`${signal} ${before.join('/')} ms after the messages`);
    }
    await slack.waitFor(
      () => threads.every((thread) => headers(thread).length >= ANSWERED.length),
      ANSWER_MS,
    );
    await settleMs();
    expect(
      threads.map((thread) => headers(thread)),
      points.join(', '),
    ).toEqual(threads.map(() => ANSWERED));
  }, 180_000);

  const FORM = 'application/x-www-form-urlencoded';
  const settleMs = () => new Promise((resolve) => setTimeout(resolve, 2000));

  it('SIGKILL 20 ms after a slash command’s acknowledgement: the restarted bot answers it, once', async () => {
    const first = await startBot();
    const id = 'chaos-command';
    const body = slashCommandBody({
      teamId: slack.teamId,
      channelId: CHANNEL,
      userId: USER,
      text: `plan ${REQUEST}`,
      responseUrl: slack.responseUrl(id),
    });
    expect((await deliver(first.url, SIGNING_SECRET, body, FORM)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await kill(first, 'SIGKILL');
    await startBot();
    await slack.waitFor(() => slack.responses.some((entry) => entry.id === id), ANSWER_MS);
    await settleMs();
    const answers = slack.responses.filter((entry) => entry.id === id);
    expect(answers).toHaveLength(1);
    expect(answers[0]!.body.text).toMatch(/^Quick plan for/);
  }, 180_000);

  /** The Edit spec modal of a thread's spec card, opened through `bot`. */
  async function specForm(bot: RunningBot, cardTs: string, thread: string) {
    const opened = slack.views.length;
    const press = buttonPressBody({
      teamId: slack.teamId,
      channelId: CHANNEL,
      userId: USER,
      actionId: ACTION.editSpec,
      responseUrl: slack.responseUrl(`chaos-edit-${thread}`),
      message: { ts: cardTs, thread_ts: thread },
      triggerId: slack.newTrigger(),
    });
    expect((await deliver(bot.url, SIGNING_SECRET, press, FORM)).status).toBe(200);
    return slack.waitFor(() => slack.views[opened], ANSWER_MS);
  }

  /** The Edit spec form submitted with 3,000 users. */
  const usersTo3000 = (form: Parameters<typeof viewSubmissionBody>[0]['view']) =>
    viewSubmissionBody({
      teamId: slack.teamId,
      userId: USER,
      view: form,
      inputs: { [SPEC_FIELD.users]: '3000' },
      triggerId: slack.newTrigger(),
    });

  it('SIGKILL 20 ms after an Edit spec submission’s acknowledgement: the restarted bot applies it, once', async () => {
    const first = await startBot();
    const { ts: thread } = await mention(first, REQUEST);
    await answeredOnce(thread);
    const card = slack.thread(CHANNEL, thread)[0]!;
    const form = await specForm(first, card.ts, thread);
    const before = slack.thread(CHANNEL, thread).length;
    expect((await deliver(first.url, SIGNING_SECRET, usersTo3000(form), FORM)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await kill(first, 'SIGKILL');
    await startBot();
    await slack.waitFor(() => slack.thread(CHANNEL, thread).length > before, ANSWER_MS);
    await settleMs();
    // One change note, and the spec card edited in place to the new figure.
    expect(slack.thread(CHANNEL, thread)).toHaveLength(before + 1);
    expect(JSON.stringify(slack.message(CHANNEL, card.ts))).toMatch(/3,000|3000/);
  }, 180_000);

  it('SIGKILL while Slack takes an Edit spec submission’s change note (it lands, the bot never hears back): the restarted bot does not post it again', async () => {
    const first = await startBot();
    const { ts: thread } = await mention(first, REQUEST);
    await answeredOnce(thread);
    const card = slack.thread(CHANNEL, thread)[0]!;
    const form = await specForm(first, card.ts, thread);
    const before = slack.thread(CHANNEL, thread).length;
    const posts = slack.callsOf('chat.postMessage').length;
    // The change note lands 3 s after it was sent, when the process is gone: in the thread, never counted as posted.
    slack.holdNext('chat.postMessage', { kind: 'delay', ms: 3000 });
    expect((await deliver(first.url, SIGNING_SECRET, usersTo3000(form), FORM)).status).toBe(200);
    await slack.waitFor(() => slack.callsOf('chat.postMessage').length > posts, ANSWER_MS);
    await kill(first, 'SIGKILL');
    await slack.waitFor(() => slack.thread(CHANNEL, thread).length > before, ANSWER_MS);
    await startBot();
    await slack.waitFor(async () => (await unfinishedEvents()) === 0, ANSWER_MS);
    await settleMs();
    expect(slack.thread(CHANNEL, thread)).toHaveLength(before + 1);
    expect(JSON.stringify(slack.message(CHANNEL, card.ts))).toMatch(/3,000|3000/);
  }, 180_000);

  /** The Request deploy modal for the first option of an answered thread, opened through `bot`. */
  async function deployForm(bot: RunningBot, thread: string) {
    const options = slack.thread(CHANNEL, thread)[1]!;
    const button = options.blocks
      .flatMap((block) => (block.elements as { action_id?: string; value?: string }[] | undefined) ?? [])
      .find((element) => element.action_id === ACTION.requestDeploy)!;
    const opened = slack.views.length;
    const press = buttonPressBody({
      teamId: slack.teamId,
      channelId: CHANNEL,
      userId: USER,
      actionId: ACTION.requestDeploy,
      value: button.value!,
      responseUrl: slack.responseUrl(`chaos-request-${thread}`),
      message: { ts: options.ts, thread_ts: thread },
      triggerId: slack.newTrigger(),
    });
    expect((await deliver(bot.url, SIGNING_SECRET, press, FORM)).status).toBe(200);
    return slack.waitFor(() => slack.views[opened], ANSWER_MS);
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
      const approversBefore = slack.thread(APPROVERS_CHANNEL).length;
      const postsBefore = slack.callsOf('chat.postMessage').length;
      // The request is filed before the acknowledgement; the bot dies on the post that hangs.
      slack.holdNext('chat.postMessage', { kind: 'hang' }, postedFirst);
      const submission = viewSubmissionBody({
        teamId: slack.teamId,
        userId: USER,
        view: form,
        inputs: { [DEPLOY_FIELD.namespace]: 'compass' },
        triggerId: slack.newTrigger(),
      });
      expect((await deliver(first.url, SIGNING_SECRET, submission, FORM)).status).toBe(200);
      await slack.waitFor(
        () => slack.callsOf('chat.postMessage').length > postsBefore + postedFirst,
        ANSWER_MS,
      );
      await kill(first, 'SIGKILL');
      await startBot();
      const approvers = () => slack.thread(APPROVERS_CHANNEL).slice(approversBefore).filter(isRequest);
      await slack.waitFor(() => approvers().length > 0, ANSWER_MS);
      await settleMs();
      const inThread = slack.thread(CHANNEL, thread).filter(isRequest);
      expect(inThread).toHaveLength(1);
      expect(approvers()).toHaveLength(1);
      const admin = new pg.Client({ connectionString: database.url });
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
