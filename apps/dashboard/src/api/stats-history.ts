import type { StatsEvent } from '@buildcluster/protocol';
import { createStore } from '../lib/store';

/** How far back the cluster charts look. Kept only in this tab, from the stats events. */
export const HISTORY_WINDOW_MS = 15 * 60 * 1000;

export interface StatsSample {
  at: number;
  depth: number;
  inFlight: number;
  ackedTotal: number;
  /** builds acked per second since the previous sample; null for the first sample */
  throughput: number | null;
}

export type StatsHistory = Record<string, StatsSample[]>;

/** Builds acked per second over these samples: the mean of those that have a throughput; null if none has. */
export function meanThroughput(samples: readonly StatsSample[]): number | null {
  const rated = samples.filter((s) => s.throughput !== null);
  return rated.length ? rated.reduce((n, s) => n + (s.throughput ?? 0), 0) / rated.length : null;
}

export const statsHistory = createStore<StatsHistory>({});

/** Adds one snapshot; each cluster's series gets a new array so React sees the change. */
export function recordStats(event: Pick<StatsEvent, 'queues' | 'at'>, history = statsHistory): void {
  const at = Date.parse(event.at);
  if (Number.isNaN(at)) return;
  history.set((previous) => {
    const next: StatsHistory = {};
    for (const queue of event.queues) {
      const series = previous[queue.cluster] ?? [];
      const last = series[series.length - 1];
      if (last && last.at >= at) {
        next[queue.cluster] = series; // an older or repeated snapshot (e.g. after a reconnect)
        continue;
      }
      let throughput: number | null = null;
      if (last) {
        const delta = queue.ackedTotal - last.ackedTotal;
        // A negative delta means the counter restarted (queue recreated): not a real rate.
        throughput = delta >= 0 ? delta / ((at - last.at) / 1000) : null;
      }
      const sample: StatsSample = {
        at,
        depth: queue.depth,
        inFlight: queue.inFlight,
        ackedTotal: queue.ackedTotal,
        throughput,
      };
      const start = series.findIndex((s) => s.at >= at - HISTORY_WINDOW_MS);
      next[queue.cluster] = [...(start === -1 ? [] : series.slice(start)), sample];
    }
    return next;
  });
}
