import { decodeBuildRecord } from './build-record.js';
import { buildKey, historyKey, type QueueKeys } from './keys.js';
import {
  hash,
  history,
  leases,
  list,
  num,
  queued,
  queueStats,
  str,
  type RawBuild,
  type RawLease,
  type RawQueued,
  type RawQueueStats,
} from './replies.js';
import type { ScriptSpec } from './scripts.js';

/**
 * The descriptors of the scripts behind a queue's administration: its reads (queue-reads.ts) and
 * its retire mark (retire-mark.ts). The KEYS and ARGV of each follow its lua/ header.
 */

export const statsSpec: ScriptSpec<{ k: QueueKeys }, RawQueueStats> = {
  script: 'stats',
  keys: ({ k }) => [k.stream, k.redeliver, k.leases, k.meta, k.dead, k.workers],
  args: () => [],
  decode: (reply) => queueStats(list(reply)),
};

/** One build's record, history and position; null when the queue never had it. */
export const statusSpec: ScriptSpec<{ k: QueueKeys; buildId: number }, RawBuild | null> = {
  script: 'status',
  keys: ({ k, buildId }) => [k.meta, k.redeliver, buildKey(k, buildId), historyKey(k, buildId), k.skip],
  args: () => [],
  decode: (reply) => {
    const r = list(reply);
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
  },
};

export const detailSpec: ScriptSpec<{ k: QueueKeys; limit: number }, { leases: RawLease[]; next: RawQueued[] }> = {
  script: 'detail',
  keys: ({ k }) => [k.stream, k.redeliver, k.leases, k.base],
  args: ({ limit }) => [limit],
  decode: (reply) => {
    const r = list(reply);
    return { leases: leases(r[0]), next: queued(r[1]) };
  },
};

export type RetireOutcome =
  { kind: 'retired' } | { kind: 'busy'; queued: number; leased: number; dead: number } | { kind: 'deleting'; mark: string };

export const retireSpec: ScriptSpec<{ k: QueueKeys; token: string }, RetireOutcome> = {
  script: 'retire',
  keys: ({ k }) => [k.meta, k.leases, k.dead],
  args: ({ token }) => [token],
  decode: (reply) => {
    const r = list(reply);
    if (r[0] === 1) return { kind: 'retired' };
    if (r[0] === 2) return { kind: 'deleting', mark: str(r[1]) };
    return { kind: 'busy', queued: num(r[1]), leased: num(r[2]), dead: num(r[3]) };
  },
};

/** True when that attempt's mark was taken back. */
export const liftSpec: ScriptSpec<{ k: QueueKeys; token: string }, boolean> = {
  script: 'lift',
  keys: ({ k }) => [k.meta],
  args: ({ token }) => [token],
  decode: (reply) => reply === 1,
};
