import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One stack (PostgreSQL database, broker, Screwdriver API, worker) serves every test of a file,
    // and a build timeout takes a minute of real time to fire.
    testTimeout: 150_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The files wait mostly on real time (a freeze window's minute, periodic ticks, a build timeout):
    // their stacks run side by side.
    fileParallelism: true,
    maxWorkers: 3,
    globalSetup: ['test/global-setup.ts'],
  },
});
