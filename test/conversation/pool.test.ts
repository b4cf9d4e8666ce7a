/**
 * Planning on worker threads, as `compass bot` runs it: the compiled pool (dist/, built by `npm run build`), since a
 * worker thread loads JavaScript.
 */
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PlanningPool } from '../../src/conversation/pool.js';
import { createInlinePool } from '../../src/conversation/pool.js';
import { extractIntent } from '../../src/intent/index.js';
import type { Knowledge } from '../../src/knowledge/catalog.js';
import { readMeasurementFiles } from '../../src/knowledge/measurements.js';
import { createLogger } from '../../src/log/index.js';
import { catalogKnowledge } from './dialogue.js';

const compiled = new URL('../../dist/src/conversation/pool.js', import.meta.url).href;

describe('planning pool on worker threads', () => {
  let pool: PlanningPool;
  const knowledge: Knowledge = catalogKnowledge();
  const text = 'chatbot for 1000 users, low latency matters, under $5k/month';

  beforeAll(async () => {
    const { createThreadPool } = (await import(compiled)) as typeof import('../../src/conversation/pool.js');
    pool = createThreadPool(createLogger('silent'), 2);
  });
  afterAll(() => pool.close());

  it('answers exactly what the same task answers in this thread', async () => {
    const said = extractIntent(text, knowledge);
    const inline = await createInlinePool().run('quickPlan', knowledge, text, said);
    expect(await pool.run('quickPlan', knowledge, text, said)).toEqual(inline);
  });

  it('plans on a snapshot with the public measurements as this thread does (the worker calibrates on them too)', async () => {
    // As a process opens it: the measurements cross to the worker with the snapshot, and its plan uses their fit.
    const measured: Knowledge = { ...knowledge, measurements: readMeasurementFiles() };
    const said = extractIntent(text, measured);
    const inline = await createInlinePool().run('quickPlan', measured, text, said);
    expect(await pool.run('quickPlan', measured, text, said)).toEqual(inline);
    expect(inline).not.toEqual(await createInlinePool().run('quickPlan', knowledge, text, said));
  });

  it('sends a knowledge snapshot to a worker once per version, not with every task', async () => {
    const sent = vi.spyOn(Worker.prototype, 'postMessage');
    try {
      const said = extractIntent(text, knowledge);
      await Promise.all(Array.from({ length: 6 }, () => pool.run('quickPlan', knowledge, text, said)));
      const newer: Knowledge = { ...knowledge };
      await Promise.all(Array.from({ length: 4 }, () => pool.run('quickPlan', newer, text, said)));
      const kinds = sent.mock.calls.map(([message]) => (message as { kind: string }).kind);
      expect(kinds.filter((kind) => kind === 'run')).toHaveLength(10);
      // The first snapshot was sent to both workers by the first test or this one, at most once each; the newer too.
      expect(kinds.filter((kind) => kind === 'knowledge').length).toBeLessThanOrEqual(3);
      expect(kinds.filter((kind) => kind === 'knowledge').length).toBeGreaterThanOrEqual(1);
    } finally {
      sent.mockRestore();
    }
  });

  it('a task that throws in a worker rejects with its message; the worker keeps serving', async () => {
    await expect(
      pool.run('whatIf', knowledge, undefined as never, undefined as never, {}),
    ).rejects.toMatchObject({ name: 'TypeError', message: expect.stringMatching(/undefined/) });
    const said = extractIntent(text, knowledge);
    await expect(pool.run('quickPlan', knowledge, text, said)).resolves.toHaveProperty('blocks');
  });
});
