import { defineConfig } from 'vitest/config';

/** The queue and protocol suites: their work is Redis scripts, pipelines and pub/sub. */
const ON_CLUSTER = [
  'src/queue/storage/store.test.ts',
  'src/queue/scheduling/pending.test.ts',
  'src/routes/queues/*.test.ts',
  'src/routes/queue-message/queue-message.test.ts',
  'src/routes/builds/*.test.ts',
  'src/clusters/cache.test.ts',
  'src/screwdriver/frozen.test.ts',
  'test/screwdriver/build-rules.test.ts',
  'test/cluster/*.test.ts',
];

/**
 * The queue and protocol suites again, on a Redis Cluster with REDIS_WAIT_REPLICAS=1 (scripts/test.sh,
 * "tests on Redis Cluster"): the suites whose work is Redis scripts, pipelines and pub/sub, not the
 * HTTP-validation-only ones. `pnpm --dir apps/broker run test:cluster`.
 */
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    include: ON_CLUSTER,
    globalSetup: ['test/cluster/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time (each has its own prefix and database; the failover test its own cluster):
    // about 2 min instead of 3.5 on 2 cores, within the 2.5 min this step may take in CI.
    maxWorkers: 2,
  },
});
