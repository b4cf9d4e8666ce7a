/**
 * Slack bot speed over loopback: a burst of signed slash commands and thread messages to the bot's HTTP receiver,
 * against the Slack stand-in (test/standins/slack.ts). Prints p50/p99/max of the time to acknowledge, from a
 * request's last byte sent to the end of its response (Slack allows 3 s; targets: every ack under 1 s, p99 ≤ 200 ms),
 * and of the time to the first reply Compass posts, then the turns lost (never done in the inbox, or a command never
 * answered) and duplicated (an event taken twice, a command answered twice).
 * Run: npx tsx bench/slack.ts [--commands 100] [--threads 50] [--messages 200] [--concurrency N] [--copies 1]
 * [--turns-at-once N]
 * `--copies 10` plans over ten copies of every model (490 models from the 49 in data/; `--copies 4`: about 200). `--turns-at-once` overrides the bot's
 * BOT_TURNS_AT_ONCE (a large figure: every turn starts at once, as before the inbox ran turns in slots). Concurrency defaults to everything at
 * once. `--profile-bot DIR` writes CPU profiles of the bot process (its main thread and planning threads) into DIR. Plans run on the bot's worker threads, as in `compass bot` (the compiled ones: `npm run build` first).
 * The bot runs in a child process, as in production, so the load generator's own work does not delay it (and the
 * other way round). It uses an embedded PGlite database in a temporary folder, or DATABASE_URL when set (point it at
 * a fresh scratch database each run: the bench migrates and seeds it, and its message timestamps repeat across runs).
 */

import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { createConversationService } from '../src/conversation/service.js';
import { createConversationStore } from '../src/conversation/store.js';
import { createInbox, createInboxStore, INBOX_DEFAULTS } from '../src/inbox/index.js';
import { extractIntent } from '../src/intent/index.js';
import type { Knowledge } from '../src/knowledge/catalog.js';
import { openKnowledgeBase } from '../src/knowledge/open.js';
import { createLogger } from '../src/log/index.js';
import { EVENTS_PATH, startSlackBot } from '../src/slack/app.js';
import {
  eventEnvelope,
  type SlackStandIn,
  slackSignature,
  slashCommandBody,
  startSlackStandIn,
} from '../test/standins/slack.js';

const { values } = parseArgs({
  options: {
    commands: { type: 'string', default: '100' },
    threads: { type: 'string', default: '50' },
    messages: { type: 'string', default: '200' },
    concurrency: { type: 'string' },
    copies: { type: 'string', default: '1' },
    'turns-at-once': { type: 'string' },
    'serve-bot': { type: 'boolean', default: false },
    'profile-bot': { type: 'string' },
  },
});
const commands = Number(values.commands);
const threads = Number(values.threads);
const messages = Number(values.messages);
const concurrency = Number(values.concurrency ?? commands + messages);
const copies = Number(values.copies);
const inboxSettings = {
  ...INBOX_DEFAULTS,
  ...(values['turns-at-once'] && { turnsAtOnce: Number(values['turns-at-once']) }),
};
const SECRET = 'bench-signing-secret-0123456789ab';
const CHANNEL = 'C0BENCH';
const SLACK_ACK_LIMIT_MS = 3000;

const REQUESTS = [
  'chatbot for 1000 users, low latency matters',
  'code completion for 150 developers on L40S',
  'document Q&A for 7k customers, budget $20k/month',
  'translate chat messages, 15 requests/s',
  'summarize support tickets for 300 agents',
];
const REFINEMENTS = [
  'make it 3000 users',
  'we only have H100s',
  'cheaper?',
  'what if TTFT must be under 200 ms?',
];

function percentile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function report(label: string, samples: number[]): void {
  const fmt = (ms: number) => `${ms.toFixed(1)} ms`.padStart(10);
  console.log(
    `${label.padEnd(44)} n=${String(samples.length).padStart(3)}  p50 ${fmt(percentile(samples, 0.5))}  ` +
      `p99 ${fmt(percentile(samples, 0.99))}  max ${fmt(Math.max(...samples))}`,
  );
}

