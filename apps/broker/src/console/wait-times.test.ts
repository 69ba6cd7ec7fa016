import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { bucketOf, percentiles, valueOf } from './histogram.js';
import { INTERVAL_MS, WaitTimes } from './wait-times.js';
import { prefixedRedis } from '../../test/support/prefixed-redis.js';

/** Wait percentiles from known timings, kept in a real Redis. */
describe('wait times', () => {
  let redis: Redis;
  prefixedRedis('t-wt', (client) => (redis = client));

  it('reads a bucket back within 2.5 % of the value put in', () => {
    for (const ms of [0, 1, 7, 99, 1000, 12_345, 600_000, 86_400_000]) {
      const back = valueOf(bucketOf(ms));
      expect(Math.abs(back - ms)).toBeLessThanOrEqual(Math.max(0.6, ms * 0.025));
    }
    expect(percentiles(new Map())).toEqual({ count: 0, p50Ms: null, p95Ms: null, p99Ms: null });
  });

  it('computes p50, p95 and p99 of 1 … 1000 s per window, and per queue and overall', async () => {
    const wt = new WaitTimes(redis);
    const now = Date.UTC(2026, 11, 1, 12, 30, 0);
    // queue a: waits of 1, 2, …, 1000 ms measured now; queue b: 100 waits of 10 s measured 3 h ago
    await wt.record(
      'a',
      'wait',
      Array.from({ length: 1000 }, (_, i) => i + 1),
      now,
    );
    await wt.record(
      'b',
      'wait',
      Array.from({ length: 100 }, () => 10_000),
      now - 3 * 3600_000,
    );
    await wt.record('a', 'run', [60_000, 60_000, 120_000], now - 10 * 60_000);
    const { perQueue, overall, history } = await wt.report(['a', 'b'], ['a', 'b'], now);
    const a = perQueue.get('a')!;
    expect(a.wait['5m'].count).toBe(1000);
    const near = (value: number | null, expected: number) => {
      expect(value).not.toBeNull();
      expect(Math.abs(value! - expected) / expected).toBeLessThan(0.03);
    };
    near(a.wait['5m'].p50Ms, 500);
    near(a.wait['5m'].p95Ms, 950);
    near(a.wait['5m'].p99Ms, 990);
    expect(a.wait['1h']).toEqual(a.wait['5m']);
    // run times 10 minutes ago: in the hour, not in the last 5 minutes
    expect(a.run['5m'].count).toBe(0);
    expect(a.run['1h'].count).toBe(3);
    near(a.run['1h'].p50Ms, 60_000);
    near(a.run['1h'].p99Ms, 120_000);
    const b = perQueue.get('b')!;
    expect(b.wait['1h'].count).toBe(0);
    expect(b.wait['24h'].count).toBe(100);
    near(b.wait['24h'].p50Ms, 10_000);
    // overall over 24 h: 1000 waits ≤ 1 s and 100 of 10 s → p95 is 10 s, p50 still 550 ms or so
    expect(overall.wait['24h'].count).toBe(1100);
    near(overall.wait['24h'].p50Ms, 550);
    near(overall.wait['24h'].p95Ms, 10_000);
    // the history: 144 ten-minute points over 24 h, the last one holding the current interval
    expect(history).toHaveLength(144);
    expect(Date.parse(history.at(-1)!.at)).toBe(Math.floor(now / INTERVAL_MS) * INTERVAL_MS);
    expect(history.at(-1)!.wait.count).toBe(1000);
    const threeHoursAgo = history.find((p) => p.wait.count === 100)!;
    expect(now - Date.parse(threeHoursAgo.at)).toBeGreaterThanOrEqual(3 * 3600_000);
  });

  it('keeps the figures in Redis: a new reader (a restarted broker) sees them', async () => {
    const now = Date.now();
    await new WaitTimes(redis).record('c', 'wait', [200, 400], now);
    const fresh = new WaitTimes(redis);
    const { perQueue } = await fresh.report(['c'], ['c'], now);
    expect(perQueue.get('c')!.wait['5m'].count).toBe(2);
    expect(await redis.pttl(`console:wt:{c}:t:${Math.floor(now / INTERVAL_MS)}`)).toBeGreaterThan(24 * 3600_000);
  });
});
