import type { FastifyBaseLogger } from 'fastify';
import type { AckResult, ExtendResult, NackResult, PollBody } from '@buildcluster/protocol';
import type { BuildDirectory } from '../scheduling/directory.js';
import type { BuildEvents } from '../events.js';
import { iso, renderJobs } from '../format.js';
import type { QueueMetrics } from '../admin/metrics.js';
import type { JobEvent, PollOutcome } from '../storage/replies.js';
import type { QueueStore } from '../storage/store.js';
import type { Waiters } from './waiters.js';

/**
 * The workers' side (README "Worker protocol"): poll (long), ack, extend, nack. A poll that finds nothing waits in
 * this process (see Waiters) and is woken by the replica's one subscription, or by a timer when
 * the soonest lease deadline of its queue passes (expired builds are then delivered again).
 */
export interface WorkerProtocolDeps {
  store: QueueStore;
  directory: BuildDirectory;
  waiters: Waiters;
  events: BuildEvents;
  metrics: QueueMetrics;
  log: FastifyBaseLogger;
  /** Told to workers with each job, so the last attempt is known to be the last. */
  maxAttempts: number;
  /** A start message as handed to a worker (with the launcher's token); the stored text when absent. */
  startMessage?: (stored: string) => Promise<string>;
  /** A paused queue hands nothing out: its polls wait as if it were empty (see Pauses). */
  isPaused?: (queue: string) => boolean;
  /** How long a woken poll may wait for more builds (ms; see PollLinger); none when absent. */
  linger?: () => number;
  /** Sees every first-time delivery (wait times, workers, build timelines); must not throw or block. */
  onDelivered?: (ref: QueueRef, workerId: string, outcome: PollOutcome) => void;
  /** Sees the leases each ack (`acked`) or nack settled, on any path; must not throw or block. */
  onSettled?: (ref: QueueRef, leaseIds: string[], acked: boolean) => void;
}

/** The queue a worker serves: its cluster's. */
export interface QueueRef {
  cluster: string;
  /** The queue's key in Redis (CachedCluster.queueKey). */
  queue: string;
  /** Its display name, for answers and metric labels. */
  name: string;
}

const NO_JOBS = '{"jobs":[]}';

export class WorkerProtocol {
  private readonly deadlineTimers = new Map<string, { timer: NodeJS.Timeout; at: number }>();

  constructor(private readonly deps: WorkerProtocolDeps) {}

  /**
   * The poll answer as JSON text, or null for 204 (nothing within waitMs, or shutting down). Acks the
   * poll carries are made first and reported in the answer, which is then never null.
   */
  async poll(ref: QueueRef, body: PollBody, signal?: AbortSignal): Promise<string | null> {
    if (!body.ack) return this.lease(ref, body, signal);
    const acks = await this.ack(ref, body.ack);
    const jobs = (await this.lease(ref, body, signal)) ?? NO_JOBS;
    // `{"jobs":[…]}` with the ack's outcome added before its closing brace.
    return `${jobs.slice(0, -1)},"acked":${JSON.stringify(acks.acked)},"rejected":${JSON.stringify(acks.rejected)}}`;
  }

