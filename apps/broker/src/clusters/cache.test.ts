import { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import {
  API_PUBLIC_KEY,
  testRedis,
  testRedisEnv,
  createTestDatabase,
  flushPrefix,
  mintApiToken,
  startTestBroker,
  type TestBroker,
} from '../../test/support/broker.js';
import { startSilentServer, type SilentServer } from '../../test/support/silent-server.js';
import { CacheKeys, ClusterCache } from './cache.js';
import { loadAllRecords, toCacheEntry } from './records.js';
import { registration } from '@buildcluster/testkit/clusters';
import { startMessage } from '@buildcluster/testkit/queue';

const WITHIN_1S = { timeout: 1000, interval: 20 };

describe('cluster cache and replicas', () => {
  let broker: TestBroker;
  let redis: Redis;
  beforeAll(async () => {
    broker = await startTestBroker();
    redis = testRedis({ keyPrefix: broker.redisKeyPrefix });
  });
  afterAll(async () => {
    redis.disconnect();
    await broker.close();
  });

  const call = (app: FastifyInstance, method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, payload, headers: { authorization: `Bearer ${broker.adminToken}` } });

  it('writes one Redis hash per cluster on create, update, deactivate, and removes it on delete', async () => {
    const { body } = registration('cached');
    expect((await call(broker.app, 'PUT', '/v4/buildClusters', body)).statusCode).toBe(201);
    const created = await redis.hgetall(CacheKeys.cluster('cached'));
    expect(created).toMatchObject({ name: 'cached', queue: 'cached', managedBy: 'screwdriver', isActive: 'true' });
    expect(JSON.parse(created.signOption!)).toEqual(body.signOption);
    expect(created.authKeyName).toMatch(/\.pem$/);
    expect(JSON.parse(created.keys!)[0].pem).toContain('BEGIN PUBLIC KEY');
    expect(await redis.sismember(CacheKeys.names, 'cached')).toBe(1);

    expect((await call(broker.app, 'PUT', '/v4/buildClusters/cached', { queue: 'cached-q', weightage: 7 })).statusCode).toBe(200);
    expect(await redis.hmget(CacheKeys.cluster('cached'), 'queue', 'weightage')).toEqual(['cached-q', '7']);

    // Inactive clusters stay cached, flagged, so that their workers can still drain the queue.
    expect((await call(broker.app, 'PUT', '/v4/buildClusters/cached', { isActive: false })).statusCode).toBe(200);
    expect(await redis.hget(CacheKeys.cluster('cached'), 'isActive')).toBe('false');
    expect((await broker.app.clusters.listActive()).map((c) => c.name)).not.toContain('cached');
    expect((await broker.app.clusters.get('cached'))?.isActive).toBe(false);

    expect((await call(broker.app, 'DELETE', '/v4/buildClusters/cached')).statusCode).toBe(204);
    expect(await redis.exists(CacheKeys.cluster('cached'))).toBe(0);
    expect(await redis.sismember(CacheKeys.names, 'cached')).toBe(0);
    expect(await broker.app.clusters.get('cached')).toBeNull();
  });

  it('never takes a cluster registered during a reconcile for a deleted one', async () => {
    // Reconciles back to back while clusters are registered: one registered between a reconcile's
    // two reads must stay registered, cached and open for builds (its queue not sealed).
    const names = Array.from({ length: 30 }, (_, i) => `burst-${i}`);
    let registering = true;
    const reconciles = (async () => {
      while (registering) await broker.app.clusterCacheSync.reconcile();
    })();
    for (const name of names)
      expect((await call(broker.app, 'PUT', '/v4/buildClusters', registration(name).body)).statusCode).toBe(201);
    registering = false;
    await reconciles;
    for (const [i, name] of names.entries()) {
      expect(await redis.exists(CacheKeys.cluster(name)), name).toBe(1);
      const res = await broker.app.inject({
        method: 'POST',
        url: '/v1/queue/message',
        headers: { authorization: `Bearer ${broker.sdapiToken}` },
        payload: startMessage(70_000 + i, { buildClusterName: name }),
      });
      expect(res.statusCode, `${name}: ${res.body}`).toBe(201);
    }
  });

  it('finishes a rebuild that registry writes keep interrupting, and gives up cleanly when they never stop', async () => {
    expect((await call(broker.app, 'PUT', '/v4/buildClusters', registration('racer').body)).statusCode).toBe(201);
    const cache = new ClusterCache(broker.app.redis);
    const records = async () => (await loadAllRecords(broker.app.orm.em.fork())).map(toCacheEntry);
    // A write of the racer between the swap's WATCH and its EXEC, in every try: the swap never lands.
    let loads = 0;
    const racing = async () => {
      loads++;
      const entries = await records();
      await cache.put(entries.find((e) => e.cluster.name === 'racer')!);
      return entries;
    };
    await expect(cache.replaceAll(racing)).rejects.toThrow(/kept racing with registry writes \(20 tries\)/);
    expect(loads).toBe(ClusterCache.REPLACE_ATTEMPTS);
    expect(await redis.hget(CacheKeys.cluster('racer'), 'name')).toBe('racer');

    // Eight interrupted tries in a row, more than the five a rebuild used to allow: the ninth lands.
    loads = 0;
    const generation = await cache.replaceAll(async () => (++loads <= 8 ? racing() : records()));
    expect(loads).toBe(9);
    expect(generation).toBe(Number(await redis.get(CacheKeys.generation)));
    expect(await redis.hget(CacheKeys.cluster('racer'), 'name')).toBe('racer');
    expect(await redis.sismember(CacheKeys.names, 'racer')).toBe(1);
  });

  it('lets a second replica see every change within 1 s', async () => {
    const replica = await broker.replica();
    const { body } = registration('shared');
    expect((await call(broker.app, 'PUT', '/v4/buildClusters', body)).statusCode).toBe(201);
    await expect.poll(() => replica.app.clusters.list().some((c) => c.name === 'shared'), WITHIN_1S).toBe(true);

    expect((await call(replica.app, 'PUT', '/v4/buildClusters/shared', { isActive: false })).statusCode).toBe(200);
    await expect
      .poll(async () => (await broker.app.clusters.listActive()).some((c) => c.name === 'shared'), WITHIN_1S)
      .toBe(false);

    expect((await call(broker.app, 'PUT', '/v4/buildClusters/shared', { isActive: true, weightage: 3 })).statusCode).toBe(200);
    await expect.poll(async () => (await replica.app.clusters.get('shared'))?.weightage, WITHIN_1S).toBe(3);

    expect((await call(replica.app, 'DELETE', '/v4/buildClusters/shared')).statusCode).toBe(204);
    await expect.poll(() => broker.app.clusters.list().some((c) => c.name === 'shared'), WITHIN_1S).toBe(false);
    await replica.close();
  });

  it('rebuilds the cache from PostgreSQL after Redis lost it', async () => {
    expect((await call(broker.app, 'PUT', '/v4/buildClusters', registration('survivor').body)).statusCode).toBe(201);
    await flushPrefix(broker.redisKeyPrefix);
    expect(await redis.exists(CacheKeys.cluster('survivor'))).toBe(0);
    // Meanwhile this replica keeps serving from its in-process copy.
    expect((await broker.app.clusters.get('survivor'))?.name).toBe('survivor');
    await expect
      .poll(() => redis.hget(CacheKeys.cluster('survivor'), 'name'), { timeout: 10_000, interval: 100 })
      .toBe('survivor');
    expect(await redis.exists(CacheKeys.built)).toBe(1);
  });

  it('rebuilds on demand (POST /v4/buildClusters/cache/rebuild), admin only', async () => {
    await redis.del(CacheKeys.cluster('survivor'));
    const res = await call(broker.app, 'POST', '/v4/buildClusters/cache/rebuild');
    expect(res.statusCode).toBe(200);
    expect(res.json().clusters).toBeGreaterThanOrEqual(1);
    expect(await redis.hget(CacheKeys.cluster('survivor'), 'name')).toBe('survivor');
    const denied = await broker.app.inject({
      method: 'POST',
      url: '/v4/buildClusters/cache/rebuild',
      headers: { authorization: `Bearer ${broker.sdapiToken}` },
    });
    expect(denied.statusCode).toBe(403);
  });

  it('fills a new replica from the cache at startup', async () => {
    const replica = await broker.replica();
    expect(replica.app.clusters.list().map((c) => c.name)).toContain('survivor');
    await replica.close();
  });
});

