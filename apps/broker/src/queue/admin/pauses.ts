import type { RedisClient } from '../../redis/client.js';
import type { AuditLine, PauseMode, QueuePause } from '@buildcluster/protocol';
import type { CachedCluster, ClusterDirectory } from '../../clusters/types.js';

/**
 * Paused dispatch, per queue. A paused queue keeps accepting builds but its workers' polls get
 * nothing; in `divert` mode the cluster also leaves the weighted pick (as if its weightage were 0),
 * so only builds that name it still arrive. Pausing is not deactivating: the registry is untouched.
 * The state lives in Redis (one hash) and every replica keeps a copy, refreshed on the `pause`
 * channel, so the poll path reads memory only.
 */
export const PAUSES_KEY = 'console:pauses';
const auditKey = (cluster: string) => `console:audit:${cluster}`;
const AUDIT_KEEP = 200;

export class Pauses {
  private readonly byQueue = new Map<string, QueuePause & { cluster: string }>();

  constructor(
    private readonly redis: RedisClient,
    private readonly channel: string,
  ) {}

  /** Loads every pause from Redis (at start and whenever a replica changed one). */
  async refresh(): Promise<string[]> {
    const all = await this.redis.hgetall(PAUSES_KEY);
    const before = new Set(this.byQueue.keys());
    this.byQueue.clear();
    for (const [queue, json] of Object.entries(all)) {
      try {
        this.byQueue.set(queue, JSON.parse(json) as QueuePause & { cluster: string });
      } catch {
        // a value not written by this code: ignore it rather than stop every poll
      }
    }
    // queues that were paused and are not any more: their waiting polls must look again
    return [...before].filter((q) => !this.byQueue.has(q));
  }

  isPaused(queue: string): boolean {
    return this.byQueue.has(queue);
  }

  get(queue: string): QueuePause | null {
    const p = this.byQueue.get(queue);
    return p ? { mode: p.mode, note: p.note, by: p.by, at: p.at } : null;
  }

  async pause(cluster: string, queue: string, mode: PauseMode, note: string, by: string): Promise<QueuePause> {
    const pause: QueuePause = { mode, note, by, at: new Date().toISOString() };
    // Two steps (the keys are of different slots on a Redis Cluster): the pause, then its audit line.
    await this.redis.hset(PAUSES_KEY, queue, JSON.stringify({ ...pause, cluster }));
    await this.audit(cluster, by, `paused (${mode})`, note, pause.at);
    await this.redis.publish(this.channel, queue);
    this.byQueue.set(queue, { ...pause, cluster });
    return pause;
  }

  /** False when the queue was not paused. */
  async resume(cluster: string, queue: string, note: string, by: string): Promise<boolean> {
    const removed = await this.redis.hdel(PAUSES_KEY, queue);
    if (removed === 0) return false;
    await this.audit(cluster, by, 'resumed', note);
    await this.redis.publish(this.channel, queue);
    this.byQueue.delete(queue);
    return true;
  }

  async audit(cluster: string, by: string, action: string, note: string, at = new Date().toISOString()): Promise<void> {
    await this.redis
      .multi()
      .lpush(auditKey(cluster), JSON.stringify({ at, by, action, note }))
      .ltrim(auditKey(cluster), 0, AUDIT_KEEP - 1)
      .exec();
  }

  async auditLines(cluster: string, limit = 50): Promise<AuditLine[]> {
    const lines = await this.redis.lrange(auditKey(cluster), 0, limit - 1);
    return lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as AuditLine];
      } catch {
        return [];
      }
    });
  }

  /**
   * The cluster directory as scheduling sees it: a cluster paused in divert mode has weightage 0,
   * so the weighted pick skips it while a build that names it is still queued there.
   */
  routing(clusters: ClusterDirectory): ClusterDirectory {
    const divert = (c: CachedCluster): CachedCluster =>
      this.byQueue.get(c.queueKey)?.mode === 'divert' ? { ...c, weightage: 0 } : c;
    return {
      get: async (name) => {
        const c = await clusters.get(name);
        return c ? divert(c) : c;
      },
      listActive: async () => (await clusters.listActive()).map(divert),
      list: () => (this.byQueue.size === 0 ? clusters.list() : clusters.list().map(divert)),
      ...(clusters.onChange ? { onChange: clusters.onChange.bind(clusters) } : {}),
    };
  }
}
