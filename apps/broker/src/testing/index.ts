import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { Redis } from 'ioredis';
import { buildApp } from '../app.js';
import { loadConfig, type BrokerConfig } from '../config.js';
import { migrate } from '../db/migrate.js';

/**
 * Test harness: a real broker against the real PostgreSQL and Redis of this machine, each test
 * context with its own database (cloned from a migrated template) and its own Redis key prefix.
 */
export const TEST_DATABASE_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const apiKeys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
export const API_PUBLIC_KEY = apiKeys.publicKey;
export const API_PRIVATE_KEY = apiKeys.privateKey;

export function mintApiToken(
  options: {
    scope?: string[];
    username?: string;
    expiresIn?: number;
    privateKey?: string;
    claims?: Record<string, unknown>;
  } = {},
): string {
  return jwt.sign(
    { scope: options.scope ?? ['admin'], username: options.username ?? 'test-admin', ...options.claims },
    options.privateKey ?? API_PRIVATE_KEY,
    { algorithm: 'RS256', expiresIn: options.expiresIn ?? 3600 },
  );
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function migrationsHash(): string {
  const dir = fileURLToPath(new URL('../migrations/', import.meta.url));
  const hash = createHash('sha256');
  if (existsSync(dir)) {
    for (const file of readdirSync(dir).sort()) hash.update(file).update(readFileSync(`${dir}/${file}`));
  }
  return hash.digest('hex').slice(0, 12);
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database; returns its URL and a drop function. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const template = `bcb_tpl_${migrationsHash()}`;
  await admin(async (client) => {
    // One process at a time builds the template; the others wait on the advisory lock.
    await client.query('SELECT pg_advisory_lock(424242)');
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (found.rowCount === 0) {
        const building = `${template}_build_${process.pid}`;
        await client.query(`DROP DATABASE IF EXISTS "${building}"`);
        await client.query(`CREATE DATABASE "${building}"`);
        await migrate(withDatabase(TEST_DATABASE_ADMIN_URL, building));
        await client.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(424242)');
    }
  });
  const name = `bcb_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  await admin((client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return {
    url: withDatabase(TEST_DATABASE_ADMIN_URL, name),
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** Deletes every key under a prefix (what a test context leaves behind). */
export async function flushPrefix(prefix: string, redisUrl = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export interface TestBroker {
  app: FastifyInstance;
  config: BrokerConfig;
  /** Base URL when started with listen: true. */
  url: string;
  databaseUrl: string;
  redisKeyPrefix: string;
  adminToken: string;
  sdapiToken: string;
  /** Another replica against the same PostgreSQL and Redis. */
  replica(env?: Record<string, string>): Promise<{ app: FastifyInstance; url: string; close: () => Promise<void> }>;
  close(): Promise<void>;
}

export interface TestBrokerOptions {
  env?: Record<string, string>;
  listen?: boolean;
  /** Reuse a database/prefix (e.g. to restart a broker on the same state). */
  databaseUrl?: string;
  redisKeyPrefix?: string;
}

export async function startTestBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  const database = options.databaseUrl ? { url: options.databaseUrl, drop: async () => {} } : await createTestDatabase();
  const redisKeyPrefix = options.redisKeyPrefix ?? `t-${randomUUID().slice(0, 8)}:`;
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redisKeyPrefix,
    API_JWT_PUBLIC_KEY: API_PUBLIC_KEY,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    DB_POOL_MAX: '4',
    // The test Redis keeps nothing on disk on purpose (scripts/test-services.sh); status.test.ts
    // and redis-durability.test.ts check the warning against Redis servers of their own.
    REDIS_AOF_CHECK: 'false',
    ...options.env,
  };
  const start = async (extra: Record<string, string> = {}) => {
    const config = loadConfig({ ...env, ...extra });
    const app = await buildApp(config);
    let url = '';
    if (options.listen) url = await app.listen({ port: 0, host: '127.0.0.1' });
    else await app.ready();
    return { app, config, url };
  };
  const main = await start();
  const replicas: Array<{ close: () => Promise<void> }> = [];
  return {
    ...main,
    databaseUrl: database.url,
    redisKeyPrefix,
    adminToken: mintApiToken({ scope: ['admin'] }),
    sdapiToken: mintApiToken({ scope: ['sdapi'], username: 'sd-api' }),
    async replica(extra = {}) {
      const r = await start(extra);
      const handle = { app: r.app, url: r.url, close: () => r.app.close() };
      replicas.push(handle);
      return handle;
    },
    async close() {
      for (const r of replicas) await r.close().catch(() => {});
      await main.app.close();
      if (!options.databaseUrl) await database.drop();
      if (!options.redisKeyPrefix) await flushPrefix(redisKeyPrefix);
    },
  };
}
