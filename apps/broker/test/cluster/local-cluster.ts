import { startRedisCluster, type LocalRedisCluster } from '@buildcluster/testkit/redis-cluster';

/**
 * First port of this checkout's test clusters (TEST_REDIS_CLUSTER_PORT); each takes a block of 10,
 * and its bus ports 10000 above. Both stay below the system's ephemeral ports (32768 and up).
 */
const FIRST_PORT = Number(process.env.TEST_REDIS_CLUSTER_PORT ?? 21100);

/**
 * A local Redis Cluster in one of the 10-port blocks `blocks` after TEST_REDIS_CLUSTER_PORT: a port
 * may be held for the moment by another process, so the next block is tried.
 */
export async function startLocalCluster(blocks: number[]): Promise<LocalRedisCluster> {
  let last: unknown;
  for (const block of blocks) {
    try {
      return await startRedisCluster({ basePort: FIRST_PORT + block * 10 });
    } catch (err) {
      last = err;
    }
  }
  throw last;
}
