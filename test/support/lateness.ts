import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * How late this process's timers and I/O callbacks run while a measurement is taken, so a test can allow exactly the
 * host's jitter on top of a modelled time: near zero on a calm machine, tens of milliseconds beside a CPU hog.
 */
export function watchLateness(): { stop(): number } {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  return {
    /** Stops watching; the p99 lateness seen, in ms. */
    stop() {
      histogram.disable();
      return histogram.percentile(99) / 1e6;
    },
  };
}
