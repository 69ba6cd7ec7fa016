import { createMigratedDatabase, type Migrations, type TestDatabase } from './postgres.js';
import { flushPrefix, redisPrefix, testRedisEnv } from './redis.js';
import { API_PUBLIC_KEY, mintApiToken } from './tokens.js';
import { startLoggedReplica, type LoggedApp, type LoggedBroker } from './logged-broker.js';

/**
 * A real broker against the real PostgreSQL and Redis of this machine, each test context with its
 * own database (cloned from a migrated template) and its own Redis key prefix.
 *
 * The test kit does not depend on the broker package (the broker's tests depend on the kit): the
 * caller hands in the broker's module, its source or its dist, and gets the start-up helpers bound
 * to it: `export const { startTestBroker } = testBrokerKit(await import('@buildcluster/broker'))`.
 */
export interface BrokerApp extends LoggedApp {
  listen(options: { port: number; host: string }): Promise<string>;
}

export interface BrokerModule<Config, App extends BrokerApp> extends Migrations {
  loadConfig(env: Record<string, string | undefined>): Config;
  buildApp(config: Config, overrides?: { logger?: unknown }): Promise<App>;
  fastifyOptions(config: NoInfer<Config>): { logger?: unknown };
}

export interface TestBroker<Config, App> {
  app: App;
  config: Config;
  /** Base URL when started with listen: true. */
  url: string;
  databaseUrl: string;
  redisKeyPrefix: string;
  adminToken: string;
  sdapiToken: string;
  /** Another replica against the same PostgreSQL and Redis. */
  replica(env?: Record<string, string>): Promise<{ app: App; url: string; close: () => Promise<void> }>;
  close(): Promise<void>;
}

export interface TestBrokerOptions {
  env?: Record<string, string>;
  listen?: boolean;
  /** Reuse a database/prefix (e.g. to restart a broker on the same state). */
  databaseUrl?: string;
  redisKeyPrefix?: string;
}

export interface TestBrokerKit<Config, App extends BrokerApp> {
  startTestBroker: (options?: TestBrokerOptions) => Promise<TestBroker<Config, App>>;
  /** A fresh, migrated database of the broker's schema; returns its URL and a drop function. */
  createTestDatabase: () => Promise<TestDatabase>;
  /** A replica of a running test broker whose log lines are kept in memory (see logged-broker.ts). */
  startLoggedReplica: (config: Config) => Promise<LoggedBroker<App>>;
}

export function testBrokerKit<Config, App extends BrokerApp>(broker: BrokerModule<Config, App>): TestBrokerKit<Config, App> {
  const createTestDatabase = () => createMigratedDatabase(broker);

  async function startTestBroker(options: TestBrokerOptions = {}): Promise<TestBroker<Config, App>> {
    const database = options.databaseUrl ? { url: options.databaseUrl, drop: async () => {} } : await createTestDatabase();
    const redisKeyPrefix = options.redisKeyPrefix ?? redisPrefix('t').prefix;
    const env = {
      DATABASE_URL: database.url,
      ...testRedisEnv(),
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
      const config = broker.loadConfig({ ...env, ...extra });
      const app = await broker.buildApp(config);
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
        const handle = { app: r.app, url: r.url, close: async () => void (await r.app.close()) };
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

  return {
    startTestBroker,
    createTestDatabase,
    startLoggedReplica: (config) => startLoggedReplica(config, broker),
  };
}
