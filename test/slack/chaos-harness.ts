/**
 * Real `compass bot` processes (dist/, built by `npm run build`) on a PostgreSQL database of their own against the
 * Slack stand-in, for the chaos tests that kill or stop them at points of a turn and start them again. Waits are
 * bounded and generous: the machine is shared.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { SlackStandIn } from '../standins/slack.js';
import { deliver, eventEnvelope, startSlackStandIn } from '../standins/slack.js';
import { freePort } from '../support/ports.js';
import type { TestDatabase } from '../support/postgres.js';
import { createTestDatabase } from '../support/postgres.js';
import { APPROVER, APPROVERS_CHANNEL, CHANNEL, headerOf, newTs, SIGNING_SECRET, USER } from './harness.js';

const BIN = new URL('../../bin/compass.js', import.meta.url).pathname;
/** A request that the bot answers with two messages: the spec card, then the options. */
export const REQUEST = 'a customer support chatbot for about 800 people';
export const ANSWERED = ['Deployment spec', expect.stringMatching(/^Top \d options/)];
const START_MS = 60_000;
export const ANSWER_MS = 60_000;
export const FORM = 'application/x-www-form-urlencoded';

export interface RunningBot {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

/** Anything late would be a duplicate: a moment for it to show. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 2000));

/**
 * The Slack stand-in and database of one test file (made before its tests, gone after them), and its bots: every bot a
 * test started is killed when the test ends.
 */
export function chaosBots() {
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
    await settle();
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

  return {
    get slack() {
      return slack;
    },
    get database() {
      return database;
    },
    startBot,
    mention,
    headers,
    answeredOnce,
    heldAtOptions,
    unfinishedEvents,
    kill,
  };
}