describe('audit log', () => {
  let app: FastifyInstance;
  let drop: () => Promise<void>;
  const prefix = `t-${randomUUID().slice(0, 8)}:`;
  const lines: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    const config = loadConfig({
      DATABASE_URL: db.url,
      ...testRedisEnv(),
      REDIS_KEY_PREFIX: prefix,
      API_JWT_PUBLIC_KEY: API_PUBLIC_KEY,
      LOG_LEVEL: 'info',
    });
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    app = await buildApp(config, { logger: { level: 'info', stream } });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await drop?.();
    await flushPrefix(prefix);
  });

  it('logs every write with the caller username, never a token', async () => {
    const token = mintApiToken({ scope: ['admin'], username: 'alice' });
    const headers = { authorization: `Bearer ${token}` };
    const { body } = registration('audited');
    expect((await app.inject({ method: 'PUT', url: '/v4/buildClusters', headers, payload: body })).statusCode).toBe(201);
    expect(
      (await app.inject({ method: 'PUT', url: '/v4/buildClusters/audited', headers, payload: { weightage: 5 } })).statusCode,
    ).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: '/v4/buildClusters/audited', headers })).statusCode).toBe(204);
    const audit = lines.filter((l) => l.audit === true).map(({ action, cluster, username }) => ({ action, cluster, username }));
    expect(audit).toEqual([
      { action: 'created', cluster: 'audited', username: 'alice' },
      { action: 'updated', cluster: 'audited', username: 'alice' },
      { action: 'deleted', cluster: 'audited', username: 'alice' },
    ]);
    expect(JSON.stringify(lines)).not.toContain(token);
  });
});

