/** A fault the run injects once the ledger shows `at` of all builds acked. */
export interface ScheduledFault {
  at: number;
  what: 'kill-replica-0' | 'kill-replica-1' | 'restart-redis';
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