/** Runs `tasks` with at most `limit` in flight. */
async function bounded<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

let tsCounter = 0;
const newTs = () => `${1_750_000_000 + ++tsCounter}.000300`;

/** How long the bench waits for a reply before it counts the turn as lost (a loaded machine is slow, not broken). */
const REPLY_TIMEOUT_MS = 600_000;

/**
 * What the bot posts, each Web API call and response_url post read once as it lands: a poller per request rescanning
 * every call every few milliseconds costs the load generator a core during a burst, a core the bot then lacks on a
 * 2-core machine.
 */
function replyWatcher(slack: SlackStandIn) {
  const postsByThread = new Map<string, number[]>();
  const responseAt = new Map<string, number>();
  let callsRead = 0;
  let responsesRead = 0;
  const waiters = new Set<() => boolean>();
  const timer = setInterval(() => {
    for (; callsRead < slack.calls.length; callsRead++) {
      const call = slack.calls[callsRead]!;
      const threadTs = call.args.thread_ts;
      if (call.method !== 'chat.postMessage' || typeof threadTs !== 'string') continue;
      postsByThread.set(threadTs, [...(postsByThread.get(threadTs) ?? []), call.at]);
    }
    for (; responsesRead < slack.responses.length; responsesRead++) {
      const { id, at } = slack.responses[responsesRead]!;
      if (!responseAt.has(id)) responseAt.set(id, at);
    }
    for (const settled of waiters) if (settled()) waiters.delete(settled);
  }, 10);
  function until<T>(probe: () => T | undefined, what: string): Promise<T> {
    const deadline = performance.now() + REPLY_TIMEOUT_MS;
    return new Promise((resolve, reject) =>
      waiters.add(() => {
        const value = probe();
        if (value !== undefined) resolve(value);
        else if (performance.now() > deadline)
          reject(new Error(`${what}: nothing within ${REPLY_TIMEOUT_MS} ms`));
        else return false;
        return true;
      }),
    );
  }
  return {
    /** When the first reply in the thread posted at or after `after` landed. */
    firstPost: (threadTs: string, after: number) =>
      until(() => postsByThread.get(threadTs)?.find((at) => at >= after), `a reply in ${threadTs}`),
    /** Resolves once the thread holds `count` replies. */
    posts: (threadTs: string, count: number) =>
      until(
        () => ((postsByThread.get(threadTs)?.length ?? 0) >= count ? true : undefined),
        `${count} replies in ${threadTs}`,
      ),
    /** When the answer to the command whose response_url id is `id` landed. */
    response: (id: string) => until(() => responseAt.get(id), `the answer to ${id}`),
    close: () => clearInterval(timer),
  };
}

/** A request to the bot, signed before the clock starts. */
interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

function signed(
  body: string,
  contentType: 'application/json' | 'application/x-www-form-urlencoded',
): SignedRequest {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    body,
    headers: {
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(body)),
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(SECRET, timestamp, body),
    },
  };
}

/**
 * Sends a prepared request on a connection of its own and answers how long the bot took to acknowledge it: from its
 * last byte handed to the kernel to the end of the response, as Slack's 3 s are counted. (fetch's own work for a
 * burst of requests, queued on the load generator's event loop before anything is sent, is not the bot's.)
 */
