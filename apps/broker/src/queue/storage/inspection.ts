import type { RedisClient } from '../../redis/client.js';
import { buildKey, historyKey, type QueueKeys } from './keys.js';

/**
 * What the console reads of a queue beyond its stats, and the purge of old dead letters. The
 * queue's keys and member formats stay here (dead letters are `<buildId>:<s|x>`, the consumer
 * group is the stream's one), so the console works with build ids, counts and times.
 */
export class QueueInspection {
  constructor(
    private readonly redis: RedisClient,
    private readonly keysOf: (queue: string) => QueueKeys,
    private readonly keepMs: number,
  ) {}

  /** Deliveries not acked yet, and when the oldest of them was enqueued (ms); a failed read counts none. */
  async unacked(queue: string): Promise<{ count: number; oldestMs: number | null }> {
    const summary = (await this.redis.xpending(this.keysOf(queue).stream, 'g').catch(() => [0, null])) as unknown[];
    const count = Number(summary[0] ?? 0);
    const oldest = typeof summary[1] === 'string' ? Number(summary[1].split('-')[0]) : null;
    return { count, oldestMs: count > 0 ? oldest : null };
  }

  /** Lease ids whose deadline is still ahead of `now` (the first 1,000). */
  liveLeases(queue: string, now: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keysOf(queue).leases, now, '+inf', 'LIMIT', 0, 1000);
  }

  /** The builds with a dead job that died before `beforeMs` (at most `limit` entries), each with its entries. */
  async deadBefore(queue: string, beforeMs: number, limit: number): Promise<Map<number, string[]>> {
    const members = await this.redis.zrangebyscore(this.keysOf(queue).dead, '-inf', `(${beforeMs}`, 'LIMIT', 0, limit);
    const byBuild = new Map<number, string[]>();
    for (const member of members) {
      const id = Number(member.split(':')[0]);
      byBuild.set(id, [...(byBuild.get(id) ?? []), member]);
    }
    return byBuild;
  }

  /**
   * Takes a build's entries (from `deadBefore`) out of the dead letters; its record and history then
   * expire like a settled build's. False when none was there any more (a requeue came first).
   */
  async purge(queue: string, buildId: number, entries: string[]): Promise<boolean> {
    const k = this.keysOf(queue);
    if ((await this.redis.zrem(k.dead, ...entries)) === 0) return false;
    await this.redis
      .multi()
      .pexpire(buildKey(k, buildId), this.keepMs)
      .pexpire(historyKey(k, buildId), this.keepMs)
      .rpush(historyKey(k, buildId), `${Date.now()}|purged|removed from the dead letters`)
      .exec();
    return true;
  }
}
