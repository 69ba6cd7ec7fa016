import { EventEmitter } from 'node:events';
import type { FastifyBaseLogger } from 'fastify';
import type { BuildEvent, ClusterEvent } from '@buildcluster/protocol';
import type { CachedCluster, ClusterDirectory } from '../../src/clusters/types.js';
import type { Bus } from '../../src/plugins/app/bus.js';
import { isCluster, type RedisClient } from '../../src/redis/client.js';
import { BuildDirectory } from '../../src/queue/scheduling/directory.js';
import { BuildEvents } from '../../src/queue/events.js';
import { KnownQueues } from '../../src/queue/admin/known-queues.js';
import { PendingDrainer } from '../../src/queue/scheduling/pending.js';
import { Scheduler } from '../../src/queue/scheduling/scheduler.js';
import { QueueStore } from '../../src/queue/storage/store.js';

/**
 * A broker replica's queue parts on a real Redis, without Fastify: for the scheduling tests
 * (crash safety, drains, the split schedule). The cluster directory is a plain in-memory one.
 */
export class Clusters implements ClusterDirectory {
  constructor(readonly all: CachedCluster[] = []) {}
  async get(name: string) {
    return this.all.find((c) => c.name === name) ?? null;
  }
  async listActive() {
    return this.all.filter((c) => c.isActive);
  }
  list() {
    return [...this.all];
  }
}

export const cluster = (name: string): CachedCluster => ({
  name,
  queue: name,
  queueKey: name,
  scmOrganization: 'screwdriver-cd',
  scmContext: 'github:github.com',
  isActive: true,
  managedBy: 'screwdriver',
  weightage: 100,
  provider: null,
  signOption: { issuer: 'i', subject: 's', audience: 'a', expiresIn: 60, algorithm: 'ES256' },
  keys: [],
});

export class RecordingBus implements Bus {
  readonly events: BuildEvent[] = [];
  private readonly emitter = new EventEmitter();
  publish(event: ClusterEvent | BuildEvent) {
    if (event.type === 'build') this.events.push(event);
  }
  on(type: 'cluster' | 'build', listener: (event: never) => void) {
    // The emitter carries both kinds of event; each listener gets only the type it asked for.
    this.emitter.on(type, listener as (event: unknown) => void);
  }
  off(type: string, listener: (event: never) => void) {
    this.emitter.off(type, listener as (event: unknown) => void);
  }
}

const noop = () => {};
export const silentLog = {
  level: 'silent',
  info: noop,
  warn: noop,
  error: noop,
  debug: noop,
  fatal: noop,
  trace: noop,
  silent: noop,
  child: () => silentLog,
} as unknown as FastifyBaseLogger;

export interface ReplicaOptions {
  stalledMs?: number;
  lockMs?: number;
  splitSchedule?: boolean;
}

export function queueReplica(redis: RedisClient, prefix: string, clusters: Clusters, options: ReplicaOptions = {}) {
  const store = new QueueStore({ redis, wakeChannel: `${prefix}wake`, leaseMs: 60_000, maxAttempts: 5, keepMs: 60_000 });
  const directory = new BuildDirectory(redis, 60_000);
  const bus = new RecordingBus();
  const events = new BuildEvents(bus);
  const known = new KnownQueues(redis);
  const drainer: PendingDrainer = new PendingDrainer({
    store,
    directory,
    clusters,
    events,
    known,
    log: silentLog,
    stalledMs: options.stalledMs ?? 10_000,
    ...(options.lockMs ? { lockMs: options.lockMs } : {}),
  });
  const scheduler = new Scheduler({
    store,
    directory,
    clusters,
    events,
    known,
    requestDrain: () => drainer.request(),
    // As the queue plugin decides: the two-step schedule on a Redis Cluster.
    splitSchedule: options.splitSchedule ?? isCluster(redis),
  });
  return { store, directory, scheduler, drainer, bus };
}
