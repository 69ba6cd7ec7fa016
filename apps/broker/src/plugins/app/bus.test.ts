import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { BrokerEvent, BuildEvent } from '@buildcluster/protocol';
import { postBuild, registerCluster, startMessage, waitFor, workerOf, type TestCluster } from '@buildcluster/testkit/queue';
import { onTestCluster, startTestBroker, testRedis, type TestBroker } from '../../../test/support/broker.js';
import { WATCHED_KEY, WATCH_CHECK_MS, WATCH_TTL_MS } from './bus.js';

/** Build events this replica has sent on the bus (its own counter). */
async function publishedBy(app: FastifyInstance): Promise<number> {
  const metric = await app.metrics.getSingleMetric('broker_build_events_published_total')!.get();
  return metric.values[0]?.value ?? 0;
}

/** A dashboard on `/v4/events` that keeps the build events it is sent, each with when it came. */
async function dashboard(url: string, token: string) {
  const socket = new WebSocket(new URL('/v4/events', url.replace(/^http/, 'ws')), ['bearer', token]);
  const builds: Array<BuildEvent & { receivedAt: number }> = [];
  socket.on('message', (data) => {
    const event = JSON.parse((data as Buffer).toString('utf8')) as BrokerEvent;
    if (event.type === 'build') builds.push({ ...event, receivedAt: Date.now() });
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { socket, builds, closed, openedAt: Date.now() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('build events on the bus, only while someone watches', () => {
  let broker: TestBroker;
  let b: FastifyInstance;
  let cluster: TestCluster;
  let raw: Redis;
  const heard: string[] = [];
  let nextBuild = 9100;

  /** Posts a build on replica B, leases it there and acks it: queued, leased and acked. */
  async function runOnB(): Promise<number> {
    const buildId = nextBuild++;
    expect((await postBuild(b, broker.sdapiToken, startMessage(buildId))).statusCode).toBe(201);
    // Builds posted before are ahead of it in the queue: lease and ack them all.
    const worker = workerOf(b, cluster);
    const { jobs } = await worker.poll({ max: 100 });
    expect(jobs.map((j) => j.buildId)).toContain(buildId);
    await worker.ack(jobs.map((j) => j.leaseId));
    return buildId;
  }

  beforeAll(async () => {
    broker = await startTestBroker({ listen: true });
    b = (await broker.replica()).app;
    cluster = await registerCluster(broker.app, broker.adminToken, 'watched');
    raw = testRedis();
    raw.on('message', (_channel: string, message: string) => heard.push(message));
    await raw.subscribe(broker.app.channel('build-events'));
  });
  afterAll(async () => {
    raw.disconnect();
    await broker.close();
  });

  it('publishes no build event while no dashboard is connected to any replica', async () => {
    await runOnB();
    expect((await postBuild(broker.app, broker.sdapiToken, startMessage(nextBuild++))).statusCode).toBe(201);
    // Past a check of the watched key: nothing makes either replica start.
    await sleep(WATCH_CHECK_MS + 200);
    await runOnB();
    await sleep(100);
    expect(heard).toEqual([]);
    expect(await publishedBy(broker.app)).toBe(0);
    expect(await publishedBy(b)).toBe(0);
  });

  it("feeds a dashboard on replica A with replica B's builds within a second of connecting", async () => {
    const client = await dashboard(broker.url, broker.adminToken);
    // B posts a build every 50 ms from the moment the dashboard is connected; the first that
    // reaches the dashboard says when B started publishing.
    let posting = true;
    const poster = (async () => {
      while (posting) {
        await postBuild(b, broker.sdapiToken, startMessage(nextBuild++));
        await sleep(50);
      }
    })();
    const first = await waitFor('a build event from replica B', () => client.builds[0], 2000);
    posting = false;
    await poster;
    expect(first.receivedAt - client.openedAt).toBeLessThan(1000);

    const buildId = await runOnB();
    await waitFor('queued, leased and acked of the build on B', () =>
      ['queued', 'leased', 'acked'].every((state) => client.builds.some((e) => e.buildId === buildId && e.state === state)),
    );
    expect(await publishedBy(b)).toBeGreaterThan(0);
    client.socket.close();
    await client.closed;
  });

  it('stops publishing within a few seconds of the last dashboard leaving', async () => {
    // The raw subscriber counts as a receiver: only the watched key's expiry stops B here, the
    // slowest way (without it, the first PUBLISH that reaches nobody stops it at once).
    const stopped = await waitFor(
      'replica B to stop publishing',
      async () => {
        const before = await publishedBy(b);
        await postBuild(b, broker.sdapiToken, startMessage(nextBuild++));
        await sleep(20);
        return (await publishedBy(b)) === before;
      },
      WATCH_TTL_MS + 2 * WATCH_CHECK_MS,
      100,
    );
    expect(stopped).toBe(true);
    const count = heard.length;
    await runOnB();
    await runOnB();
    await sleep(100);
    expect(heard.length).toBe(count);
  });

  it('starts within a second from the watched key alone, should a replica miss the announcement', async () => {
    const commands = testRedis({ keyPrefix: broker.redisKeyPrefix });
    try {
      // What a watching replica does, but for the announcement.
      await commands.set(WATCHED_KEY, '1', 'PX', WATCH_TTL_MS);
      const count = heard.length;
      const since = Date.now();
      await waitFor('a build event from B', async () => {
        await postBuild(b, broker.sdapiToken, startMessage(nextBuild++));
        return heard.length > count;
      });
      expect(Date.now() - since).toBeLessThan(WATCH_CHECK_MS + 300);
      await commands.del(WATCHED_KEY);
    } finally {
      commands.disconnect();
    }
  });

  // On a Redis Cluster a PUBLISH counts the subscribers of one node only: the key alone decides.
  it.skipIf(onTestCluster())('stops at once when a PUBLISH reaches nobody (a single Redis)', async () => {
    const client = await dashboard(broker.url, broker.adminToken);
    await raw.unsubscribe();
    await waitFor('a build event from B', async () => {
      await postBuild(b, broker.sdapiToken, startMessage(nextBuild++));
      return client.builds.length > 0;
    });
    client.socket.close();
    await client.closed;
    // The next build's PUBLISH reaches no subscriber: B publishes none after it, key alive or not.
    await sleep(100);
    await postBuild(b, broker.sdapiToken, startMessage(nextBuild++));
    await sleep(100);
    const after = await publishedBy(b);
    for (let i = 0; i < 5; i++) await postBuild(b, broker.sdapiToken, startMessage(nextBuild++));
    await sleep(100);
    // A read of the still-living key in between may let one more through, and that one stops it again.
    expect(await publishedBy(b)).toBeLessThanOrEqual(after + 1);
  });
});
