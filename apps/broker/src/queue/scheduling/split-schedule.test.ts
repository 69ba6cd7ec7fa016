import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { StartMessage } from '@buildcluster/protocol';
import { startMessage, waitFor } from '@buildcluster/testkit/queue';
import { cluster, Clusters, queueReplica } from '../../../test/support/queue-replica.js';
import { allBuckets, bucketOf } from '../storage/keys.js';
import { BEHIND_PENDING } from '../storage/store.js';
import { prefixedRedis } from '../../../test/support/prefixed-redis.js';

/**
 * The schedule as two steps (a Redis Cluster's way: claim in the build's directory bucket, then
 * append in the queue's slot), on this machine's one Redis, next to the one-script path: a crash
 * between the steps is completed exactly once by a sweeper or a retried POST, duplicates queue
 * once, and a new post still queues behind pending builds being assigned to its queue.
 */
let redis: Redis;
const prefix = prefixedRedis('t-split', (client) => (redis = client));

/** A cluster of its own (its scmContext) and a message for it. */
function setup(name: string, splitSchedule: boolean) {
  const scmContext = `${name}:ctx`;
  const clusters = new Clusters([{ ...cluster(name), scmContext }]);
  const replica = queueReplica(redis, prefix, clusters, { splitSchedule, stalledMs: 0 });
  const message = (buildId: number): StartMessage => startMessage(buildId, { pipeline: { name: 'org/repo', scmContext } });
  return { ...replica, clusters, message, scmContext };
}

async function drainQueue(store: ReturnType<typeof setup>['store'], queue: string): Promise<number[]> {
  const delivered: number[] = [];
  for (;;) {
    const { jobs } = await store.poll(queue, 'w', 100);
    if (jobs.length === 0) return delivered;
    delivered.push(...jobs.map((j) => j.buildId));
  }
}

const claimsLeft = async () => (await Promise.all(allBuckets().map((b) => redis.zcard(b.claims)))).reduce((a, b) => a + b, 0);

describe.each([
  ['one script (one Redis)', false],
  ['claim then append (Redis Cluster)', true],
])('schedule, %s', (_label, split) => {
  const tag = split ? 'split' : 'one';

  it('queues a new build, and 50 concurrent duplicates of another once', async () => {
    const r = setup(`dup-${tag}`, split);
    const [first, second] = split ? [110, 111] : [100, 101];
    expect(await r.scheduler.schedule(r.message(first))).toEqual({
      created: true,
      result: { buildId: first, state: 'queued', cluster: `dup-${tag}`, queue: `dup-${tag}` },
    });
    const answers = await Promise.all(Array.from({ length: 50 }, () => r.scheduler.schedule(r.message(second))));
    expect(answers.filter((a) => a.created)).toHaveLength(1);
    expect(answers.every((a) => a.result.state === 'queued')).toBe(true);
    expect(await drainQueue(r.store, `dup-${tag}`)).toEqual([first, second]);
    expect(r.bus.events.filter((e) => e.state === 'queued').map((e) => e.buildId)).toEqual([first, second]);
    await waitFor('the claims journal to be cleared', async () => (await claimsLeft()) === 0);
  });

  it('a build posted while pending builds are being assigned queues behind them', async () => {
    const r = setup(`behind-${tag}`, split);
    const queue = `behind-${tag}`;
    r.clusters.all.length = 0;
    const ids = Array.from({ length: 300 }, (_, i) => (split ? 50_000 : 40_000) + i);
    for (let i = 0; i < ids.length; i += 100) {
      await Promise.all(ids.slice(i, i + 100).map((id) => r.scheduler.schedule(r.message(id))));
    }
    r.clusters.all.push({ ...cluster(queue), scmContext: r.scmContext });
    r.drainer.request();
    await waitFor('the drain to start', async () => (await r.store.stats(queue)).depth > 0);
    const late = Array.from({ length: 20 }, (_, i) => ids[0]! + 5000 + i);
    for (const id of late) await r.scheduler.schedule(r.message(id));
    await waitFor(
      'every build to be queued',
      async () => (await r.store.stats(queue)).depth === ids.length + late.length,
      60_000,
    );
    await r.drainer.idle();
    expect(await drainQueue(r.store, queue)).toEqual([...ids, ...late]);
    r.drainer.stop();
  }, 60_000);
});

