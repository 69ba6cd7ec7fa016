import type { Redis } from 'ioredis';
import { isCluster, type RedisClient } from '../../redis/client.js';
import { upgradeSpec } from './directory-scripts.js';
import { DIRECTORY, LEGACY_DIRECTORY } from '../storage/keys.js';
import { runScript, scriptsFor } from '../storage/scripts.js';

/**
 * Moves the build directory of the previous version (every build under the one tag `{d}`) into
 * the buckets, once, before this broker serves (README "Upgrading"): entries with their time to
 * live, pending builds at their arrival numbers, assignments in flight. Idempotent, so replicas
 * starting together may all run it. On a Redis Cluster there is nothing to move (the previous
 * version could not run there); old keys found there stop the start with a message.
 */
export const LAYOUT_VERSION = '2';

export async function upgradeDirectory(redis: RedisClient): Promise<{ moved: number }> {
  if ((await redis.get(DIRECTORY.layout)) === LAYOUT_VERSION) return { moved: 0 };
  if (isCluster(redis)) {
    // Both keys share the `{d}` slot: one command.
    if ((await redis.exists(LEGACY_DIRECTORY.pending, LEGACY_DIRECTORY.assigning)) > 0) {
      throw new Error(
        'the build directory holds keys of the previous layout (dir:{d}:…): start this version on the single Redis first, which moves them, then move to the cluster',
      );
    }
    await redis.set(DIRECTORY.layout, LAYOUT_VERSION);
    return { moved: 0 };
  }
  const ids = new Set<number>();
  for (const id of await redis.zrange(LEGACY_DIRECTORY.pending, '0', '-1')) ids.add(Number(id));
  for (const id of await redis.zrange(LEGACY_DIRECTORY.assigning, '0', '-1')) ids.add(Number(id));
  for (const id of await redis.hkeys(LEGACY_DIRECTORY.messages)) ids.add(Number(id));
  for (const id of await legacyEntryIds(redis)) ids.add(id);
  const scripts = scriptsFor(redis);
  let moved = 0;
  const all = [...ids].filter((id) => Number.isSafeInteger(id));
  for (let i = 0; i < all.length; i += 200) {
    const done = await Promise.all(all.slice(i, i + 200).map((buildId) => runScript(scripts, upgradeSpec, { buildId })));
    moved += done.filter(Boolean).length;
  }
  await redis.del(LEGACY_DIRECTORY.assigningMarker);
  await redis.set(DIRECTORY.layout, LAYOUT_VERSION);
  return { moved };
}

/** Build ids of every old entry: one SCAN of the keyspace (the key prefix is not applied to MATCH). */
async function legacyEntryIds(redis: Redis): Promise<number[]> {
  const prefix = redis.options.keyPrefix ?? '';
  const head = `${prefix}${LEGACY_DIRECTORY.entryPattern.slice(0, -1)}`;
  const pattern = `${head.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  const ids: number[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) ids.push(Number(key.slice(head.length)));
  } while (cursor !== '0');
  return ids;
}
