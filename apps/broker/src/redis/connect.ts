import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisClient } from './client.js';

/** Where the broker's Redis is: one server (`REDIS_URL`) or the seeds of a Redis Cluster. */
export interface RedisTarget {
  redisUrl: string;
  redisClusterNodes: string[];
}

/** A command whose connection closed before Redis answered: it may or may not have run. */
export class RedisConnectionLost extends Error {
  constructor() {
    super('connection to Redis lost before it answered; the command may or may not have run');
    this.name = 'RedisConnectionLost';
  }
}

/** The user name, password and TLS of REDIS_URL: a cluster applies them to every node it connects to. */
export function urlCredentials(redisUrl: string): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  const url = new URL(redisUrl);
  return {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

const seed = (node: string) => {
  const at = node.lastIndexOf(':');
  return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
};

/**
 * The cluster's own retries, limited to replies that say the command did not run (MOVED, ASK,
 * TRYAGAIN, CLUSTERDOWN). ioredis would also send a command again, to the promoted replica, when
 * the connection it went out on closed (`retryDelayOnFailover`); that command may have run, so it
 * fails instead, as on one Redis.
 */
export function clusterOptions(keyPrefix: string, node: RedisOptions): ClusterOptions {
  return {
    keyPrefix,
    enableAutoPipelining: true,
    retryDelayOnFailover: 0,
    clusterRetryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    redisOptions: node,
  };
}

/**
 * Commands queued on a cluster that lost every node wait for it to come back: fail them each time
 * it starts reconnecting (they were never sent), so the requests waiting on them answer 503.
 */
function failOfflineOnReconnect(cluster: Cluster): void {
  const client = cluster as unknown as { flushQueue(error: Error): void };
  cluster.on('reconnecting', () => client.flushQueue(new RedisConnectionLost()));
}

/**
 * One Redis or a Redis Cluster, with `options` for each connection (a cluster takes `keyPrefix`
 * for itself and the rest for every node, with REDIS_URL's credentials).
 */
export function connectRedis(target: RedisTarget, options: RedisOptions): RedisClient {
  if (target.redisClusterNodes.length === 0) return new Redis(target.redisUrl, options);
  const { keyPrefix = '', ...node } = options;
  delete node.retryStrategy;
  delete node.enableOfflineQueue;
  delete node.lazyConnect;
  const cluster = new Cluster(
    target.redisClusterNodes.map(seed),
    clusterOptions(keyPrefix, { ...node, ...urlCredentials(target.redisUrl) }),
  );
  failOfflineOnReconnect(cluster);
  return cluster;
}
