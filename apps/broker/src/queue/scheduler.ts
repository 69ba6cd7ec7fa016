import type {
  BuildStatus,
  EnqueueResult,
  PendingBuild,
  PendingBuildList,
  StartMessage,
  StopMessage,
  StopResult,
} from '@buildcluster/protocol';
import type { ClusterDirectory } from '../clusters/types.js';
import { Errors } from '../errors.js';
import { candidateClusters, queueName } from './candidates.js';
import type { BuildDirectory, DirectoryEntry } from './directory.js';
import type { BuildEvents } from './events.js';
import { iso, toBuildStatus } from './format.js';
import type { KnownQueues } from './known-queues.js';
import { requestedClusterName, selectCluster } from './select.js';
import { BEHIND_PENDING, type QueueStore } from './store.js';

/**
 * Screwdriver's side (SPEC §5): start a build (pick its cluster, claim it once, append it to the
 * cluster's queue, or keep it pending), stop it, and tell where it is.
 */
export interface SchedulerDeps {
  store: QueueStore;
  directory: BuildDirectory;
  clusters: ClusterDirectory;
  events: BuildEvents;
  known: KnownQueues;
  /** Asks for a drain of the pending builds (a build went back to pending). */
  requestDrain?: () => void;
}

export class Scheduler {
  constructor(private readonly deps: SchedulerDeps) {}

  /** `created` is false when the build was sent before: the first assignment is answered again. */
  async schedule(message: StartMessage): Promise<{ created: boolean; result: EnqueueResult }> {
    // Queues found retired (their cluster deleted a moment ago): the build is placed again without them.
    const retired = new Set<string>();
    for (;;) {
      const placed = await this.place(message, retired);
      if (placed) return placed;
    }
  }

  /** One try at placing a build; null when the chosen queue turned out retired (added to `retired`). */
  private async place(message: StartMessage, retired: Set<string>): Promise<{ created: boolean; result: EnqueueResult } | null> {
    const { directory, store, events, known } = this.deps;
    const buildId = message.buildId;
    const selection = selectCluster(message, await candidateClusters(this.deps.clusters, message, retired));
    if (selection.kind === 'refused') {
      // A retry of a build accepted earlier is answered as before, even if the clusters changed since.
      const entry = await directory.lookup(buildId);
      if (!entry) {
        throw selection.statusCode === 403 ? new Errors.Forbidden(selection.message) : new Errors.BadRequest(selection.message);
      }
      return { created: false, result: await this.current(buildId, entry) };
    }
    const json = JSON.stringify(message);
    if (selection.kind === 'cluster') {
      const { queueKey, queue, name } = selection.cluster;
      // The common case, one round trip: claimed and appended together.
      const first = await store.claimAndEnqueue(queueKey, name, buildId, json);
      if (first.gone) {
        retired.add(queueKey);
        return null;
      }
      if (first.behind) {
        events.publish(buildId, 'pending', null, BEHIND_PENDING);
        this.deps.requestDrain?.();
        return { created: true, result: { buildId, state: 'pending', cluster: null, queue: null } };
      }
      if (first.created) {
        known.note(queueKey, name);
        events.publish(buildId, 'queued', name);
        return { created: true, result: { buildId, state: 'queued', cluster: name, queue } };
      }
      return { created: false, result: await this.again(buildId, first.queue, first.cluster, first.directoryState, json) };
    }
    const claim = await directory.claim(buildId, null, json, selection.reason);
    if (claim.created) events.publish(buildId, 'pending', null, selection.reason);
    return { created: claim.created, result: await this.again(buildId, claim.queue, claim.cluster, claim.state, json) };
  }

