import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../../test/support/broker.js';
import { postBuild, registerCluster, startMessage, waitFor, workerOf, type JobView, type TestCluster } from '@buildcluster/testkit/queue';

/** The rules of README "Worker protocol" through the HTTP routes with real cluster tokens, against the real Redis. */
describe('the worker protocol', () => {
  let broker: TestBroker;
  let alpha: TestCluster;
  let beta: TestCluster;
  let nextId = 0;

  beforeAll(async () => {
    broker = await startTestBroker({ env: { LEASE_MS: '1000', MAX_ATTEMPTS: '3' } });
    alpha = await registerCluster(broker.app, broker.adminToken, 'alpha');
    beta = await registerCluster(broker.app, broker.adminToken, 'beta', { weightage: 0 });
  });
  afterAll(async () => broker.close());

  const queueBuilds = async (cluster: string, n: number): Promise<number[]> => {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      const buildId = ++nextId;
      const res = await postBuild(broker.app, broker.sdapiToken, startMessage(buildId, { buildClusterName: cluster }));
      expect(res.statusCode).toBe(201);
      ids.push(buildId);
    }
    return ids;
  };

  it('leases builds with the start message, acks them, and answers 204 when empty', async () => {
    const [id] = await queueBuilds('alpha', 1);
    const worker = workerOf(broker.app, alpha);
    const { jobs } = await worker.poll();
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job).toMatchObject({ buildId: id, type: 'start', attempt: 1, message: { buildId: id, jobName: 'main' } });
    const leaseMs = Date.parse(job.leaseExpiresAt) - Date.now();
    expect(leaseMs).toBeGreaterThan(500);
    expect(leaseMs).toBeLessThanOrEqual(1000);
    expect(await worker.ack([job.leaseId])).toEqual({ acked: [job.leaseId], rejected: [] });
    expect(await worker.ack([job.leaseId])).toEqual({ acked: [job.leaseId], rejected: [] });
    expect((await worker.poll()).status).toBe(204);
  });

  it('keeps each cluster to its own queue and token', async () => {
    await queueBuilds('beta', 1);
    expect((await workerOf(broker.app, alpha).poll()).status).toBe(204);
    const stolen = await workerOf(broker.app, { ...alpha, name: 'beta' }).call('poll', { workerId: 'x', waitMs: 0 });
    expect(stolen.statusCode).toBe(403);
    const { jobs } = await workerOf(broker.app, beta).poll();
    await workerOf(broker.app, beta).ack(jobs.map((j) => j.leaseId));
  });

  it('validates the body: max 1–100, waitMs 0–30000, workerId required', async () => {
    const worker = workerOf(broker.app, alpha);
    for (const body of [{ workerId: 'w', max: 0 }, { workerId: 'w', max: 101 }, { workerId: 'w', waitMs: 30001 }, { max: 1 }]) {
      const res = await worker.call('poll', body);
      expect(res.statusCode).toBe(400);
    }
    expect((await worker.call('ack', { leaseIds: [] })).statusCode).toBe(400);
  });

  it('a worker that stops extending loses the build to the next poll (attempt 2) and its ack is lease_lost', async () => {
    const [id] = await queueBuilds('alpha', 1);
    const worker = workerOf(broker.app, alpha);
    const [first] = (await worker.poll({ workerId: 'stalled' })).jobs;
    expect((await worker.extend([first!.leaseId])).extended).toHaveLength(1);
    // stops extending: a poll waiting meanwhile is handed the build when the lease runs out
    const started = Date.now();
    const { jobs } = await worker.poll({ workerId: 'healthy', waitMs: 5000 });
    expect(Date.now() - started).toBeLessThan(4000);
    expect(jobs[0]).toMatchObject({ buildId: id, attempt: 2 });
    expect(await worker.ack([first!.leaseId])).toEqual({
      acked: [],
      rejected: [{ leaseId: first!.leaseId, reason: 'lease_lost' }],
    });
    expect((await worker.extend([first!.leaseId])).rejected[0]!.reason).toBe('lease_lost');
    expect((await worker.ack([jobs[0]!.leaseId])).acked).toEqual([jobs[0]!.leaseId]);
    const history = (
      await broker.app.inject({ url: `/v4/builds/${id}`, headers: { authorization: `Bearer ${broker.adminToken}` } })
    ).json().history;
    expect(history.map((h: { state: string; detail?: string }) => h.state)).toEqual([
      'queued',
      'leased',
      'queued',
      'leased',
      'acked',
    ]);
    expect(history[2].detail).toBe('lease expired');
  });

  it('extends a lease by leaseMs', async () => {
    await queueBuilds('alpha', 1);
    const worker = workerOf(broker.app, alpha);
    const [job] = (await worker.poll()).jobs;
    const ext = await worker.extend([job!.leaseId], 20_000);
    expect(Date.parse(ext.extended[0]!.leaseExpiresAt) - Date.now()).toBeGreaterThan(15_000);
    expect(ext.stop).toEqual([]);
    await worker.ack([job!.leaseId]);
  });

  it('moves a build to the dead letters after MAX_ATTEMPTS deliveries; an admin requeues it', async () => {
    const [id] = await queueBuilds('alpha', 1);
    const worker = workerOf(broker.app, alpha);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [job] = (await worker.poll()).jobs;
      expect(job).toMatchObject({ buildId: id, attempt });
      expect((await worker.nack([job!.leaseId], `exit ${attempt}`)).nacked).toEqual([job!.leaseId]);
    }
    expect((await worker.poll()).status).toBe(204);
    const auth = { authorization: `Bearer ${broker.adminToken}` };
    const dead = await broker.app.inject({ url: '/v4/queues/alpha/dead', headers: auth });
    expect(dead.statusCode).toBe(200);
    expect(dead.json()).toEqual([
      expect.objectContaining({ buildId: id, type: 'start', attempts: 3, reason: expect.stringContaining('exit 3') }),
    ]);
    expect((await broker.app.inject({ url: `/v4/builds/${id}`, headers: auth })).json().state).toBe('dead');
    const requeue = await broker.app.inject({ method: 'POST', url: `/v4/queues/alpha/dead/${id}/requeue`, headers: auth });
    expect(requeue.statusCode).toBe(200);
    expect(requeue.json()).toMatchObject({ buildId: id, state: 'queued', attempts: 0, position: 1 });
    const again = await broker.app.inject({ method: 'POST', url: `/v4/queues/alpha/dead/${id}/requeue`, headers: auth });
    expect(again.statusCode).toBe(404);
    const [job] = (await worker.poll()).jobs;
    expect(job).toMatchObject({ buildId: id, attempt: 1 });
    await worker.ack([job!.leaseId]);
  });

  it('returns the same leases to a poll retried with the same pollId', async () => {
    await queueBuilds('alpha', 3);
    const worker = workerOf(broker.app, alpha);
    const first = await worker.poll({ max: 2, pollId: 'p-1' });
    const retry = await worker.poll({ max: 2, pollId: 'p-1' });
    expect(retry.jobs).toEqual(first.jobs);
    const next = await worker.poll({ max: 2, pollId: 'p-2' });
    expect(next.jobs).toHaveLength(1);
    await worker.ack([...first.jobs, ...next.jobs].map((j) => j.leaseId));
  });

  describe('acks carried by the next poll', () => {
    it('acks the batch, then leases the next one, and reports both', async () => {
      const ids = await queueBuilds('alpha', 3);
      const worker = workerOf(broker.app, alpha);
      const first = await worker.poll({ max: 2 });
      expect(first.jobs.map((j) => j.buildId)).toEqual(ids.slice(0, 2));
      const next = await worker.poll({ max: 2, ack: first.jobs.map((j) => j.leaseId) });
      expect(next).toMatchObject({ status: 200, acked: first.jobs.map((j) => j.leaseId), rejected: [] });
      expect(next.jobs.map((j) => j.buildId)).toEqual([ids[2]]);
      // Acked for good: extending one is refused as acked, acking it again answers acked.
      expect((await worker.extend([first.jobs[0]!.leaseId])).rejected).toEqual([
        { leaseId: first.jobs[0]!.leaseId, reason: 'acked' },
      ]);
      expect(await worker.ack([first.jobs[1]!.leaseId])).toEqual({ acked: [first.jobs[1]!.leaseId], rejected: [] });
      // Nothing left to lease: 200 with the acks' outcome where a bare poll answers 204.
      const last = await worker.poll({ ack: next.jobs.map((j) => j.leaseId) });
      expect(last).toEqual({ status: 200, jobs: [], acked: next.jobs.map((j) => j.leaseId), rejected: [] });
      expect((await worker.poll()).status).toBe(204);
    });

    it('makes the acks before it waits, and reports refused ones without failing the poll', async () => {
      const [id] = await queueBuilds('alpha', 1);
      const worker = workerOf(broker.app, alpha);
      const [job] = (await worker.poll()).jobs;
      expect(job!.buildId).toBe(id);
      const waiting = worker.poll({ waitMs: 5000, ack: [job!.leaseId, '999999:s:1'] });
      // While that poll waits, its ack is already made: the build is done.
      await waitFor('the carried ack', async () => {
        const res = await broker.app.inject({ url: `/v4/builds/${id}`, headers: { authorization: `Bearer ${broker.adminToken}` } });
        return res.json<{ state: string }>().state === 'acked' ? true : null;
      });
      const [later] = await queueBuilds('alpha', 1);
      const answer = await waiting;
      expect(answer.jobs.map((j) => j.buildId)).toEqual([later]);
      expect(answer.acked).toEqual([job!.leaseId]);
      expect(answer.rejected).toEqual([{ leaseId: '999999:s:1', reason: 'unknown_lease' }]);
      await worker.ack([answer.jobs[0]!.leaseId]);
    });

    it('refuses an empty, oversized or malformed ack list with a 400 naming it', async () => {
      const worker = workerOf(broker.app, alpha);
      const many = Array.from({ length: 101 }, (_, i) => `${i + 1}:s:1`);
      for (const ack of [[], many, [''], { leaseId: 'x' }]) {
        const res = await worker.call('poll', { workerId: 'w', waitMs: 0, ack });
        expect(res.statusCode).toBe(400);
        expect(res.json<{ message: string }>().message).toMatch(/ack/);
      }
    });
  });

  it('lets the workers of an inactive cluster drain what is queued', async () => {
    const [id] = await queueBuilds('alpha', 1);
    const res = await broker.app.inject({
      method: 'PUT',
      url: '/v4/buildClusters/alpha',
      headers: { authorization: `Bearer ${broker.adminToken}` },
      payload: { isActive: false },
    });
    expect(res.statusCode).toBe(200);
    const worker = workerOf(broker.app, alpha);
    const [job] = (await worker.poll()).jobs;
    expect(job!.buildId).toBe(id);
    await worker.ack([job!.leaseId]);
    await broker.app.inject({
      method: 'PUT',
      url: '/v4/buildClusters/alpha',
      headers: { authorization: `Bearer ${broker.adminToken}` },
      payload: { isActive: true },
    });
  });
});