function send(url: string, { body, headers }: SignedRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    let sentAt = 0;
    const outgoing = request(url, { method: 'POST', headers, agent: false }, (response) => {
      response.resume();
      response.once('end', () =>
        response.statusCode === 200
          ? resolve(performance.now() - sentAt)
          : reject(new Error(`the bot answered ${response.statusCode}`)),
      );
    });
    outgoing.once('finish', () => {
      sentAt = performance.now();
    });
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

/** The bot side (child process): `compass bot` in HTTP mode against the stand-in's Web API; prints nothing. */
async function serveBot(apiUrl: string, botToken: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'compass-bench-'));
  const log = createLogger('warn');
  const kb = await openKnowledgeBase({ databaseUrl: process.env.DATABASE_URL, dataDir }, log);
  const store = createConversationStore(kb.database.db);
  const knowledge: Knowledge = {
    ...kb.knowledge,
    models: Array.from({ length: copies }, (_, copy) =>
      kb.knowledge.models.map((model) =>
        copy === 0 ? model : { ...model, id: `${model.id}-copy${copy}`, aliases: [] },
      ),
    ).flat(),
  };
  const extract = async (text: string) => extractIntent(text, knowledge);
  // A worker thread loads JavaScript: the compiled pool (`npm run build` first).
  const { createThreadPool } = (await import(
    new URL('../dist/src/conversation/pool.js', import.meta.url).href
  )) as typeof import('../src/conversation/pool.js');
  const planning = createThreadPool(log);
  const service = createConversationService({ store, knowledge: () => knowledge, extract, log, planning });
  const inboxStore = createInboxStore(kb.database.db);
  await service.quickPlan('chatbot for 1000 users'); // as `compass bot` does: calibrate before Slack waits
  const bot = await startSlackBot(
    { mode: 'http', botToken, signingSecret: SECRET, apiUrl, port: 0 },
    {
      service,
      store,
      inbox: createInbox({ store: inboxStore, settings: inboxSettings, log }),
      log,
    },
  );
  process.send!({ port: bot.port, engine: kb.database.engine, models: knowledge.models.length });
  process.once('message', async () => {
    await bot.stop();
    await planning.close();
    const { rows } = (await kb.database.db.execute(
      sql`select count(*) filter (where state <> 'done')::int as lost, count(*) filter (where attempts > 1)::int as retaken from inbox_events`,
    )) as unknown as { rows: { lost: number; retaken: number }[] };
    process.send!(rows[0]!);
    await kb.database.close();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
}

async function main() {
  const slack = await startSlackStandIn();
  const profile = values['profile-bot'];
  const child = fork(process.argv[1]!, [...process.argv.slice(2), '--serve-bot'], {
    env: { ...process.env, BENCH_API_URL: slack.apiUrl, BENCH_BOT_TOKEN: slack.botToken },
    execArgv: [...process.execArgv, ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])],
  });
  // A run that fails (a reply never came) must not leave the bot behind.
  process.once('exit', () => child.kill());
  const started = await new Promise<{ port: number; engine: string; models: number }>((resolve, reject) => {
    child.once('message', (message) => resolve(message as { port: number; engine: string; models: number }));
    child.once('exit', (code) => reject(new Error(`the bot process exited (${code}) before it listened`)));
  });
  const url = `http://127.0.0.1:${started.port}${EVENTS_PATH}`;
  const event = (payload: Record<string, unknown>) =>
    signed(
      eventEnvelope(payload, { teamId: slack.teamId, botUserId: slack.botUserId }).body,
      'application/json',
    );
  const watch = replyWatcher(slack);
  console.log(
    `database: ${started.engine}; catalog ${started.models} models; ${commands} slash commands, ${messages} messages in ${threads} threads, ${concurrency} in flight; ${inboxSettings.turnsAtOnce} turns at once`,
  );

  // Mentions start the threads the later messages continue (and warm the planner's caches).
  const mentionAcks: number[] = [];
  const mentionReplies: number[] = [];
  const threadIds = await bounded(
    Array.from({ length: threads }, (_, index) => async () => {
      const ts = newTs();
      const mention = event({
        type: 'app_mention',
        user: 'U0BENCH',
        text: `<@${slack.botUserId}> ${REQUESTS[index % REQUESTS.length]}`,
        ts,
        channel: CHANNEL,
      });
      const started = performance.now();
      mentionAcks.push(await send(url, mention));
      mentionReplies.push((await watch.firstPost(ts, started)) - started);
      await watch.posts(ts, 2);
      return ts;
    }),
    concurrency,
  );

  const commandAcks: number[] = [];
  const commandReplies: number[] = [];
  const threadAcks: number[] = [];
  const threadReplies: number[] = [];
  // The acknowledgements are reported as soon as the last one is in; a large catalog's replies take minutes more.
  let acknowledged: () => void = () => {};
  const allAcknowledged = new Promise<void>((resolve) => {
    acknowledged = resolve;
  });
  const acked = (acks: number[], ms: number) => {
    acks.push(ms);
    if (commandAcks.length + threadAcks.length === commands + messages) acknowledged();
  };
  // Every request of the burst is built and signed before the first is sent.
  const burst: (() => Promise<void>)[] = [
    ...Array.from({ length: commands }, (_, index) => {
      const id = `bench-${index}`;
      const command = signed(
        slashCommandBody({
          teamId: slack.teamId,
          channelId: CHANNEL,
          userId: 'U0BENCH',
          text: `plan ${REQUESTS[index % REQUESTS.length]}`,
          responseUrl: slack.responseUrl(id),
        }),
        'application/x-www-form-urlencoded',
      );
      return async () => {
        const started = performance.now();
        acked(commandAcks, await send(url, command));
        commandReplies.push((await watch.response(id)) - started);
      };
    }),
    ...Array.from({ length: messages }, (_, index) => {
      const threadTs = threadIds[index % threadIds.length]!;
      const message = event({
        type: 'message',
        channel_type: 'channel',
        channel: CHANNEL,
        user: 'U0BENCH',
        text: REFINEMENTS[index % REFINEMENTS.length],
        ts: newTs(),
        thread_ts: threadTs,
      });
      return async () => {
        const started = performance.now();
        acked(threadAcks, await send(url, message));
        threadReplies.push((await watch.firstPost(threadTs, started)) - started);
      };
    }),
  ];
  // Interleave commands and thread messages so both compete for the same process.
  const mixed = burst
    .map((task, index) => ({ task, key: (index * 7919) % burst.length }))
    .sort((a, b) => a.key - b.key);
  const replied = bounded(
    mixed.map(({ task }) => task),
    concurrency,
  );
  await Promise.race([allAcknowledged, replied]);
  report('mention: acknowledged', mentionAcks);
  report('/compass plan: acknowledged', commandAcks);
  report('thread message: acknowledged', threadAcks);
  report('burst (commands and messages): acknowledged', [...commandAcks, ...threadAcks]);
  const worst = Math.max(...mentionAcks, ...commandAcks, ...threadAcks);
  console.log(
    `slowest acknowledgement ${worst.toFixed(1)} ms: ${worst < SLACK_ACK_LIMIT_MS / 10 ? 'far inside' : worst < SLACK_ACK_LIMIT_MS ? 'inside' : 'OUTSIDE'} Slack's 3 s`,
  );
  await replied;
  watch.close();
  const answeredTwice = new Set(
    slack.responses.map((entry) => entry.id).filter((id, index, ids) => ids.indexOf(id) !== index),
  ).size;
  report('mention: first reply posted', mentionReplies);
  report('/compass plan: answer posted (response_url)', commandReplies);
  report('thread message: first reply posted', threadReplies);

  // Let the replies after the first ones land before closing what they are posted to.
  for (let count = -1; count !== slack.calls.length; ) {
    count = slack.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const inbox = new Promise<{ lost: number; retaken: number }>((resolve) =>
    child.once('message', (message) => resolve(message as { lost: number; retaken: number })),
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send('stop');
  const { lost, retaken } = await inbox;
  await exited;
  const acks = [...commandAcks, ...threadAcks];
  console.log(
    `burst acknowledgements: max ${Math.max(...acks).toFixed(1)} ms, p99 ${percentile(acks, 0.99).toFixed(1)} ms; ` +
      `lost ${lost + commands - commandReplies.length}, duplicated ${retaken + answeredTwice}`,
  );
  if (started.engine === 'pglite')
    console.log(
      'note: the targets are for PostgreSQL (DATABASE_URL). Embedded PGlite runs every query of every turn on the ' +
        'bot’s own event loop, the one that acknowledges Slack, so a burst’s acknowledgements wait for it.',
    );
  await slack.close();
}

if (values['serve-bot']) await serveBot(process.env.BENCH_API_URL!, process.env.BENCH_BOT_TOKEN!);
else await main();
