import fp from 'fastify-plugin';
import { Redis, type RedisOptions } from 'ioredis';

declare module 'fastify' {
  interface FastifyInstance {
    /** Commands. Every key is prefixed with config.redisKeyPrefix by ioredis itself. */
    redis: Redis;
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

const LOST = 'connection to Redis lost before it answered; the command may or may not have run';

/**
 * With `autoResendUnfulfilledCommands` off, ioredis drops the commands that were waiting for an
 * answer when the connection closed, and their promises never settle. Fail them as soon as it
 * starts reconnecting, so every request waiting on one answers (503) instead of hanging.
 */
export function failUnansweredOnReconnect(redis: Redis): void {
  const client = redis as unknown as {
    flushQueue(error: Error, options: { offlineQueue: boolean; commandQueue: boolean }): void;
  };
  redis.on('reconnecting', () => client.flushQueue(new Error(LOST), { offlineQueue: false, commandQueue: true }));
}

export default fp(
  async (app) => {
    const { redisUrl, redisKeyPrefix } = app.config;
    const redis = new Redis(redisUrl, { ...redisOptions(redisKeyPrefix), connectionName: 'broker-commands' });
    redis.on('error', (err) => app.log.warn({ err: err.message }, 'redis connection error'));
    failUnansweredOnReconnect(redis);
    app.decorate('redis', redis);
    app.decorate('channel', (name: string) => `${redisKeyPrefix}${name}`);
    app.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
  },
  { name: 'redis', dependencies: ['config'] },
);
