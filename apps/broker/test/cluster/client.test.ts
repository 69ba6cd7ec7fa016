import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { persistenceWarnings } from '../../src/plugins/app/redis-durability.js';
import { execBySlot } from '../../src/redis/batch.js';
import { isCluster, type RedisClient } from '../../src/redis/client.js';
import { WriteBatch } from '../../src/redis/write-batch.js';
import { flushPrefix, testRedis } from '@buildcluster/testkit/redis';

/** What the broker's client code does on the test cluster besides scripts: per-slot batches, the write batch, the AOF check. */
describe('the commands client on a Redis Cluster', () => {
  const prefix = `t-${randomUUID().slice(0, 8)}:`;
  const redis = testRedis({ keyPrefix: prefix }) as unknown as RedisClient;
  afterAll(async () => {
    redis.disconnect();
    await flushPrefix(prefix);
  });

  it('runs a batch over keys of many slots, replies in order', async () => {
    expect(isCluster(redis)).toBe(true);
    const keys = Array.from({ length: 40 }, (_, i) => `console:bi:${i}`);
    await execBySlot(
      redis,
      keys.map((key, i) => (p) => p.set(key, String(i)).pexpire(key, 60_000)),
    );
    const replies = await execBySlot(
      redis,
      keys.map((key) => (p) => p.get(key)),
    );
    expect(replies.map(([err, value]) => (err ? err.message : value))).toEqual(keys.map((_, i) => String(i)));
  });

  it('sends a write batch over keys of many slots, one script call a slot, and applies every write', async () => {
    const batch = new WriteBatch(redis);
    const keys = Array.from({ length: 40 }, (_, i) => `console:wb:${i}`);
    keys.forEach((key, i) => batch.zadd(key, i, `m${i}`).hincrby(`${key}:n`, 'n', i).pexpire(key, 60_000));
    // Two keys of one slot (the same hash tag) in one call.
    batch.zadd('console:{wb}:a', 1, 'x').zadd('console:{wb}:b', 2, 'y');
    await batch.flush();
    for (const [i, key] of keys.entries()) {
      expect(await redis.zscore(key, `m${i}`)).toBe(String(i));
      expect(await redis.hget(`${key}:n`, 'n')).toBe(String(i));
      expect(await redis.pttl(key)).toBeGreaterThan(50_000);
    }
    expect([await redis.zcard('console:{wb}:a'), await redis.zcard('console:{wb}:b')]).toEqual([1, 1]);
  });

  it('checks the persistence of every master, naming each', async () => {
    if (!isCluster(redis)) throw new Error('not on a cluster');
    const warnings = await persistenceWarnings(redis);
    // The test cluster keeps no AOF (redis-cluster.ts): one warning per master.
    expect(warnings).toHaveLength(redis.nodes('master').length);
    expect(warnings.length).toBeGreaterThan(1);
    for (const warning of warnings) expect(warning).toMatch(/^127\.0\.0\.1:\d+: Redis runs without AOF/);
  });
});
