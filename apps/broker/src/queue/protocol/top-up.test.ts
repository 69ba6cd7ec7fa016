import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PollBody } from '@buildcluster/protocol';
import { testRedis } from '../../../test/support/broker.js';
import { prefixedRedis } from '../../../test/support/prefixed-redis.js';
import { RecordingBus, silentLog } from '../../../test/support/queue-replica.js';
import { QueueMetrics } from '../admin/metrics.js';
import { BuildEvents } from '../events.js';
import { BuildDirectory } from '../scheduling/directory.js';
import { QueueStore } from '../storage/store.js';
import { Waiters } from './waiters.js';
import { WorkerProtocol, type QueueRef } from './worker-protocol.js';

/**
 * A poll that leased a short batch while the replica is busy (a linger above 0) waits for more
 * builds of its queue and leases them into the same answer: real Redis, wake-ups through the
 * replica's subscription as in the queue plugin.
 */
let redis: Redis;
const prefix = prefixedRedis(
  't-topup',
  (client) => (redis = client),
  (keyPrefix) => testRedis({ keyPrefix }),
);
const wakeChannel = `${prefix}wake`;
let subscriber: Redis;
const waiters = new Waiters();

beforeAll(async () => {
  subscriber = testRedis();
  subscriber.on('message', (_channel: string, message: string) => {
    const cut = message.indexOf('\n');
    waiters.wake(message.slice(0, cut), Number(message.slice(cut + 1)));
  });
  await subscriber.subscribe(wakeChannel);
});
afterAll(() => {
  waiters.closeAll();
  subscriber.disconnect();
});

let lingerMs = 0;
let seq = 0;
let nextBuild = 9000;
const store = () => new QueueStore({ redis, wakeChannel, leaseMs: 60_000, maxAttempts: 5, keepMs: 60_000 });
/** The metrics of the newest `protocol()`. */
let metrics: QueueMetrics;
const protocol = (s: QueueStore) => {
  metrics = new QueueMetrics(
    new Registry(),
    async () => ({ queues: [], pending: 0 }),
    () => 0,
    () => lingerMs,
  );
  return new WorkerProtocol({
    store: s,
    directory: new BuildDirectory(redis, 60_000),
    waiters,
    events: new BuildEvents(new RecordingBus()),
    metrics,
    log: silentLog,
    maxAttempts: 5,
    linger: () => lingerMs,
  });
};
/** The dispatch latency histogram's `count` or `sum` (s) for a queue. */
const dispatchLatency = async (queue: string, which: 'count' | 'sum') => {
  const { values } = await metrics.dispatchLatency.get();
  const name = `broker_dispatch_latency_seconds_${which}`;
  return values.find((v) => v.metricName === name && v.labels.queue === queue)?.value ?? 0;
};
/** Top-ups counted for a queue: polls that waited, and builds they added. */
const topUps = async (queue: string) => {
  const of = async (counter: QueueMetrics['topUps']) =>
    (await counter.get()).values.find((v) => v.labels.queue === queue)?.value ?? 0;
  return { polls: await of(metrics.topUps), builds: await of(metrics.topUpBuilds) };
};
const queueRef = (): QueueRef => {
  const name = `top${++seq}`;
  return { cluster: name, queue: name, name };
};
const fill = async (s: QueueStore, ref: QueueRef, n: number) => {
  for (let i = 0; i < n; i++) {
    const id = nextBuild++;
    await s.enqueue(ref.queue, ref.cluster, id, JSON.stringify({ buildId: id }));
  }
};
const buildsOf = (answer: string | null): number[] =>
  (JSON.parse(answer ?? '{"jobs":[]}') as { jobs: Array<{ buildId: number }> }).jobs.map((j) => j.buildId);
/** A fresh queue, its store and a worker protocol whose linger is `linger` ms. */
const setUp = (linger: number) => {
  lingerMs = linger;
  const s = store();
  return { s, worker: protocol(s), ref: queueRef() };
};
const body = (max: number, extra: Partial<PollBody> = {}): PollBody => ({ workerId: 'w', max, waitMs: 5000, ...extra });

describe('a short batch while the replica is busy', () => {
  it('waits up to the linger for more builds and answers them in one poll, saved under its pollId', async () => {
    const { s, worker, ref } = setUp(400);
    await fill(s, ref, 1);
    const started = Date.now();
    const answer = worker.poll(ref, body(3, { pollId: 'p1' }));
    await new Promise((r) => setTimeout(r, 50));
    await fill(s, ref, 2);
    const builds = buildsOf(await answer);
    expect(builds).toHaveLength(3);
    // the batch was full at the third build: no waiting out the rest of the linger
    expect(Date.now() - started).toBeLessThan(390);
    // a retry of the same poll gets the whole batch again, not only its first part
    const retry = await s.poll(ref.queue, 'w', 3, 'p1');
    expect(retry.replayed).toBe(true);
    expect(retry.jobs.map((j) => j.buildId)).toEqual(builds);
    expect((await s.stats(ref.queue)).inFlight).toBe(3);
    expect(await topUps(ref.name)).toEqual({ polls: 1, builds: 2 });
  });

  it('answers what it has once the linger ends, the wait counted in the dispatch latency', async () => {
    const { s, worker, ref } = setUp(150);
    await fill(s, ref, 2);
    const started = Date.now();
    expect(buildsOf(await worker.poll(ref, body(10)))).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    // the builds waited with the poll: their dispatch latency says so
    expect(await dispatchLatency(ref.name, 'count')).toBe(2);
    expect(await dispatchLatency(ref.name, 'sum')).toBeGreaterThanOrEqual(2 * 0.14);
    expect(await topUps(ref.name)).toEqual({ polls: 1, builds: 0 });
  });

  it('never lingers while the replica has time to spare, with a full batch, or with builds left over', async () => {
    const { s, worker, ref } = setUp(0);
    await fill(s, ref, 1);
    let started = Date.now();
    expect(buildsOf(await worker.poll(ref, body(10)))).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1000);
    lingerMs = 5000;
    await fill(s, ref, 5);
    started = Date.now();
    expect(buildsOf(await worker.poll(ref, body(3)))).toHaveLength(3);
    expect(buildsOf(await worker.poll(ref, body(2)))).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await topUps(ref.name)).toEqual({ polls: 0, builds: 0 });
  });

  it('answers the builds it holds when the poll is cut off during the linger', async () => {
    const { s, worker, ref } = setUp(30_000);
    await fill(s, ref, 1);
    const abort = new AbortController();
    const answer = worker.poll(ref, body(10), abort.signal);
    await new Promise((r) => setTimeout(r, 50));
    abort.abort();
    expect(buildsOf(await answer)).toHaveLength(1);
  });
});
