import type { BuildState } from '@buildcluster/protocol';
import { QueueRetireMark } from './retire-mark.js';
import type { PollOutcome, ReapOutcome } from './replies.js';
import { runScript } from './scripts.js';
import {
  ackSpec,
  enqueueSpec,
  extendSpec,
  markSpec,
  nackSpec,
  pollSpec,
  reapSpec,
  release,
  requeueSpec,
  scheduleSpec,
  stopSpec,
  type Acked,
  type ClaimedAndEnqueued,
  type Enqueued,
  type Extended,
  type Nacked,
  type Release,
} from './store-scripts.js';

export type { QueueStoreOptions } from './queue-base.js';

/** Why a new build waits as pending for a moment (see schedule-8.lua, enqueue-4.lua). */
export const BEHIND_PENDING = 'queued behind pending builds being assigned';

/**
 * One cluster queue in Redis: every state change is one Lua script (atomic, one round trip);
 * deadlines come from the Redis clock. Knows nothing of HTTP, clusters or events: it returns what
 * changed and the callers publish it. The admin reads and the retire mark come with it, from the
 * layers below (queue-base.ts). Each script is called through its descriptor (store-scripts.ts).
 */
export class QueueStore extends QueueRetireMark {
  private readonly releaseCache = new Map<string, Release>();

  /** The keys and first arguments that reap-6 and nack-6 share, built once per queue. */
  private release(queue: string): Release {
    let known = this.releaseCache.get(queue);
    if (!known) {
      known = release(this.keys(queue), queue, this.options.maxAttempts, this.options.wakeChannel);
      this.releaseCache.set(queue, known);
    }
    return known;
  }

  /**
   * Claims a new build for this queue in the build directory and appends it, in one step (one
   * Redis only: it spans the build's bucket and the queue). A build claimed before is not touched:
   * its first claim is returned (`created` false).
   */
  async claimAndEnqueue(queue: string, cluster: string, buildId: number, message: string): Promise<ClaimedAndEnqueued> {
    return runScript(this.scripts, scheduleSpec, { ...this.append(queue, cluster, buildId, message), reason: BEHIND_PENDING });
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
  ): Promise<Enqueued> {
    return runScript(this.scripts, enqueueSpec, {
      ...this.append(queue, cluster, buildId, message),
      mode: mode.kind === 'plain' ? '' : mode.kind,
      markMs: mode.kind === 'assign' ? mode.markMs : 0,
      keepMs: this.options.keepMs,
    });
  }

  /** What every append of a start message takes: the queue, the build, and the channel that wakes polls. */
  private append(queue: string, cluster: string, buildId: number, message: string) {
    return { k: this.keys(queue), queue, cluster, buildId, message, wakeChannel: this.options.wakeChannel };
  }

  /** Marks the queue as being assigned pending builds for `ms` (Redis clock): new posts queue behind. */
  async mark(queue: string, ms: number): Promise<void> {
    await runScript(this.scripts, markSpec, { k: this.keys(queue), ms });
  }

  /** The drain is over: new posts for the queue go straight in again. */
  async unmark(queue: string): Promise<void> {
    await this.options.redis.hdel(this.keys(queue).meta, 'asg');
  }

  /**
   * Leases up to `max` builds to a worker. `topUp`: the same poll (same pollId) leasing more for
   * the batch it holds; never a replay, and a retry of the poll replays both.
   */
  async poll(queue: string, workerId: string, max: number, pollId?: string, topUp = false): Promise<PollOutcome> {
    const { leaseMs, maxAttempts, wakeChannel, keepMs } = this.options;
    return runScript(this.scripts, pollSpec, {
      k: this.keys(queue),
      queue,
      workerId,
      max,
      pollId,
      leaseMs,
      maxAttempts,
      wakeChannel,
      keepMs,
      topUp,
    });
  }

  /** Ends expired leases; wakes waiting polls when jobs became deliverable. */
  async reap(queue: string, limit = 1000): Promise<ReapOutcome> {
    return runScript(this.scripts, reapSpec, { release: this.release(queue), limit, keepMs: this.options.keepMs });
  }

  async ack(queue: string, leaseIds: string[]): Promise<Acked> {
    return runScript(this.scripts, ackSpec, { k: this.keys(queue), keepMs: this.options.keepMs, leaseIds });
  }

  async extend(queue: string, leaseIds: string[], leaseMs = this.options.leaseMs): Promise<Extended> {
    return runScript(this.scripts, extendSpec, { k: this.keys(queue), leaseMs, leaseIds });
  }

  async nack(queue: string, leaseIds: string[], reason = ''): Promise<Nacked> {
    return runScript(this.scripts, nackSpec, { release: this.release(queue), keepMs: this.options.keepMs, reason, leaseIds });
  }

  /** Stops a build of this queue: cancels it while queued, else queues a stop message (once). */
  async stop(queue: string, cluster: string, buildId: number, message: string): Promise<{ state: BuildState; changed: boolean }> {
    const { wakeChannel, keepMs } = this.options;
    return runScript(this.scripts, stopSpec, { k: this.keys(queue), queue, cluster, buildId, message, wakeChannel, keepMs });
  }

  /** Puts a dead build back at the tail of its queue; false when it is not dead. */
  async requeueDead(queue: string, buildId: number): Promise<boolean> {
    const n = await runScript(this.scripts, requeueSpec, {
      k: this.keys(queue),
      queue,
      buildId,
      wakeChannel: this.options.wakeChannel,
    });
    return n > 0;
  }
}
