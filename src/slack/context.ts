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
  /** Only with include_all_metadata. */
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> } | undefined;
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
 * What Compass attaches to each reply of a durable turn (Slack message metadata, which people do not see): the turn
 * (its inbox event id) and the reply's place in it. A turn resumed after a crash looks for it to tell a reply that
 * reached Slack, uncounted, from one never sent, whatever Slack made of the text (escaped &, < and >, trimmed
 * whitespace, a blocks-only message's fallback).
 */
export interface ReplyMarker {
  event_type: typeof REPLY_EVENT;
  event_payload: { turn: string; reply: number };
}

export const REPLY_EVENT = 'compass_reply';

export const replyMarker = (turn: string, reply: number): ReplyMarker => ({
  event_type: REPLY_EVENT,
  event_payload: { turn, reply },
});

const marks = (message: ThreadMessage, marker: ReplyMarker) =>
  message.metadata?.event_type === marker.event_type &&
  message.metadata.event_payload?.turn === marker.event_payload.turn &&
  message.metadata.event_payload?.reply === marker.event_payload.reply;

/**
 * The ts of Compass's message carrying `marker` posted after `afterTs`, or undefined: in the thread `key.threadTs`
 * (conversations.replies), or at the channel's top level when it is undefined, as in a DM's own conversation
 * (conversations.history). Reads a few pages at most.
 */
export async function findOwnReply(
  client: webApi.WebClient,
  key: { channelId: string; threadTs: string | undefined },
  afterTs: string,
  marker: ReplyMarker,
  botUserId: string | undefined,
): Promise<string | undefined> {
  const channel = key.channelId;
  const source = key.threadTs
    ? threadPages(client, { channelId: channel, threadTs: key.threadTs }, true)
    : pages((cursor) =>
        client.conversations.history({
          channel,
          oldest: afterTs,
          include_all_metadata: true,
          limit: PAGE,
          ...(cursor ? { cursor } : {}),
        }),
      );
  for await (const page of source) {
    const own = page.find(
      (message) =>
        Number(message.ts) > Number(afterTs) &&
        (message.bot_id !== undefined || message.user === botUserId) &&
        marks(message, marker),
    );
    if (own?.ts) return own.ts;
  }
  return undefined;
}

/** One page of conversations.replies or conversations.history, as far as Compass reads it. */
interface Page {
  messages?: ThreadMessage[] | undefined;
  has_more?: boolean | undefined;
  response_metadata?: { next_cursor?: string | undefined } | undefined;
}

/** Messages a page at a time, PAGES pages at most, from `read` given the previous page's cursor. */
async function* pages(read: (cursor: string | undefined) => Promise<Page>): AsyncGenerator<ThreadMessage[]> {
  let cursor: string | undefined;
  for (let page = 0; page < PAGES; page++) {
    const answer = await read(cursor);
    yield answer.messages ?? [];
    cursor = answer.response_metadata?.next_cursor;
    if (!answer.has_more || !cursor) return;
  }
}

/** The thread's messages a page at a time, oldest first; with `metadata`, each with its message metadata. */
const threadPages = (
  client: webApi.WebClient,
  key: Pick<ThreadKey, 'channelId' | 'threadTs'>,
  metadata = false,
) =>
  pages((cursor) =>
    client.conversations.replies({
      channel: key.channelId,
      ts: key.threadTs,
      limit: PAGE,
      ...(metadata ? { include_all_metadata: true } : {}),
      ...(cursor ? { cursor } : {}),
    }),
  );
