import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { WriteBatch } from './write-batch.js';
import { prefixedRedis } from '../../test/support/prefixed-redis.js';

/** One turn's bookkeeping writes, merged by key, against a real Redis. */
describe('write batch', () => {
  let redis: Redis;
  prefixedRedis('t-wb', (client) => (redis = client));

  it('sends the writes of one turn as merged commands in one script call and applies them all', async () => {
    const batch = new WriteBatch(redis);
    // The script is on the server from then on (its first call may be an EVALSHA refused, then an EVAL).
    await batch.zadd('warm', 0, 'up').flush();
    const before = await commandsProcessed(redis);
    const flushed: Array<Promise<void>> = [];
    for (let i = 0; i < 50; i++) {
      batch
        .zadd('z', i, `m${i}`)
        .hincrby('h', `f${i % 5}`)
        .hset(`i:${i % 2}`, { [`k${i}`]: String(i) });
      flushed.push(batch.flush());
    }
    batch.trimBelow('z', 9).pexpire('z', 60_000);
    await Promise.all(flushed);
    // The EVALSHA and in it one ZADD, five HINCRBY, two HSET, a trim and a PEXPIRE; the INFO that counts them.
    expect((await commandsProcessed(redis)) - before).toBe(12);
    expect(await redis.zcard('z')).toBe(40);
    expect(await redis.zscore('z', 'm9')).toBeNull();
    expect(await redis.hgetall('h')).toEqual({ f0: '10', f1: '10', f2: '10', f3: '10', f4: '10' });
    expect(Object.keys(await redis.hgetall('i:0'))).toHaveLength(25);
    expect(await redis.pttl('z')).toBeGreaterThan(50_000);
  });

  it('with a delay, sends the writes of several turns as one, and at once when closed', async () => {
    const batch = new WriteBatch(redis, { delayMs: 200 });
    await batch.zadd('warm', 0, 'up').flush();
    const before = await commandsProcessed(redis);
    const first = batch.zadd('dz', 1, 'a').flush();
    await new Promise((resolve) => setImmediate(resolve));
    const second = batch.zadd('dz', 2, 'b').hincrby('dh', 'n').flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Nothing sent yet, several turns later.
    expect(await redis.zcard('dz')).toBe(0);
    await Promise.all([first, second]);
    // The EVALSHA with one ZADD of both members and one HINCRBY, and the two INFO and one ZCARD of this test.
    expect((await commandsProcessed(redis)) - before).toBe(5);
    expect(await redis.zrange('dz', '0', '-1')).toEqual(['a', 'b']);

    const started = Date.now();
    const last = batch.zadd('dz', 3, 'c').flush();
    await batch.close();
    await last;
    expect(Date.now() - started).toBeLessThan(150);
    expect(await redis.zcard('dz')).toBe(3);
    await batch.close();
  });

  it('sets a field only where the hash has none, the first of a turn winning', async () => {
    const batch = new WriteBatch(redis);
    await redis.hset('nx', 'kept', 'old');
    batch.hsetnx('nx', { first: '1', kept: 'new' });
    batch.hsetnx('nx', { first: '2' });
    await batch.flush();
    expect(await redis.hgetall('nx')).toEqual({ first: '1', kept: 'old' });
  });

  it('applies every write of a send when one fails, then rejects with that failure', async () => {
    const batch = new WriteBatch(redis);
    await redis.set('str', 'not a hash');
    batch.zadd('before', 1, 'a').hincrby('str', 'n').zadd('after', 2, 'b').pexpire('after', 60_000);
    await expect(batch.flush()).rejects.toThrow(/WRONGTYPE/);
    expect(await redis.zrange('before', '0', '-1')).toEqual(['a']);
    expect(await redis.zrange('after', '0', '-1')).toEqual(['b']);
    expect(await redis.pttl('after')).toBeGreaterThan(50_000);
  });

  it('sends a ZADD of thousands of members (more than Lua unpacks at once) in several calls', async () => {
    const batch = new WriteBatch(redis);
    for (let i = 0; i < 25_000; i++) batch.zadd('big', i, `m${i}`);
    batch.hincrby('big-count', 'n', 25_000);
    await batch.flush();
    expect(await redis.zcard('big')).toBe(25_000);
    expect(await redis.zscore('big', 'm24999')).toBe('24999');
    expect(await redis.hget('big-count', 'n')).toBe('25000');
  });

  it('owes a key its housekeeping once per interval, and again after a send that failed', async () => {
    const batch = new WriteBatch(redis);
    expect(batch.due('k', 1000, 30_000)).toBe(true);
    expect(batch.due('k', 20_000, 30_000)).toBe(false);
    expect(batch.due('k', 31_000, 30_000)).toBe(true);
    expect(batch.due('other', 31_000, 30_000)).toBe(true);

    const away = unreachableRedis();
    const broken = new WriteBatch(away);
    expect(broken.due('k', 1000, 30_000)).toBe(true);
    broken.zadd('k', 1, 'a');
    await expect(broken.flush()).rejects.toThrow();
    expect(broken.due('k', 2000, 30_000)).toBe(true);
    away.disconnect();
  });

  it('resolves its close when the send fails, telling onError, while a flush waiting for it rejects', async () => {
    const away = unreachableRedis();
    const failures: Error[] = [];
    const broken = new WriteBatch(away, { delayMs: 200, onError: (err) => failures.push(err) });
    const waiting = broken.zadd('k', 1, 'a').flush();
    await expect(broken.close()).resolves.toBeUndefined();
    const err = await waiting.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(failures).toEqual([err]);
    // Nothing waiting: nothing sent, nothing told.
    await expect(broken.close()).resolves.toBeUndefined();
    expect(failures).toHaveLength(1);
    away.disconnect();
  });
});

/** A Redis that is not there: a write cannot go out. */
function unreachableRedis(): Redis {
  const away = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
  away.on('error', () => {});
  return away;
}

async function commandsProcessed(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)![1]);
}
