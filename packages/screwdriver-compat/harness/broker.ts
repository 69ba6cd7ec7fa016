import type { PemPair } from '@buildcluster/testkit/keys';
import { mintScrewdriverToken } from '@buildcluster/testkit/tokens';
import { call } from './http.js';
import { requestCounts, type RequestCount } from './metrics.js';
import { BROKER_SERVER, REPO_ROOT } from './paths.js';
import { freePort } from './ports.js';
import { Service } from './service.js';
import { createDatabase, redisPrefix, REDIS_URL, type Database } from './stores.js';

export interface BrokerOptions {
  /** The Screwdriver API's own key pair: the broker verifies API tokens with its public half. */
  apiKeys: PemPair;
  /** The key the broker signs Screwdriver tokens with; the API trusts its public half (jwtQueueServicePublicKey). */
  queueKeys: PemPair;
  env?: Record<string, string>;
  logFile?: string;
}

export interface Broker {
  url: string;
  service: Service;
  /** An API token with the admin scope, signed by the API key the way Screwdriver signs an admin's. */
  adminToken: string;
  requestCounts(): Promise<RequestCount[]>;
  stop: () => Promise<void>;
}

/** The broker's production start (`node apps/broker/dist/server.js`) on its own database and Redis prefix. */
export async function startBroker(options: BrokerOptions): Promise<Broker> {
  const database: Database = await createDatabase('bcb_sdc');
  const redis = redisPrefix('sdc');
  const port = await freePort();
  const service = new Service('broker', process.execPath, [BROKER_SERVER], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      API_JWT_PUBLIC_KEY: options.apiKeys.publicKey,
      QUEUE_JWT_PRIVATE_KEY: options.queueKeys.privateKey,
      DB_POOL_MAX: '4',
      LOG_LEVEL: 'info',
      ...options.env,
    },
    logFile: options.logFile,
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await service.stop();
    await database.drop().catch(() => {});
    await redis.flush().catch(() => {});
  };
  try {
    await service.waitForOutput(/broker ready on/, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    service,
    adminToken: mintScrewdriverToken(options.apiKeys.privateKey, {
      username: 'compat-admin',
      scmContext: 'test:scm.test',
      scope: ['user', 'admin'],
    }),
    async requestCounts() {
      const res = await call('GET', `${url}/metrics`);
      if (res.status !== 200) throw new Error(`broker /metrics answered ${res.status}`);
      return requestCounts(String(res.body));
    },
    stop,
  };
}
