import type { BuildState } from '@buildcluster/protocol';
import { bucketOf, buildKey, DIRECTORY, historyKey, pollKey } from './keys.js';
import { QueueRetireMark } from './retire-mark.js';
import type { ScriptArg } from './scripts.js';
import {
  events,
  extended,
  num,
  pairs,
  pollOutcome,
  reapOutcome,
  str,
  type JobEvent,
  type PollOutcome,
  type ReapOutcome,
  type Rejected,
} from './replies.js';

export type { QueueStoreOptions } from './queue-base.js';

/** Why a new build waits as pending for a moment (see schedule-8.lua, enqueue-4.lua). */
export const BEHIND_PENDING = 'queued behind pending builds being assigned';

/**
 * One cluster queue in Redis: every state change is one Lua script (atomic, one round trip);
 * deadlines come from the Redis clock. Knows nothing of HTTP, clusters or events: it returns what
 * changed and the callers publish it. The admin reads and the retire mark come with it, from the
 * layers below (queue-base.ts).
 */
export class QueueStore extends QueueRetireMark {
  private readonly releaseCache = new Map<string, readonly ScriptArg[]>();

  /**
   * The KEYS and first ARGV that reap-6 and nack-6 (the scripts that end leases) share: stream,
   * redeliver, leases, meta, dead, queue base; maxAttempts, wake channel, queue. Built once per
   * queue and passed as one array, which ioredis flattens into the arguments it builds anyway.
   */
  private releaseArgs(queue: string): readonly ScriptArg[] {
    let args = this.releaseCache.get(queue);
    if (!args) {
      const k = this.keys(queue);
      args = [k.stream, k.redeliver, k.leases, k.meta, k.dead, k.base, this.options.maxAttempts, this.options.wakeChannel, queue];
      this.releaseCache.set(queue, args);
    }
    return args;
  }

  /**
   * Claims a new build for this queue in the build directory and appends it, in one step (one
   * Redis only: it spans the build's bucket and the queue). A build claimed before is not touched:
   * its first claim is returned (`created` false).
   */
  async claimAndEnqueue(
    queue: string,
    cluster: string,
    buildId: number,
    message: string,
  ): Promise<{
    created: boolean;
    gone: boolean;
    behind: boolean;
    queue: string;
    cluster: string;
    directoryState: string;
    state: string;
  }> {
    const k = this.keys(queue);
    const bucket = bucketOf(buildId);
    const r = (await this.scripts.schedule(
      DIRECTORY.entry(buildId),
      k.stream,
      k.meta,
      buildKey(k, buildId),
      historyKey(k, buildId),
      bucket.pending,
      bucket.messages,
      DIRECTORY.pendingSequence,
      buildId,
      queue,
      cluster,
      message,
      this.options.wakeChannel,
      BEHIND_PENDING,
    )) as unknown[];
    return {
      created: r[0] === 1,
      gone: r[0] === 2,
      behind: r[0] === 3,
      queue: str(r[1]),
      cluster: str(r[2]),
      directoryState: str(r[3]),
      state: str(r[4]),
    };
  }

  /**
   * Appends a start message once per build. `post`: the second step of a claim, refused as
   * `behind` while pending builds are being assigned to the queue (and for good once refused);
   * `assign`: the drainer's, which marks the queue for `markMs` so new posts queue behind.
   */
  async enqueue(
    queue: string,
    cluster: string,
    buildId: number,
    message: string,
    mode: { kind: 'post' } | { kind: 'assign'; markMs: number } | { kind: 'plain' } = { kind: 'plain' },
  ): Promise<{ created: boolean; gone: boolean; behind: boolean; state: BuildState; enqueuedMs: number }> {
    const k = this.keys(queue);
    const r = (await this.scripts.enqueue(
      k.stream,
      k.meta,
      buildKey(k, buildId),
      historyKey(k, buildId),
      buildId,
      message,
      cluster,
      this.options.wakeChannel,
      queue,
      mode.kind === 'plain' ? '' : mode.kind,
      mode.kind === 'assign' ? mode.markMs : 0,
      this.options.keepMs,
    )) as unknown[];
    return {
      created: r[0] === 1,
      gone: r[0] === 2,
      behind: r[0] === 3,
      state: str(r[1]) as BuildState,
      enqueuedMs: num(r[3]),
    };
  }

