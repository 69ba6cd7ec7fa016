import type { Job } from '@buildcluster/protocol';
import { Backoff } from './backoff.js';
import type { WorkerClient } from './client.js';
import { describeError } from './describe-error.js';
import { isRetryable } from './errors.js';
import { seconds, type WorkerLog } from './log.js';

interface TrackedLease {
  leaseId: string;
  buildId: number;
  /** Only a start is stopped on request: a stop message's own command runs to its end. */
  type: Job['type'];
  /** broker time, epoch ms */
  expiresAt: number;
  /** local time, epoch ms, of the next extend */
  nextAt: number;
  stopSignalled: boolean;
}

export interface LeaseKeeperEvents {
  /** The broker will not extend this lease (`lease_lost`, `cancelled`, ...): someone else may have the build now. */
  onLost(leaseId: string, reason: string): void;
  /** Screwdriver asked to stop this running build (the `stop` list of an extend answer). Called once per lease. */
  onStopRequested(leaseId: string, buildId: number): void;
}

/** Never extend more often than this, however short a lease looks (guards against a hot loop). */
const MIN_INTERVAL_MS = 200;
/** The broker accepts at most this many lease ids per call. */
const BATCH = 100;

/**
 * Keeps the leases of running builds alive: each is extended when a third of its remaining time
 * has passed (so two extends can fail before it lapses), all leases due together go in one call,
 * and a failed call is retried with backoff well before the lease runs out.
 */
export class LeaseKeeper {
  private readonly leases = new Map<string, TrackedLease>();
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private readonly backoff: Backoff;
  private closed = false;

  constructor(
    private readonly client: WorkerClient,
    private readonly events: LeaseKeeperEvents,
    private readonly log: WorkerLog,
  ) {
    this.backoff = new Backoff({ baseMs: 250, maxMs: 5000 });
  }

  get size(): number {
    return this.leases.size;
  }

  track(job: Job): void {
    const expiresAt = Date.parse(job.leaseExpiresAt);
    this.leases.set(job.leaseId, {
      leaseId: job.leaseId,
      buildId: job.buildId,
      type: job.type,
      expiresAt,
      nextAt: this.nextExtendAt(expiresAt),
      stopSignalled: false,
    });
    this.schedule();
  }

  untrack(leaseId: string): void {
    this.leases.delete(leaseId);
    if (this.leases.size === 0) this.clearTimer();
  }

  /** Stops extending; waits for a call in flight. */
  async close(): Promise<void> {
    this.closed = true;
    this.clearTimer();
    await this.inFlight;
  }

  private nextExtendAt(expiresAt: number): number {
    const remaining = expiresAt - this.client.clock.now();
    return Date.now() + Math.max(MIN_INTERVAL_MS, remaining / 3);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.closed || this.inFlight) return;
    this.clearTimer();
    let earliest = Infinity;
    for (const lease of this.leases.values()) earliest = Math.min(earliest, lease.nextAt);
    if (earliest === Infinity) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.inFlight = this.extendDue().finally(() => {
          this.inFlight = null;
          this.schedule();
        });
      },
      Math.max(0, earliest - Date.now()),
    );
  }

  private async extendDue(): Promise<void> {
    const now = Date.now();
    // Take along leases due soon, so leases taken at nearly the same time share one call.
    const due = [...this.leases.values()].filter((l) => l.nextAt <= now + MIN_INTERVAL_MS * 2);
    for (let i = 0; i < due.length; i += BATCH) {
      await this.extendBatch(due.slice(i, i + BATCH));
    }
  }

  private async extendBatch(batch: TrackedLease[]): Promise<void> {
    let answer;
    try {
      answer = await this.client.extend(batch.map((l) => l.leaseId));
      this.backoff.reset();
    } catch (err) {
      const wait = this.backoff.next();
      const left = Math.min(...batch.map((l) => l.expiresAt)) - this.client.clock.now();
      const verdict = isRetryable(err) ? `retrying in ${seconds(wait)}` : `retrying in ${seconds(wait)} anyway`;
      this.log.warn(
        `could not extend the lease of build ${batch.map((l) => l.buildId).join(', ')} (${describeError(err, this.client.brokerUrl)}); ` +
          `${left > 0 ? `${seconds(left)} left on it` : 'it may have expired'}, ${verdict}`,
      );
      for (const lease of batch) lease.nextAt = Date.now() + wait;
      return;
    }
    for (const { leaseId, leaseExpiresAt } of answer.extended) {
      const lease = this.leases.get(leaseId);
      if (!lease) continue;
      lease.expiresAt = Date.parse(leaseExpiresAt);
      lease.nextAt = this.nextExtendAt(lease.expiresAt);
    }
    for (const { leaseId, reason } of answer.rejected) {
      if (!this.leases.has(leaseId)) continue;
      this.leases.delete(leaseId);
      this.events.onLost(leaseId, reason);
    }
    const stopped = new Set(answer.stop);
    for (const lease of this.leases.values()) {
      if (lease.type === 'start' && stopped.has(lease.buildId) && !lease.stopSignalled) {
        lease.stopSignalled = true;
        this.events.onStopRequested(lease.leaseId, lease.buildId);
      }
    }
    // A lease the answer did not mention at all (neither extended nor rejected) is retried soon.
    for (const lease of batch) {
      if (this.leases.has(lease.leaseId) && !answer.extended.some((e) => e.leaseId === lease.leaseId)) {
        lease.nextAt = Date.now() + this.backoff.next();
      }
    }
  }
}
