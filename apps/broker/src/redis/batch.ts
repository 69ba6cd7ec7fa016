import type { ChainableCommander } from 'ioredis';
import { isCluster, type RedisClient } from './client.js';

/** Adds commands of one slot to a pipeline. */
export type SlotGroup = (pipeline: ChainableCommander) => unknown;

/**
 * Commands over keys of different slots, in one round trip on one Redis (one pipeline); on a Redis
 * Cluster, a pipeline per group, all sent at once (ioredis takes each to the node of its slot).
 * Each group must touch one slot. The replies, `[error, reply]` as `exec()` gives them, in order.
 */
export async function execBySlot(redis: RedisClient, groups: SlotGroup[]): Promise<Array<[Error | null, unknown]>> {
  if (groups.length === 0) return [];
  if (!isCluster(redis)) {
    const pipeline = redis.pipeline();
    for (const group of groups) group(pipeline);
    return (await pipeline.exec()) ?? [];
  }
  const replies = await Promise.all(
    groups.map(async (group) => {
      const pipeline = redis.pipeline();
      group(pipeline);
      return (await pipeline.exec()) ?? [];
    }),
  );
  return replies.flat();
}