  /** Leases up to `body.max` builds, waiting up to `body.waitMs` for the first. */
  private async lease(ref: QueueRef, body: PollBody, signal?: AbortSignal): Promise<string | null> {
    const { store, waiters, metrics } = this.deps;
    const max = body.max ?? 1;
    const until = Date.now() + (body.waitMs ?? 20_000);
    let waited = false;
    let lingered = false;
    for (;;) {
      const sequence = waiters.sequence(ref.queue);
      if (this.deps.isPaused?.(ref.queue)) {
        const left = until - Date.now();
        if (left <= 0 || waiters.isClosed || signal?.aborted) return null;
        if ((await waiters.wait(ref.queue, left, signal)) !== 'woken') return null;
        continue;
      }
      const first = await store.poll(ref.queue, body.workerId, max, body.pollId);
      const readAt = Date.now();
      let outcome = first;
      if (first.jobs.length > 0 && !first.replayed) {
        this.deps.onDelivered?.(ref, body.workerId, first);
        if (!lingered && first.jobs.length < max && first.depth === 0)
          outcome = await this.topUp(ref, body, max - first.jobs.length, until, first, signal);
      }
      // Its builds reach the worker now: the wait of a top-up counts in their dispatch latency.
      this.observe(ref, first, Date.now() - readAt);
      // A retried poll whose leases are all settled: nothing to hand out, and no new leases for it.
      if (outcome.replayed && outcome.jobs.length === 0) return null;
      if (outcome.jobs.length > 0) {
        // Work left over: pass it to other polls waiting here.
        if (outcome.depth > 0) waiters.wake(ref.queue, outcome.depth);
        return renderJobs(outcome.jobs, this.deps.maxAttempts, await this.deliveredMessages(outcome.jobs));
      }
      const left = until - Date.now();
      if (left <= 0 || waiters.isClosed || signal?.aborted) return null;
      // A wake-up crossed our round trip to Redis: look again instead of sleeping through it.
      if (waiters.sequence(ref.queue) !== sequence) continue;
      if (outcome.nextDeadline !== null) this.armDeadline(ref, outcome.nextDeadline - outcome.now);
      if (!waited) {
        waited = true;
        metrics.pollWaits.inc({ queue: ref.name });
      }
      if ((await waiters.wait(ref.queue, left, signal)) !== 'woken') return null;
      // Woken by one build while the replica is busy: let a few more join the batch.
      if (max > 1) {
        const linger = Math.min(this.deps.linger?.() ?? 0, until - Date.now());
        if (linger > 0) {
          lingered = true;
          await waiters.gather(ref.queue, max - 1, linger, signal);
        }
      }
    }
  }

  /**
   * A short batch (the queue emptied before `max`) while this replica is busy: the poll waits up to
   * the linger for more builds of its queue and leases them into the same answer. With many
   * clusters each queue gets a build or two between a worker's polls, and a poll, with its ack, a
   * build is what saturates the replica; this way they carry batches. Never while the replica has
   * time to spare (the linger is 0), so a quiet queue's dispatch stays one round trip.
   */
  private async topUp(
    ref: QueueRef,
    body: PollBody,
    wanted: number,
    until: number,
    first: PollOutcome,
    signal?: AbortSignal,
  ): Promise<PollOutcome> {
    const { store, waiters } = this.deps;
    const linger = Math.min(this.deps.linger?.() ?? 0, until - Date.now());
    if (linger <= 0) return first;
    this.deps.metrics.topUps.inc({ queue: ref.name });
    const arrived = await waiters.gather(ref.queue, wanted, linger, signal);
    if (arrived === 0 || signal?.aborted || waiters.isClosed || this.deps.isPaused?.(ref.queue)) return first;
    let more: PollOutcome;
    try {
      more = await store.poll(ref.queue, body.workerId, wanted, body.pollId, true);
    } catch (err) {
      // The builds leased already go out; the arrivals wait for the next poll.
      this.deps.log.warn({ err, queue: ref.name }, 'a poll could not lease more for its batch');
      return first;
    }
    this.observe(ref, more);
    if (more.jobs.length > 0) {
      this.deps.metrics.topUpBuilds.inc({ queue: ref.name }, more.jobs.length);
      this.deps.onDelivered?.(ref, body.workerId, more);
    }
    return { ...more, jobs: [...first.jobs, ...more.jobs] };
  }

  async ack(ref: QueueRef, leaseIds: string[]): Promise<AckResult> {
    const r = await this.deps.store.ack(ref.queue, leaseIds);
    this.changed(ref, r.events);
    if (r.acked.length > 0) this.deps.onSettled?.(ref, r.acked, true);
    return { acked: r.acked, rejected: r.rejected };
  }

  async extend(ref: QueueRef, leaseIds: string[], leaseMs?: number): Promise<ExtendResult> {
    const r = await this.deps.store.extend(ref.queue, leaseIds, leaseMs);
    return {
      extended: r.extended.map((e) => ({ leaseId: e.leaseId, leaseExpiresAt: iso(e.leaseExpiresMs) })),
      rejected: r.rejected,
      stop: r.stop,
    };
  }

  async nack(ref: QueueRef, leaseIds: string[], reason?: string): Promise<NackResult> {
    const r = await this.deps.store.nack(ref.queue, leaseIds, reason);
    this.changed(ref, r.events);
    if (r.nacked.length > 0) this.deps.onSettled?.(ref, r.nacked, false);
    return { nacked: r.nacked, rejected: r.rejected };
  }

