import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTurnSlots, type TurnPacing } from '../../src/inbox/slots.js';

/** Lets the slots hand out what they will: they start waiting turns a macrotask later. */
const settle = async () => {
  for (let i = 0; i < 3; i++) await nextMacrotask();
};

/** Acquires a slot, recording when it was granted. */
function turn(slots: ReturnType<typeof createTurnSlots>, started: string[], name: string) {
  return slots.acquire().then(() => {
    started.push(name);
  });
}

describe('turn slots', () => {
  // A virtual clock: the slots' timers (setTimeout) and their clock move only when a test advances them.
  let clock = 0;
  const pacing: TurnPacing = { quietMs: 50, patienceMs: 1000, now: () => clock };
  const advance = async (ms: number) => {
    clock += ms;
    await vi.advanceTimersByTimeAsync(ms);
    await settle();
  };
  beforeEach(() => {
    clock = 0;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('run at most `size` turns at once, the others in arrival order as slots free', async () => {
    const slots = createTurnSlots(2, pacing);
    const started: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) void turn(slots, started, name);
    await settle();
    expect(started).toEqual(['a', 'b']);
    expect(slots.waiting).toBe(2);
    slots.release();
    await settle();
    expect(started).toEqual(['a', 'b', 'c']);
    slots.release();
    slots.release();
    await settle();
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    expect(slots.busy).toBe(1);
  });

  it('start no turn while a request waits for its acknowledgement, nor until arrivals have been quiet a while', async () => {
    const slots = createTurnSlots(8, pacing);
    const started: string[] = [];
    void turn(slots, started, 'waiting');
    // A burst: a request every 30 ms, each acknowledged 10 ms after it arrived.
    for (let request = 0; request < 3; request++) {
      const acknowledged = slots.arriving();
      await advance(10);
      acknowledged();
      acknowledged(); // twice counts once
      await advance(20);
      expect(started).toEqual([]);
    }
    expect(slots.arrivals).toBe(0);
    // The last request arrived at 60 ms: the turn starts 50 ms later.
    await advance(19);
    expect(started).toEqual([]);
    await advance(1);
    expect(started).toEqual(['waiting']);
  });

  it('start one turn anyway once the oldest has waited patienceMs with none running', async () => {
    const slots = createTurnSlots(8, pacing);
    const started: string[] = [];
    void turn(slots, started, 'first');
    await settle();
    const acknowledged = slots.arriving();
    for (const name of ['a', 'b']) void turn(slots, started, name);
    await advance(500);
    // One turn runs: the others wait for the request's acknowledgement, patiently while one runs.
    expect(started).toEqual(['first']);
    slots.release();
    await advance(499);
    expect(started).toEqual(['first']);
    // None runs and the oldest has waited its patience: it starts, the request still unacknowledged.
    await advance(1);
    expect(started).toEqual(['first', 'a']);
    await advance(5000);
    expect(started).toEqual(['first', 'a']);
    // Acknowledged long after it arrived: arrivals have been quiet since, and the next turn starts beside 'a'.
    acknowledged();
    await settle();
    expect(started).toEqual(['first', 'a', 'b']);
  });

  it("serve a steady stream of requests, never quiet, at the slots' rate, starting turns only between acknowledgements", async () => {
    const size = 4;
    const turnMs = 200;
    const slots = createTurnSlots(size, pacing);
    let finished = 0;
    // Turns started while a request waited for its acknowledgement, with how many ran then (itself included).
    const startedDuringIntake: number[] = [];
    // 25 requests a second, each acknowledged 5 ms after it arrives and then waiting for a slot, as in the inbox; each
    // turn holds its slot 200 ms: the slots can serve 20 a second, fewer than arrive, and arrivals are never 50 ms apart.
    const streamMs = 10_000;
    for (let at = 0; at < streamMs; at += 40) {
      const acknowledged = slots.arriving();
      await advance(5);
      acknowledged();
      void slots.acquire().then(() => {
        if (slots.arrivals > 0) startedDuringIntake.push(slots.busy);
        setTimeout(() => {
          finished++;
          slots.release();
        }, turnMs);
      });
      await advance(35);
    }
    // Before the oldest turn's patience ran out none started; from then on the slots were never idle.
    const poolRate = size / turnMs;
    expect(finished).toBeGreaterThanOrEqual(Math.floor(0.95 * poolRate * (streamMs - pacing.patienceMs)));
    // Beside an unacknowledged request, only a turn with none running (the patience rule's last resort) started.
    expect(startedDuringIntake.every((running) => running === 1)).toBe(true);
    expect(startedDuringIntake.length).toBeLessThanOrEqual(1);
  });

  it('past the patience, start one turn per look during a burst that leaves gaps, not every free slot at once', async () => {
    const slots = createTurnSlots(8, pacing);
    const startedAt: number[] = [];
    // A request every 30 ms, each acknowledged 10 ms after it arrives and then waiting for a slot: never quiet for
    // 50 ms, and no turn ever ends.
    for (let at = 0; at < 1200; at += 30) {
      const acknowledged = slots.arriving();
      await advance(10);
      acknowledged();
      void slots.acquire().then(() => startedAt.push(clock));
      await advance(20);
    }
    expect(Math.min(...startedAt)).toBeGreaterThanOrEqual(pacing.patienceMs);
    // Each start at a look of its own (an acknowledgement, or the patience running out), all between requests.
    expect(new Set(startedAt).size).toBe(startedAt.length);
    expect(startedAt.length).toBeLessThan(8);
  });
});
