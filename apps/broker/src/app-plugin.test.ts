import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { brokerApp } from './app.js';
import { loadConfig } from './config.js';
import { API_PUBLIC_KEY, TEST_REDIS_URL, createTestDatabase, flushPrefix, mintApiToken } from '../test/support/broker.js';

/**
 * The exported app plugin on its own: a bare Fastify, no buildApp, no server options. Every plugin
 * it registers must find what it declares it depends on, in the order of the layers.
 */
describe('the exported broker plugin, alone on a bare Fastify', () => {
  let database: { url: string; drop: () => Promise<void> };
  let prefix: string;
  let app: FastifyInstance | null = null;
  const env = () => ({
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    API_JWT_PUBLIC_KEY: API_PUBLIC_KEY,
    LOG_LEVEL: 'silent',
    DB_POOL_MAX: '2',
    REDIS_AOF_CHECK: 'false',
  });

  beforeEach(async () => {
    database = await createTestDatabase();
    prefix = `t-${randomUUID().slice(0, 8)}:`;
  });
  afterEach(async () => {
    await app?.close();
    app = null;
    vi.unstubAllEnvs();
    await database.drop();
    await flushPrefix(prefix);
  });

  it('starts with a configuration given, reaches PostgreSQL and Redis, and serves an admin route', async () => {
    app = Fastify();
    await app.register(brokerApp, { config: loadConfig(env()) });
    await app.ready();
    const ready = await app.inject({ method: 'GET', url: '/v4/status/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', postgres: 'ok', redis: 'ok' });
    const list = await app.inject({
      method: 'GET',
      url: '/v4/buildClusters',
      headers: { authorization: `Bearer ${mintApiToken({ scope: ['admin'] })}` },
    });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual([]);
    expect(app.config.redisKeyPrefix).toBe(prefix);
  });

  it('reads the environment itself when given no configuration', async () => {
    for (const [name, value] of Object.entries(env())) vi.stubEnv(name, value);
    app = Fastify();
    await app.register(brokerApp);
    await app.ready();
    expect(app.config.databaseUrl).toBe(database.url);
    expect((await app.inject({ method: 'GET', url: '/v4/status/ready' })).statusCode).toBe(200);
    const unknown = await app.inject({ method: 'GET', url: '/v4/nothing-here' });
    expect(unknown.json()).toEqual({
      statusCode: 404,
      code: 'NOT_FOUND',
      error: 'Not Found',
      message: 'no route GET /v4/nothing-here',
    });
  });
});
