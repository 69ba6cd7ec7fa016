import fp from 'fastify-plugin';
import { connectRedis } from '../../redis/connect.js';
import { redisOptions } from './redis.js';

type Handler = (message: string) => void;

/**
 * One subscriber connection per broker replica, shared by everything that listens: cluster cache
 * invalidation, queue wake-ups for long polls, and dashboard events. Waiting polls never hold a
 * Redis connection of their own. On a Redis Cluster it is one connection to one node (a classic
 * PUBLISH reaches every node), and ioredis subscribes again elsewhere when that node goes; a wake-up
 * lost meanwhile is made up by the sweeper's missed wake-up pass.
 */
export interface Subscriptions {
  on(channel: string, handler: Handler): Promise<void>;
  off(channel: string, handler: Handler): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    subscriptions: Subscriptions;
  }
}

export default fp(
  async (app) => {
    const subscriber = connectRedis(app.config, {
      ...redisOptions(''),
      connectionName: 'broker-subscriber',
      maxRetriesPerRequest: null,
    });
    subscriber.on('error', (err: Error) => app.log.warn({ err: err.message }, 'redis subscriber error'));
    const handlers = new Map<string, Set<Handler>>();
    subscriber.on('message', (channel: string, message: string) => {
      for (const handler of handlers.get(channel) ?? []) {
        try {
          handler(message);
        } catch (err) {
          app.log.error({ err, channel }, 'subscription handler failed');
        }
      }
    });
    const subscriptions: Subscriptions = {
      async on(channel, handler) {
        let set = handlers.get(channel);
        if (!set) {
          set = new Set();
          handlers.set(channel, set);
          await subscriber.subscribe(channel);
        }
        set.add(handler);
      },
      off(channel, handler) {
        handlers.get(channel)?.delete(handler);
      },
    };
    app.decorate('subscriptions', subscriptions);
    app.addHook('onClose', async () => {
      await subscriber.quit().catch(() => subscriber.disconnect());
    });
  },
  { name: 'subscriber', dependencies: ['config'] },
);
