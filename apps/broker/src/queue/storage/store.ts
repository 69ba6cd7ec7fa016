import type { RedisClient } from '../../redis/client.js';
import type { BuildState } from '@buildcluster/protocol';
import { bucketOf, buildKey, DIRECTORY, historyKey, pollKey, queueKeys, type QueueKeys } from './keys.js';
import { scriptsFor, type ScriptArg, type Scripts } from './scripts.js';
import {
  events,
  extended,
  hash,
  history,
  jobs,
  jobType,
  leases,
  num,
  pairs,
  queued,
  str,
  type JobEvent,
  type PollOutcome,
  type RawBuild,
  type RawDead,
  type RawLease,
  type RawQueued,
  type RawQueueStats,
  type Rejected,
} from './replies.js';

export type {
  JobEvent,
  LeasedJob,
  PollOutcome,
  RawBuild,
  RawDead,
  RawLease,
  RawQueued,
  RawQueueStats,
  Rejected,
} from './replies.js';

/**
 * One cluster queue in Redis: every state change is one Lua script (atomic, one round trip);
 * deadlines come from the Redis clock. Knows nothing of HTTP, clusters or events: it returns what
 * changed and the callers publish it.
 */
export interface QueueStoreOptions {
  redis: RedisClient;
  /** Pub/sub channel (full name) on which appends, nacks and expiries wake waiting polls. */
  wakeChannel: string;
  leaseMs: number;
  maxAttempts: number;
  /** How long a settled build (acked, cancelled) stays visible. */
  keepMs: number;
}

/** Why a new build waits as pending for a moment (see schedule-8.lua, enqueue-4.lua). */
export const BEHIND_PENDING = 'queued behind pending builds being assigned';

export class QueueStore {
  private readonly scripts: Scripts;
  private readonly keyCache = new Map<string, QueueKeys>();
  private readonly releaseCache = new Map<string, readonly ScriptArg[]>();

  constructor(private readonly options: QueueStoreOptions) {
    this.scripts = scriptsFor(options.redis);
  }

  get leaseMs(): number {
    return this.options.leaseMs;
  }

