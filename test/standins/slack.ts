import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { validateHomeView, validateMessage, validateView } from '../../src/slack/blocks/validate.js';
import type { RunningServer } from './http.js';
import { listen, readBody } from './http.js';

/** One Web API call as Slack would have received it. */
export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  /** The bearer token it carried. */
  token: string | undefined;
  /** performance.now() on arrival. */
  at: number;
  /** What the stand-in answered (absent while in flight, or for a rate-limited or failed-on-request call). */
  result?: Record<string, unknown>;
}

/** A POST to a response_url (what Bolt's `respond` sends). */
export interface ResponsePost {
  id: string;
  body: Record<string, unknown>;
  at: number;
}

type Trouble =
  | { kind: 'error'; error: string }
  | { kind: 'ratelimited'; retryAfterSeconds: number }
  | { kind: 'pass' }
  | { kind: 'hang' }
  | { kind: 'delay'; ms: number };

/** What a Socket Mode app sent back for one envelope: its acknowledgement. */
export interface SocketAck {
  envelopeId: string;
  payload: Record<string, unknown>;
  /** From sending the envelope to receiving the acknowledgement. */
  ms: number;
}

export interface SlackStandIn extends RunningServer {
  /** The Web API base URL to give the client (`slackApiUrl`). */
  apiUrl: string;
  botToken: string;
  /** The app-level token apps.connections.open accepts (Socket Mode). */
  appToken: string;
  /** Socket Mode: whether an app is connected (it got its `hello`). */
  socketConnected(): boolean;
  /**
   * Socket Mode: sends an envelope (`events_api`, `slash_commands`, `interactive`) to the connected app and resolves
   * with its acknowledgement.
   */
  sendEnvelope(
    type: string,
    payload: Record<string, unknown>,
    acceptsResponsePayload?: boolean,
  ): Promise<SocketAck>;
  teamId: string;
  botUserId: string;
  botId: string;
  /** Every Web API call, answered or not, in arrival order. */
  calls: SlackCall[];
  responses: ResponsePost[];
  /** A response_url on this server for a slash command or an interaction. */
  responseUrl(id: string): string;
  /** The next `times` calls of `method` fail with Slack's `{ ok: false, error }`. */
  failNext(method: string, error: string, times?: number): void;
  /** The next `times` calls of `method` get HTTP 429 with Retry-After, as Slack rate-limits. */
  rateLimitNext(method: string, retryAfterSeconds: number, times?: number): void;
  /**
   * After `after` calls of `method` answered normally, the next one is held: `hang` never answers it (nor acts on it),
   * `delay` acts on it and answers after `ms`. For killing a process in the middle of its replies.
   */
  holdNext(method: string, hold: { kind: 'hang' } | { kind: 'delay'; ms: number }, after?: number): void;
  /** Calls of `method`, optionally only those whose arguments match `where`. */
  callsOf(method: string, where?: Record<string, unknown>): SlackCall[];
  /** Resolves once `probe` returns (or resolves to) a value, polling every few milliseconds; rejects after `timeoutMs`. */
  waitFor<T>(
    probe: () => T | undefined | false | Promise<T | undefined | false>,
    timeoutMs?: number,
  ): Promise<T>;
  /** A message as it reads now (after any chat.update), by channel and ts. */
  message(channel: string, ts: string): PostedMessage | undefined;
  /** The messages posted in a thread (or, without `threadTs`, at the channel's top level), as they read now. */
  thread(channel: string, threadTs?: string): PostedMessage[];
  /** A fresh trigger_id, as Slack puts in every interaction; views.open/push accept it for 3 s. */
  newTrigger(): string;
  /** A view as it is now (views.open / update / push, or a view_submission's response_action: update). */
  view(id: string): StoredView | undefined;
  /** Every view, in the order first opened or pushed. */
  views: StoredView[];
  /** The Home tab a user sees now (the last views.publish for them), or undefined before any. */
  home(userId: string): PublishedHome | undefined;
  /**
   * What Slack does with a view_submission's acknowledgement: `update` replaces the view, `errors` shows them under
   * the inputs (kept in `errors`), an empty answer closes the view.
   */
  applyViewResponse(
    viewId: string,
    body: string,
  ): { response_action?: string; errors?: Record<string, string> };
  /** Members of a user group, as usergroups.users.list answers. */
  setUsergroup(id: string, users: string[]): void;
  /**
   * Remembers a message a person posted (what the harness delivers as an event), so conversations.replies returns it
   * with the bot's own posts, as Slack's history would.
   */
  said(message: PostedMessage & { user: string }): void;
  /** Files shared with files.completeUploadExternal (what files.uploadV2 ends with), in order. */
  files: SharedFile[];
  /** Every image a view's image block pointed at, as this stand-in fetched it (Slack fetches them itself), in order. */
  images: FetchedImage[];
}

/** An image block's image_url as Slack fetches it when a view is opened, pushed or updated. */
export interface FetchedImage {
  url: string;
  status: number;
  contentType: string | null;
  bytes: Buffer;
}

/**
 * A file as Slack's external upload flow shares it (https://docs.slack.dev/messaging/working-with-files): reserved
 * by files.getUploadURLExternal (filename, length), its bytes POSTed to the upload URL, then shared by
 * files.completeUploadExternal into `channel_id` (a reply when `thread_ts` is given).
 */
export interface SharedFile {
  id: string;
  filename: string;
  title: string;
  bytes: Buffer;
  channel: string | null;
  threadTs: string | null;
  initialComment: string | null;
}

