import type { QueueStats } from '@buildcluster/protocol';

/** A queue with builds waiting and no worker polling in the last minute: nothing will drain it. */
export function isStranded(stats: Pick<QueueStats, 'depth' | 'workersLastMinute'> | undefined): boolean {
  return !!stats && stats.depth > 0 && stats.workersLastMinute === 0;
}
