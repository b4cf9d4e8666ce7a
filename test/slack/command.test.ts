import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botCommand } from '../../src/cli/bot.js';
import { ConfigError } from '../../src/config/index.js';
import { SlackAuthError, SlackUnreachableError } from '../../src/slack/app.js';
import type { SlackStandIn } from '../standins/slack.js';
import { deliver, slashCommandBody, startSlackStandIn } from '../standins/slack.js';
import { cliIo } from '../support/log.js';
import { freePort } from '../support/ports.js';
import type { TestDatabase } from '../support/postgres.js';
import { createTestDatabase } from '../support/postgres.js';

const SECRET = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6';

describe('compass bot', () => {
  let testDb: TestDatabase;
  let slack: SlackStandIn;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    slack = await startSlackStandIn();
  });
  afterAll(async () => {
    await slack.close();
    await testDb.drop();
  });

  it('says which Slack settings are missing before it opens anything', async () => {
    const run = botCommand(cliIo({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', HOME: '/h' }));
    await expect(run).rejects.toBeInstanceOf(ConfigError);
    await expect(run).rejects.toThrow(
      /SLACK_BOT_TOKEN: not set[\s\S]*SLACK_APP_TOKEN or SLACK_SIGNING_SECRET/,
    );
  });

  it('stops with a clear message when Slack rejects the token', async () => {
    const run = botCommand(
      cliIo({
        DATABASE_URL: testDb.url,
        HOME: '/h',
        SLACK_BOT_TOKEN: 'xoxb-revoked',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        PORT: String(await freePort()),
      }),
    );
    await expect(run).rejects.toBeInstanceOf(SlackAuthError);
    await expect(run).rejects.toThrow(/Slack rejected SLACK_BOT_TOKEN \(invalid_auth\)/);
  });

  it('blames the network, not the token, when Slack cannot be reached', async () => {
    const unreachable = `http://127.0.0.1:${await freePort()}/api/`;
    const run = botCommand(
      cliIo({
        DATABASE_URL: testDb.url,
        HOME: '/h',
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: unreachable,
        PORT: String(await freePort()),
      }),
    );
    await expect(run).rejects.toBeInstanceOf(SlackUnreachableError);
    await expect(run).rejects.toThrow(
      `Cannot reach Slack's Web API at ${unreachable} (fetch failed: connect ECONNREFUSED`,
    );
    await expect(run).rejects.not.toThrow(/rejected/);
  }, 60_000);

  it('serves Slack over HTTP on PORT until asked to stop', async () => {
    const port = await freePort();
    const streams = cliIo({
      DATABASE_URL: testDb.url,
      HOME: '/h',
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      PORT: String(port),
    });
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const running = botCommand(streams, stopped);
    const base = `http://127.0.0.1:${port}`;
    await slack.waitFor(() => streams.logs().includes('"event":"slack.started"'), 30_000);
    expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok');
    const body = slashCommandBody({
      teamId: slack.teamId,
      channelId: 'C1',
      userId: 'U1',
      text: 'plan chatbot for 1000 users',
      responseUrl: slack.responseUrl('bot-cli'),
    });
    expect(
      (await deliver(`${base}/slack/events`, SECRET, body, 'application/x-www-form-urlencoded')).status,
    ).toBe(200);
    const answer = await slack.waitFor(() => slack.responses.find((entry) => entry.id === 'bot-cli'));
    expect(answer.body.text).toMatch(/^Quick plan for “chatbot for 1000 users”/);
    stop();
    await running;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    expect(streams.logs()).not.toContain(slack.botToken);
    expect(streams.logs()).not.toContain(SECRET);
  });
});
