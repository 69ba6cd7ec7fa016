/** A fault the run injects once the ledger shows `at` of all builds acked. */
export interface ScheduledFault {
  at: number;
  what: 'kill-replica-0' | 'kill-replica-1' | 'restart-redis' | 'drop-redis-connections' | 'kill-master';
}

/**
 * Fixed points of progress rather than wall time, so a slow machine sees the same faults at the
 * same stage of the run: each replica is killed twice, Redis restarted once, spread over the flow.
 */
export const FAULT_SCHEDULE: ScheduledFault[] = [
  { at: 0.12, what: 'kill-replica-0' },
  { at: 0.27, what: 'kill-replica-1' },
  { at: 0.42, what: 'restart-redis' },
  { at: 0.57, what: 'kill-replica-0' },
  { at: 0.72, what: 'kill-replica-1' },
];

/** Where the master kills of a Redis Cluster run go: between the replica kills, never at the same point. */
const MASTER_KILLS_AT = [0.2, 0.5, 0.8];

/**
 * The schedule of a run. On a Redis Cluster a restart of "the" Redis has no meaning (a node
 * without its data rejoins as a replica): the same point drops every client connection of every
 * node instead, and masters are SIGKILLed in between (chaos/failover.ts).
 */
export function faultSchedule(options: { redisCluster: boolean; masterKills: number }): ScheduledFault[] {
  if (!options.redisCluster) return [...FAULT_SCHEDULE];
  const kills = MASTER_KILLS_AT.slice(0, options.masterKills).map((at) => ({ at, what: 'kill-master' as const }));
  return [
    ...FAULT_SCHEDULE.map((f) => (f.what === 'restart-redis' ? { ...f, what: 'drop-redis-connections' as const } : f)),
    ...kills,
  ].sort((a, b) => a.at - b.at);
}
