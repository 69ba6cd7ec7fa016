import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../../redis/client.js';
import { BOOKKEEPING_DELAY_MS, WriteBatch } from '../../redis/write-batch.js';
import { DirectoryBuckets } from './directory-buckets.js';
import {
  assignSpec,
  cancelPendingSpec,
  claimSpec,
  ENTRY,
  rependSpec,
  renewSpec,
  unlockSpec,
  type CancelOutcome,
  type Claim,
  type DirectoryState,
  type Journal,
} from './directory-scripts.js';
import { DIRECTORY } from '../storage/keys.js';
import { runScript } from '../storage/scripts.js';

export type { CancelOutcome, Claim, DirectoryState, Journal } from './directory-scripts.js';
export type { Journaled, PendingEntry } from './directory-buckets.js';

/**
 * The build directory: for every build, where it went (the index `build → queue`), and the builds
 * still pending (no eligible cluster yet), in arrival order. Split into buckets by build id (keys.ts),
 * each in a slot of its own; a build is claimed exactly once in its bucket (one Lua script), which
 * is what keeps 50 concurrent duplicates from queueing it twice. Reads that span the buckets
 * (pending lists, journals) ask every bucket and merge by arrival number (directory-buckets.ts).
 */
export interface DirectoryEntry {
  queue: string;
  cluster: string;
  state: DirectoryState;
  pendingReason: string | null;
  claimedMs: number;
}

export class BuildDirectory extends DirectoryBuckets {
  /** `expiries`: the app's bookkeeping batch (app.bookkeeping), which its owner closes. */
  constructor(
    redis: RedisClient,
    private readonly keepMs: number,
    private readonly expiries = new WriteBatch(redis, { delayMs: BOOKKEEPING_DELAY_MS }),
  ) {
    super(redis);
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
    const [queue, cluster, state, reason, at] = await this.redis.hmget(
      DIRECTORY.entry(buildId),
      ENTRY.queue,
      ENTRY.cluster,
      ENTRY.state,
      ENTRY.reason,
      ENTRY.claimedAt,
    );
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
   * path). One PEXPIRE each, those of BOOKKEEPING_DELAY_MS sent together with the other
   * bookkeeping of the batch.
   */
  forgetLater(buildIds: number[]): void {
    for (const id of buildIds) this.expiries.pexpire(DIRECTORY.entry(id), this.keepMs);
    this.expiries.flush().catch(() => {});
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

  /** One drainer at a time across replicas, so pending builds are queued in arrival order. */
  async lock(ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    const ok = await this.redis.set(DIRECTORY.drainLock, token, 'PX', ttlMs, 'NX');
    return ok === 'OK' ? token : null;
  }

  /** Extends our lock; false when it lapsed (another replica may hold it now). */
  async renew(token: string, ttlMs: number): Promise<boolean> {
    return runScript(this.scripts, renewSpec, { token, ttlMs });
  }

  /** Deletes only our own lock (it may have lapsed and been taken by another replica). */
  async unlock(token: string): Promise<void> {
    await runScript(this.scripts, unlockSpec, { token });
  }

  private async nextArrival(): Promise<number> {
    return this.redis.incr(DIRECTORY.pendingSequence);
  }
}
