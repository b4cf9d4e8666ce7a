import type { EngineClock } from '../../simulator/engine.js';

/**
 * Real time less the lateness of this clock's own timers, for simulators a test runs in its own process: when a busy
 * host (a CPU hog, or the test's own work on the shared event loop) fires a timer late, the clock counts from the
 * moment it was due, so the simulator serves the latencies its model says whatever the host's speed, and only pays
 * the delay in wall-clock pace. As in a discrete-event run, the clock never reads past a timer still to fire: a
 * request arriving while a step's timer is overdue arrives when that step was due to end, not later.
 */
export function punctualClock(): EngineClock {
  let lostMs = 0;
  let last = Number.NEGATIVE_INFINITY;
  /** Due times of the timers set and not yet fired or cancelled. */
  const pending = new Set<{ due: number }>();
  const now = () => {
    let reading = performance.now() - lostMs;
    for (const timer of pending) reading = Math.min(reading, timer.due);
    last = Math.max(last, reading);
    return last;
  };
  return {
    now,
    setTimer(callback, delayMs) {
      const timer = { due: now() + Math.max(delayMs, 0) };
      pending.add(timer);
      const fire = () => {
        pending.delete(timer);
        lostMs += Math.max(performance.now() - lostMs - timer.due, 0);
        callback();
      };
      const cancel =
        delayMs <= 0
          ? (
              (handle) => () =>
                clearImmediate(handle)
            )(setImmediate(fire))
          : (
              (handle) => () =>
                clearTimeout(handle)
            )(setTimeout(fire, delayMs));
      return () => {
        pending.delete(timer);
        cancel();
      };
    },
  };
}
