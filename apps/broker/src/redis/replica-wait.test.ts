import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOwnRedis, type OwnRedis } from '@buildcluster/testkit/redis-server';
import { postBuild, registerCluster, startMessage, workerOf } from '@buildcluster/testkit/queue';
import { ConfigError, loadConfig } from '../config.js';
import { Errors } from '../errors.js';
import { redisOptions, redisUnavailable } from '../plugins/external/redis.js';
import { API_PUBLIC_KEY, startTestBroker, type TestBroker } from '../../test/support/broker.js';
import { urlCredentials } from './connect.js';
import { WAIT_TIMEOUT_MS } from './replica-wait.js';

const base = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x', API_JWT_PUBLIC_KEY: API_PUBLIC_KEY };

describe('REDIS_CLUSTER_NODES and REDIS_WAIT_REPLICAS', () => {
  it('reads the seeds and the replica count, one Redis and no WAIT by default', () => {
    expect(loadConfig(base)).toMatchObject({ redisClusterNodes: [], redisWaitReplicas: 0 });
    const config = loadConfig({ ...base, REDIS_CLUSTER_NODES: 'r1.local:7000, 10.0.0.2:7001', REDIS_WAIT_REPLICAS: '1' });
    expect(config).toMatchObject({ redisClusterNodes: ['r1.local:7000', '10.0.0.2:7001'], redisWaitReplicas: 1 });
  });

  it.each([
    ['REDIS_CLUSTER_NODES', 'r1.local'],
    ['REDIS_CLUSTER_NODES', 'redis://r1:7000'],
    ['REDIS_WAIT_REPLICAS', '-1'],
    ['REDIS_WAIT_REPLICAS', 'all'],
  ])('refuses %s=%s naming it', (name, value) => {
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(name);
  });

  it("takes a cluster's credentials and TLS from REDIS_URL", () => {
    expect(urlCredentials('rediss://bob:s%40cret@ignored:6379')).toEqual({ username: 'bob', password: 's@cret', tls: {} });
    expect(urlCredentials('redis://:pw@h:1')).toEqual({ password: 'pw' });
    expect(urlCredentials('redis://127.0.0.1:6379')).toEqual({});
  });
});

/** A Redis whose writes need a replica it does not have (min-replicas-to-write 1), as a master cut off from its replica. */
describe('a Redis without the replicas asked for', () => {
  let own: OwnRedis;
  let broker: TestBroker;

  beforeAll(async () => {
    own = await startOwnRedis();
  });
  afterAll(async () => {
    await broker?.close();
    own?.stop();
  });

  it('refusing writes (NOREPLICAS) is Unavailable', async () => {
    const redis = new Redis(own.url, redisOptions('x:'));
    try {
      await redis.config('SET', 'min-replicas-to-write', '1');
      const err = await redis.set('k', 'v').catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/^NOREPLICAS/);
      expect(redisUnavailable(err, redis)).toBeInstanceOf(Errors.Unavailable);
    } finally {
      await redis.config('SET', 'min-replicas-to-write', '0');
      redis.disconnect();
    }
  });

  it('answers 503 to a post no replica confirmed (REDIS_WAIT_REPLICAS=1); its retry queues it once', async () => {
    broker = await startTestBroker({ env: { REDIS_URL: own.url } });
    const alpha = await registerCluster(broker.app, broker.adminToken, 'alpha');
    const waiting = await broker.replica({ REDIS_WAIT_REPLICAS: '1' });
    const started = Date.now();
    const first = await postBuild(waiting.app, broker.sdapiToken, startMessage(1));
    expect(first.statusCode).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(WAIT_TIMEOUT_MS - 50);
    // The retry, on a broker that does not wait, completes what the first post's steps wrote (or did not).
    const retry = await postBuild(broker.app, broker.sdapiToken, startMessage(1));
    expect([200, 201]).toContain(retry.statusCode);
    const worker = workerOf(broker.app, alpha);
    expect((await worker.poll({ max: 10 })).jobs.map((j) => j.buildId)).toEqual([1]);
    expect((await worker.poll({ max: 10 })).status).toBe(204);
  }, 30_000);
});