  keys(queue: string): QueueKeys {
    let keys = this.keyCache.get(queue);
    if (!keys) {
      keys = queueKeys(queue);
      this.keyCache.set(queue, keys);
    }
    return keys;
  }

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
    const next = num(r[1]);
    return {
      now: num(r[0]),
      nextDeadline: next < 0 ? null : next,
      depth: num(r[2]),
      expired: num(r[3]),
      replayed: r[4] === 1,
      jobs: jobs(r[5]),
      events: events(r[6]),
    };
  }

  /** Ends expired leases; wakes waiting polls when jobs became deliverable. */
  async reap(
    queue: string,
    limit = 1000,
  ): Promise<{
    now: number;
    nextDeadline: number | null;
    expired: number;
    requeued: number;
    events: JobEvent[];
    depth: number;
  }> {
    const r = (await this.scripts.reap(this.releaseArgs(queue), limit, this.options.keepMs)) as unknown[];
    const next = num(r[1]);
    return {
      now: num(r[0]),
      nextDeadline: next < 0 ? null : next,
      expired: num(r[2]),
      requeued: num(r[3]),
      events: events(r[4]),
      depth: num(r[5]),
    };
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

  /**
   * First step of a cluster delete: marks the queue retired (no build can enter it any more) unless
   * it holds anything. `busy` gives the figures when it does; `deleting` when another delete runs.
   */
  async retire(
    queue: string,
    token: string,
  ): Promise<
    { kind: 'retired' } | { kind: 'busy'; queued: number; leased: number; dead: number } | { kind: 'deleting'; mark: string }
  > {
    const k = this.keys(queue);
    const r = (await this.scripts.retire(k.meta, k.leases, k.dead, token)) as unknown[];
    if (r[0] === 1) return { kind: 'retired' };
    if (r[0] === 2) return { kind: 'deleting', mark: str(r[1]) };
    return { kind: 'busy', queued: num(r[1]), leased: num(r[2]), dead: num(r[3]) };
  }

  /** The retire mark of a queue ('deleted', a delete's token), or null. */
  async retiredMark(queue: string): Promise<string | null> {
    return this.options.redis.hget(this.keys(queue).meta, 'gone');
  }

  /** The delete went through: the queue stays retired for good. */
  async seal(queue: string): Promise<void> {
    await this.options.redis.hset(this.keys(queue).meta, 'gone', 'deleted');
  }

  /** The delete did not happen: takes back that attempt's mark. */
  async lift(queue: string, token: string): Promise<boolean> {
    return (await this.scripts.lift(this.keys(queue).meta, token)) === 1;
  }

  async stats(queue: string): Promise<RawQueueStats> {
    const k = this.keys(queue);
    const r = (await this.scripts.stats(k.stream, k.redeliver, k.leases, k.meta, k.dead, k.workers)) as unknown[];
    const oldest = num(r[3]);
    return {
      depth: num(r[0]),
      inFlight: num(r[1]),
      dead: num(r[2]),
      oldestQueuedMs: oldest < 0 ? null : oldest,
      deliveredWatermark: str(r[4]),
      ackedWatermark: str(r[5]),
      workersLastMinute: num(r[6]),
      enqueuedTotal: num(r[7]),
      ackedTotal: num(r[8]),
      now: num(r[9]),
    };
  }

  async status(queue: string, buildId: number): Promise<RawBuild | null> {
    const k = this.keys(queue);
    const r = (await this.scripts.status(k.meta, k.redeliver, buildKey(k, buildId), historyKey(k, buildId), k.skip)) as unknown[];
    if (r.length === 0) return null;
    const fields = hash(r[0]);
    const position = num(r[2]);
    return { fields, history: history(r[1]), position: position > 0 ? position : null, now: num(r[3]) };
  }

  async detail(queue: string, limit: number): Promise<{ leases: RawLease[]; next: RawQueued[] }> {
    const k = this.keys(queue);
    const r = (await this.scripts.detail(k.stream, k.redeliver, k.leases, k.base, limit)) as unknown[];
    return { leases: leases(r[0]), next: queued(r[1]) };
  }

  /** When each listed lease began (ms, Redis clock), read from its build's record; null where the record is gone. */
  async leaseStarts(queue: string, leases: Array<{ buildId: number; type: 'start' | 'stop' }>): Promise<Array<number | null>> {
    if (leases.length === 0) return [];
    const k = this.keys(queue);
    const pipeline = this.options.redis.pipeline();
    for (const lease of leases) pipeline.hget(buildKey(k, lease.buildId), `${lease.type === 'stop' ? 'x' : 's'}lt`);
    return ((await pipeline.exec()) ?? []).map(([, value]) => (value ? Number(value) : null));
  }

  /** The dead letters of a queue, oldest death first. */
  async dead(queue: string, limit = 1000): Promise<RawDead[]> {
    const k = this.keys(queue);
    const members = await this.options.redis.zrange(k.dead, 0, String(limit - 1));
    if (members.length === 0) return [];
    const pipeline = this.options.redis.pipeline();
    for (const member of members) {
      const [buildId = '', t = 's'] = member.split(':');
      pipeline.hmget(buildKey(k, buildId), `${t}at`, `${t}dr`, `${t}dt`, 'eq');
    }
    const rows = (await pipeline.exec()) ?? [];
    const out: RawDead[] = [];
    members.forEach((member, i) => {
      const [buildId = '', t = 's'] = member.split(':');
      const [, value] = rows[i] ?? [];
      const [attempts, reason, died, enqueued] = (value as Array<string | null> | undefined) ?? [];
      if (died == null) return;
      out.push({
        buildId: Number(buildId),
        type: jobType(t),
        attempts: num(attempts),
        reason: str(reason),
        diedMs: num(died),
        enqueuedMs: num(enqueued),
      });
    });
    return out;
  }
}
