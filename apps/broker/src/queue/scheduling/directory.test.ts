import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startMessage } from '@buildcluster/testkit/queue';
import { cluster, Clusters, queueReplica } from '../../../test/support/queue-replica.js';
import { assignSpec, cancelPendingSpec, claimSpec, rependSpec, settleSpec } from './directory-scripts.js';
import type { ScriptSpec } from '../storage/scripts.js';
import { allBuckets, bucketOf, DIRECTORY, DIRECTORY_BUCKETS, LEGACY_DIRECTORY } from '../storage/keys.js';
import { upgradeDirectory } from './upgrade.js';
import { prefixedRedis } from '../../../test/support/prefixed-redis.js';

/** The directory's layout: buckets over the slots, one slot per script, and the upgrade from `{d}`. */
let redis: Redis;
const prefix = prefixedRedis('t-dir', (client) => (redis = client));

/** Redis Cluster's key slot (CRC16/XMODEM of the hash tag, mod 16384). */
function slot(key: string): number {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  const tagged = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(tagged)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

describe('layout', () => {
  it('puts bucket i in slots i*1024 .. i*1024+1023, and build ids round the buckets', () => {
    expect(allBuckets()).toHaveLength(DIRECTORY_BUCKETS);
    allBuckets().forEach((b, i) => {
      for (const key of [b.pending, b.messages, b.assigning, b.claims, `${b.entryBase}1`]) {
        expect(Math.floor(slot(key) / 1024), key).toBe(i);
      }
    });
    expect(new Set(Array.from({ length: 32 }, (_, id) => slot(DIRECTORY.entry(id)))).size).toBe(16);
    expect(bucketOf(17)).toBe(bucketOf(1));
  });

  it('every directory script touches one slot', () => {
    const one = <In>(spec: ScriptSpec<In, unknown>, input: In) => new Set(spec.keys(input).map(slot)).size;
    for (const buildId of [0, 1, 15, 16, 12345]) {
      const bucket = bucketOf(buildId);
      expect(one(claimSpec, { buildId, queue: 'q', cluster: 'c', message: '{}', reason: '', arrival: 1 })).toBe(1);
      expect(one(cancelPendingSpec, { buildId, keepMs: 1 })).toBe(1);
      expect(one(assignSpec, { buildId, queue: 'q', cluster: 'c' })).toBe(1);
      for (const from of ['claims', 'assigning'] as const) {
        expect(one(rependSpec, { buildId, queue: 'q', message: '{}', reason: '', from, arrival: 1 })).toBe(1);
        expect(one(settleSpec, { bucket, from, buildIds: [buildId] })).toBe(1);
      }
    }
  });

  it('forgets settled builds of many buckets, one pipeline per bucket', async () => {
    const r = queueReplica(redis, prefix, new Clusters([cluster('forget')]));
    const ids = Array.from({ length: 40 }, (_, i) => 600 + i);
    for (const id of ids) await r.scheduler.schedule(startMessage(id));
    r.directory.forgetLater(ids);
    await expect
      .poll(async () => Promise.all(ids.map((id) => redis.pttl(DIRECTORY.entry(id)))))
      .toSatisfy((ttls: number[]) => ttls.every((t) => t > 0));
  });
});

describe('upgrade from the one-tag layout', () => {
  it('moves entries (with their TTL), pending builds (in arrival order) and assignments; a retried POST is not queued again', async () => {
    const queued = { id: 700, ttl: 500_000 };
    // As the previous version left them: a queued build (entry only), two pending ones, one mid-assignment.
    await redis.hset(LEGACY_DIRECTORY.entry(queued.id), 'q', 'old-q', 'c', 'old-q', 'at', 1);
    await redis.pexpire(LEGACY_DIRECTORY.entry(queued.id), queued.ttl);
    await redis.hset('q:{old-q}:b:700', 'sst', 'acked', 'sid', '1-0', 'eq', 1);
    for (const [id, n] of [
      [703, 5],
      [702, 9],
    ] as const) {
      await redis.hset(LEGACY_DIRECTORY.entry(id), 'q', '', 'c', '', 'st', 'pending', 'r', 'no cluster', 'at', 1, 'n', n);
      await redis.zadd(LEGACY_DIRECTORY.pending, n, id);
      await redis.hset(
        LEGACY_DIRECTORY.messages,
        id,
        JSON.stringify(startMessage(id, { pipeline: { name: 'o/r', scmContext: 'up:ctx' } })),
      );
    }
    await redis.hset(LEGACY_DIRECTORY.entry(704), 'q', 'old-q', 'c', 'old-q', 'at', 1);
    await redis.zadd(LEGACY_DIRECTORY.assigning, 1, 704);
    await redis.hset(LEGACY_DIRECTORY.messages, 704, JSON.stringify(startMessage(704)));
    await redis.zadd(LEGACY_DIRECTORY.assigningMarker, Date.now() + 60_000, 'old-q');
    await redis.del(DIRECTORY.layout);

    expect(await upgradeDirectory(redis)).toEqual({ moved: 4 });
    expect(await upgradeDirectory(redis)).toEqual({ moved: 0 });
    const pttl = await redis.pttl(DIRECTORY.entry(queued.id));
    expect(pttl).toBeGreaterThan(queued.ttl - 60_000);
    expect(pttl).toBeLessThanOrEqual(queued.ttl);
    for (const key of [
      LEGACY_DIRECTORY.pending,
      LEGACY_DIRECTORY.messages,
      LEGACY_DIRECTORY.assigning,
      LEGACY_DIRECTORY.assigningMarker,
    ]) {
      expect(await redis.exists(key), key).toBe(0);
    }
    expect(await redis.keys(`${prefix}${LEGACY_DIRECTORY.entryPattern}`)).toEqual([]);

    const clusters = new Clusters([cluster('old-q')]);
    const r = queueReplica(redis, prefix, clusters);
    expect(await r.scheduler.schedule(startMessage(queued.id))).toMatchObject({ created: false, result: { state: 'acked' } });
    expect((await r.directory.pendingBatch(0, 10)).map((p) => [p.buildId, p.seq])).toEqual([
      [703, 5],
      [702, 9],
    ]);
    expect((await r.directory.stalledAssignments(0)).map((s) => s.buildId)).toEqual([704]);
    clusters.all.push({ ...cluster('up'), scmContext: 'up:ctx' });
    r.drainer.request();
    await expect.poll(async () => (await r.store.stats('up')).depth).toBe(2);
    await expect.poll(async () => (await r.store.stats('old-q')).depth).toBe(1);
    await r.drainer.idle();
    r.drainer.stop();
    expect((await r.store.poll('up', 'w', 10)).jobs.map((j) => j.buildId)).toEqual([703, 702]);
  });
});
