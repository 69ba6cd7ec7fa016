import { setTimeout as sleep } from 'node:timers/promises';
import { duplicateClient, type RedisClient } from '../redis/client.js';
import { scriptDir, type ScriptCall } from '../redis/script-dir.js';
import { MANAGED_BY, type ManagedBy, type Provider, type SignOption } from '@buildcluster/protocol';
import type { CachedCluster, ClusterKey } from './types.js';

/**
 * The Redis cache of the registry (seed "Cache"): one hash per registered cluster, plus
 *  - `{clusters}:names`: the set of cached names,
 *  - `{clusters}:generation`: a counter bumped by every change, so a replica can tell its copy is stale,
 *  - `{clusters}:built`: present once the cache was rebuilt from PostgreSQL; missing means Redis lost it.
 * Inactive clusters stay cached with `isActive` "false": their workers still authenticate to drain.
 * Keys share the `{clusters}` hash tag so a script touches one Redis Cluster slot.
 */
export const CacheKeys = {
  cluster: (name: string) => `{clusters}:cluster:${name}`,
  names: '{clusters}:names',
  generation: '{clusters}:generation',
  built: '{clusters}:built',
  rebuilding: '{clusters}:rebuilding',
} as const;

/** A cluster as written to the cache, with the version (updatedAt, epoch ms) that orders writes. */
export interface CacheEntry {
  cluster: CachedCluster;
  version: number;
  authKeyFileName: string;
  signOptionFileName: string;
}

export interface CacheSnapshot {
  clusters: CachedCluster[];
  generation: number | null;
  built: boolean;
}

/** The cache's Lua scripts (scripts/), loaded by the one loader every script folder goes through. */
const SCRIPTS = new URL('./scripts/', import.meta.url);

/** The seed's fields (authKeyName, signOption, queue, managedBy) plus what token checks and scheduling need. */
export function encode(entry: CacheEntry): Record<string, string> {
  const c = entry.cluster;
  return {
    name: c.name,
    scmOrganization: c.scmOrganization,
    scmContext: c.scmContext,
    isActive: String(c.isActive),
    queue: c.queue,
    queueKey: c.queueKey,
    managedBy: c.managedBy,
    weightage: String(c.weightage),
    provider: JSON.stringify(c.provider),
    authKeyName: entry.authKeyFileName,
    signOptionName: entry.signOptionFileName,
    signOption: JSON.stringify(c.signOption),
    keys: JSON.stringify(c.keys),
  };
}

/** A cached hash back into a cluster; null when it is incomplete (e.g. a half-written or foreign key). */
export function decode(hash: Record<string, string>): CachedCluster | null {
  const { name, scmOrganization, scmContext, isActive, queue, queueKey, managedBy, weightage, provider, signOption, keys } = hash;
  if (!name || !scmOrganization || !scmContext || !queue || !queueKey || !signOption || !keys) return null;
  if (!MANAGED_BY.includes(managedBy as ManagedBy)) return null;
  try {
    return {
      name,
      scmOrganization,
      scmContext,
      isActive: isActive === 'true',
      queue,
      queueKey,
      managedBy: managedBy as ManagedBy,
      weightage: Number(weightage ?? 100),
      provider: provider ? (JSON.parse(provider) as Provider | null) : null,
      signOption: JSON.parse(signOption) as SignOption,
      keys: JSON.parse(keys) as ClusterKey[],
    };
  } catch {
    return null;
  }
}

function toArgs(fields: Record<string, string>): string[] {
  return Object.entries(fields).flat();
}

export class ClusterCache {
  /** How many times a rebuild's swap is tried before it gives up (the next check tries again). */
  static readonly REPLACE_ATTEMPTS = 20;
  private readonly redis: RedisClient;
  private readonly putScript: ScriptCall;
  private readonly removeScript: ScriptCall;

  constructor(redis: RedisClient) {
    this.redis = redis;
    // With REDIS_WAIT_REPLICAS, a registration is on the replicas before it is answered (scriptDir).
    const scripts = scriptDir<'cache-put' | 'cache-remove'>(redis, SCRIPTS);
    this.putScript = scripts['cache-put'];
    this.removeScript = scripts['cache-remove'];
  }

  /** Writes one cluster; returns the new generation (0 when a newer copy was already cached). */
  put(entry: CacheEntry): Promise<number> {
    const { name } = entry.cluster;
    return this.putScript(
      CacheKeys.cluster(name),
      CacheKeys.names,
      CacheKeys.generation,
      String(entry.version),
      name,
      ...toArgs(encode(entry)),
    ) as Promise<number>;
  }

