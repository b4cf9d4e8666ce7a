/** Errors a new user meets first: what they say and the exit code the README promises for them. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';

describe('compass errors', () => {
  let scratch: string;
  let env: Record<string, string>;

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'compass-errors-'));
    env = { HOME: scratch, COMPASS_DATA_DIR: join(scratch, 'data') };
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('a missing input file is bad usage: exit 2 with one line naming the file', async () => {
    const absent = join(scratch, 'absent.json');
    const commands = [
      `models import --hf-config ${absent}`,
      `benchmarks import ${absent} --model meta-llama/Llama-3.1-8B-Instruct --gpu L4 --tp 1`,
      `predict --model-config ${absent} --gpu L4 --tp 1 --prompt-tokens 100 --output-tokens 100 --rate 1`,
    ].map((line) => line.split(' '));
    for (const argv of commands) {
      const result = await cli(argv, env);
      expect({ argv, code: result.code, stderr: result.stderr }).toEqual({
        argv,
        code: 2,
        stderr: `compass: Cannot read ${absent}: ENOENT.\n`,
      });
    }
  });

  it('a bad configuration exits 2; its first line names the first thing to fix, the others follow', async () => {
    const result = await cli(['plan', 'chatbot'], { ...env, LOG_LEVEL: 'loud', DEPLOY_GPU_QUOTA: 'many' });
    expect(result.code).toBe(2);
    const [first, ...rest] = result.stderr.trimEnd().split('\n');
    expect(first).toMatch(/^Compass needs these settings fixed: LOG_LEVEL: .* \(and 1 more below\)$/);
    expect(rest).toEqual([expect.stringMatching(/^ {2}- DEPLOY_GPU_QUOTA: /)]);
  });
});
