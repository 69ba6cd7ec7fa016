/**
 * Redis keys of the broker's Screwdriver side. They share the hash tag `{sd}`, so each script
 * touches one Redis Cluster slot; ioredis adds the deployment's key prefix.
 */
export const SD_KEYS = {
  /** What the broker knows of a build's start message: where Screwdriver is and the token claims. */
  context: (buildId: number | string): string => `sd:{sd}:c:${buildId}`,
  /** Status updates waiting to be sent: member buildId, score due time (ms). */
  updatesDue: 'sd:{sd}:u',
  /** Base of each build's update hash (`p` payload, `v` version, `f` final, `n` failed sends). */
  updateBase: 'sd:{sd}:u:',
  /** Armed build timeouts: member buildId, score deadline (ms). */
  timersDue: 'sd:{sd}:t',
  /** Base of each build's timer hash (`d` the timer JSON). */
  timerBase: 'sd:{sd}:t:',
  /** Frozen builds, one per job: member jobId, score when to start it again (ms; a claim moves it ahead). */
  frozenDue: 'sd:{sd}:fz',
  /** Base of each job's frozen-build hash (`b` buildId, `e` the event to start, `u` until, `r` why, `at`, `n` failed starts). */
  frozenBase: 'sd:{sd}:fz:',
  /** Frozen builds by build: hash buildId → jobId. */
  frozenBuilds: 'sd:{sd}:fzb',
  /** Frozen jobs in the order their builds froze: member jobId, score ms. */
  frozenOrder: 'sd:{sd}:fzo',
  /** Positions last told per queue: hash buildId → position. */
  positions: (queue: string): string => `sd:{sd}:pos:${queue}`,
  /** Held by the replica that refreshes positions, so one does it at a time. */
  positionsLease: 'sd:{sd}:pos-lease',
} as const;

/** A job's frozen-build keys, in the order the frozen-* and start-note scripts take them. */
export const frozenKeys = (jobId: number | string): [string, string, string, string] => [
  SD_KEYS.frozenDue,
  SD_KEYS.frozenBase + jobId,
  SD_KEYS.frozenBuilds,
  SD_KEYS.frozenOrder,
];
