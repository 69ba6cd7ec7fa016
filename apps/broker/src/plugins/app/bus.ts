import { EventEmitter } from 'node:events';
import fp from 'fastify-plugin';
import type { BrokerEvent, BuildEvent, ClusterEvent } from '@buildcluster/protocol';

/**
 * Broker events (cluster changes, build state changes) fanned out to every replica through one
 * Redis channel. `publish` sends; `on` hears the events of every replica, this one included.
 * Events published in the same turn of the event loop travel as one message (a JSON array): under
 * load a replica emits thousands of build events a second, and one PUBLISH (and one parse on each
 * replica) per event would cost more than the queue operations they describe.
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
        const parsed = JSON.parse(raw) as BrokerEvent | BrokerEvent[];
        for (const event of Array.isArray(parsed) ? parsed : [parsed]) emitter.emit(event.type, event);
      } catch (err) {
        app.log.warn({ err }, 'ignored a malformed event on the bus');
      }
    });
    let outbox: Array<ClusterEvent | BuildEvent> = [];
    const flush = () => {
      const events = outbox;
      outbox = [];
      const payload = JSON.stringify(events.length === 1 ? events[0] : events);
      app.redis.publish(channel, payload).catch((err: Error) => {
        app.log.warn({ err: err.message, events: events.length }, 'could not publish events');
      });
    };
    const bus: Bus = {
      publish(event) {
        if (outbox.push(event) === 1) setImmediate(flush);
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
