import type { RedisClient } from '../redis/client.js';
import { WriteBatch } from '../redis/write-batch.js';
import type { Percentiles, WaitFigures, WaitPoint } from '@buildcluster/protocol';
import { addCounts, bucketOf, percentiles, type Counts } from './histogram.js';

/**
 * Queue wait (queued → first delivery) and run time (delivered → acked), per queue, as bucketed
 * histograms in Redis: one hash per queue per minute (kept 2 h, for the 5 min and 1 h windows)
 * and per 10 minutes (kept 25 h, for the 24 h window and the chart). Field `w<bucket>` counts
 * waits, `r<bucket>` run times. Any replica writes, every replica (and a restarted one) reads.
 */
export type Measure = 'wait' | 'run';

const MINUTE = 60_000;
export const INTERVAL_MS = 10 * MINUTE;
const MINUTE_TTL_MS = 2 * 3600_000;
const INTERVAL_TTL_MS = 25 * 3600_000;
const DAY_INTERVALS = (24 * 3600_000) / INTERVAL_MS;
/** Reads are cached this long per replica: the live view asks every second. */
const CACHE_MS = 5_000;

const minuteKey = (queue: string, minute: number) => `console:wt:{${queue}}:m:${minute}`;
const intervalKey = (queue: string, slot: number) => `console:wt:{${queue}}:t:${slot}`;

interface Histograms {
  wait: { '5m': Counts; '1h': Counts; '24h': Counts };
  run: { '5m': Counts; '1h': Counts; '24h': Counts };
  /** per 10-minute interval, oldest first: [slot start ms, wait counts, run counts] */
  history: Array<[number, Counts, Counts]>;
}

function split(hash: Record<string, string>): { wait: Counts; run: Counts } {
  const wait: Counts = new Map();
  const run: Counts = new Map();
  for (const [field, value] of Object.entries(hash)) {
    const bucket = Number(field.slice(1));
    if (!Number.isInteger(bucket)) continue;
    (field[0] === 'w' ? wait : run).set(bucket, Number(value));
  }
  return { wait, run };
}

export class WaitTimes {
  private readonly cache = new Map<string, { at: number; value: Promise<Histograms> }>();

  constructor(
    private readonly redis: RedisClient,
    private readonly batch = new WriteBatch(redis),
  ) {}

  /** Records durations (ms) measured at `atMs`; fire and forget on the callers' hot paths. */
  record(queue: string, measure: Measure, durations: number[], atMs = Date.now()): Promise<unknown> {
    if (durations.length === 0) return Promise.resolve();
    const m = minuteKey(queue, Math.floor(atMs / MINUTE));
    const t = intervalKey(queue, Math.floor(atMs / INTERVAL_MS));
    for (const ms of durations) {
      const field = `${measure === 'wait' ? 'w' : 'r'}${bucketOf(ms)}`;
      this.batch.hincrby(m, field).hincrby(t, field);
    }
    // A key is written for a minute (ten): one TTL set when its first write of a while goes out is enough.
    if (this.batch.due(m, atMs, MINUTE)) this.batch.pexpire(m, MINUTE_TTL_MS);
    if (this.batch.due(t, atMs, MINUTE)) this.batch.pexpire(t, INTERVAL_TTL_MS);
    this.cache.delete(queue);
    return this.batch.flush();
  }

  private read(queue: string, nowMs: number): Promise<Histograms> {
    const cached = this.cache.get(queue);
    if (cached && nowMs - cached.at < CACHE_MS) return cached.value;
    const value = this.load(queue, nowMs);
    this.cache.set(queue, { at: nowMs, value });
    value.catch(() => this.cache.delete(queue));
    return value;
  }

  private async load(queue: string, nowMs: number): Promise<Histograms> {
    const minute = Math.floor(nowMs / MINUTE);
    const slot = Math.floor(nowMs / INTERVAL_MS);
    const pipeline = this.redis.pipeline();
    for (let i = 59; i >= 0; i--) pipeline.hgetall(minuteKey(queue, minute - i));
    for (let i = DAY_INTERVALS; i >= 0; i--) pipeline.hgetall(intervalKey(queue, slot - i));
    const replies = ((await pipeline.exec()) ?? []).map(([err, reply]) => {
      if (err) throw err;
      return split(reply as Record<string, string>);
    });
    const minutes = replies.slice(0, 60);
    const intervals = replies.slice(60);
    const sum = (list: Array<{ wait: Counts; run: Counts }>, pick: 'wait' | 'run') =>
      list.reduce((acc, h) => addCounts(acc, h[pick]), new Map<number, number>());
    // 24 h: the last 144 full intervals and the current one, less the part of the oldest that is older than a day
    // (dropped whole: the window is 24 h to 24 h 10 min, never shorter).
    const day = intervals.slice(1);
    return {
      wait: { '5m': sum(minutes.slice(-5), 'wait'), '1h': sum(minutes, 'wait'), '24h': sum(day, 'wait') },
      run: { '5m': sum(minutes.slice(-5), 'run'), '1h': sum(minutes, 'run'), '24h': sum(day, 'run') },
      history: day.map((h, i) => [(slot - DAY_INTERVALS + 1 + i) * INTERVAL_MS, h.wait, h.run]),
    };
  }

  /** Figures of each queue and of all of them together, and the 24 h history of `historyOf` (or of all). */
  async report(
    queues: string[],
    historyOf: string[] = queues,
    nowMs = Date.now(),
  ): Promise<{ perQueue: Map<string, WaitFigures>; overall: WaitFigures; history: WaitPoint[] }> {
    const read = new Map<string, Histograms>();
    await Promise.all([...new Set([...queues, ...historyOf])].map(async (q) => read.set(q, await this.read(q, nowMs))));
    const figures = (list: Histograms[]): WaitFigures => {
      const of = (measure: Measure, window: '5m' | '1h' | '24h'): Percentiles =>
        percentiles(list.reduce((acc, h) => addCounts(acc, h[measure][window]), new Map<number, number>()));
      return {
        wait: { '5m': of('wait', '5m'), '1h': of('wait', '1h'), '24h': of('wait', '24h') },
        run: { '5m': of('run', '5m'), '1h': of('run', '1h'), '24h': of('run', '24h') },
      };
    };
    const perQueue = new Map(queues.map((q) => [q, figures([read.get(q)!])]));
    const overall = figures(queues.map((q) => read.get(q)!));
    const sources = historyOf.map((q) => read.get(q)!);
    const history: WaitPoint[] = [];
    const slots = sources[0]?.history.length ?? 0;
    for (let i = 0; i < slots; i++) {
      const wait: Counts = new Map();
      const run: Counts = new Map();
      for (const s of sources) {
        addCounts(wait, s.history[i]![1]);
        addCounts(run, s.history[i]![2]);
      }
      history.push({ at: new Date(sources[0]!.history[i]![0]).toISOString(), wait: percentiles(wait), run: percentiles(run) });
    }
    return { perQueue, overall, history };
  }
}
