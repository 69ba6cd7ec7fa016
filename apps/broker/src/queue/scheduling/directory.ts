import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../../redis/client.js';
import {
  assignSpec,
  cancelPendingSpec,
  claimSpec,
  rependSpec,
  runScript,
  settleSpec,
  type CancelOutcome,
  type Claim,
  type DirectoryState,
  type Journal,
} from './directory-scripts.js';
import { allBuckets, bucketOf, DIRECTORY, type BucketKeys } from '../storage/keys.js';
import { scriptsFor, type Scripts } from '../storage/scripts.js';

export type { CancelOutcome, Claim, DirectoryState, Journal } from './directory-scripts.js';

/**
 * The build directory: for every build, where it went (the index `build → queue`), and the builds
 * still pending (no eligible cluster yet), in arrival order. Split into buckets by build id (keys.ts),
 * each in a slot of its own; a build is claimed exactly once in its bucket (one Lua script), which
 * is what keeps 50 concurrent duplicates from queueing it twice. Reads that span the buckets
 * (pending lists, journals) ask every bucket and merge by arrival number.
 */
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

/** A build waiting in a journal, with its message. */
export interface Journaled {
  buildId: number;
  message: string;
}

const nowOf = ([seconds, micros]: Array<string | number>): number => Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);

export class BuildDirectory {
  private readonly scripts: Scripts;

  constructor(
    private readonly redis: RedisClient,
    private readonly keepMs: number,
  ) {
    this.scripts = scriptsFor(redis);
  }

  /**
   * Claims a build for a queue (journaled until `appended`), or as pending (target null: one more
   * round trip, for its arrival number); an earlier claim wins and is returned.
   */
  async claim(
    buildId: number,
    target: { queue: string; cluster: string } | null,
    message: string,
    reason: string,
  ): Promise<Claim> {
    const arrival = target ? 0 : await this.nextArrival();
    return runScript(this.scripts, claimSpec, {
      buildId,
      queue: target?.queue ?? '',
      cluster: target?.cluster ?? '',
      message,
      reason,
      arrival,
    });
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
    return runScript(this.scripts, cancelPendingSpec, { buildId, keepMs: this.keepMs });
  }

  /**
   * Settled builds' directory entries expire with them (fire and forget: never on the latency
   * path). One PEXPIRE each, pipelined per bucket, so one slot per pipeline.
   */
  forgetLater(buildIds: number[]): void {
    for (const [, ids] of byBucket(buildIds)) {
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.pexpire(DIRECTORY.entry(id), this.keepMs);
      pipeline.exec().catch(() => {});
    }
  }

