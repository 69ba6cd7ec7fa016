import type { JobType } from '@buildcluster/protocol';
import { detailSpec, statsSpec, statusSpec } from './admin-scripts.js';
import { QueueBase } from './queue-base.js';
import { jobType, type RawBuild, type RawDead, type RawLease, type RawQueued, type RawQueueStats } from './replies.js';
import { runScript } from './scripts.js';

/** A queue's reads for administration: figures, one build's status, the leases and next builds, dead letters. */
export abstract class QueueReads extends QueueBase {
  async stats(queue: string): Promise<RawQueueStats> {
    return runScript(this.scripts, statsSpec, { k: this.keys(queue) });
  }

  async status(queue: string, buildId: number): Promise<RawBuild | null> {
    return runScript(this.scripts, statusSpec, { k: this.keys(queue), buildId });
  }

  async detail(queue: string, limit: number): Promise<{ leases: RawLease[]; next: RawQueued[] }> {
    return runScript(this.scripts, detailSpec, { k: this.keys(queue), limit });
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
