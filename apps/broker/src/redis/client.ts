import type { Cluster, Redis } from 'ioredis';

/**
 * The broker's commands client: one Redis (`REDIS_URL`) or a Redis Cluster (`REDIS_CLUSTER_NODES`).
 * Both run the same scripts; on a cluster every script and transaction touches one slot.
 */
export type RedisClient = Redis | Cluster;

export const isCluster = (client: RedisClient): client is Cluster => client.isCluster;

/** A connection of its own (WATCH/MULTI must not share the pipelined one), of the same kind. */
export function duplicateClient(client: RedisClient): RedisClient {
  return isCluster(client)
    ? client.duplicate(undefined, { enableAutoPipelining: false })
    : client.duplicate({ enableAutoPipelining: false, lazyConnect: false });
}
