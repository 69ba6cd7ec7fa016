import fp from 'fastify-plugin';
import type { Redis, RedisOptions } from 'ioredis';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors/index.js';
import { Errors } from '../../errors.js';
import { isCluster, type RedisClient } from '../../redis/client.js';
import { connectRedis, RedisConnectionLost } from '../../redis/connect.js';
import { ReplicasBehind, setReplicaWait } from '../../redis/replica-wait.js';
import { isConnectionErrno } from './socket-errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Commands. Every key is prefixed with config.redisKeyPrefix by ioredis itself. */
    redis: RedisClient;
    /** Name of a pub/sub channel of this deployment (channels are not keys, so ioredis does not prefix them). */
    channel(name: string): string;
  }
}

export function redisOptions(keyPrefix: string): RedisOptions {
  return {
    keyPrefix,
    // Fail a command quickly while Redis is away (the request answers 503), but keep reconnecting.
    maxRetriesPerRequest: 2,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    enableAutoPipelining: true,
    // A command sent before a disconnect may have run: sending it again would run a poll, nack or
    // append twice. It fails instead (the request answers 503 and the caller retries with its
    // own idempotency: pollId, buildId, lease ids). Commands queued while offline were never
    // sent and still go out once the connection is back.
    autoResendUnfulfilledCommands: false,
    lazyConnect: false,
  };
}

export { RedisConnectionLost };

/**
 * Refusals of a Redis that cannot take the command now (it did not run): a cluster without a
 * master for the slot, a slot moving, a master without enough replicas for `min-replicas-to-write`,
 * a server loading its data, a redirection a pipeline met while its slot moved (MOVED/ASK to a
 * failed-over master); and ioredis giving up on redirections, on a closed node connection, or on a
 * pipeline whose slots changed hands between its grouping and its sending.
 */
const REFUSED_NOW =
  /^(CLUSTERDOWN|TRYAGAIN|NOREPLICAS|MASTERDOWN|LOADING|MOVED|ASK)\b|^Too many Cluster redirections|^Connection is closed|^Cluster isn't ready|^None of startup nodes|^All keys in the pipeline should belong to the same slots allocation group/;

/**
 * The 503 for an error of a command that Redis never answered: retries used up, the connection
 * lost under it, a socket error, or any failure while the client is not connected (ioredis fails
 * commands on a closed connection with a plain Error, so its state is what tells); a refusal of a
 * cluster or of a master short of replicas; or a write that reached fewer replicas than
 * REDIS_WAIT_REPLICAS asks (it happened, and the caller's retry is idempotent).
 */
export function redisUnavailable(
  err: unknown,
  redis: Pick<RedisClient, 'status'>,
): InstanceType<typeof Errors.Unavailable> | null {
  if (!(err instanceof Error)) return null;
  const lost =
    err instanceof MaxRetriesPerRequestError ||
    err instanceof RedisConnectionLost ||
    err instanceof ReplicasBehind ||
    err.name === 'ClusterAllFailedError' ||
    // redis-errors' AbortError: "Command aborted due to connection close" (a node went away under it).
    err.name === 'AbortError' ||
    REFUSED_NOW.test(err.message) ||
    isConnectionErrno(err) ||
    redis.status !== 'ready';
  return lost ? new Errors.Unavailable({ service: 'Redis', cause: err.message }) : null;
}

/**
 * With `autoResendUnfulfilledCommands` off, ioredis drops the commands that were waiting for an
 * answer when the connection closed, and their promises never settle. Fail them as soon as it
 * starts reconnecting, so every request waiting on one answers (503) instead of hanging.
 */
export function failUnansweredOnReconnect(redis: Redis): void {
  const client = redis as unknown as {
    flushQueue(error: Error, options: { offlineQueue: boolean; commandQueue: boolean }): void;
  };
  redis.on('reconnecting', () => client.flushQueue(new RedisConnectionLost(), { offlineQueue: false, commandQueue: true }));
}

export default fp(
  async (app) => {
    const { redisKeyPrefix } = app.config;
    const redis = connectRedis(app.config, { ...redisOptions(redisKeyPrefix), connectionName: 'broker-commands' });
    redis.on('error', (err: Error) => app.log.warn({ err: err.message }, 'redis connection error'));
    // A cluster's node connections never reconnect: their unanswered commands fail when they close.
    if (!isCluster(redis)) failUnansweredOnReconnect(redis);
    setReplicaWait(redis, app.config.redisWaitReplicas);
    app.decorate<RedisClient>('redis', redis);
    app.decorate('channel', (name: string) => `${redisKeyPrefix}${name}`);
    app.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
  },
  { name: 'redis', dependencies: ['config'] },
);
