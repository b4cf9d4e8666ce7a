/**
 * How a resumed turn finds a reply that reached Slack before its process died: by the marker (message metadata) the
 * reply was posted with, through the Slack stand-in, which returns texts as Slack renders them (so the text a turn
 * posted is not the text it reads back).
 */
import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOwnReply, replyMarker } from '../../src/slack/context.js';
import { type SlackStandIn, startSlackStandIn, textAsSlackReturns } from '../standins/slack.js';

const CHANNEL = 'C0OWNREPLY';
const DM = 'D0OWNREPLY';
const USER = 'U0PERSON';

describe('a resumed turn’s reply already in Slack', () => {
  let slack: SlackStandIn;
  let client: webApi.WebClient;

  beforeAll(async () => {
    slack = await startSlackStandIn();
    client = new webApi.WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  });
  afterAll(() => slack.close());

  /** A text Slack gives back changed: escaped &, < and >, its trailing whitespace gone. */
  const RENDERED = 'Plans for <Q&A> bots:\n';

  it('the stand-in returns a text as Slack renders it, markup left alone', () => {
    expect(textAsSlackReturns(RENDERED)).toBe('Plans for &lt;Q&amp;A&gt; bots:');
    expect(textAsSlackReturns('<@U0BOB> &amp; <https://x.example|x> > 1')).toBe(
      '<@U0BOB> &amp; <https://x.example|x> &gt; 1',
    );
  });

  it('finds the reply by its turn and place in a channel thread, whatever Slack made of its text', async () => {
    const thread = '1700000001.000100';
    slack.said({ channel: CHANNEL, ts: thread, text: 'plan a chatbot', blocks: [], user: USER });
    const first = await client.chat.postMessage({
      channel: CHANNEL,
      thread_ts: thread,
      text: RENDERED,
      metadata: replyMarker('Ev1', 0),
    });
    // Another turn's reply with the same text, then this turn's next reply.
    await client.chat.postMessage({
      channel: CHANNEL,
      thread_ts: thread,
      text: RENDERED,
      metadata: replyMarker('Ev2', 0),
    });
    const second = await client.chat.postMessage({
      channel: CHANNEL,
      thread_ts: thread,
      text: RENDERED,
      metadata: replyMarker('Ev1', 1),
    });
    const key = { channelId: CHANNEL, threadTs: thread };
    expect(await findOwnReply(client, key, thread, replyMarker('Ev1', 0), slack.botUserId)).toBe(first.ts);
    expect(await findOwnReply(client, key, thread, replyMarker('Ev1', 1), slack.botUserId)).toBe(second.ts);
    expect(await findOwnReply(client, key, thread, replyMarker('Ev1', 2), slack.botUserId)).toBeUndefined();
    expect(await findOwnReply(client, key, thread, replyMarker('Ev3', 0), slack.botUserId)).toBeUndefined();
    // Metadata comes back only when asked for, as from Slack.
    const plain = await client.conversations.replies({ channel: CHANNEL, ts: thread });
    expect(plain.messages?.some((message) => 'metadata' in message)).toBe(false);
  });

  it('finds a DM’s top-level reply after the message it answers, not one before it', async () => {
    const before = await client.chat.postMessage({
      channel: DM,
      text: RENDERED,
      metadata: replyMarker('EvDM', 0),
    });
    const asked = String(Number(before.ts) + 0.5);
    slack.said({ channel: DM, ts: asked, text: 'plan a chatbot', blocks: [], user: USER });
    const after = await client.chat.postMessage({
      channel: DM,
      text: RENDERED,
      metadata: replyMarker('EvDM', 1),
    });
    const key = { channelId: DM, threadTs: undefined };
    expect(await findOwnReply(client, key, asked, replyMarker('EvDM', 1), slack.botUserId)).toBe(after.ts);
    expect(await findOwnReply(client, key, asked, replyMarker('EvDM', 0), slack.botUserId)).toBeUndefined();
    expect(slack.callsOf('conversations.history').at(-1)?.args).toMatchObject({ channel: DM, oldest: asked });
  });

  it('the stand-in refuses metadata Slack would refuse', async () => {
    await expect(
      client.chat.postMessage({
        channel: CHANNEL,
        text: 'x',
        metadata: { event_type: '', event_payload: {} },
      }),
    ).rejects.toMatchObject({ data: { error: 'invalid_metadata_format' } });
  });
});
