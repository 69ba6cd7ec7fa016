import { randomBytes } from 'node:crypto';
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/**
 * The Redis of this machine, shared by every test: each test context works under a key prefix of
 * its own and removes only its own keys afterwards (never FLUSHALL or FLUSHDB).
 */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * `host:port` seeds of a Redis Cluster the tests run on instead (`TEST_REDIS_CLUSTER_NODES`, comma
 * list); empty: the one Redis of TEST_REDIS_URL. Brokers started by the kit get them as REDIS_CLUSTER_NODES.
 */
export const TEST_REDIS_CLUSTER_NODES = (process.env.TEST_REDIS_CLUSTER_NODES ?? '')
  .split(',')
  .map((n) => n.trim())
  .filter(Boolean);

export const onTestCluster = (): boolean => TEST_REDIS_CLUSTER_NODES.length > 0;

const seeds = () =>
  TEST_REDIS_CLUSTER_NODES.map((n) => {
    const at = n.lastIndexOf(':');
    return { host: n.slice(0, at), port: Number(n.slice(at + 1)) };
  });

/**
 * A client of the test Redis, as the broker would make one: a Cluster on the test cluster, else one
 * Redis. Typed as Redis, since tests call commands only (a Cluster has the same commands).
 */
export function testRedis(options: RedisOptions = {}): Redis {
  if (!onTestCluster()) return new Redis(TEST_REDIS_URL, options);
  const { keyPrefix, ...node } = options;
  return new Cluster(seeds(), { ...(keyPrefix ? { keyPrefix } : {}), redisOptions: node }) as unknown as Redis;
}

/** Runs `each` on the one Redis of `redisUrl`, or on every master of the test cluster. */
async function onEveryServer(redisUrl: string, each: (server: Redis) => Promise<void>): Promise<void> {
  if (!onTestCluster() || redisUrl !== TEST_REDIS_URL) {
    const redis = new Redis(redisUrl);
    try {
      return await each(redis);
    } finally {
      redis.disconnect();
    }
  }
  const cluster = new Cluster(seeds());
  try {
    await new Promise<void>((resolve) => cluster.once('ready', resolve));
    await Promise.all(cluster.nodes('master').map(each));
  } finally {
    cluster.disconnect();
  }
}

async function scanServer(redis: Redis, pattern: string, found: (keys: string[]) => Promise<unknown>): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await found(keys);
  } while (cursor !== '0');
}

/** Every key (with its prefix) matching a SCAN pattern: on the test cluster, over every master. */
export async function scanKeys(pattern: string, redisUrl = TEST_REDIS_URL): Promise<string[]> {
  const out: string[] = [];
  await onEveryServer(redisUrl, (server) => scanServer(server, pattern, async (keys) => out.push(...keys)));
  return out;
}

/** Deletes every key under a prefix (what a test context leaves behind); on the test cluster, on every master. */
export async function flushPrefix(prefix: string, redisUrl = TEST_REDIS_URL): Promise<void> {
  // One key per UNLINK: on a cluster node, the keys of one call must share a slot.
  await onEveryServer(redisUrl, (server) =>
    scanServer(server, `${prefix}*`, (keys) => Promise.all(keys.map((key) => server.unlink(key)))),
  );
}

/** A fresh prefix `<label>-<random>:` and the removal of every key under it. */
export function redisPrefix(label = 't', redisUrl = TEST_REDIS_URL): { prefix: string; flush(): Promise<void> } {
  const prefix = `${label}-${randomBytes(4).toString('hex')}:`;
  return { prefix, flush: () => flushPrefix(prefix, redisUrl) };
}

/**
 * What a broker of the tests gets to run on the test Redis: on the test cluster its nodes and
 * REDIS_WAIT_REPLICAS (`TEST_REDIS_WAIT_REPLICAS`, default 1), so every state change is on a replica.
 */
export function testRedisEnv(): Record<string, string> {
  if (!onTestCluster()) return { REDIS_URL: TEST_REDIS_URL };
  return {
    REDIS_URL: TEST_REDIS_URL,
    REDIS_CLUSTER_NODES: TEST_REDIS_CLUSTER_NODES.join(','),
    REDIS_WAIT_REPLICAS: process.env.TEST_REDIS_WAIT_REPLICAS ?? '1',
  };
}

/** The ports of the test Redis: TEST_REDIS_URL's, or every node's of the test cluster. */
export function testRedisPorts(): number[] {
  if (onTestCluster()) return seeds().map((s) => s.port);
  return [Number(new URL(TEST_REDIS_URL).port || 6379)];
}