  async pendingCount(): Promise<number> {
    const counts = await Promise.all(allBuckets().map((b) => this.redis.zcard(b.pending)));
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Pending builds after the arrival number `after`, oldest first across the buckets, with their messages. */
  async pendingBatch(after: number, limit: number): Promise<Array<{ buildId: number; seq: number; message: string | null }>> {
    const perBucket = await Promise.all(
      allBuckets().map(async (b) => {
        const flat = await this.redis.zrangebyscore(b.pending, `(${after}`, '+inf', 'WITHSCORES', 'LIMIT', 0, limit);
        return withScores(flat).map((p) => ({ ...p, bucket: b }));
      }),
    );
    const oldest = perBucket
      .flat()
      .sort((a, b) => a.score - b.score)
      .slice(0, limit);
    const messages = await this.messagesOf(oldest);
    return oldest.map((p) => ({ buildId: p.buildId, seq: p.score, message: messages.get(p.buildId) ?? null }));
  }

  /**
   * The oldest `limit` pending builds with their reason, claim time and message, and how many are
   * pending in all. Two rounds over the buckets: the lists and counts, then the entries and
   * messages (one pipeline per bucket). A build assigned or cancelled in between is left out.
   */
  async pendingList(limit: number): Promise<{ builds: PendingEntry[]; total: number }> {
    const listed = await Promise.all(
      allBuckets().map(async (b) => {
        // Two plain commands, not a transaction: MULTI under auto-pipelining on a cluster mixes slots.
        const [flat, count] = await Promise.all([
          this.redis.zrange(b.pending, '0', String(limit - 1), 'WITHSCORES'),
          this.redis.zcard(b.pending),
        ]);
        return { ids: withScores(flat).map((p) => ({ ...p, bucket: b })), count };
      }),
    );
    const total = listed.reduce((a, l) => a + l.count, 0);
    const oldest = listed
      .flatMap((l) => l.ids)
      .sort((a, b) => a.score - b.score)
      .slice(0, limit);
    const read = await Promise.all(
      [...groupBy(oldest)].map(async ([bucket, ids]) => {
        const pipeline = this.redis.pipeline();
        for (const id of ids) pipeline.hmget(DIRECTORY.entry(id), 'st', 'r', 'at');
        pipeline.hmget(bucket.messages, ...ids.map(String));
        const replies = repliesOf(await pipeline.exec()) as Array<Array<string | null>>;
        const messages = replies[ids.length] ?? [];
        return ids.map((buildId, i) => ({ buildId, fields: replies[i] ?? [], message: messages[i] ?? null }));
      }),
    );
    const found = new Map(read.flat().map((r) => [r.buildId, r]));
    const builds: PendingEntry[] = [];
    for (const { buildId } of oldest) {
      const r = found.get(buildId);
      const [state, reason, at] = r?.fields ?? [];
      if (state !== 'pending' || r?.message == null) continue;
      builds.push({ buildId, reason: reason ?? '', claimedMs: Number(at ?? 0), message: r.message });
    }
    return { builds, total };
  }

  /** Moves a pending build to a queue; the message when this call won, else null. */
  async assign(buildId: number, queue: string, cluster: string): Promise<string | null> {
    return runScript(this.scripts, assignSpec, { buildId, queue, cluster });
  }

  /**
   * Puts a build claimed for `queue` back on the pending list (at its arrival place when it had
   * one, else at a new arrival number): that queue refused it. Only while the build is still in
   * the journal `from` (its claim or assignment not finished by anyone); false otherwise.
   */
  async repend(buildId: number, queue: string, message: string, reason: string, from: Journal): Promise<boolean> {
    const arrival = await this.nextArrival();
    return runScript(this.scripts, rependSpec, { buildId, queue, message, reason, from, arrival });
  }

  /** An assigned build is in its queue: out of the assigning journal. */
  async settle(buildId: number): Promise<void> {
    await runScript(this.scripts, settleSpec, { bucket: bucketOf(buildId), from: 'assigning', buildIds: [buildId] });
  }

  /** Claimed builds are in their queue: out of the claims journal (a sweeper would do it too). */
  async appended(buildIds: number[]): Promise<void> {
    await Promise.all(
      [...byBucket(buildIds)].map(([bucket, ids]) =>
        runScript(this.scripts, settleSpec, { bucket, from: 'claims', buildIds: ids }),
      ),
    );
  }

  /** Assignments a broker left half done (it died between assign and settle). */
  async stalledAssignments(olderThanMs: number): Promise<Journaled[]> {
    return this.stalled('assigning', olderThanMs);
  }

  /** Claims a broker left half done (it died between claim and append), oldest first. */
  async stalledClaims(olderThanMs: number): Promise<Journaled[]> {
    return this.stalled('claims', olderThanMs);
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

  /** Deletes only our own lock (it may have lapsed and been taken by another replica). */
  async unlock(token: string): Promise<void> {
    await this.redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
      1,
      DIRECTORY.drainLock,
      token,
    );
  }

  private async nextArrival(): Promise<number> {
    return this.redis.incr(DIRECTORY.pendingSequence);
  }

  private async stalled(journal: Journal, olderThanMs: number): Promise<Journaled[]> {
    const before = nowOf(await this.redis.time()) - olderThanMs;
    const perBucket = await Promise.all(
      allBuckets().map(async (b) => {
        const flat = await this.redis.zrangebyscore(b[journal], '-inf', before, 'WITHSCORES', 'LIMIT', 0, 100);
        return withScores(flat).map((p) => ({ ...p, bucket: b }));
      }),
    );
    const due = perBucket.flat().sort((a, b) => a.score - b.score);
    const messages = await this.messagesOf(due);
    return due.map((p) => ({ buildId: p.buildId, message: messages.get(p.buildId) ?? '{}' }));
  }

  /** The stored messages of builds, one HMGET per bucket. */
  private async messagesOf(builds: Array<{ buildId: number; bucket: BucketKeys }>): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    await Promise.all(
      [...groupBy(builds)].map(async ([bucket, ids]) => {
        const messages = await this.redis.hmget(bucket.messages, ...ids.map(String));
        ids.forEach((id, i) => {
          const m = messages[i];
          if (m != null) out.set(id, m);
        });
      }),
    );
    return out;
  }
}

/** A WITHSCORES reply as build ids and scores. */
function withScores(flat: string[]): Array<{ buildId: number; score: number }> {
  const out: Array<{ buildId: number; score: number }> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ buildId: Number(flat[i]), score: Number(flat[i + 1]) });
  return out;
}

function groupBy(builds: Array<{ buildId: number; bucket: BucketKeys }>): Map<BucketKeys, number[]> {
  const out = new Map<BucketKeys, number[]>();
  for (const { buildId, bucket } of builds) {
    const ids = out.get(bucket);
    if (ids) ids.push(buildId);
    else out.set(bucket, [buildId]);
  }
  return out;
}

const byBucket = (buildIds: number[]): Map<BucketKeys, number[]> =>
  groupBy(buildIds.map((buildId) => ({ buildId, bucket: bucketOf(buildId) })));

/** The replies of a pipeline or transaction; the first failed command's error is thrown. */
function repliesOf(results: Array<[Error | null, unknown]> | null): unknown[] {
  if (!results) throw new Error('redis transaction aborted');
  return results.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}
