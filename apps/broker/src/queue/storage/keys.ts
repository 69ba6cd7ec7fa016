/**
 * Redis key names of the queues. Every key of one queue shares the hash tag `{<queue>}`, and every
 * key of one directory bucket its bucket's tag, so each Lua script touches a single Redis Cluster
 * slot (schedule-8 alone spans two, and runs only on one Redis).
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

/**
 * How many buckets the build directory is split into: build `id` lives in bucket `id % 16`, each
 * bucket under a hash tag of its own, so the entries and the pending builds spread over the slots
 * of a Redis Cluster. NEVER change this (nor the tags) without a migration: every entry would be
 * looked for in the wrong bucket, and a retried POST would queue its build a second time.
 */
export const DIRECTORY_BUCKETS = 16;

/**
 * The buckets' hash tags, chosen so that tag `i` hashes into slots `i*1024 .. i*1024+1023`: the
 * buckets sit evenly over the slot space, so any even split of the slots among masters shares them.
 */
const BUCKET_TAGS = [
  'd0.12',
  'd1.11',
  'd2.2',
  'd3.1',
  'd4.62',
  'd5.61',
  'd6.42',
  'd7.41',
  'd8.21',
  'd9.22',
  'd10.23',
  'd11.20',
  'd12.0',
  'd13',
  'd14.40',
  'd15.43',
] as const;

/** One bucket of the directory: its builds' entries and its share of the pending builds and journals. */
export interface BucketKeys {
  bucket: number;
  /** `dir:{<tag>}:b:` + buildId: where the build went. */
  entryBase: string;
  /** Pending builds of the bucket, score their global arrival number. */
  pending: string;
  /** Messages of the bucket's builds that are pending, being assigned, or claimed and not appended yet. */
  messages: string;
  /** Assignments from pending not settled yet (score: when), so a dead drainer's are finished by another. */
  assigning: string;
  /** Claims for a queue not appended yet (score: when; split schedule), finished by any sweeper. */
  claims: string;
}

const bucketKeys: BucketKeys[] = BUCKET_TAGS.map((tag, bucket) => ({
  bucket,
  entryBase: `dir:{${tag}}:b:`,
  pending: `dir:{${tag}}:pending`,
  messages: `dir:{${tag}}:pm`,
  assigning: `dir:{${tag}}:assigning`,
  claims: `dir:{${tag}}:claims`,
}));

/** The bucket of a build (its id modulo DIRECTORY_BUCKETS). */
export function bucketOf(buildId: number | string): BucketKeys {
  const id = Number(buildId);
  return bucketKeys[((id % DIRECTORY_BUCKETS) + DIRECTORY_BUCKETS) % DIRECTORY_BUCKETS]!;
}

export const allBuckets = (): readonly BucketKeys[] => bucketKeys;

/** The build directory's keys outside the buckets, and a build's entry. */
export const DIRECTORY = {
  entry: (buildId: number | string): string => `${bucketOf(buildId).entryBase}${buildId}`,
  /** Arrival numbers of pending builds, across the buckets (taken only on the pending path). */
  pendingSequence: 'dir:{d}:seq',
  /** One drainer at a time. */
  drainLock: 'dir:{d}:drain',
  /** Set once the keys of the previous layout (every build under `{d}`) were moved into the buckets. */
  layout: 'dir:{d}:layout',
} as const;

/** The previous layout's keys (all under `{d}`), read only by the upgrade (upgrade.ts). */
export const LEGACY_DIRECTORY = {
  entry: (buildId: number | string): string => `dir:{d}:b:${buildId}`,
  entryPattern: 'dir:{d}:b:*',
  pending: 'dir:{d}:pending',
  messages: 'dir:{d}:pm',
  assigning: 'dir:{d}:assigning',
  assigningMarker: 'dir:{d}:assigning-now',
} as const;

/** Every queue that ever held a build: queue name → cluster name. */
export const KNOWN_QUEUES = 'queues';
