import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';

/** Runs `compass chat` with piped stdin (not a terminal), as `printf … | compass chat` does. */
const chat = (env: Record<string, string>, input: string, session?: string) =>
  cli(['chat', ...(session ? ['--session', session] : [])], env, input);

/** The messages printed, split at the blank line that ends each one. */
const printed = (stdout: string) => stdout.trim().split(/\n\n(?=\S)/);

describe('compass chat on the embedded database (PGlite)', () => {
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'compass-chat-'));
    env = { COMPASS_DATA_DIR: dataDir, HOME: dataDir };
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('reads one message per line and ends with the recommendations', async () => {
    const { stdout, stderr } = await chat(env, 'chatbot for 1000 users\nlatency matters\n');
    // The first run on a new data folder creates the embedded database and says so, nothing else.
    expect(stderr).toMatch(
      /^compass: creating the embedded database in \S+ \(first run only, a few seconds\)…\n$/,
    );
    expect(stdout).toMatch(/^── Deployment spec ──\n {2}Use case: Chatbot/);
    expect(stdout).toMatch(/Updated: priority balanced → latency/);
    const last = printed(stdout).at(-1)!;
    expect(last).toMatch(/^── Top \d options · priority latency ──/);
    expect(last).toMatch(/\[\d+\] Details {3}\[\d+\] What if… {3}\[\d+\] Request deploy\n/);
    expect(last).toMatch(/\[\d+\] Edit spec$/);
  }, 60_000);

  it('asks its questions in the terminal too, and takes a number as a button press', async () => {
    const { stdout } = await chat(env, 'we need an LLM\nno idea\n2\n');
    const messages = printed(stdout);
    expect(messages[0]).toMatch(/^Two questions so the plan fits:/);
    expect(messages[1]).toMatch(/^No problem — I assumed/);
    // The spec card's Edit spec is [1]; "2" pressed the first option's Details button.
    expect(messages[2]).toMatch(/\[1\] Edit spec$/);
    expect(messages.at(-1)).toMatch(/^── Option details ──\n── .* on \d+× \S+.* ──\n {2}Model: /);
    expect(messages.at(-1)).toMatch(/TTFT p50 \/ p95: /);
    expect(messages.at(-1)).toMatch(/Memory per GPU \([\d.]+ GB\)\n• Weights [\d.]+ GB/);
  });

  it('Post chart in thread in the Details prints the compass predict --chart command that draws the chart', async () => {
    const input = 'we need an LLM\nno idea\n2\n';
    const details = printed((await chat(env, input)).stdout).at(-1)!;
    const button = /\[(\d+)\] Post chart in thread/.exec(details)?.[1];
    expect(button).toBeDefined();
    const answer = printed((await chat(env, `${input}${button}\n`)).stdout).at(-1)!;
    expect(answer).toMatch(
      /^The same chart, in a file: compass predict --model \S+ --gpu \S+ --tp \d+ .* --chart chart\.png$/,
    );
  }, 90_000);

  it('Edit spec reads name=value changes from the next line; bad values are named and the form stays open', async () => {
    const { stdout } = await chat(
      env,
      'chatbot for 1000 users\n1\nusers=abc ttft=-5 colour=red\nusers=abc ttft=-5\nusers=3000 ttft=300\n',
    );
    const messages = printed(stdout);
    const form = messages.findIndex((message) => message.startsWith('── Edit spec ──'));
    expect(messages[form]).toMatch(/Users \[users\]: 1000/);
    expect(messages[form]).toMatch(/Allowed GPU types \[gpus\]: any/);
    expect(messages[form + 1]).toMatch(/^Type the changes on one line as name=value/);
    expect(messages[form + 2]).toMatch(/^Not understood: colour=red\. Fields: use_case, users, /);
    expect(messages[form + 3]).toBe(
      'users: “abc” is not a decimal number: write 1500, 1,500 or 1.5.\nttft: Must be more than 0.',
    );
    expect(messages[form + 4]).toMatch(
      /^Updated by @you: users 1,000 → 3,000 · peak load .* · TTFT p95 target 500 ms → 300 ms/,
    );
    expect(messages[form + 5]).toMatch(/^── Top \d options · priority balanced ──/);
  });

  it('What if… takes the changes, shows baseline and scenario side by side, and Use this makes it the choice', async () => {
    const { stdout } = await chat(env, 'chatbot for 1000 users\n3\ntp=3\npeak_qps=20 ttft=400\n1\n3\n');
    const messages = printed(stdout);
    const form = messages.findIndex((message) => message.startsWith('── What if… ──'));
    expect(messages[form]).toMatch(/Baseline: .* on \d+× /);
    expect(messages[form]).toMatch(/Peak load \(requests\/s\) \[peak_qps\]: [\d.]+/);
    expect(messages[form + 2]).toBe('tp: “3” is not one of the choices.');
    const compare = messages[form + 3]!;
    expect(compare).toMatch(/^── Compare ──\n── Baseline vs scenario ──/);
    expect(compare).toMatch(/TTFT p95: [\d.]+ m?s [✓✗] ≤ 400 ms/);
    expect(compare).toMatch(/Differences \(scenario − baseline\)\nCost [+−±]/);
    expect(compare).toMatch(/\[1\] Use this$/);
    expect(messages[form + 4]).toMatch(/^── What if… ──\n✓ Chosen/);
    expect(messages[form + 5]).toMatch(/^Updated by @you: peak load [\d.]+ req\/s → 20 req\/s/);
    expect(messages[form + 6]).toMatch(/^── Chosen option ──/);
    // "3" is the chosen option's Request deploy: deploys are requested and approved in Slack.
    expect(messages.at(-1)).toMatch(/^Deploy requests are made and approved in Slack/);
  });

  it('--json prints one object per reply with the intent after the turn; a quiet turn prints reply null', async () => {
    const { stdout } = await cli(
      ['chat', '--json'],
      env,
      'what can you do?\nsupport chatbot for 800 agents\nthanks!\nmake it 1200 users\n',
    );
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const line of lines)
      expect(Object.keys(line).sort()).toEqual(['intent', 'kind', 'reply', 'spec', 'turn']);
    const byTurn = (turn: number) => lines.filter((line) => line.turn === turn);
    expect(byTurn(1)).toHaveLength(1);
    expect(byTurn(1)[0]).toMatchObject({ kind: 'help', intent: null, spec: null });
    expect(JSON.stringify(byTurn(1)[0]!.reply)).toMatch(/I plan and deploy self-hosted LLMs/);
    // The spec card and the options: two replies, each with the conversation as it stands after the turn.
    expect(byTurn(2).map((line) => (line.spec as { users: { value: number } }).users.value)).toEqual([
      800, 800,
    ]);
    expect(byTurn(3)).toEqual([
      { turn: 3, reply: null, kind: 'chatter', intent: byTurn(2)[0]!.intent, spec: byTurn(2)[0]!.spec },
    ]);
    const last = lines.at(-1)!;
    expect(last.kind).toBe('refinement');
    // The intent has the shape `compass extract --json` prints.
    const extracted = JSON.parse((await cli(['extract', '--json', 'chatbot for 1200 users'], env)).stdout);
    expect(Object.keys(last.intent as object).sort()).toEqual(Object.keys(extracted).sort());
    expect(last.intent).toMatchObject({ useCase: 'chatbot_conversational', users: 1200 });
    expect(Array.isArray(last.reply)).toBe(true);
  });

  it('continues a named session in a later run: the conversation is in the database', async () => {
    await chat(env, 'code completion for 150 developers\n', 'team-a');
    const { stdout } = await chat(env, 'make it 300 developers\n', 'team-a');
    expect(stdout).toMatch(/^Updated: users 150 → 300/);
  });
});
