import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { testRedis } from '../../../test/support/broker.js';
import { queueKeys } from './keys.js';
import { QueueStore, type QueueStoreOptions } from './store.js';
import { prefixedRedis } from '../../../test/support/prefixed-redis.js';

/** The queue core straight against the real Redis (no HTTP): each rule of README "Worker protocol". */
let redis: Redis;
const prefix = prefixedRedis(
  't-store',
  (client) => (redis = client),
  (keyPrefix) => testRedis({ keyPrefix }),
);

function store(overrides: Partial<QueueStoreOptions> = {}): QueueStore {
  return new QueueStore({ redis, wakeChannel: `${prefix}wake`, leaseMs: 60_000, maxAttempts: 5, keepMs: 60_000, ...overrides });
}

const msg = (buildId: number) => JSON.stringify({ buildId, pipeline: { name: 'org/repo', scmContext: 'github:github.com' } });
let queueSeq = 0;
const freshQueue = () => `q${++queueSeq}`;

async function fill(s: QueueStore, queue: string, ids: number[]): Promise<void> {
  for (const id of ids) await s.enqueue(queue, 'c1', id, msg(id));
}

async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('enqueue', () => {
  it('appends a build once, however often it is sent', async () => {
    const s = store();
    const q = freshQueue();
    const first = await s.enqueue(q, 'c1', 1, msg(1));
    const again = await Promise.all(Array.from({ length: 20 }, () => s.enqueue(q, 'c1', 1, msg(1))));
    expect(first.created).toBe(true);
    expect(again.every((r) => !r.created && r.state === 'queued')).toBe(true);
    expect(await redis.xlen(queueKeys(q).stream)).toBe(1);
    expect((await s.stats(q)).depth).toBe(1);
  });
});

describe('poll, ack, leases', () => {
  it('delivers in FIFO order, up to max, with the message as queued', async () => {
    const s = store();
    const q = freshQueue();
    await fill(s, q, [10, 11, 12, 13, 14]);
    const first = await s.poll(q, 'w1', 3);
    expect(first.jobs.map((j) => j.buildId)).toEqual([10, 11, 12]);
    expect(first.jobs[0]).toMatchObject({ type: 'start', attempt: 1, message: msg(10) });
    expect(first.jobs[0]!.leaseExpiresMs - first.now).toBe(60_000);
    const second = await s.poll(q, 'w1', 10);
    expect(second.jobs.map((j) => j.buildId)).toEqual([13, 14]);
    expect((await s.poll(q, 'w1', 10)).jobs).toEqual([]);
    const stats = await s.stats(q);
    expect(stats).toMatchObject({ depth: 0, inFlight: 5, workersLastMinute: 1, enqueuedTotal: 5 });
  });

  it('fences acks: a worker whose lease expired and whose build went to another gets lease_lost', async () => {
    const s = store({ leaseMs: 100 });
    const q = freshQueue();
    await fill(s, q, [20]);
    const a = (await s.poll(q, 'slow', 1)).jobs[0]!;
    const b = await waitFor(async () => (await s.poll(q, 'fast', 1)).jobs[0]);
    expect(b).toMatchObject({ buildId: 20, attempt: 2 });
    expect(b.leaseId).not.toBe(a.leaseId);
    const late = await s.ack(q, [a.leaseId]);
    expect(late).toMatchObject({ acked: [], rejected: [{ leaseId: a.leaseId, reason: 'lease_lost' }] });
    expect((await s.ack(q, [b.leaseId])).acked).toEqual([b.leaseId]);
    // the reply was lost: acking again answers acked again
    expect((await s.ack(q, [b.leaseId])).acked).toEqual([b.leaseId]);
    expect((await s.ack(q, ['999:s:1', 'garbage'])).rejected.map((r) => r.reason)).toEqual(['unknown_lease', 'unknown_lease']);
  });

  it('honours a late ack when nobody took the build again yet', async () => {
    const s = store({ leaseMs: 50 });
    const q = freshQueue();
    await fill(s, q, [30]);
    const a = (await s.poll(q, 'w', 1)).jobs[0]!;
    await waitFor(async () => (await s.reap(q)).expired === 1);
    expect((await s.stats(q)).depth).toBe(1);
    expect((await s.ack(q, [a.leaseId])).acked).toEqual([a.leaseId]);
    expect((await s.stats(q)).depth).toBe(0);
    expect((await s.poll(q, 'w', 1)).jobs).toEqual([]);
  });

  it('extends leases and reports builds asked to stop', async () => {
    const s = store({ leaseMs: 1000 });
    const q = freshQueue();
    await fill(s, q, [40, 41]);
    const [a, b] = (await s.poll(q, 'w', 2)).jobs;
    await s.stop(q, 'c1', 41, JSON.stringify({ buildId: 41 }));
    const ext = await s.extend(q, [a!.leaseId, b!.leaseId], 5000);
    expect(ext.extended.map((e) => e.leaseId)).toEqual([a!.leaseId, b!.leaseId]);
    expect(ext.extended[0]!.leaseExpiresMs).toBeGreaterThan(a!.leaseExpiresMs + 3000);
    expect(ext.stop).toEqual([41]);
    await s.ack(q, [a!.leaseId]);
    expect((await s.extend(q, [a!.leaseId])).rejected).toEqual([{ leaseId: a!.leaseId, reason: 'acked' }]);
  });

  it('replays a poll retried with the same pollId instead of leasing more', async () => {
    const s = store();
    const q = freshQueue();
    await fill(s, q, [50, 51, 52]);
    const first = await s.poll(q, 'w', 2, 'poll-1');
    const retry = await s.poll(q, 'w', 2, 'poll-1');
    expect(retry.replayed).toBe(true);
    expect(retry.jobs).toEqual(first.jobs);
    expect((await s.stats(q)).inFlight).toBe(2);
    expect((await s.poll(q, 'w', 2, 'poll-2')).jobs.map((j) => j.buildId)).toEqual([52]);
    // the same pollId from another worker is another poll
    expect((await s.poll(q, 'other', 2, 'poll-1')).replayed).toBe(false);
  });

  it('tops up a poll without replaying it, and replays both parts to a retry of it', async () => {
    const s = store();
    const q = freshQueue();
    await fill(s, q, [55]);
    const first = await s.poll(q, 'w', 5, 'poll-t');
    await fill(s, q, [56, 57]);
    const more = await s.poll(q, 'w', 4, 'poll-t', true);
    expect(more.replayed).toBe(false);
    expect(more.jobs.map((j) => j.buildId)).toEqual([56, 57]);
    const retry = await s.poll(q, 'w', 5, 'poll-t');
    expect(retry.replayed).toBe(true);
    expect(retry.jobs).toEqual([...first.jobs, ...more.jobs]);
    // without a pollId, a top-up is a plain poll
    await fill(s, q, [58]);
    expect((await s.poll(q, 'w', 4, undefined, true)).jobs.map((j) => j.buildId)).toEqual([58]);
  });
});

