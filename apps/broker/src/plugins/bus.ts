import { EventEmitter } from 'node:events';
import fp from 'fastify-plugin';
import type { BrokerEvent, BuildEvent, ClusterEvent } from '@buildcluster/protocol';

/**
 * Broker events (cluster changes, build state changes) fanned out to every replica through one
 * Redis channel. `publish` sends; `on` hears the events of every replica, this one included.
 */
export interface Bus {
  publish(event: ClusterEvent | BuildEvent): void;
  on(type: 'cluster', listener: (event: ClusterEvent) => void): void;
  on(type: 'build', listener: (event: BuildEvent) => void): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  off(type: BrokerEvent['type'], listener: (event: any) => void): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    bus: Bus;
  }
}

export default fp(
  async (app) => {
    const emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    const channel = app.channel('events');
    await app.subscriptions.on(channel, (raw) => {
      try {
        const event = JSON.parse(raw) as BrokerEvent;
        emitter.emit(event.type, event);
      } catch (err) {
        app.log.warn({ err }, 'ignored a malformed event on the bus');
      }
    });
    const bus: Bus = {
      publish(event) {
        app.redis.publish(channel, JSON.stringify(event)).catch((err: Error) => {
          app.log.warn({ err: err.message, event: event.type }, 'could not publish an event');
        });
      },
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      on(type: string, listener: (event: any) => void) {
        emitter.on(type, listener);
      },
      off(type, listener) {
        emitter.off(type, listener);
      },
    };
    app.decorate('bus', bus);
  },
  { name: 'bus', dependencies: ['redis', 'subscriber'] },
);
