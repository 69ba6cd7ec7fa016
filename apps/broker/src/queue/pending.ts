import type { FastifyBaseLogger } from 'fastify';
import type { StartMessage } from '@buildcluster/protocol';
import type { ClusterDirectory } from '../clusters/types.js';
import { candidateClusters } from './candidates.js';
import type { BuildDirectory } from './directory.js';
import type { BuildEvents } from './events.js';
import type { KnownQueues } from './known-queues.js';
import { selectCluster } from './select.js';
import type { QueueStore } from './store.js';

/**
 * Assigns pending builds, in arrival order, once an eligible cluster is active (SPEC §5 rule 4).
 * Runs on every replica on each cluster event, but one replica at a time (a Redis lock), so the
 * order holds; and each build's move is atomic, so two drainers never queue a build twice.
 */
export interface PendingDeps {
  store: QueueStore;
  directory: BuildDirectory;
  clusters: ClusterDirectory;
  events: BuildEvents;
  known: KnownQueues;
  log: FastifyBaseLogger;
  /** An assignment not settled after this long was left by a broker that died (default 10 s). */
  stalledMs?: number;
}

const LOCK_MS = 30_000;
const RETRY_MS = 200;
const STALLED_MS = 10_000;

export class PendingDrainer {
  private running: Promise<void> | null = null;
  private again = false;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly deps: PendingDeps) {}

  /** Drain soon; calls while a drain runs make it run once more afterwards. */
  request(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = null;
    });
  }

  /** Resolves when the drain in progress (if any) is over. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
  }

  private async run(): Promise<void> {
    do {
      this.again = false;
      let locked = false;
      try {
        locked = await this.drainLocked();
      } catch (err) {
        this.deps.log.warn({ err: (err as Error).message }, 'pending builds: drain failed; will retry');
      }
      if (!locked) {
        // Another replica is draining (or Redis is away): try again shortly, so no change is missed.
        if (!this.stopped && !this.retry) {
          this.retry = setTimeout(() => {
            this.retry = null;
            this.request();
          }, RETRY_MS);
        }
        return;
      }
    } while (this.again && !this.stopped);
  }

  private async drainLocked(): Promise<boolean> {
    const { directory } = this.deps;
    const token = await directory.lock(LOCK_MS);
    if (!token) return false;
    try {
      await this.recover();
      await this.drain();
    } finally {
      await directory.unlock(token).catch(() => {});
    }
    return true;
  }

  /** Completes assignments a dead broker left between `assign` and `settle`. */
  private async recover(): Promise<void> {
    const { directory, store, known } = this.deps;
    for (const stalled of await directory.stalledAssignments(this.deps.stalledMs ?? STALLED_MS)) {
      const entry = await directory.lookup(stalled.buildId);
      if (entry && entry.queue !== '') {
        await store.enqueue(entry.queue, entry.cluster, stalled.buildId, stalled.message);
        known.note(entry.queue, entry.cluster);
      }
      await directory.settle(stalled.buildId);
    }
  }

  private async drain(): Promise<void> {
    const { directory, store, events, known, clusters, log } = this.deps;
    let after = 0;
    for (;;) {
      const batch = await directory.pendingBatch(after, 200);
      if (batch.length === 0) return;
      for (const pending of batch) {
        after = pending.seq;
        if (!pending.message) continue;
        let message: StartMessage;
        try {
          message = JSON.parse(pending.message) as StartMessage;
        } catch {
          log.error({ buildId: pending.buildId }, 'pending build has an unreadable message; left pending');
          continue;
        }
        const selection = selectCluster(message, await candidateClusters(clusters, message));
        if (selection.kind !== 'cluster') continue;
        const { queue, name } = selection.cluster;
        const won = await directory.assign(pending.buildId, queue, name);
        if (won === null) continue;
        const appended = await store.enqueue(queue, name, pending.buildId, won);
        await directory.settle(pending.buildId);
        if (appended.created) {
          known.note(queue, name);
          events.publish(pending.buildId, 'queued', name, 'assigned after waiting for an eligible cluster');
        }
      }
    }
  }
}