describe('nack, attempts and dead letters', () => {
  it('delivers a nacked build again before newer ones, with attempt + 1', async () => {
    const s = store();
    const q = freshQueue();
    await fill(s, q, [60, 61, 62]);
    const [a, b] = (await s.poll(q, 'w', 2)).jobs;
    const nack = await s.nack(q, [b!.leaseId, a!.leaseId], 'disk full');
    expect(nack.nacked).toHaveLength(2);
    const again = await s.poll(q, 'w', 3);
    expect(again.jobs.map((j) => [j.buildId, j.attempt])).toEqual([
      [60, 2],
      [61, 2],
      [62, 1],
    ]);
    expect((await s.ack(q, [a!.leaseId])).rejected[0]!.reason).toBe('lease_lost');
  });

  it('moves a build to the dead letters after maxAttempts deliveries, and requeues it', async () => {
    const s = store({ maxAttempts: 3 });
    const q = freshQueue();
    await fill(s, q, [70, 71]);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const job = (await s.poll(q, 'w', 1)).jobs[0]!;
      expect(job).toMatchObject({ buildId: 70, attempt });
      const r = await s.nack(q, [job.leaseId], 'boom');
      if (attempt === 3) expect(r.events[0]).toMatchObject({ buildId: 70, state: 'dead' });
    }
    const dead = await s.dead(q);
    expect(dead).toEqual([
      expect.objectContaining({ buildId: 70, type: 'start', attempts: 3, reason: expect.stringContaining('boom') }),
    ]);
    expect((await s.stats(q)).dead).toBe(1);
    expect((await s.poll(q, 'w', 5)).jobs.map((j) => j.buildId)).toEqual([71]);
    expect(await s.requeueDead(q, 70)).toBe(true);
    expect(await s.requeueDead(q, 70)).toBe(false);
    const back = (await s.poll(q, 'w', 1)).jobs[0]!;
    expect(back).toMatchObject({ buildId: 70, attempt: 1, message: msg(70) });
    expect((await s.stats(q)).dead).toBe(0);
  });
});

