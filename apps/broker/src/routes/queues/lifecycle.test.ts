import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanKeys, startTestBroker, testRedis, type TestBroker } from '../../../test/support/broker.js';
import { DIRECTORY } from '../../queue/storage/keys.js';
import { postBuild, registerCluster, startMessage, stopBuild, workerOf, type TestCluster } from '@buildcluster/testkit/queue';

/** A build's life end to end: what a replayed poll may hand out, and when a settled build is forgotten. */
describe('build lifecycle', () => {
  let broker: TestBroker;
  let redis: Redis;
  let cluster: TestCluster;
  let nextId = 7000;
  const id = () => ++nextId;

  beforeAll(async () => {
    broker = await startTestBroker();
    redis = testRedis({ keyPrefix: broker.redisKeyPrefix });
    cluster = await registerCluster(broker.app, broker.adminToken, 'life', { weightage: 0 });
  });
  afterAll(async () => {
    redis.disconnect();
    await broker.close();
  });

  const post = async (buildId: number) => {
    const res = await postBuild(broker.app, broker.sdapiToken, startMessage(buildId, { buildClusterName: 'life' }));
    expect(res.statusCode, res.body).toBe(201);
  };

  /** Milliseconds left before the build's directory entry and build hash expire (-1: never). */
  async function ttls(buildId: number): Promise<{ directory: number; build: number }> {
    const [found] = await scan(`${broker.redisKeyPrefix}q:*:b:${buildId}`);
    expect(found, `build hash of ${buildId}`).toBeDefined();
    const direct = testRedis();
    try {
      return {
        directory: await redis.pttl(DIRECTORY.entry(buildId)),
        build: await direct.pttl(found!),
      };
    } finally {
      direct.disconnect();
    }
  }

  const scan = (pattern: string): Promise<string[]> => scanKeys(pattern);

  it('a replayed poll hands out only leases that are still current', async () => {
    const worker = workerOf(broker.app, cluster);
    const a = id();
    const b = id();
    await post(a);
    await post(b);
    const first = await worker.poll({ max: 2, pollId: 'replay-1' });
    expect(first.jobs.map((j) => j.buildId)).toEqual([a, b]);
    expect((await worker.ack([first.jobs[0]!.leaseId])).acked).toHaveLength(1);
    // The reply was lost, the worker retries: the acked build is not handed out again.
    const again = await worker.poll({ max: 2, pollId: 'replay-1' });
    expect(again.jobs.map((j) => j.buildId)).toEqual([b]);
    expect(again.jobs[0]!.leaseId).toBe(first.jobs[1]!.leaseId);
    await worker.ack([first.jobs[1]!.leaseId]);
    expect((await worker.poll({ max: 2, pollId: 'replay-1' })).status).toBe(204);
  });

  it('a build stopped while leased, then nacked, is forgotten after the retention', async () => {
    const worker = workerOf(broker.app, cluster);
    for (const stopAckedFirst of [false, true]) {
      const buildId = id();
      await post(buildId);
      const [start] = (await worker.poll()).jobs;
      expect(start?.buildId).toBe(buildId);
      expect((await stopBuild(broker.app, broker.sdapiToken, buildId)).statusCode).toBe(200);
      if (stopAckedFirst) {
        const [stop] = (await worker.poll()).jobs;
        expect(stop?.type).toBe('stop');
        await worker.ack([stop!.leaseId]);
        expect((await worker.nack([start!.leaseId])).nacked).toHaveLength(1);
      } else {
        expect((await worker.nack([start!.leaseId])).nacked).toHaveLength(1);
        const [stop] = (await worker.poll()).jobs;
        expect(stop?.type).toBe('stop');
        await worker.ack([stop!.leaseId]);
      }
      // The directory's expiry is bookkeeping, sent within BOOKKEEPING_DELAY_MS of the nack.
      await expect.poll(async () => (await ttls(buildId)).directory, { message: 'directory entry expires' }).toBeGreaterThan(0);
      const left = await ttls(buildId);
      expect(left.build, 'build hash expires').toBeGreaterThan(0);
      expect(left.directory).toBeLessThanOrEqual(broker.config.buildRetentionSeconds * 1000);
    }
  });
});
