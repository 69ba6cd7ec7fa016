import fp from 'fastify-plugin';
import { connectRedis } from '../../redis/connect.js';
import { redisOptions } from './redis.js';

type Handler = (message: string) => void;

/**
 * One subscriber connection per broker replica, shared by everything that listens: cluster cache
 * invalidation, queue wake-ups for long polls, and dashboard events; a channel is subscribed while
 * it has a handler (the build events' only while a dashboard is open). Waiting polls never hold a
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
        if (set) {
          set.add(handler);
          return;
        }
        set = new Set([handler]);
        handlers.set(channel, set);
        await subscriber.subscribe(channel);
      },
      off(channel, handler) {
        const set = handlers.get(channel);
        if (!set?.delete(handler) || set.size > 0) return;
        // The last handler gone: Redis stops sending this replica the channel's messages. A later
        // `on` subscribes again; the connection sends both in order, so the last one wins.
        handlers.delete(channel);
        subscriber
          .unsubscribe(channel)
          .catch((err: Error) => app.log.warn({ err: err.message, channel }, 'could not unsubscribe'));
      },
    };
    app.decorate('subscriptions', subscriptions);
    app.addHook('onClose', async () => {
      await subscriber.quit().catch(() => subscriber.disconnect());
    });
  },
  { name: 'subscriber', dependencies: ['config'] },
);
