import { QueueReads } from './queue-reads.js';
import { num, str } from './replies.js';

/** The field of a queue's meta hash that holds its retire mark (a delete's token while it runs, `deleted` after). */
const MARK = 'gone';

/** A queue's retire mark, as a cluster's delete sets, seals or lifts it (admin/retirement.ts). */
export abstract class QueueRetireMark extends QueueReads {
  /**
   * First step of a cluster delete: marks the queue retired (no build can enter it any more) unless
   * it holds anything. `busy` gives the figures when it does; `deleting` when another delete runs.
   */
  async retire(
    queue: string,
    token: string,
  ): Promise<
    { kind: 'retired' } | { kind: 'busy'; queued: number; leased: number; dead: number } | { kind: 'deleting'; mark: string }
  > {
    const k = this.keys(queue);
    const r = (await this.scripts.retire(k.meta, k.leases, k.dead, token)) as unknown[];
    if (r[0] === 1) return { kind: 'retired' };
    if (r[0] === 2) return { kind: 'deleting', mark: str(r[1]) };
    return { kind: 'busy', queued: num(r[1]), leased: num(r[2]), dead: num(r[3]) };
  }

  /** The retire mark of a queue ('deleted', a delete's token), or null. */
  async retiredMark(queue: string): Promise<string | null> {
    return this.options.redis.hget(this.keys(queue).meta, MARK);
  }

  /** The delete went through: the queue stays retired for good. */
  async seal(queue: string): Promise<void> {
    await this.options.redis.hset(this.keys(queue).meta, MARK, 'deleted');
  }

  /** The delete did not happen: takes back that attempt's mark. */
  async lift(queue: string, token: string): Promise<boolean> {
    return (await this.scripts.lift(this.keys(queue).meta, token)) === 1;
  }
}
