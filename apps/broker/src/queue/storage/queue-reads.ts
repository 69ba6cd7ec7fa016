import type { JobType } from '@buildcluster/protocol';
import { decodeBuildRecord } from './build-record.js';
import { buildKey, historyKey } from './keys.js';
import { QueueBase } from './queue-base.js';
import {
  hash,
  history,
  jobType,
  leases,
  num,
  queued,
  queueStats,
  type RawBuild,
  type RawDead,
  type RawLease,
  type RawQueued,
  type RawQueueStats,
} from './replies.js';

/** A queue's reads for administration: figures, one build's status, the leases and next builds, dead letters. */
export abstract class QueueReads extends QueueBase {
  async stats(queue: string): Promise<RawQueueStats> {
    const k = this.keys(queue);
    return queueStats((await this.scripts.stats(k.stream, k.redeliver, k.leases, k.meta, k.dead, k.workers)) as unknown[]);
  }

  async status(queue: string, buildId: number): Promise<RawBuild | null> {
    const k = this.keys(queue);
    const r = (await this.scripts.status(k.meta, k.redeliver, buildKey(k, buildId), historyKey(k, buildId), k.skip)) as unknown[];
    if (r.length === 0) return null;
    const fields = hash(r[0]);
    const position = num(r[2]);
    return {
      record: decodeBuildRecord(fields),
      fields,
      history: history(r[1]),
      position: position > 0 ? position : null,
      now: num(r[3]),
    };
  }

  async detail(queue: string, limit: number): Promise<{ leases: RawLease[]; next: RawQueued[] }> {
    const k = this.keys(queue);
    const r = (await this.scripts.detail(k.stream, k.redeliver, k.leases, k.base, limit)) as unknown[];
    return { leases: leases(r[0]), next: queued(r[1]) };
  }

  /** When each listed lease began (ms, Redis clock), read from its build's record; null where the record is gone. */
  async leaseStarts(queue: string, list: Array<{ buildId: number; type: JobType }>): Promise<Array<number | null>> {
    return this.records.leaseStarts(queue, list);
  }

  /** The dead letters of a queue, oldest death first. */
  async dead(queue: string, limit = 1000): Promise<RawDead[]> {
    const members = await this.options.redis.zrange(this.keys(queue).dead, 0, String(limit - 1));
    const jobs = members.map((member) => {
      const [buildId = '', t = 's'] = member.split(':');
      return { buildId: Number(buildId), type: jobType(t) };
    });
    const deaths = await this.records.deaths(queue, jobs);
    return jobs.flatMap((job, i) => {
      const death = deaths[i];
      return death ? [{ ...job, ...death }] : [];
    });
  }
}
