import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DIRECTORY } from './keys.js';
import { scriptsFor, type Scripts } from './scripts.js';

/**
 * The build directory: for every build, where it went (the global index `build → queue`), and the
 * builds still pending (no eligible cluster yet), in arrival order. A build is claimed exactly once
 * here (one Lua script), which is what keeps 50 concurrent duplicates from queueing it twice.
 */
export type DirectoryState = '' | 'pending' | 'cancelled';

/**
 * How long an assignment marks its queue: new posts for it queue behind the pending builds
 * meanwhile. Short, so a drainer that died holds up nobody's posts for long.
 */
export const ASSIGNING_MARK_MS = 2000;

export interface Claim {
  created: boolean;
  queue: string;
  cluster: string;
  state: DirectoryState;
}

export interface DirectoryEntry {
  queue: string;
  cluster: string;
  state: DirectoryState;
  pendingReason: string | null;
  claimedMs: number;
}

export interface PendingEntry {
  buildId: number;
  reason: string;
  claimedMs: number;
  /** The start message JSON, as received. */
  message: string;
}

export type CancelOutcome =
  { kind: 'missing' } | { kind: 'cancelled'; changed: boolean } | { kind: 'queue'; queue: string; cluster: string };

export class BuildDirectory {
  private readonly scripts: Scripts;

  constructor(
    private readonly redis: Redis,
    private readonly keepMs: number,
  ) {
    this.scripts = scriptsFor(redis);
  }

  /** Claims a build for a queue, or as pending (queue ''); an earlier claim wins and is returned. */
  async claim(
    buildId: number,
    target: { queue: string; cluster: string } | null,
    message: string,
    reason: string,
  ): Promise<Claim> {
    const r = (await this.scripts.claim(
      DIRECTORY.entry(buildId),
      DIRECTORY.pending,
      DIRECTORY.pendingMessages,
      DIRECTORY.pendingSequence,
      buildId,
      target?.queue ?? '',
      target?.cluster ?? '',
      target ? '' : message,
      reason,
    )) as [number, string, string, string];
    return { created: r[0] === 1, queue: r[1], cluster: r[2], state: r[3] as DirectoryState };
  }

  async lookup(buildId: number): Promise<DirectoryEntry | null> {
    const [queue, cluster, state, reason, at] = await this.redis.hmget(DIRECTORY.entry(buildId), 'q', 'c', 'st', 'r', 'at');
    if (queue == null && state == null) return null;
    return {
      queue: queue ?? '',
      cluster: cluster ?? '',
      state: (state ?? '') as DirectoryState,
      pendingReason: reason ?? null,
      claimedMs: Number(at ?? 0),
    };
  }

  /** First step of a stop: cancels a pending build, or says which queue holds it. */
  async cancelPending(buildId: number): Promise<CancelOutcome> {
    const r = (await this.scripts['cancel-pending'](
      DIRECTORY.entry(buildId),
      DIRECTORY.pending,
      DIRECTORY.pendingMessages,
      buildId,
      this.keepMs,
    )) as string[];
    if (r[0] === 'missing') return { kind: 'missing' };
    if (r[0] === 'cancelled') return { kind: 'cancelled', changed: Number(r[1]) === 1 };
    return { kind: 'queue', queue: r[1] ?? '', cluster: r[2] ?? '' };
  }

  /** Settled builds' directory entries expire with them (fire and forget: never on the latency path). */
  forgetLater(buildIds: number[]): void {
    if (buildIds.length === 0) return;
    this.scripts.forget(buildIds.length, ...buildIds.map((id) => DIRECTORY.entry(id)), this.keepMs).catch(() => {});
  }

  async pendingCount(): Promise<number> {
    return this.redis.zcard(DIRECTORY.pending);
  }

  /** Pending builds after the arrival number `after`, oldest first, with their messages. */
  async pendingBatch(after: number, limit: number): Promise<Array<{ buildId: number; seq: number; message: string | null }>> {
    const flat = await this.redis.zrangebyscore(DIRECTORY.pending, `(${after}`, '+inf', 'WITHSCORES', 'LIMIT', 0, limit);
    const ids: string[] = [];
    const seqs: number[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      ids.push(flat[i]!);
      seqs.push(Number(flat[i + 1]));
    }
    if (ids.length === 0) return [];
    const messages = await this.redis.hmget(DIRECTORY.pendingMessages, ...ids);
    return ids.map((id, i) => ({ buildId: Number(id), seq: seqs[i]!, message: messages[i] ?? null }));
  }