  /**
   * A build claimed before: answer its first assignment. Claimed for a queue, it is appended there
   * (idempotent), so a retry after a broker died between a claim and its append completes it.
   */
  private async again(buildId: number, queue: string, cluster: string, state: string, json: string): Promise<EnqueueResult> {
    if (state === 'pending' || state === 'cancelled') return { buildId, state, cluster: null, queue: null };
    const appended = await this.deps.store.enqueue(queue, cluster, buildId, json);
    if (appended.gone) {
      // Its cluster was deleted before the append: pending again, assigned like any pending build.
      const reason = `cluster ${cluster} was deleted before the build reached its queue`;
      if (await this.deps.directory.repend(buildId, queue, json, reason))
        this.deps.events.publish(buildId, 'pending', null, reason);
      this.deps.requestDrain?.();
      return { buildId, state: 'pending', cluster: null, queue: null };
    }
    if (appended.created) {
      this.deps.known.note(queue, cluster);
      this.deps.events.publish(buildId, 'queued', cluster);
    }
    return { buildId, state: appended.state, cluster, queue: queueName(this.deps.clusters, queue) };
  }

  async stop(body: StopMessage): Promise<StopResult> {
    const { directory, store, events } = this.deps;
    const buildId = body.buildId;
    const found = await directory.cancelPending(buildId);
    if (found.kind === 'missing') throw new Errors.BuildNotFound(`build ${buildId} is not known to the broker`);
    if (found.kind === 'cancelled') {
      if (found.changed) events.publish(buildId, 'cancelled', null, 'stopped while pending');
      return { buildId, state: 'cancelled' };
    }
    const stopped = await store.stop(found.queue, found.cluster, buildId, JSON.stringify(body));
    if (stopped.changed) {
      if (stopped.state === 'cancelled') {
        events.publish(buildId, 'cancelled', found.cluster, 'stopped while queued');
        directory.forgetLater([buildId]);
      } else {
        events.publish(buildId, stopped.state, found.cluster, 'stop requested');
      }
    }
    return { buildId, state: stopped.state };
  }

  async status(buildId: number): Promise<BuildStatus> {
    const entry = await this.deps.directory.lookup(buildId);
    if (!entry) throw new Errors.BuildNotFound(`build ${buildId} is not known to the broker`);
    if (entry.state !== '') {
      return {
        buildId,
        state: entry.state,
        cluster: null,
        queue: null,
        enqueuedAt: iso(entry.claimedMs),
        attempts: 0,
        ...(entry.pendingReason ? { pendingReason: entry.pendingReason } : {}),
      };
    }
    const raw = await this.deps.store.status(entry.queue, buildId);
    if (!raw) {
      // Claimed for a queue but not appended yet (or a broker died in between: Screwdriver's retry completes it).
      return {
        buildId,
        state: 'pending',
        cluster: entry.cluster,
        queue: queueName(this.deps.clusters, entry.queue),
        enqueuedAt: iso(entry.claimedMs),
        attempts: 0,
        pendingReason: `being appended to the queue of cluster ${entry.cluster}`,
      };
    }
    return toBuildStatus(buildId, queueName(this.deps.clusters, entry.queue), raw);
  }

  /** Builds no eligible cluster could take yet, oldest first, with why (SPEC §5 rule 4). */
  async pending(limit: number): Promise<PendingBuildList> {
    const { builds, total } = await this.deps.directory.pendingList(limit);
    return {
      builds: builds.map(({ buildId, reason, claimedMs, message }): PendingBuild => {
        // Stored as received, after validation as a StartMessage.
        const start = JSON.parse(message) as StartMessage;
        return {
          buildId,
          pendingSince: iso(claimedMs),
          reason,
          requestedCluster: requestedClusterName(start),
          scmContext: start.pipeline.scmContext,
          pipeline: start.pipeline.name,
        };
      }),
      total,
    };
  }

  private async current(buildId: number, entry: DirectoryEntry): Promise<EnqueueResult> {
    if (entry.state !== '') return { buildId, state: entry.state, cluster: null, queue: null };
    const raw = await this.deps.store.status(entry.queue, buildId);
    const state = (raw?.fields.sst ?? 'pending') as EnqueueResult['state'];
    return { buildId, state, cluster: entry.cluster, queue: queueName(this.deps.clusters, entry.queue) };
  }
}