  remove(name: string): Promise<number> {
    return this.removeScript(CacheKeys.cluster(name), CacheKeys.names, CacheKeys.generation, name) as Promise<number>;
  }

  async read(name: string): Promise<CachedCluster | null> {
    const hash = await this.redis.hgetall(CacheKeys.cluster(name));
    return decode(hash);
  }

  /** Every cached cluster's version (its row's updatedAt, ms) and queue key, for the reconciliation with PostgreSQL. */
  async versions(): Promise<Map<string, { version: number; queueKey: string | null }>> {
    const names = await this.redis.smembers(CacheKeys.names);
    const out = new Map<string, { version: number; queueKey: string | null }>();
    if (names.length === 0) return out;
    const read = this.redis.pipeline();
    for (const name of names) read.hmget(CacheKeys.cluster(name), 'version', 'queueKey');
    const replies = (await read.exec()) ?? [];
    names.forEach((name, i) => {
      const [version, queueKey] = (replies[i]?.[1] as Array<string | null> | undefined) ?? [];
      out.set(name, { version: Number(version ?? -1), queueKey: queueKey ?? null });
    });
    return out;
  }

  /** Everything cached, with the generation read before the hashes (a change after it shows as a newer generation). */
  async readAll(): Promise<CacheSnapshot> {
    const [generation, built, names] = await Promise.all([
      this.redis.get(CacheKeys.generation),
      this.redis.exists(CacheKeys.built),
      this.redis.smembers(CacheKeys.names),
    ]);
    const hashes = await Promise.all(names.map((n) => this.redis.hgetall(CacheKeys.cluster(n))));
    const clusters = hashes.map(decode).filter((c): c is CachedCluster => c !== null);
    return { clusters, generation: generation === null ? null : Number(generation), built: built === 1 };
  }

  /** The generation and whether the cache is built, in one round trip. */
  async state(): Promise<{ generation: number | null; built: boolean }> {
    const [generation, built] = await this.redis.mget(CacheKeys.generation, CacheKeys.built);
    return {
      generation: generation === null || generation === undefined ? null : Number(generation),
      built: built !== null && built !== undefined,
    };
  }

  /** Only one replica rebuilds at a time after Redis lost the cache; the others wait for it. */
  async claimRebuild(ttlMs: number): Promise<boolean> {
    return (await this.redis.set(CacheKeys.rebuilding, '1', 'PX', ttlMs, 'NX')) === 'OK';
  }

  /**
   * Replaces the whole cache with what `load` reads from PostgreSQL. WATCH on the generation makes a
   * write that lands meanwhile abort the swap, which is then retried with a fresh read after a short
   * random pause (up to REPLACE_ATTEMPTS tries): registrations back to back (an import, a script)
   * can land in several windows in a row, and the pause lets a try fall between two of them.
   */
  async replaceAll(load: () => Promise<CacheEntry[]>): Promise<number> {
    // WATCH/MULTI need a connection of their own: the shared one pipelines other requests' commands.
    const conn = duplicateClient(this.redis);
    conn.on('error', () => {});
    try {
      for (let attempt = 0; attempt < ClusterCache.REPLACE_ATTEMPTS; attempt++) {
        if (attempt > 0) await sleep(Math.random() * 10 * Math.min(attempt, 5));
        await conn.watch(CacheKeys.generation);
        const entries = await load();
        const stale = await conn.smembers(CacheKeys.names);
        const multi = conn.multi();
        for (const name of stale) multi.del(CacheKeys.cluster(name));
        multi.del(CacheKeys.names);
        for (const entry of entries) {
          multi.hset(CacheKeys.cluster(entry.cluster.name), { version: String(entry.version), ...encode(entry) });
          multi.sadd(CacheKeys.names, entry.cluster.name);
        }
        multi.set(CacheKeys.built, new Date().toISOString());
        multi.incr(CacheKeys.generation);
        multi.del(CacheKeys.rebuilding);
        const result = await multi.exec();
        if (result !== null) {
          const incr = result[result.length - 2];
          return Number(incr?.[1] ?? 0);
        }
      }
      throw new Error(
        `the cluster cache rebuild kept racing with registry writes (${ClusterCache.REPLACE_ATTEMPTS} tries); the next check tries again`,
      );
    } finally {
      conn.disconnect();
    }
  }
}
