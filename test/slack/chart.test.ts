/**
 * The Details modal's chart through the Slack stand-in: with COMPASS_PUBLIC_URL the modal shows it as an image that
 * Slack fetches from the bot at a signed, expiring link (a tampered or expired link gets 403); Post chart in thread
 * uploads the same PNG into the conversation's thread; when Slack cannot fetch the image, the details still show.
 */
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART_LINK_TTL_MS, chartLinks } from '../../src/chart/link.js';
import { ACTION } from '../../src/slack/blocks/actions.js';
import { mrkdwnToPlain } from '../../src/slack/blocks/text.js';
import type { StoredView } from '../standins/slack.js';
import type { BotHarness } from './harness.js';
import { CHANNEL, SIGNING_SECRET, startHarness } from './harness.js';

const viewText = (view: StoredView) => mrkdwnToPlain(JSON.stringify(view.blocks)).replace(/\\n/g, '\n');
const imageOf = (view: StoredView) =>
  view.blocks.find((block) => block.type === 'image') as { image_url: string; alt_text: string } | undefined;

const PREDICTED_BLUE = [0x2f, 0x6f, 0xd6] as const;

/** The PNG decoded, with the share of pixels that are not white and the share in the prediction's blue. */
function decoded(bytes: Buffer) {
  const png = PNG.sync.read(bytes);
  let inked = 0;
  let blue = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const [r, g, b] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    if (r + g + b < 3 * 235) inked++;
    if (
      Math.abs(r - PREDICTED_BLUE[0]) + Math.abs(g - PREDICTED_BLUE[1]) + Math.abs(b - PREDICTED_BLUE[2]) <=
      24
    )
      blue++;
  }
  const pixels = png.width * png.height;
  return { width: png.width, height: png.height, inked: inked / pixels, blue: blue / pixels };
}

/** Starts a conversation and opens Details on its first option; resolves with the filled-in modal. */
async function detailsOfFirstOption(bot: BotHarness) {
  const { ts: thread } = await bot.mention('chatbot for 1000 users');
  const [, options] = await bot.slack.waitFor(() => {
    const messages = bot.slack.thread(CHANNEL, thread);
    return messages.length === 2 && messages;
  });
  const conversation = (await bot.store.find({
    teamId: bot.slack.teamId,
    channelId: CHANNEL,
    threadTs: thread,
  }))!;
  const option = conversation.options[0]!;
  const opened = await bot.pressForView(ACTION.details, {
    value: option.id,
    message: { ts: options!.ts, thread_ts: thread },
  });
  const view = await bot.slack.waitFor(() => {
    const current = bot.slack.view(opened.id)!;
    return current.hash !== opened.hash && current;
  });
  return { thread, conversation, option, view };
}

