import type { RedisClient } from '../../redis/client.js';
import { BuildRecords } from './build-record.js';
import { QueueInspection } from './inspection.js';
import { queueKeys, type QueueKeys } from './keys.js';
import { scriptsFor, type Scripts } from './scripts.js';

export interface QueueStoreOptions {
  redis: RedisClient;
  /** Pub/sub channel (full name) on which appends, nacks and expiries wake waiting polls. */
  wakeChannel: string;
  leaseMs: number;
  maxAttempts: number;
  /** How long a settled build (acked, cancelled) stays visible. */
  keepMs: number;
}

/**
 * What every part of a queue's store shares: the client, the scripts, the keys of each queue, the
 * build records. The store is built on it in layers, one concern a file, each using only this:
 * the admin reads (queue-reads.ts), the retire mark (retire-mark.ts), and the storage itself, the
 * state changes of builds (store.ts, `QueueStore`, which is what the rest of the broker holds).
 */
export abstract class QueueBase {
  protected readonly scripts: Scripts;
  /** Typed reads of the builds' records (the only place that knows their fields). */
  readonly records: BuildRecords;
  /** The console's reads of a queue beyond its stats, and the purge of old dead letters. */
  readonly inspection: QueueInspection;
  private readonly keyCache = new Map<string, QueueKeys>();

  constructor(protected readonly options: QueueStoreOptions) {
    this.scripts = scriptsFor(options.redis);
    this.records = new BuildRecords(options.redis, (queue) => this.keys(queue));
    this.inspection = new QueueInspection(options.redis, (queue) => this.keys(queue), options.keepMs);
  }

  keys(queue: string): QueueKeys {
    let keys = this.keyCache.get(queue);
    if (!keys) {
      keys = queueKeys(queue);
      this.keyCache.set(queue, keys);
    }
    return keys;
  }
}
