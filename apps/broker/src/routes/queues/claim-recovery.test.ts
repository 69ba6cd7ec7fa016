import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, testRedis, type TestBroker } from '../../../test/support/broker.js';
import { BuildDirectory } from '../../queue/scheduling/directory.js';
import { registerCluster, startMessage, waitFor, workerOf } from '@buildcluster/testkit/queue';

/**
 * A broker that died between the two steps of a start (claim, then append) left a claim: the
 * running broker's sweeper appends it after the grace, once, and the worker gets it once.
 */
describe('claims left by a dead broker', () => {
  let broker: TestBroker;
  let redis: Redis;

  beforeAll(async () => {
    // LEASE_MS 2000: a sweep every 500 ms.
    broker = await startTestBroker({ env: { LEASE_MS: '2000' } });
    redis = testRedis({ keyPrefix: broker.redisKeyPrefix });
  });
  afterAll(async () => {
    redis.disconnect();
    await broker.close();
  });

  it('are appended by the sweeper exactly once', async () => {
    const cluster = await registerCluster(broker.app, broker.adminToken, 'recover', { weightage: 0 });
    const queueKey = (await broker.app.clusters.get('recover'))!.queueKey;
    const message = startMessage(9100, { buildClusterName: 'recover' });
    const dead = new BuildDirectory(redis, 60_000);
    expect((await dead.claim(9100, { queue: queueKey, cluster: 'recover' }, JSON.stringify(message), '')).created).toBe(true);
    const status = async () =>
      (
        await broker.app.inject({
          method: 'GET',
          url: '/v4/builds/9100',
          headers: { authorization: `Bearer ${broker.adminToken}` },
        })
      ).json<{ state: string; pendingReason?: string }>();
    expect(await status()).toMatchObject({ state: 'pending', pendingReason: 'being appended to the queue of cluster recover' });
    await waitFor('the sweeper to append it', async () => (await status()).state === 'queued', 10_000);
    const worker = workerOf(broker.app, cluster);
    const first = await worker.poll({ max: 10 });
    expect(first.jobs.map((j) => j.buildId)).toEqual([9100]);
    await worker.ack([first.jobs[0]!.leaseId]);
    // Later sweeps find nothing left to do.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await worker.poll({ max: 10 })).status).toBe(204);
  }, 30_000);
});