describe('settled builds', () => {
  it('drops the history of a plain build when it settles, and keeps it for one delivered twice', async () => {
    const s = store();
    const q = freshQueue();
    await fill(s, q, [300, 301]);
    const [plain, retried] = (await s.poll(q, 'w', 2)).jobs;
    await s.nack(q, [retried!.leaseId]);
    const again = (await s.poll(q, 'w', 1)).jobs[0]!;
    await s.ack(q, [plain!.leaseId, again.leaseId]);
    const k = queueKeys(q);
    expect(await redis.exists(`${k.base}h:300`)).toBe(0);
    expect(await redis.pttl(`${k.base}b:300`)).toBeGreaterThan(0);
    expect((await s.status(q, 300))!.fields).toMatchObject({ sst: 'acked', sat: '1', sw: 'w' });
    expect((await s.status(q, 301))!.history.map((h) => h.state)).toEqual(['queued', 'leased', 'queued', 'leased', 'acked']);
  });
});

describe('lease expiry and dead letters', () => {
  it('moves a build whose leases keep expiring to the dead letters, even when nobody polls', async () => {
    const s = store({ leaseMs: 30, maxAttempts: 2 });
    const q = freshQueue();
    await fill(s, q, [75]);
    expect((await s.poll(q, 'w', 1)).jobs[0]).toMatchObject({ buildId: 75, attempt: 1 });
    const second = await waitFor(async () => (await s.poll(q, 'w', 1)).jobs[0]);
    expect(second).toMatchObject({ buildId: 75, attempt: 2 });
    // the replica timer's reap, not a poll, notices the last lease running out
    const reaped = await waitFor(async () => {
      const r = await s.reap(q);
      return r.expired > 0 ? r : null;
    });
    expect(reaped.events).toEqual([{ buildId: 75, type: 'start', state: 'dead', detail: 'lease expired after 2 attempts' }]);
    expect(await s.stats(q)).toMatchObject({ depth: 0, inFlight: 0, dead: 1 });
    expect((await s.dead(q))[0]).toMatchObject({ buildId: 75, attempts: 2, reason: 'lease expired' });
    expect((await s.ack(q, [second.leaseId])).rejected[0]!.reason).toBe('lease_lost');
  });
});

describe('stop', () => {
  it('cancels a queued build so it is never delivered', async () => {
    const s = store();
    const q = freshQueue();
    await fill(s, q, [80, 81]);
    expect(await s.stop(q, 'c1', 80, '{}')).toEqual({ state: 'cancelled', changed: true });
    expect(await s.stop(q, 'c1', 80, '{}')).toEqual({ state: 'cancelled', changed: false });
    expect((await s.poll(q, 'w', 5)).jobs.map((j) => j.buildId)).toEqual([81]);
    expect((await s.stats(q)).depth).toBe(0);
  });

  it('cancels a build waiting to be delivered again', async () => {
    const s = store();
    const q = freshQueue();
    await fill(s, q, [82]);
    const job = (await s.poll(q, 'w', 1)).jobs[0]!;
    await s.nack(q, [job.leaseId]);
    expect((await s.stop(q, 'c1', 82, '{}')).state).toBe('cancelled');
    expect((await s.poll(q, 'w', 5)).jobs).toEqual([]);
    expect((await s.stats(q)).depth).toBe(0);
  });

  it('queues a stop message for a leased or acked build, once', async () => {
    const s = store();
    const q = freshQueue();
    await fill(s, q, [83, 84]);
    const [a, b] = (await s.poll(q, 'w', 2)).jobs;
    await s.ack(q, [b!.leaseId]);
    expect(await s.stop(q, 'c1', 83, '{"buildId":83}')).toEqual({ state: 'leased', changed: true });
    expect(await s.stop(q, 'c1', 83, '{"buildId":83}')).toEqual({ state: 'leased', changed: false });
    expect(await s.stop(q, 'c1', 84, '{"buildId":84}')).toEqual({ state: 'acked', changed: true });
    const stops = (await s.poll(q, 'w', 5)).jobs;
    expect(stops.map((j) => [j.buildId, j.type, j.message])).toEqual([
      [83, 'stop', '{"buildId":83}'],
      [84, 'stop', '{"buildId":84}'],
    ]);
    // stop messages follow the lease rules too
    expect(
      (
        await s.ack(
          q,
          stops.map((j) => j.leaseId),
        )
      ).acked,
    ).toHaveLength(2);
    // the start lease of 83 still acks
    expect((await s.ack(q, [a!.leaseId])).acked).toEqual([a!.leaseId]);
  });

  it('does not deliver again a leased build that was stopped and whose lease expired', async () => {
    const s = store({ leaseMs: 50 });
    const q = freshQueue();
    await fill(s, q, [85]);
    const job = (await s.poll(q, 'w', 1)).jobs[0]!;
    await s.stop(q, 'c1', 85, '{"buildId":85}');
    const stop = (await s.poll(q, 'w2', 5)).jobs;
    expect(stop.map((j) => j.type)).toEqual(['stop']);
    await waitFor(async () => (await s.reap(q)).expired > 0);
    expect((await s.status(q, 85))!.fields.sst).toBe('cancelled');
    expect((await s.ack(q, [job.leaseId])).rejected[0]!.reason).toBe('cancelled');
  });

  it('leaves a tombstone for a build it never saw, so a late append is refused', async () => {
    const s = store();
    const q = freshQueue();
    expect(await s.stop(q, 'c1', 86, '{}')).toEqual({ state: 'cancelled', changed: true });
    expect(await s.enqueue(q, 'c1', 86, msg(86))).toMatchObject({ created: false, state: 'cancelled' });
    expect((await s.poll(q, 'w', 5)).jobs).toEqual([]);
  });
});

