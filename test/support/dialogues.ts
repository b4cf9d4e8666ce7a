import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageKind } from '../../src/classify/index.js';
import type { Intent } from '../../src/intent/schema.js';
import type { ViewBlock } from '../../src/slack/blocks/kit.js';
import { renderAsText } from '../../src/slack/blocks/text.js';
import type { BotHarness } from '../slack/harness.js';
import { CHANNEL, newTs, startHarness, USER } from '../slack/harness.js';
import { cli } from './cli.js';
import type { TestDatabase } from './postgres.js';
import { createTestDatabase } from './postgres.js';
import { until } from './until.js';

/**
 * Multi-turn conversations as a contract, played through the Slack stand-in and through `compass chat --json`
 * alike. A helper adds dialogues of its own in a file of its own: a table of `Dialogue`s and one
 * `describeDialogues('what they cover', table)`.
 */
export interface DialogueTurn {
  say: string;
  /** How Compass answers: 'none' is silence; a pattern must match the text of one of the turn's messages. */
  answer?: 'none' | RegExp;
  /** What the message must be understood as. */
  kind?: MessageKind;
}

export interface Dialogue {
  name: string;
  turns: (string | DialogueTurn)[];
  /** The conversation's intent after the last turn (the fields given); null: no conversation was started. */
  intent: Partial<Intent> | null;
}

/** What one surface made of a dialogue: per turn the kind understood and the answers' text; the last intent. */
export interface Played {
  turns: { kind: MessageKind | undefined; answers: string[] }[];
  intent: Intent | null;
}

const turnOf = (turn: string | DialogueTurn): DialogueTurn =>
  typeof turn === 'string' ? { say: turn } : turn;
const textOf = (blocks: unknown[]) => renderAsText({ blocks: blocks as ViewBlock[] }).text;

/** Checks what a surface played against the dialogue's expectations. */
export function expectDialogue(dialogue: Dialogue, played: Played): void {
  const turns = dialogue.turns.map(turnOf);
  expect(played.turns).toHaveLength(turns.length);
  turns.forEach((turn, index) => {
    const { kind, answers } = played.turns[index]!;
    const where = `turn ${index + 1} “${turn.say}” → ${kind}: ${answers.join(' ⏎ ').slice(0, 600)}`;
    if (turn.kind) expect(kind, where).toBe(turn.kind);
    if (turn.answer === 'none') expect(answers, where).toEqual([]);
    else if (turn.answer) {
      const pattern = turn.answer;
      expect(
        answers.some((answer) => pattern.test(answer)),
        where,
      ).toBe(true);
    }
  });
  if (dialogue.intent === null) expect(played.intent).toBeNull();
  else expect(played.intent).toMatchObject(dialogue.intent);
}

/** Plays a dialogue in a Slack thread: a mention while the thread has no conversation, thread replies after. */
export async function playInSlack(bot: BotHarness, db: pg.Client, dialogue: Dialogue): Promise<Played> {
  const threadTs = newTs();
  const key = { teamId: bot.slack.teamId, channelId: CHANNEL, threadTs };
  const played: Played = { turns: [], intent: null };
  let kindsSeen = 0;
  const kinds = () =>
    bot
      .logs()
      .filter(
        (line) =>
          line.event === 'conversation.understood' &&
          (line.thread as { threadTs?: string } | undefined)?.threadTs === threadTs,
      )
      .map((line) => line.kind as MessageKind);
  for (const [index, turn] of dialogue.turns.map(turnOf).entries()) {
    const before = bot.posted(threadTs).length;
    // A re-plan edits the thread's plan message in place: its new text is an answer of the turn too.
    const updatesBefore = bot.slack.callsOf('chat.update').length;
    const started = index > 0 && (await bot.store.find(key)) !== undefined;
    const ts = index === 0 ? threadTs : newTs();
    const text = started ? turn.say : `<@${bot.slack.botUserId}> ${turn.say}`;
    const { eventId } = await bot.event({
      type: started ? 'message' : 'app_mention',
      channel: CHANNEL,
      channel_type: 'channel',
      user: USER,
      text,
      ts,
      ...(index > 0 && { thread_ts: threadTs }),
    });
    // The turn is over when the inbox marks its event done: every reply was posted by then.
    await until(
      async () => {
        const { rows } = await db.query('select state from inbox_events where event_id = $1', [eventId]);
        return rows[0]?.state === 'done';
      },
      60_000,
      `the turn of “${turn.say}” to finish`,
    );
    const seen = kinds();
    played.turns.push({
      kind: seen.length > kindsSeen ? seen.at(-1) : undefined,
      answers: [
        ...bot
          .posted(threadTs)
          .slice(before)
          .map((post) => textOf(post.blocks)),
        ...bot.slack
          .callsOf('chat.update')
          .slice(updatesBefore)
          .filter((call) => call.args.channel === CHANNEL)
          .map((call) => textOf(call.args.blocks as Record<string, unknown>[])),
      ],
    });
    kindsSeen = seen.length;
  }
  played.intent = (await bot.store.find(key))?.intent ?? null;
  return played;
}

/** One line of `compass chat --json`. */
interface ChatLine {
  turn: number;
  reply: unknown[] | null;
  intent: Intent | null;
  kind?: MessageKind;
}

/** Plays a dialogue through `compass chat --json`, one session per dialogue, one message per line. */
export async function playInChat(
  env: Record<string, string>,
  dialogue: Dialogue,
  session: string,
): Promise<Played> {
  const turns = dialogue.turns.map(turnOf);
  const { code, stdout, stderr } = await cli(
    ['chat', '--json', '--session', session],
    env,
    `${turns.map((turn) => turn.say).join('\n')}\n`,
  );
  expect(code, stderr).toBe(0);
  const lines = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ChatLine);
  return {
    turns: turns.map((_, index) => {
      const mine = lines.filter((line) => line.turn === index + 1);
      return {
        kind: mine[0]?.kind,
        answers: mine.flatMap((line) => (line.reply ? [textOf(line.reply)] : [])),
      };
    }),
    intent: lines.at(-1)?.intent ?? null,
  };
}

/** The dialogues as tests: each through the Slack stand-in, then each through `compass chat --json`. */
export function describeDialogues(title: string, dialogues: Dialogue[]): void {
  describe(`${title}: dialogues through the Slack stand-in`, () => {
    let bot: BotHarness;
    let db: pg.Client;
    beforeAll(async () => {
      bot = await startHarness();
      db = new pg.Client({ connectionString: bot.databaseUrl });
      await db.connect();
    }, 60_000);
    afterAll(async () => {
      await db?.end();
      await bot?.close();
    });
    for (const dialogue of dialogues)
      it(dialogue.name, async () => expectDialogue(dialogue, await playInSlack(bot, db, dialogue)), 120_000);
  });

  describe(`${title}: dialogues through compass chat --json`, () => {
    let testDb: TestDatabase;
    let env: Record<string, string>;
    beforeAll(async () => {
      testDb = await createTestDatabase();
      env = { DATABASE_URL: testDb.url, HOME: '/nonexistent' };
    });
    afterAll(() => testDb?.drop());
    dialogues.forEach((dialogue, index) => {
      it(
        dialogue.name,
        async () => expectDialogue(dialogue, await playInChat(env, dialogue, `${title}-${index}`)),
        120_000,
      );
    });
  });
}
