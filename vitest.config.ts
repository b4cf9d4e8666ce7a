import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // A migrated template database, copied for each test's database instead of migrating every one.
    globalSetup: ['test/support/global-setup.ts'],
    // One worker process runs file after file and keeps the modules it imported: isolating each file in a fresh
    // process re-imported src/ and its dependencies 140 times, about half the suite's time on a 2-core machine.
    // Tests share no mutable module state (a test that fakes timers or spies restores them in its own hooks).
    isolate: false,
  },
});
