import type { FastifyBaseLogger } from 'fastify';
import type { StartMessage } from '@buildcluster/protocol';
import type { ClusterDirectory } from '../../clusters/types.js';
import { candidateClusters } from './candidates.js';
import type { BuildDirectory } from './directory.js';
import type { BuildEvents } from '../events.js';
import type { KnownQueues } from '../admin/known-queues.js';
import { selectCluster, withoutRequestedCluster, type Selection } from './select.js';
import type { QueueStore } from '../storage/store.js';
import { Errors } from '../../errors.js';

/**
 * Assigns pending builds, in arrival order, once an eligible cluster is active (README "API", Which cluster runs a build: pending).
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
  /** The drain lock's time to live, renewed every third of it while the drain runs (default 5 s). */
  lockMs?: number;
}

// Short, since it is renewed while a drain runs: a drainer that died holds up the others this long at most.
const LOCK_MS = 5_000;
const RETRY_MS = 200;
const STALLED_MS = 10_000;
/**
 * How long an assignment marks its queue: new posts for it queue behind the pending builds
 * meanwhile. Short, so a drainer that died holds up nobody's posts for long.
 */
export const ASSIGNING_MARK_MS = 2000;

export class PendingDrainer {
  private running: Promise<void> | null = null;
  private again = false;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;
  private lockLost = false;
  /** Queues this drain marked (queue → when, local clock), unmarked when it ends. */
  private readonly marked = new Map<string, number>();

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
    const lockMs = this.deps.lockMs ?? LOCK_MS;
    const token = await directory.lock(lockMs);
    if (!token) return false;
    // Renewed while the drain runs, however long: a lapsed lock would let a second replica drain
    // at the same time and queue builds out of arrival order. Lost anyway (Redis away longer than
    // the lock), this drain stops assigning at once.
    this.lockLost = false;
    const renewal = setInterval(
      () => {
        directory.renew(token, lockMs).then(
          (held) => {
            if (!held) this.lockLost = true;
          },
          () => {},
        );
      },
      Math.max(10, Math.floor(lockMs / 3)),
    );
    try {
      await this.recover();
      await this.drain();
    } finally {
      clearInterval(renewal);
      // The marks made new posts for these queues queue behind the builds this drain assigned.
      await Promise.all([...this.marked.keys()].map((queue) => this.deps.store.unmark(queue).catch(() => {})));
      this.marked.clear();
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
        const appended = await store.enqueue(entry.queue, entry.cluster, stalled.buildId, stalled.message);
        if (appended.gone) {
          await directory.repend(
            stalled.buildId,
            entry.queue,
            stalled.message,
            `cluster ${entry.cluster} was deleted before the build reached its queue`,
            'assigning',
          );
          continue;
        }
        known.note(entry.queue, entry.cluster);
      }
      await directory.settle(stalled.buildId);
    }
  }

  /** Where a pending build goes now; one whose requested cluster no longer exists is placed as if it named none. */
  private async select(message: StartMessage, retired: ReadonlySet<string>): Promise<Selection> {
    const { clusters } = this.deps;
    const selection = selectCluster(message, await candidateClusters(clusters, message, retired));
    if (selection.kind !== 'refused' || !(selection.error() instanceof Errors.RequestedClusterUnknown)) return selection;
    const unnamed = withoutRequestedCluster(message);
    return selectCluster(unnamed, await candidateClusters(clusters, unnamed, retired));
  }

  /**
   * Marks a queue before its first assignment of this drain (each append renews the mark), so a
   * post for it from here on queues behind the pending builds (enqueue-4, schedule-8).
   */
  private async mark(queue: string): Promise<void> {
    const at = this.marked.get(queue);
    if (at !== undefined && Date.now() - at < ASSIGNING_MARK_MS / 2) return;
    await this.deps.store.mark(queue, ASSIGNING_MARK_MS);
    this.marked.set(queue, Date.now());
  }

  private async drain(): Promise<void> {
    const { directory, store, events, known, log } = this.deps;
    // Queues found retired during this drain (their cluster deleted, this copy not refreshed yet).
    const retired = new Set<string>();
    let after = 0;
    for (;;) {
      const batch = await directory.pendingBatch(after, 200);
      if (batch.length === 0) return;
      for (const pending of batch) {
        if (this.lockLost) return;
        after = pending.seq;
        if (!pending.message) continue;
        let message: StartMessage;
        try {
          message = JSON.parse(pending.message) as StartMessage;
        } catch {
          log.error({ buildId: pending.buildId }, 'pending build has an unreadable message; left pending');
          continue;
        }
        const selection = await this.select(message, retired);
        if (selection.kind !== 'cluster') continue;
        const { queueKey: queue, name } = selection.cluster;
        await this.mark(queue);
        const won = await directory.assign(pending.buildId, queue, name);
        if (won === null) continue;
        const appended = await store.enqueue(queue, name, pending.buildId, won, { kind: 'assign', markMs: ASSIGNING_MARK_MS });
        this.marked.set(queue, Date.now());
        if (appended.gone) {
          // Deleted between the choice and the append: back to its place, and start over without it,
          // so that no later build overtakes it.
          const reason = `cluster ${name} was deleted before the build reached its queue`;
          await directory.repend(pending.buildId, queue, won, reason, 'assigning');
          retired.add(queue);
          after = 0;
          break;
        }
        await directory.settle(pending.buildId);
        if (appended.created) {
          known.note(queue, name);
          events.publish(pending.buildId, 'queued', name, 'assigned after waiting for an eligible cluster');
        }
      }
    }
  }
}
