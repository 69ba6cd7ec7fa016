import type { RedisClient } from '../../redis/client.js';
import { allBuckets, bucketOf, DIRECTORY, type BucketKeys } from '../storage/keys.js';
import { runScript, scriptsFor, type Scripts } from '../storage/scripts.js';
import { ENTRY, settleSpec, type Journal } from './directory-scripts.js';

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

/**
 * What spans the directory's buckets: the pending lists (counted, batched and listed across the
 * buckets, oldest arrival first) and the journals a build waits in between two steps (claims not
 * appended yet, assignments not settled yet) with the messages they hold. BuildDirectory
 * (directory.ts) adds the steps of one build to it.
 */
export abstract class DirectoryBuckets {
  protected readonly scripts: Scripts;

  constructor(protected readonly redis: RedisClient) {
    this.scripts = scriptsFor(redis);
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
        for (const id of ids) pipeline.hmget(DIRECTORY.entry(id), ENTRY.state, ENTRY.reason, ENTRY.claimedAt);
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

export const byBucket = (buildIds: number[]): Map<BucketKeys, number[]> =>
  groupBy(buildIds.map((buildId) => ({ buildId, bucket: bucketOf(buildId) })));

/** The replies of a pipeline or transaction; the first failed command's error is thrown. */
function repliesOf(results: Array<[Error | null, unknown]> | null): unknown[] {
  if (!results) throw new Error('redis transaction aborted');
  return results.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}
