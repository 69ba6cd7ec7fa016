import { liftSpec, retireSpec, type RetireOutcome } from './admin-scripts.js';
import { QueueReads } from './queue-reads.js';
import { runScript } from './scripts.js';

/** The field of a queue's meta hash that holds its retire mark (a delete's token while it runs, `deleted` after). */
const MARK = 'gone';

/** A queue's retire mark, as a cluster's delete sets, seals or lifts it (admin/retirement.ts). */
export abstract class QueueRetireMark extends QueueReads {
  /**
   * First step of a cluster delete: marks the queue retired (no build can enter it any more) unless
   * it holds anything. `busy` gives the figures when it does; `deleting` when another delete runs.
   */
  async retire(queue: string, token: string): Promise<RetireOutcome> {
    return runScript(this.scripts, retireSpec, { k: this.keys(queue), token });
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
    return runScript(this.scripts, liftSpec, { k: this.keys(queue), token });
  }
}
