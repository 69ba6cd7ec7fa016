import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { testRedis } from '@buildcluster/testkit/redis';
import { startMessage, waitFor } from '@buildcluster/testkit/queue';
import { cluster, Clusters, queueReplica } from '../../../test/support/queue-replica.js';
import { bucketOf } from '../storage/keys.js';
import { prefixedRedis } from '../../../test/support/prefixed-redis.js';

/**
 * Crash safety and concurrency of scheduling, on the real Redis: a broker dying between claiming
 * and appending, or between assigning and settling; replicas draining pending builds at once.
 * The cluster directory is a plain in-memory one (the registry is not under test here).
 */
let redis: Redis;
const prefix = prefixedRedis(
  't-pending',
  (client) => (redis = client),
  (keyPrefix) => testRedis({ keyPrefix }),
);

function replica(clusters: Clusters, stalledMs = 10_000, lockMs?: number) {
  return queueReplica(redis, prefix, clusters, { stalledMs, ...(lockMs ? { lockMs } : {}) });
}

describe('crash safety', () => {
  it('a retried POST completes an append a dead broker claimed but never made', async () => {
    const clusters = new Clusters([cluster('crash-a')]);
    const { directory, scheduler, store } = replica(clusters);
    // the broker that claimed build 1 died before appending it
    expect((await directory.claim(1, { queue: 'crash-a', cluster: 'crash-a' }, '', '')).created).toBe(true);
    expect(await scheduler.status(1)).toMatchObject({ state: 'pending', cluster: 'crash-a' });
    // Screwdriver got no 2xx and retries
    const retry = await scheduler.schedule(startMessage(1));
    expect(retry).toEqual({ created: false, result: { buildId: 1, state: 'queued', cluster: 'crash-a', queue: 'crash-a' } });
    const again = await scheduler.schedule(startMessage(1));
    expect(again.result.state).toBe('queued');
    const { jobs } = await store.poll('crash-a', 'w', 10);
    expect(jobs.map((j) => j.buildId)).toEqual([1]);
    expect(JSON.parse(jobs[0]!.message)).toMatchObject({ buildId: 1, jobName: 'main' });
  });

  it('a stop between a claim and its append wins: the late append is refused', async () => {
    const clusters = new Clusters([cluster('crash-b')]);
    const { directory, scheduler, store } = replica(clusters);
    await directory.claim(2, { queue: 'crash-b', cluster: 'crash-b' }, '', '');
    expect(await scheduler.stop({ buildId: 2 })).toEqual({ buildId: 2, state: 'cancelled' });
    expect((await scheduler.schedule(startMessage(2))).result.state).toBe('cancelled');
    expect((await store.poll('crash-b', 'w', 10)).jobs).toEqual([]);
  });

  it('a drainer finishes an assignment a dead broker left between assign and settle', async () => {
    const clusters = new Clusters();
    const dying = replica(clusters);
    const msg = startMessage(3, { pipeline: { name: 'x/y', scmContext: 'crash:ctx' } });
    expect((await dying.scheduler.schedule(msg)).result.state).toBe('pending');
    // it won the assignment, then died before appending
    expect(await dying.directory.assign(3, 'crash-c', 'crash-c')).toContain('"buildId":3');
    const survivor = replica(clusters, 0);
    survivor.drainer.request();
    await waitFor('the assignment to be completed', async () => (await survivor.store.stats('crash-c')).depth === 1);
    await survivor.drainer.idle();
    const { jobs } = await survivor.store.poll('crash-c', 'w', 10);
    expect(jobs.map((j) => j.buildId)).toEqual([3]);
    expect(await redis.zcard(bucketOf(3).assigning)).toBe(0);
  });
});

