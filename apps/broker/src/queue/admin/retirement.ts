import { randomUUID } from 'node:crypto';
import type { QueueLifecycle } from '../../plugins/app/cluster-hooks.js';
import { Errors } from '../../errors.js';
import type { QueueStore } from '../storage/store.js';

/** A retire mark older than this whose cluster is still in PostgreSQL was left by a broker that died mid-delete. */
export const STALE_RETIRE_MS = 60_000;

/**
 * Deleting a cluster, as the queues see it (the registry calls these around its PostgreSQL
 * delete): retire the queue first, atomically with every append on every replica, so no build
 * can enter it once the delete has checked it is empty; seal the mark after the commit, or lift
 * it when the delete did not happen.
 */
export class QueueRetirement implements QueueLifecycle {
  constructor(private readonly store: QueueStore) {}

  async retire(cluster: string, queueKey: string): Promise<string> {
    const token = `deleting:${Date.now()}:${randomUUID()}`;
    const outcome = await this.store.retire(queueKey, token);
    if (outcome.kind === 'retired') return token;
    if (outcome.kind === 'deleting') throw new Errors.ClusterBeingDeleted({ cluster });
    throw new Errors.ClusterNotDrained({ cluster, queued: outcome.queued, leased: outcome.leased, dead: outcome.dead });
  }

  /** The queue stays known (its figures and retained builds stay readable), retired for good. */
  async seal(queueKey: string): Promise<void> {
    await this.store.seal(queueKey);
  }

  async lift(queueKey: string, token: string): Promise<void> {
    await this.store.lift(queueKey, token);
  }

  /** Lifts the marks a dead broker left on queues of clusters PostgreSQL still has. */
  async liftStale(queueKeys: string[], now = Date.now()): Promise<number> {
    let lifted = 0;
    for (const key of queueKeys) {
      const mark = await this.store.retiredMark(key);
      const at = mark?.startsWith('deleting:') ? Number(mark.split(':')[1]) : NaN;
      if (mark && now - at > STALE_RETIRE_MS && (await this.store.lift(key, mark))) lifted++;
    }
    return lifted;
  }
}
