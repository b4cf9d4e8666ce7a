/** CPU time (user and system, all of this process's threads) in ms since `since`, a `process.cpuUsage()` reading. */
const cpuMsSince = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

/**
 * Milliseconds of CPU one call of `run` takes. CPU time, not wall-clock time: another process hogging the cores of a
 * shared 2-core CI machine stretches the wall clock tenfold but not this process's CPU time, while code that is really
 * slow (a quadratic regex) burns the CPU whoever else runs. A call over `budgetMs` is run again (up to `tries` times
 * in all) and the fastest counts, so a garbage collection or a cache flushed by a neighbour is not taken for slow code.
 */
export function quietMs(run: () => unknown, budgetMs: number, tries = 5): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < tries && fastest > budgetMs; attempt++) {
    const start = process.cpuUsage();
    run();
    fastest = Math.min(fastest, cpuMsSince(start));
  }
  return fastest;
}