  /**
   * The oldest `limit` pending builds with their reason, claim time and message, and how many are
   * pending in all. Two round trips: the list and its count, then every entry and message. A build
   * assigned or cancelled in between is left out.
   */
  async pendingList(limit: number): Promise<{ builds: PendingEntry[]; total: number }> {
    const listed = await this.redis
      .multi()
      .zrange(DIRECTORY.pending, '0', String(limit - 1))
      .zcard(DIRECTORY.pending)
      .exec();
    const [ids, total] = repliesOf(listed) as [string[], number];
    if (ids.length === 0) return { builds: [], total };
    const read = this.redis.pipeline();
    for (const id of ids) read.hmget(DIRECTORY.entry(id), 'st', 'r', 'at');
    read.hmget(DIRECTORY.pendingMessages, ...ids);
    const replies = repliesOf(await read.exec()) as Array<Array<string | null>>;
    const messages = replies[ids.length] ?? [];
    const builds: PendingEntry[] = [];
    ids.forEach((id, i) => {
      const [state, reason, at] = replies[i] ?? [];
      const message = messages[i];
      if (state !== 'pending' || message == null) return;
      builds.push({ buildId: Number(id), reason: reason ?? '', claimedMs: Number(at ?? 0), message });
    });
    return { builds, total };
  }

  /** Moves a pending build to a queue; the message when this call won, else null. */
  async assign(buildId: number, queue: string, cluster: string, markMs = ASSIGNING_MARK_MS): Promise<string | null> {
    const r = (await this.scripts.assign(
      DIRECTORY.entry(buildId),
      DIRECTORY.pending,
      DIRECTORY.pendingMessages,
      DIRECTORY.assigning,
      DIRECTORY.assigningMarker,
      buildId,
      queue,
      cluster,
      markMs,
    )) as [number, string?];
    return r[0] === 1 ? (r[1] ?? '{}') : null;
  }

  /**
   * Puts a build claimed for `queue` back on the pending list (at its arrival place when it had
   * one): that queue was retired before the build got into it. False when the claim moved on.
   */
  async repend(buildId: number, queue: string, message: string, reason: string): Promise<boolean> {
    const r = await this.scripts.repend(
      DIRECTORY.entry(buildId),
      DIRECTORY.pending,
      DIRECTORY.pendingMessages,
      DIRECTORY.assigning,
      DIRECTORY.pendingSequence,
      buildId,
      queue,
      message,
      reason,
    );
    return r === 1;
  }

  async settle(buildId: number): Promise<void> {
    await this.scripts.settle(DIRECTORY.assigning, DIRECTORY.pendingMessages, buildId);
  }

  /** Assignments a broker left half done (it died between assign and settle). */
  async stalledAssignments(olderThanMs: number): Promise<Array<{ buildId: number; message: string }>> {
    const [seconds, micros] = await this.redis.time();
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const ids = await this.redis.zrangebyscore(DIRECTORY.assigning, '-inf', now - olderThanMs, 'LIMIT', 0, 500);
    if (ids.length === 0) return [];
    const messages = await this.redis.hmget(DIRECTORY.pendingMessages, ...ids);
    return ids.map((id, i) => ({ buildId: Number(id), message: messages[i] ?? '{}' }));
  }

  /** One drainer at a time across replicas, so pending builds are queued in arrival order. */
  async lock(ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    const ok = await this.redis.set(DIRECTORY.drainLock, token, 'PX', ttlMs, 'NX');
    return ok === 'OK' ? token : null;
  }

  /** Extends our lock; false when it lapsed (another replica may hold it now). */
  async renew(token: string, ttlMs: number): Promise<boolean> {
    const r = await this.redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0",
      1,
      DIRECTORY.drainLock,
      token,
      ttlMs,
    );
    return r === 1;
  }

  async unlock(token: string): Promise<void> {
    // Delete only our own lock (it may have lapsed and been taken by another replica), and the
    // marks that made new posts queue behind the builds this drain assigned.
    await this.redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[2]) return redis.call('DEL', KEYS[1]) end return 0",
      2,
      DIRECTORY.drainLock,
      DIRECTORY.assigningMarker,
      token,
    );
  }
}

/** The replies of a pipeline or transaction; the first failed command's error is thrown. */
function repliesOf(results: Array<[Error | null, unknown]> | null): unknown[] {
  if (!results) throw new Error('redis transaction aborted');
  return results.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}
