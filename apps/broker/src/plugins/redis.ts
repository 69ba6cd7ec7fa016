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
    lazyConnect: false,
  };
}

export default fp(
  async (app) => {
    const { redisUrl, redisKeyPrefix } = app.config;
    const redis = new Redis(redisUrl, { ...redisOptions(redisKeyPrefix), connectionName: 'broker-commands' });
    redis.on('error', (err) => app.log.warn({ err: err.message }, 'redis connection error'));
    app.decorate('redis', redis);
    app.decorate('channel', (name: string) => `${redisKeyPrefix}${name}`);
    app.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
  },
  { name: 'redis', dependencies: ['config'] },
);
