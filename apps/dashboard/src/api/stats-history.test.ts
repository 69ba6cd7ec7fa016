import { describe, expect, it } from 'vitest';
import type { QueueStats } from '@buildcluster/protocol';
import { createStore } from '../lib/store';
import { HISTORY_WINDOW_MS, recordStats, type StatsHistory } from './stats-history';

const stats = (cluster: string, depth: number, ackedTotal: number): QueueStats => ({
  cluster,
  queue: cluster,
  depth,
  inFlight: 0,
  oldestQueuedAgeMs: null,
  dead: 0,
  deliveredWatermark: '0-0',
  ackedWatermark: '0-0',
  workersLastMinute: 0,
  enqueuedTotal: 0,
  ackedTotal,
});
const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();

describe('recordStats', () => {
  it('derives throughput from ackedTotal deltas between snapshots', () => {
    const history = createStore<StatsHistory>({});
    recordStats({ at: at(0), queues: [stats('a', 5, 100)] }, history);
    recordStats({ at: at(2000), queues: [stats('a', 3, 110)] }, history);
    const series = history.get().a!;
    expect(series.map((s) => s.throughput)).toEqual([null, 5]);
    expect(series[1]).toMatchObject({ depth: 3, ackedTotal: 110 });
  });

  it('ignores repeated or older snapshots and a counter that went backwards', () => {
    const history = createStore<StatsHistory>({});
    recordStats({ at: at(1000), queues: [stats('a', 1, 50)] }, history);
    recordStats({ at: at(1000), queues: [stats('a', 9, 60)] }, history);
    recordStats({ at: at(2000), queues: [stats('a', 1, 10)] }, history);
    expect(history.get().a!.map((s) => s.throughput)).toEqual([null, null]);
  });

  it('keeps 15 minutes per cluster and forgets clusters that are gone', () => {
    const history = createStore<StatsHistory>({});
    recordStats({ at: at(0), queues: [stats('a', 1, 0), stats('b', 1, 0)] }, history);
    recordStats({ at: at(HISTORY_WINDOW_MS / 2), queues: [stats('a', 1, 0), stats('b', 1, 0)] }, history);
    recordStats({ at: at(HISTORY_WINDOW_MS + 1000), queues: [stats('a', 2, 0)] }, history);
    expect(history.get().a!.map((s) => s.depth)).toEqual([1, 2]);
    expect(history.get().b).toBeUndefined();
  });
});
