import type { webApi } from '@slack/bolt';
import type { ThreadKey } from '../conversation/schema.js';
import { mrkdwnToPlain } from './blocks/text.js';

/**
 * Slack's page size for conversations.replies: the most (and the default) for apps distributed outside the
 * Marketplace since 2025 (https://docs.slack.dev/reference/methods/conversations.replies), fine for any app.
 */
const PAGE = 15;
/** Most pages read: a thread's first sixty messages say what it is about; a longer one is not read to the end. */
const PAGES = 4;
/** Most characters of earlier messages in a request: the parent whole (up to this), then the newest that fit. */
export const CONTEXT_CHARS = 4000;

/** Slack's direct-message channels have ids starting with D (public channels C, private ones and group DMs G). */
export const isDirect = (channelId: string) => channelId.startsWith('D');

/** What a user typed, as plain text: Compass's own mention removed, Slack's markup resolved. */
export function userText(text: string | undefined, botUserId: string | undefined): string {
  const withoutBot = botUserId
    ? (text ?? '').replace(new RegExp(`<@${botUserId}(?:\\|[^>]*)?>`, 'g'), ' ')
    : (text ?? '');
  return mrkdwnToPlain(withoutBot).replace(/\s+/g, ' ').trim();
}

/** One message of conversations.replies, as far as Compass reads it. */
interface ThreadMessage {
  ts?: string | undefined;
  text?: string | undefined;
  user?: string | undefined;
  bot_id?: string | undefined;
  subtype?: string | undefined;
}

/** Subtypes that are a person writing (a reply also sent to the channel, one with a file); the rest are not. */
const PERSON_SUBTYPES = new Set<string | undefined>([undefined, 'thread_broadcast', 'file_share']);

/** The people's messages of a thread before `beforeTs`, oldest first, as plain text (bots' posts left out). */
export function earlierSaid(
  messages: ThreadMessage[],
  beforeTs: string,
  botUserId: string | undefined,
): string[] {
  return messages
    .filter(
      (message) =>
        message.ts !== undefined &&
        Number(message.ts) < Number(beforeTs) &&
        !message.bot_id &&
        message.user !== botUserId &&
        PERSON_SUBTYPES.has(message.subtype),
    )
    .map((message) => userText(message.text, botUserId))
    .filter((text) => text !== '');
}

/**
 * A mention's request with what the thread said before it: the parent first (it usually states the need), then the
 * newest earlier messages that fit CONTEXT_CHARS, then the mention itself. Each on its own line.
 */
export function withThreadContext(earlier: string[], said: string): string {
  if (earlier.length === 0) return said;
  const [parent, ...rest] = earlier as [string, ...string[]];
  let budget = CONTEXT_CHARS - Math.min(parent.length, CONTEXT_CHARS);
  const kept: string[] = [];
  for (const text of rest.toReversed()) {
    if (text.length > budget) break;
    kept.unshift(text);
    budget -= text.length;
  }
  return [parent.slice(0, CONTEXT_CHARS), ...kept, said].filter((text) => text !== '').join('\n');
}

/** The earlier messages of the thread a mention was posted in (conversations.replies, a few pages at most). */
export async function readThread(
  client: webApi.WebClient,
  key: ThreadKey,
  beforeTs: string,
  botUserId: string | undefined,
): Promise<string[]> {
  const messages: ThreadMessage[] = [];
  for await (const page of threadPages(client, key)) {
    messages.push(...page);
    if (page.some((message) => Number(message.ts) >= Number(beforeTs))) break;
  }
  return earlierSaid(messages, beforeTs, botUserId);
}

/**
 * The ts of a message of Compass's with exactly `text` posted in the thread after `afterTs`, or undefined: how a turn
 * resumed after a crash tells a reply that reached Slack, uncounted, from one never sent. Reads a few pages at most.
 */
export async function findOwnReply(
  client: webApi.WebClient,
  key: ThreadKey,
  afterTs: string,
  text: string,
  botUserId: string | undefined,
): Promise<string | undefined> {
  for await (const page of threadPages(client, key)) {
    const own = page.find(
      (message) =>
        Number(message.ts) > Number(afterTs) &&
        (message.bot_id !== undefined || message.user === botUserId) &&
        message.text === text,
    );
    if (own?.ts) return own.ts;
  }
  return undefined;
}

/** The thread's messages a page at a time, oldest first, PAGES pages at most. */
async function* threadPages(client: webApi.WebClient, key: ThreadKey): AsyncGenerator<ThreadMessage[]> {
  let cursor: string | undefined;
  for (let page = 0; page < PAGES; page++) {
    const answer = await client.conversations.replies({
      channel: key.channelId,
      ts: key.threadTs,
      limit: PAGE,
      ...(cursor ? { cursor } : {}),
    });
    yield answer.messages ?? [];
    cursor = answer.response_metadata?.next_cursor;
    if (!answer.has_more || !cursor) return;
  }
}
