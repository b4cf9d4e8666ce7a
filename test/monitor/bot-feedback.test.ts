/**
 * The feedback loop reaches a running bot: `compass bot` plans with the knowledge base as it was at start, and an
 * outcome the worker stores afterwards calibrates its next plan for that configuration without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botCommand } from '../../src/cli/bot.js';
import { createMonitorStore, outcomeOf, replicaAtTraffic } from '../../src/monitor/index.js';
import { predictPerformance } from '../../src/planner/index.js';
import { renderAsText } from '../../src/slack/blocks/index.js';
import { deliver, slashCommandBody } from '../standins/slack.js';
import { cliIo } from '../support/log.js';
import { freePort } from '../support/ports.js';
import { deployedOption, observation } from './fixtures.js';
import { deployed, type MonitorWorld, openWorld } from './world.js';

const SECRET = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6';
/** What the fixture deployment was planned for, as a user types it. */
const REQUEST = 'chatbot for 1000 users on L4 with Llama 3.1 8B Instruct';
const CALIBRATED = /Calibrated from 1 observation of deployed replicas of this configuration/;

const { knowledge, spec, option } = deployedOption();
let world: MonitorWorld;
let logs: () => string;
let stop!: () => void;
let running: Promise<void>;
let eventsUrl: string;

beforeAll(async () => {
  world = await openWorld();
  const port = await freePort();
  const io = cliIo({
    DATABASE_URL: world.databaseUrl,
    HOME: '/h',
    SLACK_BOT_TOKEN: world.slack.botToken,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: world.slack.apiUrl,
    PORT: String(port),
    KNOWLEDGE_REFRESH_SECONDS: '1',
  });
  logs = io.logs;
  running = botCommand(
    io,
    new Promise<void>((resolve) => {
      stop = resolve;
    }),
  );
  eventsUrl = `http://127.0.0.1:${port}/slack/events`;
  await world.slack.waitFor(() => logs().includes('"event":"slack.started"'), 30_000);
}, 40_000);

afterAll(async () => {
  stop?.();
  await running;
  await world?.close();
});

async function quickPlan(id: string): Promise<string> {
  await deliver(
    eventsUrl,
    SECRET,
    slashCommandBody({
      teamId: world.slack.teamId,
      channelId: 'C0PLANS',
      userId: 'U0ADA',
      text: `plan ${REQUEST}`,
      responseUrl: world.slack.responseUrl(id),
    }),
    'application/x-www-form-urlencoded',
  );
  const answer = await world.slack.waitFor(() => world.slack.responses.find((entry) => entry.id === id));
  return renderAsText(answer.body as never).text;
}

describe('a running bot and the outcomes the worker stores', () => {
  it('plans with an outcome stored after it started, once the knowledge base is looked at again', async () => {
    const before = await quickPlan('before');
    expect(before).toContain(option.modelName);
    expect(before).not.toMatch(CALIBRATED);

    // What the worker stores once a deployment of the option has served enough requests.
    const deploy = await deployed(world, { spec, option });
    const rate = option.predicted.loadPerReplicaRps;
    const traffic = {
      ...option,
      promptTokens: spec.traffic.promptTokens.value,
      outputTokens: spec.traffic.outputTokens.value,
      requestsPerSec: rate,
      replicas: 1,
    };
    const predicted = predictPerformance(replicaAtTraffic(traffic), knowledge);
    if (!predicted.ok) throw new Error(predicted.reason);
    const p = predicted.prediction;
    const outcome = outcomeOf({
      deploy: { id: deploy.id, label: 'compass/chat', option },
      observed: observation({
        windowSec: 300,
        requestsPerSec: rate,
        replicas: 1,
        meanPromptTokens: traffic.promptTokens,
        meanOutputTokens: traffic.outputTokens,
        generationTokensPerSec: rate * traffic.outputTokens,
        ttftP95Ms: p.ttftMs.p95 * 0.7,
        itlP95Ms: p.itlMs.p95 * 0.7,
        e2eP95Ms: p.e2eMs.p95 * 0.7,
      }),
      medians: { ttftMs: p.ttftMs.p50 * 0.7, itlMs: p.itlMs.p50 * 0.7, e2eMs: p.e2eMs.p50 * 0.7 },
      knowledge,
    });
    if (!outcome) throw new Error('no outcome');
    await createMonitorStore(world.database.db).addOutcome(outcome);

    await world.slack.waitFor(() => logs().includes('"event":"knowledge.reloaded"'), 10_000);
    expect(await quickPlan('after')).toMatch(CALIBRATED);
  }, 30_000);
});