describe('positions and watermarks', () => {
  it('counts a queued build’s position while the builds ahead are delivered', async () => {
    const s = store();
    const q = freshQueue();
    await fill(s, q, [90, 91, 92, 93, 94]);
    expect((await s.status(q, 94))!.position).toBe(5);
    await s.stop(q, 'c1', 91, '{}');
    expect((await s.status(q, 94))!.position).toBe(4);
    const [a] = (await s.poll(q, 'w', 1)).jobs;
    expect((await s.status(q, 94))!.position).toBe(3);
    await s.nack(q, [a!.leaseId]);
    // the nacked build is ahead of everything again
    expect((await s.status(q, 90))!.position).toBe(1);
    expect((await s.status(q, 94))!.position).toBe(4);
    await s.poll(q, 'w', 3);
    expect((await s.status(q, 94))!.position).toBe(1);
    expect((await s.status(q, 90))!.position).toBeNull();
    const detail = await s.detail(q, 10);
    expect(detail.next.map((n) => [n.buildId, n.position])).toEqual([[94, 1]]);
    expect(detail.leases.map((l) => l.buildId).sort()).toEqual([90, 92, 93]);
  });

  it('tracks both watermarks and never trims an unacked entry', async () => {
    const s = store();
    const q = freshQueue();
    await fill(s, q, [100, 101, 102]);
    const fresh = await s.stats(q);
    expect(fresh.deliveredWatermark).toBe('0-0');
    const jobs = (await s.poll(q, 'w', 2)).jobs;
    const ids = await redis.xrange(queueKeys(q).stream, '-', '+');
    const after = await s.stats(q);
    expect(after.deliveredWatermark).toBe(ids[1]![0]);
    await s.ack(q, [jobs[1]!.leaseId]);
    // 100 is still unacked, so the acked watermark stays below it and nothing is trimmed
    const partly = await s.stats(q);
    expect(partly.ackedWatermark < ids[0]![0]).toBe(true);
    expect(await redis.xlen(queueKeys(q).stream)).toBe(3);
    await s.ack(q, [jobs[0]!.leaseId]);
    expect((await s.stats(q)).ackedWatermark).toBe(ids[1]![0]);
  });

  it('shows the acked watermark as the last entry below the oldest unacked one', async () => {
    const s = store();
    const q = freshQueue();
    // a few ms apart, so that "the id just below 201" is not 200's id by arithmetic alone
    for (const id of [200, 201, 202]) {
      await fill(s, q, [id]);
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const jobs = (await s.poll(q, 'w', 3)).jobs;
    const ids = await redis.xrange(queueKeys(q).stream, '-', '+');
    await s.ack(q, [jobs[0]!.leaseId, jobs[2]!.leaseId]);
    // 201 is unacked: every entry at or below 200's id is acked, and nothing after it is
    expect((await s.stats(q)).ackedWatermark).toBe(ids[0]![0]);
  });

  it('trims a whole drained backlog once its oldest build is acked', async () => {
    const s = store();
    const q = freshQueue();
    const total = 12_000;
    for (let i = 0; i < total; i += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, k) => s.enqueue(q, 'c1', 200_000 + i + k, msg(1))));
    }
    const [oldest] = (await s.poll(q, 'w', 1)).jobs;
    for (;;) {
      const { jobs } = await s.poll(q, 'w', 100);
      if (jobs.length === 0) break;
      await s.ack(
        q,
        jobs.map((j) => j.leaseId),
      );
    }
    // everything but the oldest is acked: nothing may be trimmed past it
    expect(await redis.xlen(queueKeys(q).stream)).toBeGreaterThan(total - 200);
    await s.ack(q, [oldest!.leaseId]);
    expect(await redis.xlen(queueKeys(q).stream)).toBeLessThanOrEqual(100);
  }, 60_000);

  it('keeps the stream bounded over 10,000 acked builds', async () => {
    const s = store();
    const q = freshQueue();
    let maxLen = 0;
    for (let round = 0; round < 100; round++) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => s.enqueue(q, 'c1', 10_000 + round * 100 + i, msg(1))));
      const { jobs } = await s.poll(q, 'w', 100);
      expect(jobs).toHaveLength(100);
      await s.ack(
        q,
        jobs.map((j) => j.leaseId),
      );
      maxLen = Math.max(maxLen, await redis.xlen(queueKeys(q).stream));
    }
    const stats = await s.stats(q);
    expect(stats).toMatchObject({ depth: 0, inFlight: 0, ackedTotal: 10_000, enqueuedTotal: 10_000 });
    expect(stats.ackedWatermark).toBe(stats.deliveredWatermark);
    expect(maxLen).toBeLessThanOrEqual(300);
    expect(await redis.xlen(queueKeys(q).stream)).toBeLessThanOrEqual(200);
  }, 60_000);
});

