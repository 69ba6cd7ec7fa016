import type { RedisServer } from '../lib/redis-server.js';
import { BrokerProcess } from '../lib/broker-process.js';
import { createBenchDatabase } from '../lib/database.js';
import { JsonClient } from '../lib/http.js';
import type { ApiKeys } from '../lib/keys.js';

/** What every broker scenario of one bench run shares. */
export interface BenchContext {
  redis: RedisServer;
  apiKeys: ApiKeys;
  adminToken: string;
  sdapiToken: string;
}

/**
 * A broker of its own for one scenario: a fresh database, the dedicated Redis flushed, the broker
 * as a child process; all torn down afterwards, also on failure.
 */
export async function withBroker<T>(
  ctx: BenchContext,
  options: { label: string; cpuProfileDir?: string; env?: Record<string, string> },
  run: (broker: BrokerProcess, client: JsonClient) => Promise<T>,
): Promise<T> {
  const control = ctx.redis.client('bench-control');
  await control.flushall();
  control.disconnect();
  const database = await createBenchDatabase(options.label);
  const broker = new BrokerProcess({
    databaseUrl: database.url,
    redisUrl: ctx.redis.url,
    apiPublicKey: ctx.apiKeys.publicKey,
    label: options.label,
    ...(options.cpuProfileDir ? { cpuProfileDir: options.cpuProfileDir } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  try {
    await broker.start();
    const live = new JsonClient(broker.url, { maxSockets: 16 });
    try {
      return await run(broker, live);
    } finally {
      live.close();
    }
  } finally {
    await broker.stop();
    await database.drop().catch(() => {});
  }
}