  /** Marks the queue as being assigned pending builds for `ms` (Redis clock): new posts queue behind. */
  async mark(queue: string, ms: number): Promise<void> {
    await this.options.redis.eval(
      "local t = redis.call('TIME') return redis.call('HSET', KEYS[1], 'asg', t[1] * 1000 + math.floor(t[2] / 1000) + ARGV[1])",
      1,
      this.keys(queue).meta,
      ms,
    );
  }

  /** The drain is over: new posts for the queue go straight in again. */
  async unmark(queue: string): Promise<void> {
    await this.options.redis.hdel(this.keys(queue).meta, 'asg');
  }

  async poll(queue: string, workerId: string, max: number, pollId?: string): Promise<PollOutcome> {
    const k = this.keys(queue);
    const r = (await this.scripts.poll(
      k.stream,
      k.redeliver,
      k.leases,
      k.meta,
      k.workers,
      k.dead,
      k.base,
      pollId ? pollKey(k, workerId, pollId) : k.base,
      workerId,
      max,
      this.options.leaseMs,
      this.options.maxAttempts,
      pollId ?? '',
      this.options.leaseMs,
      this.options.wakeChannel,
      queue,
      this.options.keepMs,
    )) as unknown[];
    return pollOutcome(r);
  }

  /** Ends expired leases; wakes waiting polls when jobs became deliverable. */
  async reap(queue: string, limit = 1000): Promise<ReapOutcome> {
    return reapOutcome((await this.scripts.reap(this.releaseArgs(queue), limit, this.options.keepMs)) as unknown[]);
  }

  async ack(queue: string, leaseIds: string[]): Promise<{ acked: string[]; rejected: Rejected[]; events: JobEvent[] }> {
    const k = this.keys(queue);
    const r = (await this.scripts.ack(
      k.stream,
      k.redeliver,
      k.leases,
      k.meta,
      k.base,
      this.options.keepMs,
      ...leaseIds,
    )) as unknown[];
    return { acked: (r[0] as unknown[]).map(str), rejected: pairs(r[1]), events: events(r[2]) };
  }

  async extend(
    queue: string,
    leaseIds: string[],
    leaseMs = this.options.leaseMs,
  ): Promise<{ extended: Array<{ leaseId: string; leaseExpiresMs: number }>; rejected: Rejected[]; stop: number[] }> {
    const k = this.keys(queue);
    const r = (await this.scripts.extend(k.redeliver, k.leases, k.meta, k.base, leaseMs, ...leaseIds)) as unknown[];
    return { extended: extended(r[0]), rejected: pairs(r[1]), stop: (r[2] as unknown[]).map(num) };
  }

  async nack(
    queue: string,
    leaseIds: string[],
    reason = '',
  ): Promise<{ nacked: string[]; rejected: Rejected[]; events: JobEvent[] }> {
    const r = (await this.scripts.nack(this.releaseArgs(queue), this.options.keepMs, reason, ...leaseIds)) as unknown[];
    return { nacked: (r[0] as unknown[]).map(str), rejected: pairs(r[1]), events: events(r[2]) };
  }

  /** Stops a build of this queue: cancels it while queued, else queues a stop message (once). */
  async stop(queue: string, cluster: string, buildId: number, message: string): Promise<{ state: BuildState; changed: boolean }> {
    const k = this.keys(queue);
    const r = (await this.scripts.stop(
      k.stream,
      k.redeliver,
      k.meta,
      k.dead,
      buildKey(k, buildId),
      historyKey(k, buildId),
      buildId,
      message,
      this.options.wakeChannel,
      queue,
      this.options.keepMs,
      cluster,
    )) as unknown[];
    return { state: str(r[0]) as BuildState, changed: r[1] === 1 };
  }

  /** Puts a dead build back at the tail of its queue; false when it is not dead. */
  async requeueDead(queue: string, buildId: number): Promise<boolean> {
    const k = this.keys(queue);
    const n = await this.scripts.requeue(
      k.stream,
      k.meta,
      k.dead,
      buildKey(k, buildId),
      historyKey(k, buildId),
      k.redeliver,
      buildId,
      this.options.wakeChannel,
      queue,
    );
    return num(n) > 0;
  }
}
