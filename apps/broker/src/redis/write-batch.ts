import { isCluster, type RedisClient } from './client.js';
import { scriptDir, type ScriptArg, type ScriptCall } from './script-dir.js';

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

/** Members of one ZADD write at the most: Lua's unpack takes a few thousand values. */
const ZADD_CHUNK = 1000;
/** Values of one `apply` call at the most, past which the writes go on in another call. */
const CALL_VALUES = 20_000;

export interface WriteBatchOptions {
  /** 0: sent at the end of the turn; more: sent that long after the first write waiting. */
  delayMs?: number;
  /** Told of a send by `close` that failed (`close` itself resolves); none: the failure is dropped. */
  onError?: (err: Error) => void;
}

/**
 * Bookkeeping writes that no caller waits on (the console's build index, wait times, workers),
 * gathered over one turn of the event loop, or over `delayMs`, and sent as one call of the `apply`
 * script (one per slot on a Redis Cluster): the writes of the same key are merged (one ZADD with
 * every member, one HINCRBY per field with the sum), so a burst of builds costs a few commands a
 * key instead of a few commands a build, and the broker builds one command, not one a write.
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
  private readonly apply: ScriptCall;

  constructor(
    private readonly redis: RedisClient,
    { delayMs = 0, onError = () => {} }: WriteBatchOptions = {},
  ) {
    this.delayMs = delayMs;
    this.onError = onError;
    // Bookkeeping never waits for replicas (REDIS_WAIT_REPLICAS), as a pipeline of it did not.
    this.apply = scriptDir<'apply'>(redis, new URL('./lua/', import.meta.url), ['apply']).apply;
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
    // Keys of one hash tag share a slot: on a Redis Cluster, one call per slot; else one in all.
    const calls = new Map<string, Array<[string, KeyWrites]>>();
    const cluster = isCluster(this.redis);
    for (const entry of keys) {
      const slot = cluster ? hashTag(entry[0]) : '';
      const list = calls.get(slot);
      if (list) list.push(entry);
      else calls.set(slot, [entry]);
    }
    Promise.all([...calls.values()].flatMap((entries) => applyCalls(entries).map((args) => this.apply(args)))).then(
      () => next.resolve(),
      (err: Error) => {
        // A key whose housekeeping was not sent is owed it again.
        for (const key of keys.keys()) this.housekept.delete(key);
        next.reject(err);
      },
    );
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

/**
 * The `apply` calls for these keys' writes (see apply-n.lua), each its key count, keys and writes;
 * a new call starts past CALL_VALUES, so that no call's arguments outgrow a function call.
 */
function applyCalls(entries: Array<[string, KeyWrites]>): ScriptArg[][] {
  const calls: ScriptArg[][] = [];
  let keys: string[] = [];
  let writes: ScriptArg[] = [];
  const end = () => {
    if (writes.length > 0) calls.push([keys.length, ...keys, ...writes]);
    keys = [];
    writes = [];
  };
  for (const [key, w] of entries) {
    let index = 0;
    const write = (command: string, values: readonly ScriptArg[]) => {
      if (writes.length + values.length > CALL_VALUES) {
        end();
        index = 0;
      }
      if (index === 0) index = keys.push(key);
      writes.push(index, command, values.length);
      for (const value of values) writes.push(value);
    };
    if (w.hset) write('HSET', Object.entries(w.hset).flat());
    for (const [field, value] of Object.entries(w.hsetnx ?? {})) write('HSETNX', [field, value]);
    for (let at = 0; at < w.zadd.length; at += 2 * ZADD_CHUNK) write('ZADD', w.zadd.slice(at, at + 2 * ZADD_CHUNK));
    for (const [field, by] of w.hincrby) write('HINCRBY', [field, by]);
    if (w.trimBelow !== null) write('ZREMRANGEBYSCORE', ['-inf', w.trimBelow]);
    if (w.expireMs !== null) write('PEXPIRE', [w.expireMs]);
  }
  end();
  return calls;
}
