import type { RedisClient } from '../redis/client.js';
import { WriteBatch } from '../redis/write-batch.js';
import type { WorkerInfo } from '@buildcluster/protocol';
import type { RawLease } from '../queue/storage/replies.js';

/**
 * Every worker seen polling a queue in the last hour: a sorted set of worker ids by last poll,
 * and per worker a hash of its address, User-Agent, first poll, and builds done and failed. Polls
 * write at most once a second per worker and replica, off the poll's latency path.
 */
export const HOUR_MS = 3600_000;
/** Polls wait at most 30 s, so a worker that has not polled for a minute and holds no lease has stopped. */
export const STALE_AFTER_MS = 60_000;

const seenKey = (queue: string) => `console:ws:{${queue}}`;
const infoKey = (queue: string, worker: string) => `console:wi:{${queue}}:${worker}`;

export class WorkersSeen {
  constructor(
    private readonly redis: RedisClient,
    private readonly batch = new WriteBatch(redis),
  ) {}

  /** A poll from a worker. */
  touch(queue: string, workerId: string, address: string, version: string, nowMs = Date.now()): void {
    if (!this.batch.due(`touch\n${queue}\n${workerId}`, nowMs, 1000)) return;
    const seen = seenKey(queue);
    const info = infoKey(queue, workerId);
    this.batch
      .zadd(seen, nowMs, workerId)
      .trimBelow(seen, nowMs - HOUR_MS)
      .pexpire(seen, HOUR_MS)
      .hset(info, { addr: address, ver: version.slice(0, 200) })
      .hsetnx(info, { first: String(nowMs) })
      .pexpire(info, HOUR_MS)
      .flush()
      .catch(() => {});
  }

  /** Builds a worker finished: acked (done) or given back (failed). */
  count(queue: string, workerIds: string[], field: 'done' | 'failed', nowMs = Date.now()): Promise<unknown> {
    if (workerIds.length === 0) return Promise.resolve();
    for (const id of workerIds) {
      const key = infoKey(queue, id);
      this.batch.hincrby(key, field);
      if (this.batch.due(key, nowMs, 60_000)) this.batch.pexpire(key, HOUR_MS);
    }
    return this.batch.flush();
  }

  /** Workers not seen polling for STALE_AFTER_MS (some may still hold a live lease). */
  async quiet(queue: string, nowMs = Date.now()): Promise<{ total: number; quiet: string[] }> {
    const [[, total], [, quiet]] = (await this.redis
      .multi()
      .zcount(seenKey(queue), nowMs - HOUR_MS, '+inf')
      .zrangebyscore(seenKey(queue), nowMs - HOUR_MS, nowMs - STALE_AFTER_MS)
      .exec()) as [[null, number], [null, string[]]];
    return { total, quiet };
  }

  /** Every worker of the last hour, most recent poll first, with what it runs now (from the queue's leases). */
  async list(queue: string, leases: Array<RawLease & { sinceMs: number | null }>, nowMs = Date.now()): Promise<WorkerInfo[]> {
    const flat = await this.redis.zrevrangebyscore(seenKey(queue), '+inf', nowMs - HOUR_MS, 'WITHSCORES');
    const seen: Array<[string, number]> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) seen.push([flat[i]!, Number(flat[i + 1])]);
    // A worker holding a lease that never polled in the hour (a broker restart, a very long build) still shows.
    for (const lease of leases) if (!seen.some(([id]) => id === lease.workerId)) seen.push([lease.workerId, 0]);
    const pipeline = this.redis.pipeline();
    for (const [id] of seen) pipeline.hgetall(infoKey(queue, id));
    const infos = ((await pipeline.exec()) ?? []).map(([, reply]) => (reply ?? {}) as Record<string, string>);
    return seen.map(([workerId, last], i) => {
      const info = infos[i] ?? {};
      const running = leases
        .filter((l) => l.workerId === workerId && l.leaseExpiresMs > nowMs)
        .map((l) => ({
          buildId: l.buildId,
          type: l.type,
          attempt: l.attempt,
          leaseId: l.leaseId,
          since: l.sinceMs ? new Date(l.sinceMs).toISOString() : null,
          leaseExpiresAt: new Date(l.leaseExpiresMs).toISOString(),
        }));
      const lastPoll = last || Number(info.first ?? 0);
      return {
        workerId,
        address: info.addr ?? '',
        version: info.ver ?? '',
        firstSeenAt: new Date(Number(info.first ?? lastPoll)).toISOString(),
        lastPollAt: new Date(lastPoll).toISOString(),
        running,
        done: Number(info.done ?? 0),
        failed: Number(info.failed ?? 0),
        stale: running.length === 0 && nowMs - lastPoll > STALE_AFTER_MS,
      };
    });
  }
}