  /** Ends the expired leases of a queue (timer and sweeper); returns its soonest deadline. */
  async reap(ref: QueueRef): Promise<{ now: number; nextDeadline: number | null }> {
    const r = await this.deps.store.reap(ref.queue);
    this.recordExpiries(ref, r.expired, r.events);
    // Work queued while polls wait here means a wake-up was missed (e.g. the subscriber was
    // reconnecting): wake them now rather than at the end of their waitMs.
    if (r.depth > 0 && this.deps.waiters.waitingOn(ref.queue) > 0) this.deps.waiters.wake(ref.queue, r.depth);
    return r;
  }

  /** The start messages as delivered (each with a fresh launcher token), by index in the poll answer. */
  private async deliveredMessages(jobs: PollOutcome['jobs']): Promise<Map<number, string> | undefined> {
    const deliver = this.deps.startMessage;
    if (!deliver) return undefined;
    const messages = new Map<number, string>();
    await Promise.all(
      jobs.map(async (job, i) => {
        if (job.type === 'start' && job.message) messages.set(i, await deliver(job.message));
      }),
    );
    return messages;
  }

  /** Dispatch of a queue resumed: its waiting polls look again at once. */
  resumed(queue: string): void {
    const waiting = this.deps.waiters.waitingOn(queue);
    if (waiting > 0) this.deps.waiters.wake(queue, waiting);
  }

  /** Shutdown: stop the deadline timers (waiting polls are answered by Waiters.closeAll). */
  close(): void {
    for (const { timer } of this.deadlineTimers.values()) clearTimeout(timer);
    this.deadlineTimers.clear();
  }

  /** Metrics and events of a poll's leases; `heldMs`: how long the poll held them before its answer. */
  private observe(ref: QueueRef, outcome: PollOutcome, heldMs = 0): void {
    const { events, metrics } = this.deps;
    this.recordExpiries(ref, outcome.expired, outcome.events);
    if (outcome.replayed) return;
    for (const job of outcome.jobs) {
      if (job.type !== 'start') continue;
      if (job.attempt === 1) {
        metrics.dispatchLatency.observe({ queue: ref.name }, (Math.max(0, outcome.now - job.enqueuedMs) + heldMs) / 1000);
      }
      events.publish(job.buildId, 'leased', ref.cluster);
    }
  }

  private recordExpiries(ref: QueueRef, expired: number, events: JobEvent[]): void {
    if (expired > 0) this.deps.metrics.leasesExpired.inc({ queue: ref.name }, expired);
    if (events.length > 0) this.changed(ref, events);
  }

  /**
   * Publishes what a script changed, and lets the directory entry of every build that settled
   * (acked, or cancelled by a stop, on any path: ack, nack, expiry) expire with its keys.
   */
  private changed(ref: QueueRef, events: JobEvent[]): void {
    this.deps.events.fromJobs(ref.cluster, events);
    this.deps.directory.forgetLater(events.filter((e) => e.state === 'settled').map((e) => e.buildId));
  }

  /**
   * Polls wait on this queue and a lease runs out in `inMs` (Redis clock, so no clock skew): reap
   * it then, which wakes the waiting polls (on every replica) to take the build.
   */
  private armDeadline(ref: QueueRef, inMs: number): void {
    const delay = Math.max(0, inMs) + 1;
    const at = Date.now() + delay;
    const current = this.deadlineTimers.get(ref.queue);
    if (current && current.at <= at) return;
    if (current) clearTimeout(current.timer);
    const timer = setTimeout(() => {
      this.deadlineTimers.delete(ref.queue);
      if (this.deps.waiters.waitingOn(ref.queue) === 0 || this.deps.waiters.isClosed) return;
      this.reap(ref)
        .then((r) => {
          if (r.nextDeadline !== null && this.deps.waiters.waitingOn(ref.queue) > 0) {
            this.armDeadline(ref, r.nextDeadline - r.now);
          }
        })
        .catch((err: Error) => this.deps.log.warn({ err: err.message, queue: ref.queue }, 'lease reap failed'));
    }, delay);
    this.deadlineTimers.set(ref.queue, { timer, at });
  }
}
