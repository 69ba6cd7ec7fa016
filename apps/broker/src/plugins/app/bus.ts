import { EventEmitter } from 'node:events';
import fp from 'fastify-plugin';
import { Counter } from 'prom-client';
import type { BrokerEvent, BuildEvent, ClusterEvent } from '@buildcluster/protocol';
import { isCluster } from '../../redis/client.js';

/**
 * Broker events fanned out to every replica through Redis. `publish` sends; `on` hears the events
 * of every replica, this one included.
 *
 * Cluster events go to every replica always: the queue and the console act on them. Build events
 * (one per state change, thousands a second under load) have one consumer, the dashboard's live
 * view, so they travel on a channel of their own, and only while some replica has a `build`
 * listener: a replica subscribes to that channel while it has one, and the others publish to it
 * while they know it does (see BuildWatch). Nobody watching, a build change costs no Redis command.
 *
 * Events published in the same turn of the event loop travel as one message (a JSON array): one
 * PUBLISH (and one parse on each replica) per event would cost more than the queue operations they
 * describe.
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

/** A watching replica refreshes the watched key this often; the others read it as often. */
export const WATCH_CHECK_MS = 1000;
/** Life of the watched key: a few missed refreshes (a busy event loop) do not stop the feed. */
export const WATCH_TTL_MS = 3000;
/** Set (PX) by every replica with a build listener: one key, one slot, on a Redis Cluster too. */
export const WATCHED_KEY = 'events:watched';

/**
 * Whether this replica should publish build events: while it has build listeners of its own, or
 * while it knows another replica does. It learns the latter at once from the announcement a
 * replica sends when it starts watching, and, should it miss one, from the watched key it reads
 * every second. It stops when the key is gone, or sooner when a PUBLISH reached nobody (not on a
 * Redis Cluster, where the count is that of one node's subscribers only).
 */
class BuildWatch {
  private othersWatch = false;
  /**
   * Counts the moments we learnt someone watches: a "nobody heard it" reply counts only for a
   * PUBLISH sent since the last one, as the announcement comes on the subscriber connection and
   * may overtake the reply to an earlier PUBLISH.
   */
  epoch = 0;

  constructor(
    private readonly localWatchers: () => number,
    private readonly trustReplies: boolean,
  ) {}

  get publishing(): boolean {
    return this.othersWatch || this.localWatchers() > 0;
  }

  watched(): void {
    this.othersWatch = true;
    this.epoch++;
  }

  unwatched(): void {
    this.othersWatch = false;
  }

  /** The reply to a PUBLISH of build events sent at `epoch`: how many subscribers received it. */
  received(receivers: number, epoch: number): void {
    if (receivers === 0 && this.trustReplies && epoch === this.epoch && this.localWatchers() === 0) this.othersWatch = false;
  }
}

export default fp(
  async (app) => {
    const emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    const channel = app.channel('events');
    const buildChannel = app.channel('build-events');
    const watchChannel = app.channel('build-watchers');
    const published = new Counter({
      name: 'broker_build_events_published_total',
      help: 'Build events this replica published on the bus (only while a dashboard watches some replica)',
      registers: [app.metrics],
    });
    const dispatch = (raw: string) => {
      try {
        const parsed = JSON.parse(raw) as BrokerEvent | BrokerEvent[];
        for (const event of Array.isArray(parsed) ? parsed : [parsed]) emitter.emit(event.type, event);
      } catch (err) {
        app.log.warn({ err }, 'ignored a malformed event on the bus');
      }
    };
    await app.subscriptions.on(channel, dispatch);

    const watch = new BuildWatch(() => emitter.listenerCount('build'), !isCluster(app.redis));
    await app.subscriptions.on(watchChannel, () => watch.watched());
    /** Subscribed to the build channel, for this replica's build listeners. */
    let watching = false;
    let closing = false;
    const startWatching = () => {
      app.subscriptions
        .on(buildChannel, dispatch)
        .then(async () => {
          if (closing || emitter.listenerCount('build') === 0) return; // gone meanwhile
          watching = true;
          // Key first: a replica that reads it after the announcement finds it.
          await app.redis.set(WATCHED_KEY, '1', 'PX', WATCH_TTL_MS);
          await app.redis.publish(watchChannel, '1');
        })
        .catch((err: Error) => app.log.warn({ err: err.message }, 'could not start watching build events'));
    };
    const stopWatching = () => {
      watching = false;
      if (!closing) app.subscriptions.off(buildChannel, dispatch);
    };

    let checking = false;
    let lastFailure = 0;
    /** One command a second: refresh the key while watching, read it otherwise. */
    const check = async () => {
      if (checking) return; // a slow Redis: skip a beat rather than pile up
      checking = true;
      try {
        if (watching) await app.redis.set(WATCHED_KEY, '1', 'PX', WATCH_TTL_MS);
        else if ((await app.redis.exists(WATCHED_KEY)) > 0) watch.watched();
        else watch.unwatched();
      } catch (err) {
        // Redis away: keep what we knew; publishing fails meanwhile anyway.
        if (Date.now() - lastFailure > 30_000)
          app.log.warn({ err: (err as Error).message }, 'could not check for build watchers');
        lastFailure = Date.now();
      } finally {
        checking = false;
      }
    };
    // A replica that starts while a dashboard watches elsewhere publishes from its first build on.
    await check();
    const timer = setInterval(() => void check(), WATCH_CHECK_MS);
    timer.unref();
    app.addHook('onClose', async () => {
      closing = true;
      clearInterval(timer);
    });

    let clusterOutbox: ClusterEvent[] = [];
    let buildOutbox: BuildEvent[] = [];
    const send = (to: string, events: BrokerEvent[]) =>
      app.redis.publish(to, JSON.stringify(events.length === 1 ? events[0] : events)).catch((err: Error) => {
        app.log.warn({ err: err.message, events: events.length }, 'could not publish events');
        return null;
      });
    const flush = () => {
      const clusters = clusterOutbox;
      const builds = buildOutbox;
      clusterOutbox = [];
      buildOutbox = [];
      if (clusters.length > 0) void send(channel, clusters);
      if (builds.length > 0) {
        const epoch = watch.epoch;
        published.inc(builds.length);
        void send(buildChannel, builds).then((receivers) => {
          if (receivers !== null) watch.received(receivers, epoch);
        });
      }
    };
    const schedule = () => {
      if (clusterOutbox.length + buildOutbox.length === 1) setImmediate(flush);
    };
    const bus: Bus = {
      publish(event) {
        if (event.type === 'cluster') clusterOutbox.push(event);
        else if (watch.publishing) buildOutbox.push(event);
        else return;
        schedule();
      },
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      on(type: string, listener: (event: any) => void) {
        emitter.on(type, listener);
        if (type === 'build' && emitter.listenerCount('build') === 1) startWatching();
      },
      off(type, listener) {
        const before = emitter.listenerCount(type);
        emitter.off(type, listener);
        if (type === 'build' && before > 0 && emitter.listenerCount('build') === 0) stopWatching();
      },
    };
    app.decorate('bus', bus);
  },
  { name: 'bus', dependencies: ['redis', 'subscriber', 'metrics'] },
);
