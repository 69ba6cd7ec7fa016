import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushPrefix, TEST_REDIS_URL } from '../../../test/support/broker.js';
import { startOwnRedis } from '@buildcluster/testkit/redis-server';
import { QueueStore } from './store.js';

/**
 * A build's position is read in O(log n) Redis work, whatever the backlog (GET /v4/builds/{id} and
 * requeue must not stall every poll and ack); stop messages go ahead of queued starts.
 */
const prefix = `t-position-${randomUUID().slice(0, 8)}:`;
let redis: Redis;
let probe: Redis;

const store = () => new QueueStore({ redis, wakeChannel: `${prefix}wake`, leaseMs: 60_000, maxAttempts: 5, keepMs: 60_000 });
const msg = (buildId: number) => JSON.stringify({ buildId });

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL, { keyPrefix: prefix });
  probe = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  redis.disconnect();
  probe.disconnect();
  await flushPrefix(prefix);
});

describe('position', () => {
  it('on a 100k backlog, lookups of the last build do not stall Redis', async () => {
    // A Redis of its own: no other test's load in its timings, and a SLOWLOG that logs from 2 ms.
    const own = await startOwnRedis(['--slowlog-log-slower-than', '2000']);
    const client = new Redis(own.url);
    const pinger = new Redis(own.url);
    try {
      const s = new QueueStore({ redis: client, wakeChannel: 'wake', leaseMs: 60_000, maxAttempts: 5, keepMs: 60_000 });
      const q = 'big';
      const total = 100_000;
      for (let from = 0; from < total; from += 2000) {
        await Promise.all(Array.from({ length: 2000 }, (_, i) => s.enqueue(q, 'c', from + i + 1, msg(from + i + 1))));
      }
      // Some delivered, one ahead cancelled: the position counts only what is still ahead.
      expect((await s.poll(q, 'w', 10)).jobs).toHaveLength(10);
      await s.stop(q, 'c', 20, '{}');
      await pinger.slowlog('RESET');
      const pings: number[] = [];
      let looking = true;
      const pinging = (async () => {
        while (looking) {
          const t = performance.now();
          await pinger.ping();
          pings.push(performance.now() - t);
        }
      })();
      for (let i = 0; i < 30; i++) {
        const status = await s.status(q, total);
        expect(status!.position).toBe(total - 10 - 1);
      }
      looking = false;
      await pinging;
      // The scan of the backlog inside the lookup blocked Redis ~100 ms per lookup (the slowest
      // PING 880 ms). Redis's own measure first, then what other clients saw: the median PING,
      // and a generous bound on the slowest, which a busy machine's scheduling also moves.
      const slow = (await pinger.slowlog('GET', 128)) as Array<[number, number, number, string[]]>;
      // every script call since the reset is a lookup
      const lookups = slow.filter(([, , , args]) => args[0]?.toLowerCase() === 'evalsha');
      expect(lookups.map(([, , micros]) => `${micros} µs`)).toEqual([]);
      const sorted = [...pings].sort((a, b) => a - b);
      expect(sorted[Math.floor(sorted.length / 2)], 'median PING while looking builds up (ms)').toBeLessThan(20);
      expect(sorted.at(-1), 'slowest PING while looking builds up (ms)').toBeLessThan(500);
      expect((await s.status(q, 11))!.position).toBe(1);
      expect((await s.status(q, 21))!.position).toBe(10);
    } finally {
      client.disconnect();
      pinger.disconnect();
      own.stop();
    }
  }, 120_000);

  it('stays exact through cancellations, redeliveries, stops and requeues', async () => {
    const s = store();
    const q = 'mixed';
    for (const id of [1, 2, 3, 4, 5, 6]) await s.enqueue(q, 'c', id, msg(id));
    const [a, b] = (await s.poll(q, 'w', 2)).jobs;
    await s.stop(q, 'c', 4, '{}');
    expect((await s.status(q, 6))!.position).toBe(3);
    // a stop for a leased build goes ahead of every queued start
    await s.stop(q, 'c', 1, '{"stop":1}');
    expect((await s.status(q, 3))!.position).toBe(2);
    expect((await s.status(q, 6))!.position).toBe(4);
    await s.nack(q, [b!.leaseId]);
    expect((await s.status(q, 2))!.position).toBe(2);
    expect((await s.status(q, 6))!.position).toBe(5);
    const next = (await s.poll(q, 'w', 2)).jobs;
    expect(next.map((j) => [j.buildId, j.type])).toEqual([
      [1, 'stop'],
      [2, 'start'],
    ]);
    expect((await s.status(q, 3))!.position).toBe(1);
    expect((await s.status(q, 6))!.position).toBe(3);
    const rest = (await s.poll(q, 'w', 10)).jobs;
    expect(rest.map((j) => j.buildId)).toEqual([3, 5, 6]);
    await s.ack(q, [a!.leaseId, ...next.map((j) => j.leaseId), ...rest.map((j) => j.leaseId)]);
    expect(await s.stats(q)).toMatchObject({ depth: 0, inFlight: 0 });
  });

  it('a stop message is delivered before queued starts, and only once', async () => {
    const s = store();
    const q = 'stops';
    for (const id of [31, 32, 33]) await s.enqueue(q, 'c', id, msg(id));
    const [first] = (await s.poll(q, 'w', 1)).jobs;
    await s.stop(q, 'c', 31, '{"buildId":31}');
    const order: string[] = [];
    for (;;) {
      const { jobs } = await s.poll(q, 'w', 1);
      if (jobs.length === 0) break;
      order.push(`${jobs[0]!.buildId}:${jobs[0]!.type}`);
      await s.ack(q, [jobs[0]!.leaseId]);
    }
    expect(order).toEqual(['31:stop', '32:start', '33:start']);
    await s.ack(q, [first!.leaseId]);
    expect(await s.stats(q)).toMatchObject({ depth: 0, inFlight: 0 });
  });
});
