/**
 * Redis key names of the queues. Every key of one queue shares the hash tag `{<queue>}` and every
 * key of the build directory the tag `{d}`, so each Lua script touches a single Redis Cluster slot.
 * ioredis adds the deployment's key prefix (config.redisKeyPrefix) in front of all of them.
 */
export interface QueueKeys {
  /** `q:{<queue>}:` — base of the per-build keys, derived inside the scripts. */
  base: string;
  /** The ordered, durable log of start and stop messages; consumer group `g`. */
  stream: string;
  /** Jobs whose lease ended (expired, nacked), waiting to be delivered again; ordered by stream id. */
  redeliver: string;
  /** Lease deadlines: member lease id, score deadline (ms, Redis clock). */
  leases: string;
  /** Counters: depth, enq, ack, expired. */
  meta: string;
  /** Workers by last poll time. */
  workers: string;
  /** Dead letters: member `<buildId>:<s|x>`, score time of death. */
  dead: string;
  /** Ordinals after the delivered watermark a position does not count (cancelled starts, stop messages). */
  skip: string;
}

export function queueKeys(queue: string): QueueKeys {
  const base = `q:{${queue}}:`;
  return {
    base,
    stream: `${base}s`,
    redeliver: `${base}r`,
    leases: `${base}l`,
    meta: `${base}m`,
    workers: `${base}w`,
    dead: `${base}d`,
    skip: `${base}k`,
  };
}

export const buildKey = (keys: QueueKeys, buildId: number | string): string => `${keys.base}b:${buildId}`;
export const historyKey = (keys: QueueKeys, buildId: number | string): string => `${keys.base}h:${buildId}`;
export const pollKey = (keys: QueueKeys, workerId: string, pollId: string): string => `${keys.base}p:${workerId}:${pollId}`;

/** The build directory: where each build went (its queue), and the builds still pending. */
export const DIRECTORY = {
  entry: (buildId: number | string): string => `dir:{d}:b:${buildId}`,
  pending: 'dir:{d}:pending',
  pendingMessages: 'dir:{d}:pm',
  pendingSequence: 'dir:{d}:seq',
  assigning: 'dir:{d}:assigning',
  drainLock: 'dir:{d}:drain',
  /** Queues pending builds are being assigned to (score: until when): new posts for them queue behind. */
  assigningMarker: 'dir:{d}:assigning-now',
} as const;

/** Every queue that ever held a build: queue name → cluster name. */
export const KNOWN_QUEUES = 'queues';
