import type { RedisClient } from '../../redis/client.js';
import { KNOWN_QUEUES } from '../storage/keys.js';

/**
 * Every queue that ever held a build, with the cluster that owns it, so administration, metrics
 * and the lease sweeper find queues of deleted or inactive clusters too. Written once per queue
 * per process.
 */
export class KnownQueues {
  private readonly noted = new Set<string>();

  constructor(private readonly redis: RedisClient) {}

  note(queue: string, cluster: string): void {
    const key = `${queue}\n${cluster}`;
    if (this.noted.has(key)) return;
    this.noted.add(key);
    this.redis.hset(KNOWN_QUEUES, queue, cluster).catch(() => this.noted.delete(key));
  }

  /** queue → cluster */
  async all(): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(KNOWN_QUEUES)));
  }
}
