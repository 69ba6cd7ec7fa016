import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMessage } from '@buildcluster/testkit/queue';
import { startRedisCluster, type LocalRedisCluster } from '@buildcluster/testkit/redis-cluster';
import { cluster, Clusters, queueReplica } from '../../../test/support/queue-replica.js';
import { allBuckets } from './keys.js';
import { upgradeDirectory } from '../scheduling/upgrade.js';

/**
 * The split schedule on a real Redis Cluster (3 masters + 3 replicas on loopback): every script
 * it runs is served from one slot (a cross-slot one would fail with CROSSSLOT), builds spread over
 * every master, and the one-script path is refused there, which is why the split exists.
 */
/** Ports of this test (21240-21289, bus ports +10000); a client's ephemeral port may hold one for a moment, so a few bases are tried. */
const BASE_PORTS = [21240, 21250, 21260, 21270, 21280];
const prefix = 't-cluster-layout:';
let local: LocalRedisCluster;
let redis: Cluster;

beforeAll(async () => {
  for (const basePort of BASE_PORTS) {
    try {
      local = await startRedisCluster({ basePort });
      break;
    } catch (err) {
      if (basePort === BASE_PORTS.at(-1)) throw err;
    }
  }
  redis = new Cluster(
    local.nodes.map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })),
    { keyPrefix: prefix, enableAutoPipelining: true },
  );
  await redis.ping();
}, 60_000);
afterAll(async () => {
  redis?.disconnect();
  await local?.stop();
});

describe('on a Redis Cluster', () => {
  it('schedules, dedups, drains pending builds in arrival order, stops and recovers a claim, each script in one slot', async () => {
    expect(await upgradeDirectory(redis)).toEqual({ moved: 0 });
    const scmContext = 'cl:ctx';
    const clusters = new Clusters();
    const r = queueReplica(redis, prefix, clusters, { splitSchedule: true });
    const message = (id: number) => startMessage(id, { pipeline: { name: 'o/r', scmContext } });
    // No eligible cluster yet: pending, in arrival order across the buckets.
    const pending = Array.from({ length: 40 }, (_, i) => 1000 + i);
    for (const id of pending) expect((await r.scheduler.schedule(message(id))).result.state).toBe('pending');
    expect(await r.scheduler.stop({ buildId: 1003 })).toEqual({ buildId: 1003, state: 'cancelled' });
    const listed = await r.scheduler.pending(100);
    expect(listed.total).toBe(39);
    clusters.all.push({ ...cluster('cl'), scmContext });
    r.drainer.request();
    await expect.poll(async () => (await r.store.stats('cl')).depth, { timeout: 10_000 }).toBe(39);
    await r.drainer.idle();
    // Posts now: two steps each; 50 duplicates at once queue one.
    const dup = await Promise.all(Array.from({ length: 50 }, () => r.scheduler.schedule(message(2000))));
    expect(dup.filter((d) => d.created)).toHaveLength(1);
    // A broker died after its claim: the sweep appends it.
    await r.directory.claim(2001, { queue: 'cl', cluster: 'cl' }, JSON.stringify(message(2001)), '');
    expect(await r.scheduler.finishClaims(0)).toBe(1);
    const delivered: number[] = [];
    for (;;) {
      const { jobs } = await r.store.poll('cl', 'w', 100);
      if (jobs.length === 0) break;
      delivered.push(...jobs.map((j) => j.buildId));
      await r.store.ack(
        'cl',
        jobs.map((j) => j.leaseId),
      );
    }
    expect(delivered).toEqual([...pending.filter((id) => id !== 1003), 2000, 2001]);
    r.directory.forgetLater(delivered);
    expect(await r.directory.pendingCount()).toBe(0);
    r.drainer.stop();
  }, 60_000);

  it('spreads the buckets over every master', async () => {
    const masters = new Set<string>();
    for (const b of allBuckets()) masters.add(await local.masterOf(slotOf(b.pending)));
    expect(masters.size).toBe(3);
  });

  it('refuses the one-script path, which spans two slots', async () => {
    // Forced: on a cluster the queue plugin (and queueReplica by default) takes the two-step path.
    const r = queueReplica(redis, prefix, new Clusters([cluster('one')]), { splitSchedule: false });
    await expect(r.scheduler.schedule(startMessage(3000))).rejects.toThrow(/CROSSSLOT|same slot/);
  });
});

/** The slot ioredis computes for a key with this test's prefix. */
function slotOf(key: string): number {
  const tagged = `${prefix}${key}`;
  const open = tagged.indexOf('{');
  const close = tagged.indexOf('}', open + 1);
  const tag = tagged.slice(open + 1, close);
  let crc = 0;
  for (const byte of Buffer.from(tag)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
