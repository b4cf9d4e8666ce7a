import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createTurnSlots } from '../../src/inbox/slots.js';

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
  it('run at most `size` turns at once, the others in arrival order as slots free', async () => {
    const slots = createTurnSlots(2);
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

  it('start no turn while a request waits for its acknowledgement, unless none runs at all', async () => {
    const slots = createTurnSlots(8);
    const started: string[] = [];
    void turn(slots, started, 'first');
    await settle();
    const acknowledged = slots.arriving();
    for (const name of ['a', 'b']) void turn(slots, started, name);
    await settle();
    // One turn runs: the others wait for the request's acknowledgement.
    expect(started).toEqual(['first']);
    slots.release();
    await settle();
    // None runs: one starts anyway, so a steady stream of requests cannot starve the turns.
    expect(started).toEqual(['first', 'a']);
    acknowledged();
    acknowledged(); // twice counts once
    await settle();
    expect(started).toEqual(['first', 'a', 'b']);
    expect(slots.arrivals).toBe(0);
  });
});