/** A Home tab as views.publish last set it for one user. */
export interface PublishedHome {
  hash: string;
  callback_id: string;
  blocks: Record<string, unknown>[];
  /** How many times it was published. */
  publishes: number;
}

/** A message in the stand-in's memory. */
export interface PostedMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  blocks: Record<string, unknown>[];
  /** Who posted it; absent for the bot's own posts. */
  user?: string;
  /** chat.postMessage's `metadata`, as Slack keeps it. */
  metadata?: MessageMetadata;
}

/** Slack message metadata (https://docs.slack.dev/messaging/message-metadata): an event type and its payload. */
export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

/** chat.postMessage's `metadata` if Slack would take it: an event_type string and an event_payload object. */
function metadataOf(value: unknown): MessageMetadata | 'invalid' {
  const candidate = value as Partial<MessageMetadata> | null;
  if (typeof candidate !== 'object' || candidate === null) return 'invalid';
  if (typeof candidate.event_type !== 'string' || candidate.event_type === '') return 'invalid';
  if (typeof candidate.event_payload !== 'object' || candidate.event_payload === null) return 'invalid';
  return { event_type: candidate.event_type, event_payload: candidate.event_payload };
}

/** Slack's markup that stays as sent: mentions, channel links, special mentions, links. */
const MARKUP = /<(?:[@#!]|https?:\/\/|mailto:)[^<>]*>/g;

/**
 * A message's text as Slack's history methods return it: &, < and > escaped outside Slack's markup (entities already
 * escaped left as they are) and trailing whitespace dropped. (Every message Compass posts has a fallback text, which
 * the stand-in requires, so a blocks-only message's placeholder text never arises.)
 */
export function textAsSlackReturns(text: string): string {
  const escaped = (plain: string) =>
    plain
      .replace(/&(?!(?:amp|lt|gt);)/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;');
  let out = '';
  let from = 0;
  for (const match of text.matchAll(MARKUP)) {
    out += escaped(text.slice(from, match.index)) + match[0];
    from = match.index + match[0].length;
  }
  return (out + escaped(text.slice(from))).trimEnd();
}

/** A boolean argument as Slack's clients send it: true, or "true" / "1" in a form. */
const flag = (value: unknown) => value === true || value === 'true' || value === '1' || value === 1;

/** A modal in the stand-in's memory, as Slack would hand it back in interactions. */
export interface StoredView {
  id: string;
  hash: string;
  callback_id: string;
  private_metadata: string;
  title: { text: string };
  blocks: Record<string, unknown>[];
  /** The view it was pushed on, if any. */
  parent?: string;
  /** Shown under the inputs after a response_action: errors. */
  errors?: Record<string, string>;
  closed: boolean;
}

/** Trigger ids expire 3 s after the interaction that carried them (https://docs.slack.dev/interactivity). */
const TRIGGER_LIFE_MS = 3000;
/** A modal holds at most three views in its stack. */
const VIEW_STACK = 3;

/** Form fields as Slack's client sends them: objects (blocks, view, …) arrive JSON-encoded. */
function parseArgs(body: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.includes('application/json'))
    return body ? (JSON.parse(body) as Record<string, unknown>) : {};
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    args[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
  }
  return args;
}

/** The file in an upload POST: Slack takes raw bytes or a multipart form (the Node SDK sends the latter). */
async function uploadedBytes(body: Buffer, contentType: string | undefined): Promise<Buffer> {
  if (!contentType?.startsWith('multipart/form-data')) return body;
  const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  const file = [...form.values()].find((value) => typeof value !== 'string');
  return typeof file === 'object' ? Buffer.from(await file.arrayBuffer()) : Buffer.alloc(0);
}

/** A text frame from server to client (unmasked), RFC 6455 §5.2. */
function textFrame(text: string, opcode = 0x1): Buffer {
  const payload = Buffer.from(text);
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x80 | opcode, length])
      : length < 65_536
        ? Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 127]), Buffer.alloc(8)]);
  if (length >= 65_536) header.writeBigUInt64BE(BigInt(length), 2);
  return Buffer.concat([header, payload]);
}

/** Splits complete client frames (always masked) off `buffer`; returns them and the unconsumed rest. */
function readFrames(buffer: Buffer): { frames: { opcode: number; payload: Buffer }[]; rest: Buffer } {
  const frames: { opcode: number; payload: Buffer }[] = [];
  let offset = 0;
  while (buffer.length - offset >= 2) {
    const opcode = buffer[offset]! & 0x0f;
    const masked = (buffer[offset + 1]! & 0x80) !== 0;
    let length = buffer[offset + 1]! & 0x7f;
    let at = offset + 2;
    if (length === 126) {
      if (buffer.length < at + 2) break;
      length = buffer.readUInt16BE(at);
      at += 2;
    } else if (length === 127) {
      if (buffer.length < at + 8) break;
      length = Number(buffer.readBigUInt64BE(at));
      at += 8;
    }
    const maskLength = masked ? 4 : 0;
    if (buffer.length < at + maskLength + length) break;
    const mask = buffer.subarray(at, at + maskLength);
    const payload = Buffer.from(buffer.subarray(at + maskLength, at + maskLength + length));
    if (masked) for (let index = 0; index < payload.length; index++) payload[index]! ^= mask[index % 4]!;
    frames.push({ opcode, payload });
    offset = at + maskLength + length;
  }
  return { frames, rest: buffer.subarray(offset) };
}