describe('a broker dying between claim and append (split schedule)', () => {
  it('a sweep after the grace appends the claim exactly once; a fresh claim is left to its broker', async () => {
    const r = setup('crash-sweep', true);
    const target = { queue: 'crash-sweep', cluster: 'crash-sweep' };
    // The first step only: the broker died before appending.
    expect((await r.directory.claim(200, target, JSON.stringify(r.message(200)), '')).created).toBe(true);
    expect(await r.scheduler.finishClaims()).toBe(0);
    expect(await r.scheduler.status(200)).toMatchObject({ state: 'pending', cluster: 'crash-sweep' });
    expect(await r.scheduler.finishClaims(0)).toBe(1);
    expect(await r.scheduler.finishClaims(0)).toBe(0);
    expect(await redis.zcard(bucketOf(200).claims)).toBe(0);
    expect(await redis.hexists(bucketOf(200).messages, '200')).toBe(0);
    // Screwdriver's retry afterwards is answered, not queued again.
    expect(await r.scheduler.schedule(r.message(200))).toMatchObject({ created: false, result: { state: 'queued' } });
    const delivered = await drainQueue(r.store, 'crash-sweep');
    expect(delivered).toEqual([200]);
    expect(r.bus.events.filter((e) => e.state === 'queued')).toHaveLength(1);
  });

  it('retried POSTs and sweeps of several replicas at once queue the claimed build once', async () => {
    const r = setup('crash-race', true);
    const other = queueReplica(redis, prefix, r.clusters, { splitSchedule: true });
    await r.directory.claim(201, { queue: 'crash-race', cluster: 'crash-race' }, JSON.stringify(r.message(201)), '');
    await Promise.all([
      ...Array.from({ length: 20 }, () => r.scheduler.schedule(r.message(201))),
      ...Array.from({ length: 5 }, () => r.scheduler.finishClaims(0)),
      ...Array.from({ length: 5 }, () => other.scheduler.finishClaims(0)),
    ]);
    expect(await drainQueue(r.store, 'crash-race')).toEqual([201]);
    expect([...r.bus.events, ...other.bus.events].filter((e) => e.state === 'queued')).toHaveLength(1);
    await waitFor('the claims journal to be cleared', async () => (await redis.zcard(bucketOf(201).claims)) === 0);
  });

  it('a claim found behind a drain goes pending once, and the drain queues it once', async () => {
    const r = setup('crash-behind', true);
    const queue = 'crash-behind';
    await r.store.mark(queue, 60_000);
    await r.directory.claim(202, { queue, cluster: queue }, JSON.stringify(r.message(202)), '');
    await Promise.all([r.scheduler.finishClaims(0), r.scheduler.schedule(r.message(202)), r.scheduler.finishClaims(0)]);
    // Pending behind the drain (which the refusal asked for, and which may have queued it already).
    expect(r.bus.events.filter((e) => e.state === 'pending' && e.detail === BEHIND_PENDING)).toHaveLength(1);
    // The mark lapses (its drain ended): a late sweep or retry still does not append it a second time.
    await r.store.unmark(queue);
    await Promise.all([r.scheduler.schedule(r.message(202)), r.scheduler.finishClaims(0)]);
    r.drainer.request();
    await waitFor('the drain to queue it', async () => (await r.store.stats(queue)).depth === 1);
    await r.drainer.idle();
    expect(await drainQueue(r.store, queue)).toEqual([202]);
    expect(r.bus.events.filter((e) => e.state === 'queued')).toHaveLength(1);
    r.drainer.stop();
  });

  it('a claim whose cluster was deleted before the append goes pending, then to another cluster', async () => {
    const r = setup('crash-gone', true);
    expect(await r.store.retire('crash-gone', 'deleting:1:x')).toEqual({ kind: 'retired' });
    expect(await r.scheduler.schedule(r.message(203))).toMatchObject({ created: true, result: { state: 'pending' } });
    expect(await r.directory.lookup(203)).toMatchObject({ state: 'pending' });
    expect(await r.scheduler.finishClaims(0)).toBe(0);
    r.clusters.all.splice(0, 1, { ...cluster('crash-gone-2'), scmContext: r.scmContext });
    r.drainer.request();
    await waitFor('the drain to queue it', async () => (await r.store.stats('crash-gone-2')).depth === 1);
    await r.drainer.idle();
    expect(await drainQueue(r.store, 'crash-gone-2')).toEqual([203]);
    expect((await r.store.stats('crash-gone')).depth).toBe(0);
    r.drainer.stop();
  });
});
