import { describe, expect, it } from 'vitest';
import { punctualClock } from '../support/punctual-clock.js';

/** Keeps the event loop busy for `ms` of wall time, as a busy host or a test's own work would. */
const block = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

describe('punctualClock', () => {
  it('counts a late timer as fired when it was due, and keeps the lateness out of later readings', async () => {
    const clock = punctualClock();
    const start = clock.now();
    const fired = await new Promise<number>((resolve) => {
      clock.setTimer(() => resolve(clock.now()), 10);
      block(150);
    });
    // Timers fire up to a millisecond early (whole-ms delays); the 140 ms of lateness is gone.
    expect(fired - start).toBeGreaterThanOrEqual(9);
    expect(fired - start).toBeLessThan(150);
    const second = await new Promise<number>((resolve) => clock.setTimer(() => resolve(clock.now()), 20));
    expect(second - fired).toBeGreaterThanOrEqual(19);
    expect(second).toBeLessThan(performance.now());
  });

  it('counts timers due together, and their shared lateness, once', async () => {
    const clock = punctualClock();
    const start = clock.now();
    const fired = await new Promise<number[]>((resolve) => {
      const at: number[] = [];
      for (let i = 0; i < 3; i++) clock.setTimer(() => at.push(clock.now()) === 3 && resolve(at), 10);
      block(150);
    });
    for (const at of fired) expect(at - start).toBeLessThan(150);
  });

  it('reads no later than a timer still to fire, so an arrival during its lateness comes when it was due', async () => {
    const clock = punctualClock();
    const start = clock.now();
    const readings = await new Promise<number[]>((resolve) => {
      clock.setTimer(() => resolve([arrivedAt, clock.now()]), 10);
      block(150);
      // An I/O callback run before the overdue timer reads the clock.
      const arrivedAt = clock.now();
    });
    for (const at of readings) expect(at - start).toBeLessThan(150);
  });

  it('never runs backwards', () => {
    const clock = punctualClock();
    let last = clock.now();
    for (let i = 0; i < 1000; i++) {
      const now = clock.now();
      expect(now).toBeGreaterThanOrEqual(last);
      last = now;
    }
  });
});
