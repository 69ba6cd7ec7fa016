import { execBySlot, type SlotGroup } from './batch.js';
import type { RedisClient } from './client.js';

interface KeyWrites {
  /** ZADD arguments: score, member, score, member … */
  zadd: Array<string | number>;
  hincrby: Map<string, number>;
  hset: Record<string, string> | null;
  hsetnx: Record<string, string> | null;
  /** ZREMRANGEBYSCORE -inf … this score */
  trimBelow: number | null;
  expireMs: number | null;
}

/**
 * How long the broker's bookkeeping writes wait to be sent, in ms: long enough that a build's
 * post, delivery and ack on a quiet broker share one write to Redis instead of one each (on this
 * kind of machine every socket write costs tens of µs of kernel time), short enough that a
 * dashboard never notices.
 */
export const BOOKKEEPING_DELAY_MS = 20;

export interface WriteBatchOptions {
  /** 0: sent at the end of the turn; more: sent that long after the first write waiting. */
  delayMs?: number;
  /** Told of a send by `close` that failed (`close` itself resolves); none: the failure is dropped. */
  onError?: (err: Error) => void;
}

/**
 * Bookkeeping writes that no caller waits on (the console's build index, wait times, workers),
 * gathered over one turn of the event loop, or over `delayMs`, and sent as one pipeline: the
 * writes of the same key are merged (one ZADD with every member, one HINCRBY per field with the
 * sum), so a burst of builds costs a few commands a key instead of a few commands a build.
 *
 * The shared keys' trims and TTL refreshes are not needed for every write: `due` says whether a
 * key's housekeeping is owed, at most once per `everyMs` per replica.
 */
export class WriteBatch {
  private keys = new Map<string, KeyWrites>();
  /** The next send: every caller of `flush` until it goes out shares its promise. */
  private next: { sent: Promise<void>; resolve: () => void; reject: (err: Error) => void } | null = null;
  private readonly housekept = new Map<string, number>();
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private readonly delayMs: number;
  private readonly onError: (err: Error) => void;

  constructor(
    private readonly redis: RedisClient,
    { delayMs = 0, onError = () => {} }: WriteBatchOptions = {},
  ) {
    this.delayMs = delayMs;
    this.onError = onError;
  }

  private of(key: string): KeyWrites {
    let writes = this.keys.get(key);
    if (!writes) {
      writes = { zadd: [], hincrby: new Map(), hset: null, hsetnx: null, trimBelow: null, expireMs: null };
      this.keys.set(key, writes);
    }
    return writes;
  }

  zadd(key: string, score: number, member: string): this {
    this.of(key).zadd.push(score, member);
    return this;
  }

  hincrby(key: string, field: string, by = 1): this {
    const counts = this.of(key).hincrby;
    counts.set(field, (counts.get(field) ?? 0) + by);
    return this;
  }

  hset(key: string, fields: Record<string, string>): this {
    const writes = this.of(key);
    writes.hset = { ...writes.hset, ...fields };
    return this;
  }

  /** Fields set only where the hash has none yet (the first of several in a turn wins). */
  hsetnx(key: string, fields: Record<string, string>): this {
    const writes = this.of(key);
    writes.hsetnx = { ...fields, ...writes.hsetnx };
    return this;
  }

  trimBelow(key: string, score: number): this {
    const writes = this.of(key);
    writes.trimBelow = Math.max(writes.trimBelow ?? score, score);
    return this;
  }

  pexpire(key: string, ms: number): this {
    const writes = this.of(key);
    writes.expireMs = Math.max(writes.expireMs ?? ms, ms);
    return this;
  }

  /** True at most once per `everyMs` for `key` on this replica: its trim or TTL refresh is owed. */
  due(key: string, nowMs: number, everyMs: number): boolean {
    const last = this.housekept.get(key);
    if (last !== undefined && nowMs - last < everyMs) return false;
    // Bounded: forgetting only makes a key's housekeeping come early.
    if (this.housekept.size >= 100_000) this.housekept.clear();
    this.housekept.set(key, nowMs);
    return true;
  }

  /** Resolves once the writes so far are sent and answered; rejects when that send failed. */
  flush(): Promise<void> {
    if (this.next) return this.next.sent;
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const sent = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.next = { sent, resolve, reject };
    const send = () => void this.send();
    this.timer = this.delayMs === 0 ? setImmediate(send) : setTimeout(send, this.delayMs);
    return sent;
  }

  /**
   * Sends what waits now (at shutdown, before the Redis connection closes). Never rejects: a
   * failed send is told to `onError` (and to the callers of `flush` waiting for it).
   */
  close(): Promise<void> {
    return this.send().catch((err: Error) => {
      this.onError(err);
    });
  }

  private send(): Promise<void> {
    const next = this.next;
    if (this.timer) {
      if (this.delayMs === 0) clearImmediate(this.timer as NodeJS.Immediate);
      else clearTimeout(this.timer as NodeJS.Timeout);
    }
    this.timer = null;
    if (!next) return Promise.resolve();
    this.next = null;
    const keys = this.keys;
    this.keys = new Map();
    // Keys of one hash tag share a slot: one group each, so a Redis Cluster gets a pipeline per slot.
    const bySlot = new Map<string, Array<[string, KeyWrites]>>();
    for (const entry of keys) {
      const slot = hashTag(entry[0]);
      const list = bySlot.get(slot);
      if (list) list.push(entry);
      else bySlot.set(slot, [entry]);
    }
    const groups: SlotGroup[] = [...bySlot.values()].map((entries) => (p) => {
      for (const [key, w] of entries) {
        if (w.hset) p.hset(key, w.hset);
        for (const [field, value] of Object.entries(w.hsetnx ?? {})) p.hsetnx(key, field, value);
        if (w.zadd.length > 0) p.zadd(key, ...w.zadd);
        for (const [field, by] of w.hincrby) p.hincrby(key, field, by);
        if (w.trimBelow !== null) p.zremrangebyscore(key, '-inf', w.trimBelow);
        if (w.expireMs !== null) p.pexpire(key, w.expireMs);
      }
    });
    execBySlot(this.redis, groups)
      .then((replies) => {
        // exec() answers a connection that failed with an error per command, not a rejection.
        const failed = replies.find(([err]) => err)?.[0];
        if (failed) throw failed;
      })
      .then(next.resolve, (err: Error) => {
        // A key whose housekeeping was not sent is owed it again.
        for (const key of keys.keys()) this.housekept.delete(key);
        next.reject(err);
      });
    return next.sent;
  }
}

/** The part of a key Redis Cluster hashes: the first non-empty `{…}`, else the whole key. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}
