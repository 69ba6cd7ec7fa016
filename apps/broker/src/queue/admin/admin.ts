import type { BuildStatus, DeadBuild, QueueDetail, QueueStats } from '@buildcluster/protocol';
import type { ClusterDirectory } from '../../clusters/types.js';
import { Errors } from '../../errors.js';
import type { BuildDirectory } from '../scheduling/directory.js';
import type { BuildEvents } from '../events.js';
import { iso, toQueueStats } from '../format.js';
import type { KnownQueues } from './known-queues.js';
import type { Scheduler } from '../scheduling/scheduler.js';
import type { RawQueued } from '../storage/replies.js';
import type { QueueStore } from '../storage/store.js';
import type { QueueRef } from '../protocol/worker-protocol.js';

/** Queue administration (README "API", the /v4/queues routes, admin scope) and the figures behind stats, metrics and the live view. */
export interface QueueAdminDeps {
  store: QueueStore;
  directory: BuildDirectory;
  clusters: ClusterDirectory;
  known: KnownQueues;
  events: BuildEvents;
  scheduler: Scheduler;
}

const DETAIL_LIMIT = 100;

const toQueued = (n: RawQueued): QueueDetail['next'][number] => ({
  buildId: n.buildId,
  type: n.type,
  position: n.position,
  attempt: n.attempt,
  enqueuedAt: iso(n.enqueuedMs),
});

export class QueueAdmin {
  /** Adds the console's figures (pause, wait times, workers) to queue stats; set by the console plugin. */
  decorate: ((stats: QueueStats[], refs: QueueRef[]) => Promise<void>) | null = null;

  constructor(private readonly deps: QueueAdminDeps) {}

  /** Every queue: those of registered clusters and any other that ever held a build (by queue key). */
  async queues(): Promise<QueueRef[]> {
    const refs = new Map<string, QueueRef>();
    for (const c of this.deps.clusters.list()) refs.set(c.queueKey, { cluster: c.name, queue: c.queueKey, name: c.queue });
    for (const [queue, cluster] of await this.deps.known.all()) {
      if (!refs.has(queue)) refs.set(queue, { cluster, queue, name: queue });
    }
    return [...refs.values()].sort((a, b) => a.cluster.localeCompare(b.cluster));
  }

  /** The queue of a cluster, registered or (deleted) remembered; 404 otherwise. */
  async resolve(cluster: string): Promise<QueueRef> {
    const registered = await this.deps.clusters.get(cluster);
    if (registered) return { cluster, queue: registered.queueKey, name: registered.queue };
    for (const [queue, owner] of await this.deps.known.all()) if (owner === cluster) return { cluster, queue, name: queue };
    throw new Errors.ClusterNotFound({ cluster });
  }

  async stats(ref: QueueRef): Promise<QueueStats> {
    return toQueueStats(ref.cluster, ref.name, await this.deps.store.stats(ref.queue));
  }

  /** Queues of registered clusters, and those of deleted clusters while they still hold builds. */
  async listStats(): Promise<QueueStats[]> {
    const registered = new Set(this.deps.clusters.list().map((c) => c.queueKey));
    const refs = await this.queues();
    const stats = await Promise.all(refs.map((ref) => this.stats(ref)));
    const kept = refs.flatMap((ref, i) => {
      const s = stats[i]!;
      return registered.has(ref.queue) || s.depth + s.inFlight + s.dead > 0 ? [{ ref, s }] : [];
    });
    const shown = kept.map((k) => k.s);
    if (this.decorate)
      await this.decorate(
        shown,
        kept.map((k) => k.ref),
      );
    return shown;
  }

  /** Stats of every queue and the number of pending builds (GET /v1/queue/stats, live view, metrics). */
  async snapshot(): Promise<{ queues: QueueStats[]; pending: number }> {
    const [queues, pending] = await Promise.all([this.listStats(), this.deps.directory.pendingCount()]);
    return { queues, pending };
  }

  async detail(cluster: string): Promise<QueueDetail> {
    const ref = await this.resolve(cluster);
    const [stats, detail] = await Promise.all([this.stats(ref), this.deps.store.detail(ref.queue, DETAIL_LIMIT)]);
    if (this.decorate) await this.decorate([stats], [ref]);
    return {
      ...stats,
      leases: detail.leases.map((l) => ({
        leaseId: l.leaseId,
        buildId: l.buildId,
        type: l.type,
        workerId: l.workerId,
        attempt: l.attempt,
        leaseExpiresAt: iso(l.leaseExpiresMs),
      })),
      next: detail.next.map(toQueued),
    };
  }

  /** The next queued builds of a queue, with their positions: no figures, so cheap enough to read every few seconds. */
  async next(ref: QueueRef): Promise<QueueDetail['next']> {
    return (await this.deps.store.detail(ref.queue, DETAIL_LIMIT)).next.map(toQueued);
  }

  /** When each of a queue's leases began (ms), for the console's workers view; null where unknown. */
  async leaseStarts(ref: QueueRef, leases: Array<{ buildId: number; type: 'start' | 'stop' }>): Promise<Array<number | null>> {
    return this.deps.store.leaseStarts(ref.queue, leases);
  }

  async dead(cluster: string): Promise<DeadBuild[]> {
    const ref = await this.resolve(cluster);
    return (await this.deps.store.dead(ref.queue)).map((d) => ({
      buildId: d.buildId,
      type: d.type,
      attempts: d.attempts,
      reason: d.reason,
      diedAt: iso(d.diedMs),
      enqueuedAt: iso(d.enqueuedMs),
    }));
  }

  async requeue(cluster: string, buildId: number): Promise<BuildStatus> {
    const ref = await this.resolve(cluster);
    if (!(await this.deps.store.requeueDead(ref.queue, buildId))) {
      throw new Errors.DeadLetterNotFound({ buildId, cluster });
    }
    this.deps.events.publish(buildId, 'queued', ref.cluster, 'requeued from the dead letters');
    return this.deps.scheduler.status(buildId);
  }
}
