import type { FastifyBaseLogger } from 'fastify';
import type { QueueAdmin } from '../admin/admin.js';
import type { BuildDirectory } from '../scheduling/directory.js';
import type { PendingDrainer } from '../scheduling/pending.js';
import type { Scheduler } from '../scheduling/scheduler.js';
import type { WorkerProtocol } from './worker-protocol.js';

/**
 * Each replica's background pass: ends expired leases on every queue even when nobody polls (so
 * builds reach the dead letters, and figures stay true), and retries pending builds now and then
 * in case a cluster event was missed, and completes claims whose broker died before appending them
 * (split schedule; older than CLAIM_GRACE_MS). Idempotent scripts, so replicas may overlap freely.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private ticks = 0;

  constructor(
    private readonly deps: {
      admin: QueueAdmin;
      worker: WorkerProtocol;
      directory: BuildDirectory;
      drainer: PendingDrainer;
      scheduler: Scheduler;
      log: FastifyBaseLogger;
    },
    private readonly intervalMs: number,
    /** Check pending builds every this many passes. */
    private readonly pendingEvery: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.pass(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async pass(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const { admin, worker, directory, drainer, scheduler } = this.deps;
      const refs = await admin.queues();
      await Promise.all(refs.map((ref) => worker.reap(ref)));
      await scheduler.finishClaims();
      if (++this.ticks % this.pendingEvery === 0 && (await directory.pendingCount()) > 0) drainer.request();
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message }, 'queue sweep failed');
    } finally {
      this.busy = false;
    }
  }
}
