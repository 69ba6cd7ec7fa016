import type { LocalRedisCluster } from '@buildcluster/testkit/redis-cluster';
import { startLocalCluster } from './local-cluster.js';

/**
 * The Redis Cluster of vitest.cluster.config.ts: the one of TEST_REDIS_CLUSTER_NODES when set (as
 * scripts/test.sh does), else a local one of 3 masters + 3 replicas on TEST_REDIS_CLUSTER_PORT
 * (default 21100, or a block of 10 after it) for this run, stopped after it.
 */
let local: LocalRedisCluster | null = null;

export async function setup(): Promise<void> {
  if (process.env.TEST_REDIS_CLUSTER_NODES) return;
  local = await startLocalCluster([0, 1, 2, 3]);
  process.env.TEST_REDIS_CLUSTER_NODES = local.nodes.join(',');
}

export async function teardown(): Promise<void> {
  await local?.stop();
}