describe('draining pending builds', () => {
  it('two replicas draining at once queue each build once, in arrival order', async () => {
    const clusters = new Clusters();
    const a = replica(clusters);
    const b = replica(clusters);
    const scm = { name: 'org/repo', scmContext: 'drain:ctx' };
    const ids = Array.from({ length: 300 }, (_, i) => 1000 + i);
    for (const id of ids) {
      const r = await (id % 2 ? a : b).scheduler.schedule(startMessage(id, { pipeline: scm }));
      expect(r.result.state).toBe('pending');
    }
    clusters.all.push({ ...cluster('drained'), scmContext: 'drain:ctx' });
    a.drainer.request();
    b.drainer.request();
    a.drainer.request();
    await waitFor('every pending build to be queued', async () => (await a.store.stats('drained')).depth === ids.length);
    await Promise.all([a.drainer.idle(), b.drainer.idle()]);
    const delivered: number[] = [];
    for (;;) {
      const { jobs } = await a.store.poll('drained', 'w', 100);
      if (jobs.length === 0) break;
      delivered.push(...jobs.map((j) => j.buildId));
    }
    expect(delivered).toEqual(ids);
    const queuedEvents = [...a.bus.events, ...b.bus.events].filter((e) => e.state === 'queued');
    expect(queuedEvents).toHaveLength(ids.length);
    a.drainer.stop();
    b.drainer.stop();
  }, 60_000);

  it('keeps its lock through a drain longer than the lock, so no second drainer breaks the order', async () => {
    const clusters = new Clusters();
    // 600 ms, renewed every 200 ms: a third of the drain (~2 s), and twice a busy machine's event-loop stall.
    const lockMs = 600;
    const a = replica(clusters, 10_000, lockMs);
    const b = replica(clusters, 10_000, lockMs);
    const scm = { name: 'org/repo', scmContext: 'long:ctx' };
    const ids = Array.from({ length: 4500 }, (_, i) => 20_000 + i);
    for (let i = 0; i < ids.length; i += 100) {
      await Promise.all(ids.slice(i, i + 100).map((id) => a.scheduler.schedule(startMessage(id, { pipeline: scm }))));
    }
    const arrival = (await a.directory.pendingBatch(0, 5000)).map((p) => p.buildId);
    clusters.all.push({ ...cluster('long-drain'), scmContext: 'long:ctx' });
    let lapsed = 0;
    a.drainer.request();
    await waitFor('the drain to take its lock', async () => (await redis.exists('dir:{d}:drain')) === 1);
    const began = Date.now();
    // From here until every build is queued, one drain holds the lock; B keeps asking meanwhile.
    while ((await a.store.stats('long-drain')).depth < ids.length) {
      const held = (await redis.exists('dir:{d}:drain')) === 1;
      if (!held && (await a.store.stats('long-drain')).depth < ids.length) lapsed++;
      b.drainer.request();
      await new Promise((r) => setTimeout(r, 20));
    }
    const drainMs = Date.now() - began;
    await Promise.all([a.drainer.idle(), b.drainer.idle()]);
    const delivered: number[] = [];
    for (;;) {
      const { jobs } = await a.store.poll('long-drain', 'w', 100);
      if (jobs.length === 0) break;
      delivered.push(...jobs.map((j) => j.buildId));
    }
    expect(drainMs, 'the drain outlasts its lock (else the test proves nothing)').toBeGreaterThan(lockMs);
    expect(lapsed, 'times the lock was found lapsed while builds were still pending').toBe(0);
    expect(delivered).toEqual(arrival);
    a.drainer.stop();
    b.drainer.stop();
  }, 90_000);

  it('a build posted while pending builds are being assigned queues behind them', async () => {
    const clusters = new Clusters();
    const a = replica(clusters);
    const scm = { name: 'org/repo', scmContext: 'behind:ctx' };
    const ids = Array.from({ length: 600 }, (_, i) => 30_000 + i);
    for (let i = 0; i < ids.length; i += 100) {
      await Promise.all(ids.slice(i, i + 100).map((id) => a.scheduler.schedule(startMessage(id, { pipeline: scm }))));
    }
    const arrival = (await a.directory.pendingBatch(0, 5000)).map((p) => p.buildId);
    clusters.all.push({ ...cluster('behind'), scmContext: 'behind:ctx' });
    a.drainer.request();
    await waitFor('the drain to start', async () => (await a.store.stats('behind')).depth > 0);
    const late = Array.from({ length: 20 }, (_, i) => 31_000 + i);
    for (const id of late) await a.scheduler.schedule(startMessage(id, { pipeline: scm }));
    await waitFor(
      'every build to be queued',
      async () => (await a.store.stats('behind')).depth === ids.length + late.length,
      60_000,
    );
    await a.drainer.idle();
    const delivered: number[] = [];
    for (;;) {
      const { jobs } = await a.store.poll('behind', 'w', 100);
      if (jobs.length === 0) break;
      delivered.push(...jobs.map((j) => j.buildId));
    }
    expect(delivered).toEqual([...arrival, ...late]);
    a.drainer.stop();
  }, 90_000);
});
