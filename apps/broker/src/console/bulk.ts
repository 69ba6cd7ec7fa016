import type { BulkCancelBody, BulkResult } from '@buildcluster/protocol';
import { BrokerError, Errors } from '../errors.js';
import type { QueueModule } from '../queue/types.js';
import type { BuildIndex } from './build-index.js';

export interface BulkDeps {
  queue: QueueModule;
  index: BuildIndex;
}

const MAX_MATCH = 1000;

/**
 * Bulk actions on a cluster's queue: each one first lists what it would touch (a dry run answers
 * only that), then acts build by build through the same calls as the single actions, so a build
 * that changed state in between is skipped and reported, never forced.
 */
export class BulkActions {
  constructor(private readonly deps: BulkDeps) {}

  async requeueDead(cluster: string, buildIds: number[] | undefined, dryRun: boolean): Promise<BulkResult> {
    const dead = (await this.deps.queue.admin.dead(cluster)).filter((d) => d.type === 'start');
    const wanted = buildIds ? new Set(buildIds) : null;
    const matched = dead.filter((d) => !wanted || wanted.has(d.buildId)).map((d) => d.buildId);
    const skipped = buildIds
      ? buildIds.filter((id) => !matched.includes(id)).map((id) => ({ buildId: id, reason: 'not in the dead letters' }))
      : [];
    if (dryRun) return { dryRun, matched: matched.length, buildIds: matched, done: 0, skipped };
    let done = 0;
    for (const id of matched) {
      try {
        await this.deps.queue.admin.requeue(cluster, id);
        done++;
      } catch (err) {
        if (!(err instanceof BrokerError) || err.statusCode !== 404) throw err;
        skipped.push({ buildId: id, reason: 'left the dead letters meanwhile' });
      }
    }
    return { dryRun, matched: matched.length, buildIds: matched, done, skipped };
  }

  /** Removes dead letters that died before `before`; their records then expire like settled builds. */
  async purgeDead(cluster: string, before: Date, dryRun: boolean): Promise<BulkResult> {
    if (Number.isNaN(before.getTime())) throw new Errors.InvalidField({ field: 'body/before', expected: 'a date-time' });
    const ref = await this.deps.queue.admin.resolve(cluster);
    const dead = await this.deps.queue.inspection.deadBefore(ref.queue, before.getTime(), MAX_MATCH);
    const ids = [...dead.keys()];
    if (dryRun) return { dryRun, matched: ids.length, buildIds: ids, done: 0, skipped: [] };
    let done = 0;
    const skipped: BulkResult['skipped'] = [];
    for (const [id, entries] of dead) {
      // Only what this call removed counts: a requeue in between wins and is reported.
      if (await this.deps.queue.inspection.purge(ref.queue, id, entries)) done++;
      else skipped.push({ buildId: id, reason: 'left the dead letters meanwhile' });
    }
    return { dryRun, matched: ids.length, buildIds: ids, done, skipped };
  }

  /** Cancels every queued (or pending) build of a pipeline or job, optionally on one cluster. */
  async cancelQueued(body: BulkCancelBody): Promise<BulkResult> {
    const dryRun = body.dryRun ?? false;
    const criteria: Array<{ field: 'p' | 'pn' | 'j' | 'jn' | 'c'; value: string | number }> = [];
    if (body.pipelineId !== undefined) criteria.push({ field: 'p', value: body.pipelineId });
    if (body.pipelineName !== undefined) criteria.push({ field: 'pn', value: body.pipelineName });
    if (body.jobId !== undefined) criteria.push({ field: 'j', value: body.jobId });
    if (body.jobName !== undefined) criteria.push({ field: 'jn', value: body.jobName });
    if (criteria.length === 0) {
      throw new Errors.CancelCriteriaMissing();
    }
    if (body.jobName !== undefined && body.pipelineId === undefined && body.pipelineName === undefined) {
      throw new Errors.JobNameAmbiguous();
    }
    if (body.cluster !== undefined) criteria.push({ field: 'c', value: body.cluster });
    const candidates = await this.deps.index.find(criteria, MAX_MATCH * 5);
    const matched: number[] = [];
    for (const id of candidates) {
      const state = await this.stateOf(id);
      if (state === 'queued' || state === 'pending') matched.push(id);
      if (matched.length >= MAX_MATCH) break;
    }
    if (dryRun) return { dryRun, matched: matched.length, buildIds: matched, done: 0, skipped: [] };
    let done = 0;
    const skipped: BulkResult['skipped'] = [];
    for (const id of matched) {
      const now = await this.stateOf(id);
      if (now !== 'queued' && now !== 'pending') {
        skipped.push({ buildId: id, reason: `${now ?? 'gone'} meanwhile` });
        continue;
      }
      const result = await this.deps.queue.scheduler.stop({ buildId: id });
      if (result.state === 'cancelled') done++;
      else skipped.push({ buildId: id, reason: `was ${result.state} when cancelled: a stop was sent to its worker` });
    }
    return { dryRun, matched: matched.length, buildIds: matched, done, skipped };
  }

  private async stateOf(buildId: number): Promise<string | null> {
    try {
      return (await this.deps.queue.scheduler.status(buildId)).state;
    } catch (err) {
      if (err instanceof BrokerError && err.statusCode === 404) return null;
      throw err;
    }
  }
}
