import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The two chaos runs (one Redis, a Redis Cluster) each load the machine: one file at a time.
    fileParallelism: false,
  },
});
