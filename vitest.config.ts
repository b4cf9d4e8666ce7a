import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Files whose simulators, Prometheus scrapes or load tests run at real-time pace and compare what they measure with a
 * model: they run one at a time, after the rest, so no other test file competes with them for the CPU (with three
 * files at once and a CPU hog beside the suite, the live monitoring test saw latencies several times its plan's).
 */
const PACED = [
  'test/monitor/*-live.test.ts',
  'test/simulator/**/*.test.ts',
  'test/loadtest/**/*.test.ts',
  'test/benchmark/**/*.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // A migrated template database, copied for each test's database instead of migrating every one.
    globalSetup: ['test/support/global-setup.ts'],
    // One worker process runs file after file and keeps the modules it imported: isolating each file in a fresh
    // process re-imported src/ and its dependencies 140 times, about half the suite's time on a 2-core machine.
    // Tests share no mutable module state (a test that fakes timers or spies restores them in its own hooks).
    isolate: false,
    projects: [
      {
        extends: true,
        test: {
          name: 'overlapped',
          include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...PACED],
          // Most of these files wait on bot processes, databases, Redis and the stand-ins' round trips: on 2 cores one
          // worker left the CPUs under half busy. Every test uses its own database, ports, Redis prefix or server.
          maxWorkers: 3,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'paced',
          include: PACED,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