/**
 * Slack's Socket Mode end: a WebSocket server (handshake and frames by hand, text only) that says `hello`, sends
 * envelopes and collects the app's acknowledgements by envelope id; answers pings with pongs.
 */
async function startSocketServer() {
  let socket: Duplex | undefined;
  let connected = false;
  const pending = new Map<string, { sentAt: number; resolve: (ack: SocketAck) => void }>();
  const server = createServer((_request, response) => {
    response.writeHead(426);
    response.end();
  });
  server.on('upgrade', (request: IncomingMessage, upgraded: Duplex) => {
    const key = request.headers['sec-websocket-key'];
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    upgraded.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket = upgraded;
    let buffered: Buffer = Buffer.alloc(0);
    upgraded.on('data', (chunk: Buffer) => {
      const { frames, rest } = readFrames(Buffer.concat([buffered, chunk]));
      buffered = rest;
      for (const { opcode, payload } of frames) {
        if (opcode === 0x9) upgraded.write(textFrame(payload.toString(), 0xa));
        else if (opcode === 0x8) {
          upgraded.end(textFrame('', 0x8));
          connected = false;
        } else if (opcode === 0x1) {
          const message = JSON.parse(payload.toString()) as {
            envelope_id: string;
            payload?: Record<string, unknown>;
          };
          const waiting = pending.get(message.envelope_id);
          pending.delete(message.envelope_id);
          waiting?.resolve({
            envelopeId: message.envelope_id,
            payload: message.payload ?? {},
            ms: performance.now() - waiting.sentAt,
          });
        }
      }
    });
    upgraded.on('close', () => {
      connected = false;
    });
    upgraded.on('error', () => {
      connected = false;
    });
    upgraded.write(
      textFrame(
        JSON.stringify({
          type: 'hello',
          num_connections: 1,
          debug_info: { host: 'stand-in', approximate_connection_time: 3600 },
          connection_info: { app_id: 'A0COMPASS' },
        }),
      ),
    );
    connected = true;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/link`,
    connected: () => connected,
    send(type: string, payload: Record<string, unknown>, acceptsResponsePayload = false): Promise<SocketAck> {
      if (!socket || !connected)
        return Promise.reject(new Error('Slack stand-in: no Socket Mode app is connected'));
      const envelopeId = randomUUID();
      const acked = new Promise<SocketAck>((resolve) => {
        pending.set(envelopeId, { sentAt: performance.now(), resolve });
      });
      socket.write(
        textFrame(
          JSON.stringify({
            envelope_id: envelopeId,
            type,
            payload,
            accepts_response_payload: acceptsResponsePayload,
            retry_attempt: 0,
            retry_reason: '',
          }),
        ),
      );
      return acked;
    },
    close: () =>
      new Promise<void>((resolve) => {
        socket?.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A local Slack Web API for the real @slack/web-api client: records every call and answers like Slack, including
 * rate limiting (429 + Retry-After) and error answers on request. Also serves response_urls, and Socket Mode's
 * WebSocket end (apps.connections.open hands out its URL for the app-level token).
 */
export async function startSlackStandIn(
  options: { botToken?: string; appToken?: string; teamId?: string; botUserId?: string; botId?: string } = {},
): Promise<SlackStandIn> {
  const botToken = options.botToken ?? 'xoxb-test-token';
  const appToken = options.appToken ?? 'xapp-test-token';
  const sockets = await startSocketServer();
  const teamId = options.teamId ?? 'T0COMPASS';
  const botUserId = options.botUserId ?? 'U0COMPASS';
  const botId = options.botId ?? 'B0COMPASS';
  const calls: SlackCall[] = [];
  const responses: ResponsePost[] = [];
  const troubles = new Map<string, Trouble[]>();
  const messages = new Map<string, PostedMessage>();
  const views = new Map<string, StoredView>();
  const homes = new Map<string, PublishedHome>();
  const triggers = new Map<string, number>();
  const usergroups = new Map<string, string[]>();
  let sequence = 0;
  const nextTs = () => `${1_800_000_000 + ++sequence}.000100`;
  const messageKey = (channel: string, ts: string) => `${channel}/${ts}`;
  /** Reactions the bot has on messages, as `channel/ts/name`. */
  const reactions = new Set<string>();
  /** reactions.add and reactions.remove: the message must exist; one reaction of a name per message. */
  function reaction(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const key = messageKey(String(args.channel), String(args.timestamp));
    if (!messages.has(key) && !peoples.has(key)) return { ok: false, error: 'message_not_found' };
    const mark = `${key}/${String(args.name)}`;
    if (method === 'reactions.add') {
      if (reactions.has(mark)) return { ok: false, error: 'already_reacted' };
      reactions.add(mark);
    } else if (!reactions.delete(mark)) return { ok: false, error: 'no_reaction' };
    return { ok: true };
  }

  /** What people posted (the bot's posts are in `messages`), by channel and ts. */
  const peoples = new Map<string, PostedMessage & { user: string }>();

  /**
   * conversations.replies (https://docs.slack.dev/reference/methods/conversations.replies): `channel` and `ts` are
   * required; `ts` may be the parent or any reply and must exist; the thread comes back parent first, oldest first,
   * `limit` at a time (default and most 1000 for an internal app) with `has_more` and a `next_cursor`. A message
   * without replies comes back alone. Texts come back as Slack renders them (textAsSlackReturns), message metadata
   * only with `include_all_metadata`.
   */
  function threadReplies(args: Record<string, unknown>): Record<string, unknown> {
    const channel = args.channel as string | undefined;
    const ts = args.ts as string | undefined;
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const key = ts && messageKey(channel, ts);
    const found = key ? (messages.get(key) ?? peoples.get(key)) : undefined;
    if (!found) return { ok: false, error: 'thread_not_found' };
    const root = found.thread_ts ?? found.ts;
    const thread = [...messages.values(), ...peoples.values()]
      .filter((message) => message.channel === channel && (message.ts === root || message.thread_ts === root))
      .sort((a, b) => Number(a.ts) - Number(b.ts));
    return pageOf(thread, args, 1000, (message) => ({
      ...asReturned(message, flag(args.include_all_metadata)),
      ...(message.thread_ts || message.ts === root ? { thread_ts: root } : {}),
    }));
  }

  /** A message as conversations.replies and conversations.history return it; its metadata only when asked for. */
  const asReturned = (message: PostedMessage, withMetadata: boolean) => ({
    type: 'message',
    ts: message.ts,
    text: textAsSlackReturns(message.text),
    ...(message.user ? { user: message.user } : { user: botUserId, bot_id: botId }),
    ...(withMetadata && message.metadata ? { metadata: message.metadata } : {}),
  });

  /** `limit` messages from the cursor on (default and most `most`), with has_more and the next cursor. */
  function pageOf(
    messages: PostedMessage[],
    args: Record<string, unknown>,
    most: number,
    shown: (message: PostedMessage) => Record<string, unknown>,
  ): Record<string, unknown> {
    const limit = Math.min(most, Math.max(1, Number(args.limit ?? most) || most));
    const from = args.cursor ? Number(Buffer.from(String(args.cursor), 'base64').toString()) : 0;
    if (!Number.isInteger(from) || from < 0) return { ok: false, error: 'invalid_cursor' };
    const page = messages.slice(from, from + limit);
    const hasMore = from + limit < messages.length;
    return {
      ok: true,
      messages: page.map(shown),
      has_more: hasMore,
      response_metadata: { next_cursor: hasMore ? Buffer.from(String(from + limit)).toString('base64') : '' },
    };
  }

  /**
   * conversations.history (https://docs.slack.dev/reference/methods/conversations.history): a channel's top-level
   * messages (thread parents, not their replies), newest first, between `oldest` and `latest` (each excluded unless
   * `inclusive`), `limit` at a time (default 100, most 999).
   */
  function channelHistory(args: Record<string, unknown>): Record<string, unknown> {
    const channel = args.channel as string | undefined;
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const inclusive = flag(args.inclusive);
    const oldest = Number(args.oldest ?? 0);
    const latest = args.latest === undefined ? Number.POSITIVE_INFINITY : Number(args.latest);
    const within = (ts: number) => (inclusive ? ts >= oldest && ts <= latest : ts > oldest && ts < latest);
    const history = [...messages.values(), ...peoples.values()]
      .filter(
        (message) =>
          message.channel === channel &&
          (!message.thread_ts || message.thread_ts === message.ts) &&
          within(Number(message.ts)),
      )
      .sort((a, b) => Number(b.ts) - Number(a.ts));
    return pageOf(history, args, 100, (message) => asReturned(message, flag(args.include_all_metadata)));
  }

  /** Slack's answer to a message it would reject, or undefined. */
  const invalidMessage = (args: Record<string, unknown>) => {
    const problems = validateMessage({ text: args.text, blocks: args.blocks });
    return problems.length > 0 ? { ok: false, error: 'invalid_blocks', errors: problems } : undefined;
  };

  /** Whether a trigger_id is one this stand-in issued, and still alive. */
  function triggerProblem(trigger: unknown): string | undefined {
    const issued = typeof trigger === 'string' ? triggers.get(trigger) : undefined;
    if (issued === undefined) return 'invalid_trigger_id';
    if (Date.now() - issued > TRIGGER_LIFE_MS) return 'expired_trigger_id';
    return undefined;
  }

  function storeView(args: Record<string, unknown>, id: string, parent?: string): Record<string, unknown> {
    const view = args.view as Record<string, unknown>;
    const stored: StoredView = {
      id,
      hash: `${Date.now()}.${++sequence}`,
      callback_id: (view.callback_id as string | undefined) ?? '',
      private_metadata: (view.private_metadata as string | undefined) ?? '',
      title: view.title as { text: string },
      blocks: (view.blocks as Record<string, unknown>[] | undefined) ?? [],
      closed: false,
      ...(parent ? { parent } : {}),
    };
    views.set(id, stored);
    return { ok: true, view: { ...view, id, hash: stored.hash } };
  }

  function viewCall(method: string, args: Record<string, unknown>): Record<string, unknown> {
    if (!args.view || typeof args.view !== 'object') return { ok: false, error: 'invalid_arguments' };
    const problems = validateView(args.view);
    if (problems.length > 0)
      return { ok: false, error: 'invalid_arguments', response_metadata: { messages: problems } };
    if (method === 'views.update') {
      const current = views.get(args.view_id as string);
      if (!current || current.closed) return { ok: false, error: 'not_found' };
      if (args.hash !== undefined && args.hash !== current.hash) return { ok: false, error: 'hash_conflict' };
      return storeView(args, current.id, current.parent);
    }
    const expired = triggerProblem(args.trigger_id);
    if (expired) return { ok: false, error: expired };
    const id = `V${String(++sequence).padStart(8, '0')}`;
    if (method === 'views.open') return storeView(args, id);
    // views.push: on top of the newest open view; a stack holds three.
    const top = [...views.values()].filter((view) => !view.closed).at(-1);
    if (!top) return { ok: false, error: 'not_found' };
    let depth = 1;
    for (let at: StoredView | undefined = top; at?.parent; at = views.get(at.parent)) depth++;
    if (depth >= VIEW_STACK) return { ok: false, error: 'push_limit_reached' };
    return storeView(args, id, top.id);
  }

  /**
   * views.publish (https://docs.slack.dev/reference/methods/views.publish): a Home tab view for `user_id`, refused as
   * invalid_arguments when Slack would reject the view, hash_conflict when `hash` is not the current one.
   */
  function publish(args: Record<string, unknown>): Record<string, unknown> {
    const userId = args.user_id;
    if (typeof userId !== 'string' || !userId || !args.view || typeof args.view !== 'object')
      return { ok: false, error: 'invalid_arguments' };
    const problems = validateHomeView(args.view);
    if (problems.length > 0)
      return { ok: false, error: 'invalid_arguments', response_metadata: { messages: problems } };
    const current = homes.get(userId);
    if (args.hash !== undefined && args.hash !== current?.hash) return { ok: false, error: 'hash_conflict' };
    const view = args.view as Record<string, unknown>;
    const published: PublishedHome = {
      hash: `${Date.now()}.${++sequence}`,
      callback_id: (view.callback_id as string | undefined) ?? '',
      blocks: view.blocks as Record<string, unknown>[],
      publishes: (current?.publishes ?? 0) + 1,
    };
    homes.set(userId, published);
    return {
      ok: true,
      view: { ...view, id: `V${String(++sequence).padStart(8, '0')}`, hash: published.hash },
    };
  }

  const json = (
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    response.end(JSON.stringify(body));
  };

  /** Uploads reserved by files.getUploadURLExternal, by file id; bytes once POSTed to the upload URL. */
  const uploads = new Map<string, { filename: string; length: number; bytes: Buffer | null }>();
  const files: SharedFile[] = [];
  const images: FetchedImage[] = [];

  /**
   * Slack fetches every image_url of a view before it accepts the view, and refuses one it cannot download as an
   * image (for messages it answers invalid_blocks, "downloading image failed"); the stand-in does the same.
   */
  async function unfetchableImage(view: unknown): Promise<Record<string, unknown> | undefined> {
    const blocks = (view as { blocks?: { type?: string; image_url?: string }[] } | undefined)?.blocks ?? [];
    for (const [at, block] of blocks.entries()) {
      if (block.type !== 'image' || typeof block.image_url !== 'string') continue;
      const fetched = await fetch(block.image_url).then(
        async (reply) => ({
          url: block.image_url!,
          status: reply.status,
          contentType: reply.headers.get('content-type'),
          bytes: Buffer.from(await reply.arrayBuffer()),
        }),
        () => ({ url: block.image_url!, status: 0, contentType: null, bytes: Buffer.alloc(0) }),
      );
      images.push(fetched);
      if (fetched.status !== 200 || !fetched.contentType?.startsWith('image/'))
        return {
          ok: false,
          error: 'invalid_blocks',
          errors: [`downloading image failed [json-pointer:/blocks/${at}/image_url]`],
        };
    }
    return undefined;
  }

  function completeUpload(args: Record<string, unknown>): Record<string, unknown> {
    const listed = (typeof args.files === 'string' ? JSON.parse(args.files) : args.files) as
      | { id: string; title?: string }[]
      | undefined;
    if (!Array.isArray(listed) || listed.length === 0) return { ok: false, error: 'invalid_arguments' };
    const channel = (args.channel_id as string | undefined) ?? null;
    const threadTs = (args.thread_ts as string | undefined) ?? null;
    if (threadTs && !channel) return { ok: false, error: 'invalid_arguments' };
    for (const { id } of listed) {
      const upload = uploads.get(id);
      // Slack cannot complete a file whose bytes never arrived, or arrived short.
      if (!upload?.bytes || upload.bytes.length !== upload.length)
        return { ok: false, error: 'file_not_found' };
    }
    const shared = listed.map(({ id, title }) => {
      const upload = uploads.get(id)!;
      uploads.delete(id);
      const file: SharedFile = {
        id,
        filename: upload.filename,
        title: title ?? upload.filename,
        bytes: upload.bytes!,
        channel,
        threadTs,
        initialComment: (args.initial_comment as string | undefined) ?? null,
      };
      files.push(file);
      return file;
    });
    if (channel) {
      const ts = nextTs();
      messages.set(messageKey(channel, ts), {
        channel,
        ts,
        text: (args.initial_comment as string | undefined) ?? '',
        blocks: [],
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
    }
    return {
      ok: true,
      files: shared.map((file) => ({ id: file.id, title: file.title, name: file.filename })),
    };
  }

  function answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const channel = args.channel as string | undefined;
    switch (method) {
      case 'files.getUploadURLExternal': {
        const length = Number(args.length);
        if (!args.filename || !Number.isInteger(length) || length <= 0)
          return { ok: false, error: 'missing_argument' };
        const id = `F${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
        uploads.set(id, { filename: args.filename as string, length, bytes: null });
        return { ok: true, upload_url: `${server.url}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal':
        return completeUpload(args);
      case 'auth.test':
        return {
          ok: true,
          url: 'https://compass-test.slack.com/',
          team: 'Compass Test',
          user: 'compass',
          team_id: teamId,
          user_id: botUserId,
          bot_id: botId,
          is_enterprise_install: false,
        };
      case 'chat.postMessage': {
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (!args.text && !args.blocks) return { ok: false, error: 'no_text' };
        const invalid = invalidMessage(args);
        if (invalid) return invalid;
        const metadata = args.metadata === undefined ? undefined : metadataOf(args.metadata);
        if (metadata === 'invalid') return { ok: false, error: 'invalid_metadata_format' };
        const ts = nextTs();
        messages.set(messageKey(channel, ts), {
          channel,
          ts,
          text: args.text as string,
          blocks: (args.blocks ?? []) as Record<string, unknown>[],
          ...(args.thread_ts ? { thread_ts: args.thread_ts as string } : {}),
          ...(metadata ? { metadata } : {}),
        });
        const message = {
          type: 'message',
          user: botUserId,
          bot_id: botId,
          text: args.text,
          ts,
          ...(args.thread_ts ? { thread_ts: args.thread_ts } : {}),
          ...(args.blocks ? { blocks: args.blocks } : {}),
        };
        return { ok: true, channel, ts, message };
      }
      case 'chat.getPermalink': {
        // https://docs.slack.dev/reference/methods/chat.getPermalink: no scope; a reply's link names its thread.
        const found = channel && messages.get(messageKey(channel, args.message_ts as string));
        if (!found) return { ok: false, error: 'message_not_found' };
        const thread = found.thread_ts ? `?thread_ts=${found.thread_ts}&cid=${channel}` : '';
        const permalink = `https://compass-test.slack.com/archives/${channel}/p${found.ts.replace('.', '')}${thread}`;
        return { ok: true, channel, permalink };
      }
      case 'chat.update': {
        const existing = channel && messages.get(messageKey(channel, args.ts as string));
        if (!existing) return { ok: false, error: 'message_not_found' };
        const invalid = invalidMessage(args);
        if (invalid) return invalid;
        existing.text = args.text as string;
        existing.blocks = (args.blocks ?? []) as Record<string, unknown>[];
        return { ok: true, channel, ts: args.ts, text: args.text };
      }
      case 'chat.postEphemeral': {
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (!args.user) return { ok: false, error: 'user_not_in_channel' };
        const invalid = invalidMessage(args);
        if (invalid) return invalid;
        return { ok: true, message_ts: nextTs() };
      }
      case 'views.publish':
        return publish(args);
      case 'views.open':
      case 'views.push':
      case 'views.update':
        return viewCall(method, args);
      case 'conversations.replies':
        return threadReplies(args);
      case 'conversations.history':
        return channelHistory(args);
      case 'reactions.add':
      case 'reactions.remove':
        return reaction(method, args);
      case 'usergroups.users.list': {
        const users = usergroups.get(args.usergroup as string);
        return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
      }
      case 'users.info':
        return {
          ok: true,
          user: {
            id: args.user,
            team_id: teamId,
            name: `user-${args.user}`,
            real_name: 'Test User',
            tz: 'UTC',
          },
        };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  async function api(request: IncomingMessage, response: ServerResponse, method: string) {
    const args = parseArgs(await readBody(request), request.headers['content-type']);
    const bearer = request.headers.authorization?.replace(/^Bearer\s+/i, '');
    const token = bearer ?? (args.token as string | undefined);
    const call: SlackCall = { method, args, token, at: performance.now() };
    calls.push(call);
    const queued = troubles.get(method);
    const trouble = queued?.shift();
    if (trouble?.kind === 'ratelimited') {
      json(
        response,
        429,
        { ok: false, error: 'ratelimited' },
        { 'retry-after': String(trouble.retryAfterSeconds) },
      );
      return;
    }
    if (trouble?.kind === 'error') return json(response, 200, { ok: false, error: trouble.error });
    if (trouble?.kind === 'hang') return;
    if (trouble?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, trouble.ms));
    if (!token) return json(response, 200, { ok: false, error: 'not_authed' });
    if (method === 'apps.connections.open') {
      if (token !== appToken) return json(response, 200, { ok: false, error: 'invalid_auth' });
      return json(response, 200, { ok: true, url: sockets.url });
    }
    if (token !== botToken) return json(response, 200, { ok: false, error: 'invalid_auth' });
    call.result =
      (method.startsWith('views.') && (await unfetchableImage(args.view))) || answer(method, args);
    json(response, 200, call.result);
  }

  const server = await listen(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://stand-in').pathname;
    const apiMethod = /^\/api\/([\w.]+)$/.exec(path);
    if (request.method === 'POST' && apiMethod) return api(request, response, apiMethod[1]!);
    const upload = /^\/upload\/(F\w+)$/.exec(path);
    if (request.method === 'POST' && upload) {
      const reserved = uploads.get(upload[1]!);
      if (!reserved) return json(response, 404, { ok: false, error: 'not_found' });
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      reserved.bytes = await uploadedBytes(Buffer.concat(chunks), request.headers['content-type']);
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(`OK - ${reserved.bytes.length}`);
      return;
    }
    const respond = /^\/respond\/([\w-]+)$/.exec(path);
    if (request.method === 'POST' && respond) {
      responses.push({ id: respond[1]!, body: JSON.parse(await readBody(request)), at: performance.now() });
      return json(response, 200, { ok: true });
    }
    json(response, 404, { ok: false, error: 'not_found' });
  });

  const queue = (method: string, trouble: Trouble, times: number) =>
    troubles.set(method, [...(troubles.get(method) ?? []), ...Array.from({ length: times }, () => trouble)]);

  return {
    ...server,
    async close() {
      await sockets.close();
      await server.close();
    },
    apiUrl: `${server.url}/api/`,
    files,
    images,
    botToken,
    appToken,
    socketConnected: sockets.connected,
    sendEnvelope: sockets.send,
    teamId,
    botUserId,
    botId,
    calls,
    responses,
    responseUrl: (id) => `${server.url}/respond/${id}`,
    failNext: (method, error, times = 1) => queue(method, { kind: 'error', error }, times),
    rateLimitNext: (method, retryAfterSeconds, times = 1) =>
      queue(method, { kind: 'ratelimited', retryAfterSeconds }, times),
    holdNext(method, hold, after = 0) {
      queue(method, { kind: 'pass' }, after);
      queue(method, hold, 1);
    },
    callsOf: (method, where = {}) =>
      calls.filter(
        (call) =>
          call.method === method && Object.entries(where).every(([key, value]) => call.args[key] === value),
      ),
    message: (channel, ts) => messages.get(messageKey(channel, ts)),
    thread: (channel, threadTs) =>
      [...messages.values()].filter(
        (message) => message.channel === channel && message.thread_ts === threadTs,
      ),
    newTrigger() {
      const trigger = `${++sequence}.${Date.now()}.${randomUUID().slice(0, 8)}`;
      triggers.set(trigger, Date.now());
      return trigger;
    },
    view: (id) => views.get(id),
    get views() {
      return [...views.values()];
    },
    home: (userId) => homes.get(userId),
    applyViewResponse(viewId, body) {
      const answer = (body ? JSON.parse(body) : {}) as {
        response_action?: string;
        view?: Record<string, unknown>;
        errors?: Record<string, string>;
      };
      const current = views.get(viewId);
      if (!current) return answer;
      if (answer.response_action === 'update' && answer.view) {
        const problems = validateView(answer.view);
        if (problems.length > 0)
          throw new Error(`Slack would reject the updated view: ${problems.join('; ')}`);
        storeView({ view: answer.view }, viewId, current.parent);
      } else if (answer.response_action === 'errors') current.errors = answer.errors ?? {};
      else if (!answer.response_action) current.closed = true;
      return answer;
    },
    setUsergroup: (id, users) => {
      usergroups.set(id, users);
    },
    said(message) {
      peoples.set(messageKey(message.channel, message.ts), message);
    },
    async waitFor(probe, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value !== undefined && value !== false) return value;
        if (Date.now() > deadline)
          throw new Error(`Slack stand-in: condition not met within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}

/** Slack's v0 request signature: HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface DeliveryOptions {
  /** Seconds since the epoch; now by default. */
  timestamp?: number;
  /** Overrides the computed signature (to test rejection). */
  signature?: string;
  headers?: Record<string, string>;
}

export interface Delivery {
  status: number;
  body: string;
  /** Time until Slack would have had its answer (the acknowledgement). */
  ms: number;
}

/** Posts a request to Bolt's HTTP receiver the way Slack does: signed, with the request timestamp. */
export async function deliver(
  url: string,
  secret: string,
  body: string,
  contentType: 'application/json' | 'application/x-www-form-urlencoded',
  options: DeliveryOptions = {},
): Promise<Delivery> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': options.signature ?? slackSignature(secret, timestamp, body),
      ...options.headers,
    },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text, ms: performance.now() - started };
}

let eventCounter = 0;

/** An Events API envelope around `event`, as Slack posts it. */
export function eventEnvelope(
  event: Record<string, unknown>,
  options: { teamId: string; botUserId: string; eventId?: string },
): { eventId: string; body: string } {
  const eventId = options.eventId ?? `Ev${Date.now().toString(36).toUpperCase()}${++eventCounter}`;
  const body = JSON.stringify({
    token: 'legacy-verification-token',
    team_id: options.teamId,
    api_app_id: 'A0COMPASS',
    event: { event_ts: event.ts, ...event },
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      { team_id: options.teamId, user_id: options.botUserId, is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: false,
  });
  return { eventId, body };
}

let triggers = 0;
/** A trigger_id of its own, as Slack gives every invocation (two in the same millisecond differ). */
const newTriggerId = () => `trigger.${Date.now()}.${++triggers}`;

/** A slash command's form body. */
export function slashCommandBody(fields: {
  teamId: string;
  channelId: string;
  userId: string;
  text: string;
  responseUrl: string;
  command?: string;
}): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: fields.teamId,
    team_domain: 'compass-test',
    channel_id: fields.channelId,
    channel_name: 'llm-planning',
    user_id: fields.userId,
    user_name: 'ada',
    command: fields.command ?? '/compass',
    text: fields.text,
    api_app_id: 'A0COMPASS',
    response_url: fields.responseUrl,
    trigger_id: newTriggerId(),
  }).toString();
}

/** The `actions` entry of a button press. */
const pressedButton = (actionId: string, value: string | undefined) => ({
  type: 'button',
  action_id: actionId,
  block_id: 'b1',
  text: { type: 'plain_text', text: 'button' },
  ...(value === undefined ? {} : { value }),
  action_ts: `${Date.now() / 1000}`,
});

/** What every interaction payload starts with. */
const interaction = (type: string, fields: { teamId: string; userId: string }) => ({
  type,
  user: { id: fields.userId, username: 'ada', name: 'ada', team_id: fields.teamId },
  api_app_id: 'A0COMPASS',
  token: 'legacy-verification-token',
});

/** An interaction as Slack posts it: the payload JSON in a form field. */
const formBody = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();

/** A block_actions interaction's form body (one button press). */
export function buttonPressBody(fields: {
  teamId: string;
  channelId: string;
  userId: string;
  actionId: string;
  value?: string;
  responseUrl: string;
  /** The pressed message: its ts, and as Slack sends it, its text and blocks. */
  message?: { ts: string; thread_ts?: string; text?: string; blocks?: Record<string, unknown>[] };
  triggerId?: string;
}): string {
  const payload = {
    ...interaction('block_actions', fields),
    container: fields.message
      ? { type: 'message', message_ts: fields.message.ts, channel_id: fields.channelId, is_ephemeral: false }
      : { type: 'message', message_ts: '1.0', channel_id: fields.channelId, is_ephemeral: true },
    trigger_id: fields.triggerId ?? newTriggerId(),
    team: { id: fields.teamId, domain: 'compass-test' },
    channel: { id: fields.channelId, name: 'llm-planning' },
    ...(fields.message ? { message: { type: 'message', user: 'U0COMPASS', ...fields.message } } : {}),
    response_url: fields.responseUrl,
    actions: [pressedButton(fields.actionId, fields.value)],
  };
  return formBody(payload);
}

/** What a person enters in a modal, by input block_id: text, a choice's value, several values, or nothing. */
export type ViewInputs = Record<string, string | string[] | null>;

type ElementJson = {
  type: string;
  action_id: string;
  initial_value?: string;
  initial_option?: Record<string, unknown>;
  initial_options?: Record<string, unknown>[];
  options?: { text: unknown; value: string }[];
  option_groups?: { options: { text: unknown; value: string }[] }[];
};

/**
 * `view.state.values` as Slack sends it: every input block, with what `inputs` says or else its initial value (Slack
 * submits what is prefilled). A choice not among the element's options is sent anyway, as a forged payload would be.
 */
export function viewState(
  view: StoredView,
  inputs: ViewInputs = {},
): Record<string, Record<string, unknown>> {
  const values: Record<string, Record<string, unknown>> = {};
  for (const block of view.blocks) {
    if (block.type !== 'input') continue;
    const blockId = block.block_id as string;
    const element = block.element as ElementJson;
    const given = Object.hasOwn(inputs, blockId) ? inputs[blockId] : undefined;
    const option = (value: string) =>
      [...(element.options ?? []), ...(element.option_groups ?? []).flatMap((group) => group.options)].find(
        (candidate) => candidate.value === value,
      ) ?? {
        text: { type: 'plain_text', text: value },
        value,
      };
    let state: Record<string, unknown>;
    switch (element.type) {
      case 'static_select': {
        const chosen =
          given === undefined
            ? (element.initial_option ?? null)
            : given === null
              ? null
              : option(String(given));
        state = { type: element.type, selected_option: chosen };
        break;
      }
      case 'multi_static_select': {
        const chosen =
          given === undefined
            ? (element.initial_options ?? [])
            : (Array.isArray(given) ? given : given === null ? [] : [given]).map(option);
        state = { type: element.type, selected_options: chosen };
        break;
      }
      default:
        state = { type: element.type, value: given === undefined ? (element.initial_value ?? null) : given };
    }
    values[blockId] = { [element.action_id]: state };
  }
  return values;
}

const viewPayload = (view: StoredView, teamId: string, inputs: ViewInputs) => ({
  id: view.id,
  team_id: teamId,
  type: 'modal',
  callback_id: view.callback_id,
  private_metadata: view.private_metadata,
  hash: view.hash,
  title: { type: 'plain_text', ...view.title },
  blocks: view.blocks,
  state: { values: viewState(view, inputs) },
  root_view_id: view.parent ?? view.id,
  previous_view_id: view.parent ?? null,
  app_id: 'A0COMPASS',
  bot_id: 'B0COMPASS',
  close: null,
  submit: null,
  clear_on_close: false,
  notify_on_close: false,
});

/** A view_submission's form body: someone pressed the modal's submit button. */
export function viewSubmissionBody(fields: {
  teamId: string;
  userId: string;
  view: StoredView;
  inputs?: ViewInputs;
  triggerId: string;
}): string {
  const payload = {
    ...interaction('view_submission', fields),
    team: { id: fields.teamId, domain: 'compass-test' },
    trigger_id: fields.triggerId,
    view: viewPayload(fields.view, fields.teamId, fields.inputs ?? {}),
    response_urls: [],
  };
  return formBody(payload);
}

/** A block_actions form body for a button inside a modal (no channel, no message: the view). */
export function viewButtonBody(fields: {
  teamId: string;
  userId: string;
  view: StoredView;
  actionId: string;
  value?: string;
  triggerId: string;
}): string {
  const payload = {
    ...interaction('block_actions', fields),
    container: { type: 'view', view_id: fields.view.id },
    trigger_id: fields.triggerId,
    team: { id: fields.teamId, domain: 'compass-test' },
    view: viewPayload(fields.view, fields.teamId, {}),
    actions: [pressedButton(fields.actionId, fields.value)],
  };
  return formBody(payload);
}
