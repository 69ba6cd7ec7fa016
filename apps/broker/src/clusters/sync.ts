import type { FastifyBaseLogger } from 'fastify';
import type { RedisClient } from '../redis/client.js';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { ClusterHooks } from '../plugins/app/cluster-hooks.js';
import type { ClusterCache } from './cache.js';
import type { LocalClusterDirectory } from './directory.js';
import { loadAllRecords, queueKeyOf, toCacheEntry } from './records.js';

/** Invalidation message on the `clusters` channel: one cluster changed, or everything (after a rebuild). */
interface Invalidation {
  name?: string;
  generation: number;
}

/**
 * Keeps the Redis cache and this replica's copy of it fresh:
 *  - startup: rebuild the cache from PostgreSQL (or, with PostgreSQL away, load what Redis has);
 *  - every write publishes an invalidation; every replica re-reads that cluster from Redis (ms);
 *  - a periodic check (CHECK_MS) reloads the copy when the cache generation moved without a
 *    message reaching us (subscriber reconnect), and rebuilds from PostgreSQL when Redis lost the
 *    cache (its `built` marker is gone) or a cache write failed after a PostgreSQL commit;
 *  - every `reconcileMs`, compares the cache with PostgreSQL (names and versions) and rebuilds
 *    when they differ: a broker that died between a commit and its cache write leaves a cache
 *    that no message or marker reveals (a deleted cluster still routable and pollable). The
 *    queues of clusters found deleted are sealed first, and retire marks that a dead broker left
 *    on clusters PostgreSQL still has are lifted.
 */
export class CacheSync {
  static readonly CHECK_MS = 2000;
  private timer: NodeJS.Timeout | null = null;
  /** Set when a registry write reached PostgreSQL but not Redis: the next check rebuilds. */
  private dirty = false;
  private checking: Promise<void> | null = null;
  private reconciledAt = 0;

  constructor(
    private readonly deps: {
      orm: MikroORM;
      redis: RedisClient;
      channel: string;
      cache: ClusterCache;
      directory: LocalClusterDirectory;
      log: FastifyBaseLogger;
      hooks: ClusterHooks;
      /** How often the cache is compared with PostgreSQL. */
      reconcileMs: number;
    },
  ) {}

  async start(): Promise<void> {
    try {
      await this.rebuild();
    } catch (err) {
      this.deps.log.warn(
        { err: (err as Error).message },
        'cluster cache: could not rebuild from PostgreSQL at startup; using Redis',
      );
      await this.reload().catch((e: Error) => this.deps.log.warn({ err: e.message }, 'cluster cache: Redis unreachable too'));
    }
    this.timer = setInterval(() => void this.check(), CacheSync.CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  markDirty(): void {
    this.dirty = true;
  }

  /** Rebuilds the Redis cache from PostgreSQL, reloads this copy and tells the other replicas. */
  async rebuild(): Promise<{ clusters: number; generation: number }> {
    let count = 0;
    const generation = await this.deps.cache.replaceAll(async () => {
      const records = await loadAllRecords(this.deps.orm.em.fork());
      count = records.length;
      return records.map(toCacheEntry);
    });
    this.dirty = false;
    await this.reload();
    await this.announce({ generation });
    this.deps.log.info({ clusters: count, generation }, 'cluster cache rebuilt from PostgreSQL');
    return { clusters: count, generation };
  }

  /** Replaces this replica's copy with what Redis holds (keeping what this replica changed while it read). */
  async reload(): Promise<void> {
    const since = this.deps.directory.mark();
    const snapshot = await this.deps.cache.readAll();
    if (!snapshot.built) return;
    this.deps.directory.replace(snapshot.clusters, snapshot.generation, since);
  }

  /** Tells every replica (this one included) that the cache changed. */
  async announce(message: Invalidation): Promise<void> {
    await this.deps.redis.publish(this.deps.channel, JSON.stringify(message));
  }

  async onMessage(raw: string): Promise<void> {
    let message: Invalidation;
    try {
      message = JSON.parse(raw) as Invalidation;
    } catch {
      return;
    }
    const { directory, cache } = this.deps;
    if (message.name === undefined) {
      if (message.generation !== directory.generation) await this.reload();
      return;
    }
    const cluster = await cache.read(message.name);
    if (cluster) directory.set(cluster);
    else {
      // Missing because it was deleted, or because Redis lost the cache: only the former removes it here.
      const state = await cache.state();
      if (!state.built) return void this.check();
      directory.delete(message.name);
    }
    if (directory.generation !== null && message.generation === directory.generation + 1) {
      directory.generation = message.generation;
    }
  }

  /** The periodic check; runs one at a time. */
  check(): Promise<void> {
    this.checking ??= this.checkOnce()
      .catch((err: Error) => this.deps.log.warn({ err: err.message }, 'cluster cache check failed'))
      .finally(() => {
        this.checking = null;
      });
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    const { cache, directory, log } = this.deps;
    const state = await cache.state();
    if (this.dirty || !state.built) {
      // After a Redis flush every replica notices; one rebuilds, the others reload when it is done.
      if (this.dirty || (await cache.claimRebuild(15_000))) {
        log.warn({ dirty: this.dirty, built: state.built }, 'cluster cache: rebuilding from PostgreSQL');
        await this.rebuild();
      }
      return;
    }
    if (state.generation !== directory.generation) await this.reload();
    if (Date.now() - this.reconciledAt >= this.deps.reconcileMs) {
      this.reconciledAt = Date.now();
      await this.reconcile();
    }
  }

  /** Repairs the cache from PostgreSQL when they differ; returns whether it had to. */
  async reconcile(): Promise<boolean> {
    const { orm, cache, hooks, log } = this.deps;
    // The cache first, PostgreSQL second: a cluster is cached only after its row is committed, so
    // one registered between the two reads is in both or only in PostgreSQL (a rebuild), never
    // taken for a deleted one (an orphan, whose queue would be sealed).
    const cached = await cache.versions();
    const rows = await orm.em
      .fork()
      .getConnection()
      .execute<Array<{ id: number; name: string; createdAt: Date; updatedAt: Date }>>(
        'select "id", "name", "createdAt", "updatedAt" from "buildClusters"',
      );
    const truth = new Map(rows.map((row) => [row.name, row]));
    const orphans = [...cached].filter(([name]) => !truth.has(name));
    const differs = orphans.length > 0 || rows.some((row) => cached.get(row.name)?.version !== new Date(row.updatedAt).getTime());
    for (const [name, entry] of orphans) {
      log.warn({ cluster: name }, 'cluster cache: a deleted cluster was still cached; removing it');
      if (entry.queueKey) await hooks.queues?.seal(entry.queueKey);
    }
    if (differs) await this.rebuild();
    await hooks.queues?.liftStale(rows.map((row) => queueKeyOf({ id: row.id, createdAt: new Date(row.createdAt) })));
    return differs;
  }
}
