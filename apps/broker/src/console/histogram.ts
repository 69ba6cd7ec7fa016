import type { Percentiles } from '@buildcluster/protocol';

/**
 * Log-scale histogram buckets for durations: bucket i holds [1.05^i − 1, 1.05^(i+1) − 1) ms, so a
 * percentile read from the buckets is within 2.5 % of the true one, and a day of builds on a
 * cluster fits in a few hundred counters whatever the number of builds.
 */
const GROWTH = Math.log(1.05);

export function bucketOf(ms: number): number {
  return Math.max(0, Math.floor(Math.log(Math.max(0, ms) + 1) / GROWTH));
}

/** The value a bucket stands for: the geometric middle of its range. */
export function valueOf(bucket: number): number {
  return Math.exp((bucket + 0.5) * GROWTH) - 1;
}

export type Counts = Map<number, number>;

export function addCounts(into: Counts, from: Counts): Counts {
  for (const [bucket, n] of from) into.set(bucket, (into.get(bucket) ?? 0) + n);
  return into;
}

/** Nearest-rank percentiles (the smallest value with at least q of the observations at or below it). */
export function percentiles(counts: Counts): Percentiles {
  let count = 0;
  for (const n of counts.values()) count += n;
  if (count === 0) return { count: 0, p50Ms: null, p95Ms: null, p99Ms: null };
  const sorted = [...counts.entries()].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  const at = (q: number): number => {
    const rank = Math.max(1, Math.ceil(q * count));
    let seen = 0;
    for (const [bucket, n] of sorted) {
      seen += n;
      if (seen >= rank) return Math.round(valueOf(bucket) * 10) / 10;
    }
    return Math.round(valueOf(sorted[sorted.length - 1]![0]) * 10) / 10;
  };
  return { count, p50Ms: at(0.5), p95Ms: at(0.95), p99Ms: at(0.99) };
}