describe('FIFO over HTTP', () => {
  let broker: TestBroker;
  let alpha: TestCluster;

  beforeAll(async () => {
    broker = await startTestBroker({ env: { LEASE_MS: '1000', MAX_ATTEMPTS: '50' } });
    alpha = await registerCluster(broker.app, broker.adminToken, 'alpha');
  });
  afterAll(async () => broker.close());

  it('delivers 1,000 builds in order; nacked and expired ones come back before newer ones', async () => {
    const total = 1000;
    for (let i = 1; i <= total; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, k) => postBuild(broker.app, broker.sdapiToken, startMessage(i + k))));
    }
    // concurrent posts may land in any order: FIFO is the order the queue accepted them
    const order = (
      await broker.app.inject({ url: '/v4/queues/alpha', headers: { authorization: `Bearer ${broker.adminToken}` } })
    ).json();
    expect(order.depth).toBe(total);
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const worker = workerOf(broker.app, alpha);
    const delivered: JobView[] = [];
    const acked = new Set<number>();
    const released = new Set<number>();
    let newest = 0;
    let round = 0;
    const positionOf = new Map<number, number>();
    while (acked.size < total) {
      round++;
      const { jobs } = await worker.poll({ max: 1 + Math.floor(rand() * 8) });
      expect(jobs.length).toBeGreaterThan(0);
      for (const job of jobs) {
        delivered.push(job);
        if (released.size > 0) {
          // released builds come back lowest queue position first
          const expected = [...released].sort((a, b) => positionOf.get(a)! - positionOf.get(b)!)[0]!;
          expect(job.buildId).toBe(expected);
          expect(job.attempt).toBeGreaterThan(1);
          released.delete(job.buildId);
        } else {
          expect(job.attempt).toBe(1);
          positionOf.set(job.buildId, ++newest);
        }
      }
      const ack: string[] = [];
      const nack: string[] = [];
      let abandoned: JobView[] = [];
      for (const job of jobs) {
        const dice = rand();
        if (dice < 0.1) {
          nack.push(job.leaseId);
          released.add(job.buildId);
        } else if (dice < 0.14 && round % 40 === 0) abandoned.push(job);
        else {
          ack.push(job.leaseId);
          acked.add(job.buildId);
        }
      }
      if (nack.length) expect((await worker.nack(nack)).nacked).toHaveLength(nack.length);
      if (ack.length) expect((await worker.ack(ack)).acked).toHaveLength(ack.length);
      if (abandoned.length > 0) {
        // the worker "dies": its leases run out before anyone polls again
        const lapse = Math.max(...abandoned.map((j) => Date.parse(j.leaseExpiresAt))) + 30 - Date.now();
        await new Promise((r) => setTimeout(r, lapse));
        for (const job of abandoned) released.add(job.buildId);
        abandoned = [];
      }
    }
    // the first deliveries followed the queue's own order
    const firstDeliveries = delivered.filter((j) => j.attempt === 1).map((j) => j.buildId);
    expect(firstDeliveries).toHaveLength(total);
    const enqueued = firstDeliveries.map((id) => delivered.find((j) => j.buildId === id)!.enqueuedAt);
    expect([...enqueued].sort()).toEqual(enqueued);
    expect(delivered.some((j) => j.attempt > 1)).toBe(true);
    const stats = (
      await broker.app.inject({ url: '/v4/queues/alpha', headers: { authorization: `Bearer ${broker.adminToken}` } })
    ).json();
    expect(stats).toMatchObject({ depth: 0, inFlight: 0, ackedTotal: total });
  }, 120_000);
});
