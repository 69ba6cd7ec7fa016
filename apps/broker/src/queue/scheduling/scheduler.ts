import type {
  BuildStatus,
  EnqueueResult,
  PendingBuild,
  PendingBuildList,
  StartMessage,
  StopMessage,
  StopResult,
} from '@buildcluster/protocol';
import type { ClusterDirectory } from '../../clusters/types.js';
import { Errors } from '../../errors.js';
import { candidateClusters, queueName } from './candidates.js';
import type { BuildDirectory, DirectoryEntry } from './directory.js';
import type { BuildEvents } from '../events.js';
import { iso, toBuildStatus } from '../format.js';
import type { KnownQueues } from '../admin/known-queues.js';
import { requestedClusterName, selectCluster } from './select.js';
import { BEHIND_PENDING, type QueueStore } from '../storage/store.js';

/**
 * Screwdriver's side (README "API", Which cluster runs a build): start a build (pick its cluster, claim it once, append it to the
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
  /**
   * Claim and append as two steps (a Redis Cluster, where the directory and the queue are in
   * different slots) instead of one script spanning both (one Redis). Default false.
   */
  splitSchedule?: boolean;
}

/** How long a claim may wait for its append before a sweeper completes it (the broker that made it died). */
export const CLAIM_GRACE_MS = 2000;

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
        throw selection.error();
      }
      return { created: false, result: await this.current(buildId, entry) };
    }
    const json = JSON.stringify(message);
    if (selection.kind === 'cluster' && this.deps.splitSchedule) {
      // Two steps: the claim (the build's bucket, journaled), then the append (the queue's slot).
      const { queueKey, name } = selection.cluster;
      const claim = await directory.claim(buildId, { queue: queueKey, cluster: name }, json, '');
      return { created: claim.created, result: await this.again(buildId, claim.queue, claim.cluster, claim.state, json) };
    }
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
   * Completes the claims whose broker died before appending them (the claims journal, older than
   * `olderThanMs`): appended once (idempotent), or pending again when their queue refuses them.
   * Any replica may run it at any time, alongside the POSTs' own appends. Returns how many it saw.
   */
  async finishClaims(olderThanMs = CLAIM_GRACE_MS): Promise<number> {
    const { directory } = this.deps;
    const stalled = await directory.stalledClaims(olderThanMs);
    for (const { buildId, message } of stalled) {
      const entry = await directory.lookup(buildId);
      if (!entry || entry.state !== '' || entry.queue === '') await directory.appended([buildId]);
      else await this.again(buildId, entry.queue, entry.cluster, '', message);
    }
    return stalled.length;
  }

  /**
   * A build claimed for a queue: append it there (idempotent, and refused behind pending builds
   * being assigned to it), then clear its claim; or answer its pending state. So a retry after a
   * broker died between a claim and its append completes it, as does a sweeper.
   */
  private async again(buildId: number, queue: string, cluster: string, state: string, json: string): Promise<EnqueueResult> {
    if (state === 'pending' || state === 'cancelled') return { buildId, state, cluster: null, queue: null };
    const { directory, events } = this.deps;
    const appended = await this.deps.store.enqueue(queue, cluster, buildId, json, { kind: 'post' });
    if (appended.gone || appended.behind) {
      // Its cluster was deleted before the append, or pending builds are being assigned to its
      // queue: pending again (behind those), assigned like any pending build.
      const reason = appended.gone ? `cluster ${cluster} was deleted before the build reached its queue` : BEHIND_PENDING;
      if (await directory.repend(buildId, queue, json, reason, 'claims')) events.publish(buildId, 'pending', null, reason);
      else await directory.appended([buildId]);
      this.deps.requestDrain?.();
      return { buildId, state: 'pending', cluster: null, queue: null };
    }
    // Off the latency path: a journal entry left behind is cleared by the next sweep.
    directory.appended([buildId]).catch(() => {});
    if (appended.created) {
      this.deps.known.note(queue, cluster);
      events.publish(buildId, 'queued', cluster);
    }
    return { buildId, state: appended.state, cluster, queue: queueName(this.deps.clusters, queue) };
  }

  async stop(body: StopMessage): Promise<StopResult> {
    const { directory, store, events } = this.deps;
    const buildId = body.buildId;
    const found = await directory.cancelPending(buildId);
    if (found.kind === 'missing') throw new Errors.BuildNotFound({ buildId });
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
    if (!entry) throw new Errors.BuildNotFound({ buildId });
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

  /** Builds no eligible cluster could take yet, oldest first, with why (README "API", Which cluster runs a build: pending). */
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
          jobId: start.jobId ?? null,
          pipelineId: start.pipelineId ?? null,
        };
      }),
      total,
    };
  }

  private async current(buildId: number, entry: DirectoryEntry): Promise<EnqueueResult> {
    if (entry.state !== '') return { buildId, state: entry.state, cluster: null, queue: null };
    const raw = await this.deps.store.status(entry.queue, buildId);
    const state = (raw?.record.state ?? 'pending') as EnqueueResult['state'];
    return { buildId, state, cluster: entry.cluster, queue: queueName(this.deps.clusters, entry.queue) };
  }
}