describe('the Details chart, served by the bot at a signed link', () => {
  let bot: BotHarness;
  let publicUrl: string;
  let details: Awaited<ReturnType<typeof detailsOfFirstOption>>;

  beforeAll(async () => {
    bot = await startHarness({ publicUrl: 'self' });
    details = await detailsOfFirstOption(bot);
    publicUrl = new URL(imageOf(details.view)!.image_url).origin;
  });
  afterAll(() => bot.close());

  it('shows the chart as an image Slack fetched from the bot: a PNG of the right size, drawn', async () => {
    const image = imageOf(details.view)!;
    expect(image.image_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/charts\/[\w-]+\.[\w-]+\.png$/);
    expect(image.alt_text).toMatch(/TTFT p95, ITL p95 and throughput/);
    expect(viewText(details.view)).toContain('Open the chart full size');
    const fetched = bot.slack.images.find((entry) => entry.url === image.image_url)!;
    expect(fetched).toMatchObject({ status: 200, contentType: 'image/png' });
    const png = decoded(fetched.bytes);
    expect([png.width, png.height]).toEqual([1200, 440]);
    expect(png.inked).toBeGreaterThan(0.02);
    expect(png.blue).toBeGreaterThan(0.001);
  });

  it('refuses a link whose signature, option or expiry was changed, and one signed with another key (403)', async () => {
    const url = imageOf(details.view)!.image_url;
    const [data, signature] = url.slice(url.lastIndexOf('/') + 1).split('.') as [string, string];
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    const payload = JSON.parse(Buffer.from(data, 'base64url').toString()) as {
      c: string;
      o: string;
      e: number;
    };
    const stretched = Buffer.from(JSON.stringify({ ...payload, e: payload.e + 86_400 })).toString(
      'base64url',
    );
    const ref = { conversationId: details.conversation.id, optionId: details.option.id };
    const tampered = [
      `${publicUrl}/charts/${data}.${flipped}.png`,
      `${publicUrl}/charts/${stretched}.${signature}.png`,
      `${publicUrl}/charts/${data}.png`,
      chartLinks('another-signing-secret-0123456789', publicUrl).url(ref, Date.now()),
    ];
    for (const link of tampered) {
      const reply = await fetch(link);
      expect(reply.status, link).toBe(403);
      expect(await reply.text()).toBe('Chart link not signed by Compass.');
    }
    const expired = chartLinks(SIGNING_SECRET, publicUrl).url(ref, Date.now() - CHART_LINK_TTL_MS - 1000);
    const reply = await fetch(expired);
    expect(reply.status).toBe(403);
    expect(await reply.text()).toBe('Chart link expired.');
    // The same key and a fresh expiry: served.
    expect((await fetch(chartLinks(SIGNING_SECRET, publicUrl).url(ref, Date.now()))).status).toBe(200);
    expect(bot.logs().filter((line) => line.event === 'chart.link_refused')).toHaveLength(5);
  });

  it('answers 404 for a signed link to an option that is not in the plan', async () => {
    const ref = { conversationId: details.conversation.id, optionId: 'gone/model|H100|tp1|bf16' };
    const reply = await fetch(chartLinks(SIGNING_SECRET, publicUrl).url(ref, Date.now()));
    expect(reply.status).toBe(404);
  });

  it('Post chart in thread uploads the same chart into the conversation thread and says so', async () => {
    const shared = bot.slack.files.length;
    const delivery = await bot.pressInView(details.view, ACTION.postChart, { value: details.option.id });
    expect(delivery.status).toBe(200);
    const file = await bot.slack.waitFor(() => bot.slack.files[shared]);
    expect(file).toMatchObject({ channel: CHANNEL, threadTs: details.thread, filename: 'compass-chart.png' });
    const png = decoded(file.bytes);
    expect([png.width, png.height]).toEqual([1200, 440]);
    expect(png.blue).toBeGreaterThan(0.001);
    const notice = await bot.slack.waitFor(() =>
      bot.slack.views.find((view) => /posted in the thread/.test(viewText(view))),
    );
    expect(notice.parent).toBe(details.view.id);
  });
});

describe('the Details chart when Slack cannot reach COMPASS_PUBLIC_URL', () => {
  let bot: BotHarness;

  beforeAll(async () => {
    // Port 9 (discard) on loopback: nothing listens, so Slack's download of the image fails.
    bot = await startHarness({ publicUrl: 'http://127.0.0.1:9' });
  });
  afterAll(() => bot.close());

  it('shows the details without the image, keeps the link and the button, and logs what to fix', async () => {
    const { view } = await detailsOfFirstOption(bot);
    expect(imageOf(view)).toBeUndefined();
    expect(viewText(view)).toContain('Memory per GPU');
    expect(viewText(view)).toMatch(/Open the chart full size \(http:\/\/127\.0\.0\.1:9\/charts\//);
    expect(JSON.stringify(view.blocks)).toContain(ACTION.postChart);
    expect(bot.slack.images.at(-1)).toMatchObject({ status: 0 });
    expect(bot.logs().some((line) => line.event === 'slack.chart_image_refused')).toBe(true);
  });
});