describe('PostgreSQL down', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    // Nothing listens on port 1: every query fails to connect, as when PostgreSQL is down.
    broker = await startTestBroker({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none' });
  });
  afterAll(async () => {
    await broker.close();
  });

  it('still starts, answers registry calls 503 and readiness 503 naming PostgreSQL', async () => {
    const headers = { authorization: `Bearer ${broker.adminToken}` };
    const write = await broker.app.inject({ method: 'PUT', url: '/v4/buildClusters', headers, payload: registration('x').body });
    expect(write.statusCode).toBe(503);
    expect(write.json().code).toBe('UNAVAILABLE');
    const read = await broker.app.inject({ method: 'GET', url: '/v4/buildClusters', headers });
    expect(read.statusCode).toBe(503);
    const ready = await broker.app.inject({ method: 'GET', url: '/v4/status/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({
      status: 'unavailable',
      postgres: 'down',
      redis: 'ok',
      message: 'PostgreSQL not reachable',
    });
    expect((await broker.app.inject({ method: 'GET', url: '/v4/status' })).statusCode).toBe(200);
  });
});

describe('PostgreSQL hanging (accepts connections, never answers)', () => {
  let broker: TestBroker;
  let silent: SilentServer;
  beforeAll(async () => {
    silent = await startSilentServer();
    broker = await startTestBroker({ databaseUrl: `postgres://postgres@127.0.0.1:${silent.port}/none` });
  }, 30_000);
  afterAll(async () => {
    await broker.close();
    await silent.close();
  });

  it('answers registry writes 503 within the connect timeout instead of hanging', async () => {
    const started = Date.now();
    const res = await broker.app.inject({
      method: 'PUT',
      url: '/v4/buildClusters',
      headers: { authorization: `Bearer ${broker.adminToken}` },
      payload: registration('x').body,
    });
    expect(res.statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);
});