describe('FIFO under nacks and expiries', () => {
  it('delivers 1,000 builds in order, each redelivery ahead of newer builds, and every build acked once', async () => {
    const s = store({ leaseMs: 40, maxAttempts: 100 });
    const q = freshQueue();
    const total = 1000;
    await fill(
      s,
      q,
      Array.from({ length: total }, (_, i) => i + 1),
    );
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const acked = new Set<number>();
    // handed back (nacked, or lease deadline passed by the poll's Redis clock) and not yet
    // delivered again: each poll must serve the lowest of them before any newer build
    const released = new Set<number>();
    let abandoned: Array<{ buildId: number; expires: number }> = [];
    let highestNew = 0;
    let redeliveries = 0;
    while (acked.size < total) {
      const { jobs, now } = await s.poll(q, 'w', 1 + Math.floor(rand() * 5));
      for (const a of abandoned.filter((a) => a.expires <= now)) released.add(a.buildId);
      abandoned = abandoned.filter((a) => a.expires > now);
      if (jobs.length === 0) {
        expect(released.size).toBe(0);
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      for (const job of jobs) {
        if (released.size > 0) {
          expect(job.buildId).toBe(Math.min(...released));
          expect(job.attempt).toBeGreaterThan(1);
          released.delete(job.buildId);
          redeliveries++;
        } else {
          expect(job).toMatchObject({ buildId: highestNew + 1, attempt: 1 });
          highestNew = job.buildId;
        }
      }
      const toAck: string[] = [];
      const toNack: string[] = [];
      for (const job of jobs) {
        const dice = rand();
        if (dice < 0.1) {
          toNack.push(job.leaseId);
          released.add(job.buildId);
        } else if (dice < 0.15) abandoned.push({ buildId: job.buildId, expires: job.leaseExpiresMs });
        else {
          toAck.push(job.leaseId);
          expect(acked.has(job.buildId)).toBe(false);
          acked.add(job.buildId);
        }
      }
      if (toNack.length) expect((await s.nack(q, toNack)).nacked).toHaveLength(toNack.length);
      if (toAck.length) expect((await s.ack(q, toAck)).acked).toHaveLength(toAck.length);
    }
    expect(highestNew).toBe(total);
    expect(redeliveries).toBeGreaterThan(100);
    expect(await s.stats(q)).toMatchObject({ depth: 0, inFlight: 0, ackedTotal: total });
  }, 120_000);
});
