import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { postBuild, registerCluster, startMessage, waitFor, workerOf, type TestCluster } from '@buildcluster/testkit/queue';
import type { LocalRedisCluster } from '@buildcluster/testkit/redis-cluster';
import { isCluster } from '../../src/redis/client.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { startLocalCluster } from './local-cluster.js';

/**
 * The broker on a Redis Cluster of its own (this file kills a master, so not the shared one of the
 * other suites): builds flow, long polls wake across replicas, and a failover during posts answers
 * 503 for what may not be kept, never a 201 for a build that is then lost.
 */
/** The slot of a hash tag, asked of the cluster itself. */
async function slotOf(node: string, tag: string): Promise<number> {
  const [host, port] = node.split(':');
  const probe = new Redis({ host, port: Number(port) });
  try {
    return Number(await probe.call('CLUSTER', 'KEYSLOT', `{${tag}}`));
  } finally {
    probe.disconnect();
  }
}

describe('the broker on a Redis Cluster', () => {
  let redis: LocalRedisCluster;
  let broker: TestBroker;
  let alpha: TestCluster;
  let nextId = 0;

  beforeAll(async () => {
    redis = await startLocalCluster([5, 6, 7, 8, 9]);
    broker = await startTestBroker({ env: { REDIS_CLUSTER_NODES: redis.nodes.join(','), REDIS_WAIT_REPLICAS: '1' } });
    alpha = await registerCluster(broker.app, broker.adminToken, 'alpha');
  }, 90_000);
  afterAll(async () => {
    await broker?.close();
    await redis?.stop();
  });

  const post = (app = broker.app) => postBuild(app, broker.sdapiToken, startMessage(++nextId));

  it('runs on the cluster: a build posted, polled and acked', async () => {
    expect(broker.app.config.redisClusterNodes).toEqual(redis.nodes);
    expect(isCluster(broker.app.redis)).toBe(true);
    const posted = await post();
    expect(posted.statusCode).toBe(201);
    const worker = workerOf(broker.app, alpha);
    const { jobs } = await worker.poll();
    expect(jobs.map((j) => j.buildId)).toEqual([nextId]);
    expect((await worker.ack(jobs.map((j) => j.leaseId))).acked).toHaveLength(1);
  });

  it('wakes a long poll waiting on another broker', async () => {
    const replica = await broker.replica();
    const waiting = workerOf(replica.app, alpha).poll({ waitMs: 10_000 });
    await waitFor('the poll to wait', () => replica.app.queue.waitingPolls() === 1);
    const started = performance.now();
    expect((await post()).statusCode).toBe(201);
    const { jobs } = await waiting;
    expect(jobs.map((j) => j.buildId)).toEqual([nextId]);
    expect(performance.now() - started).toBeLessThan(1000);
    await workerOf(broker.app, alpha).ack(jobs.map((j) => j.leaseId));
    await replica.close();
  });

  it('answers 503, never a 201 it then loses, while the master of the queue fails over; recovers after', async () => {
    const queueKey = (await broker.app.clusters.get('alpha'))?.queueKey;
    expect(queueKey).toBeTruthy();
    const target = await redis.masterOf(await slotOf(redis.nodes[0]!, queueKey!));
    const answered = new Map<number, number>();
    let posting = true;
    const lane = async () => {
      while (posting) {
        const id = ++nextId;
        const res = await postBuild(broker.app, broker.sdapiToken, startMessage(id));
        answered.set(id, res.statusCode);
      }
    };
    const lanes = Promise.all([lane(), lane(), lane()]);
    await waitFor('posts to flow', () => answered.size >= 20);
    const { killed } = await redis.killMaster(target);
    // The promoted master has no replica until the killed node is back (min-replicas-to-write 1).
    await waitFor('a refused post', () => [...answered.values()].includes(503), 20_000);
    await redis.restart(killed);
    const before = answered.size;
    await waitFor(
      'posts to succeed again',
      () => [...answered.entries()].some(([id, s]) => s === 201 && id > before + 5),
      30_000,
    );
    posting = false;
    await lanes;

    const statuses = new Set(answered.values());
    expect(
      [...statuses].every((s) => s === 201 || s === 503),
      [...statuses].join(','),
    ).toBe(true);
    const accepted = [...answered].filter(([, s]) => s === 201).map(([id]) => id);
    const delivered: number[] = [];
    const worker = workerOf(broker.app, alpha);
    for (;;) {
      const { jobs } = await worker.poll({ max: 100 });
      if (jobs.length === 0) break;
      delivered.push(...jobs.map((j) => j.buildId));
      await worker.ack(jobs.map((j) => j.leaseId));
    }
    const got = new Set(delivered);
    expect(accepted.filter((id) => !got.has(id))).toEqual([]);
    expect(delivered.length).toBe(got.size);
  }, 120_000);
});
