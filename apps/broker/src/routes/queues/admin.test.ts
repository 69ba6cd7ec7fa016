import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintApiToken, startTestBroker, type TestBroker } from '../../../test/support/broker.js';
import { postBuild, registerCluster, startMessage, workerOf, type TestCluster } from '@buildcluster/testkit/queue';

/** Queue administration (README "API", the /v4/queues routes), /v1/queue/stats, the delete guard and the Prometheus figures. */
describe('queue administration', () => {
  let broker: TestBroker;
  let alpha: TestCluster;
  let auth: { authorization: string };

  beforeAll(async () => {
    broker = await startTestBroker();
    auth = { authorization: `Bearer ${broker.adminToken}` };
    alpha = await registerCluster(broker.app, broker.adminToken, 'alpha');
    await registerCluster(broker.app, broker.adminToken, 'idle', { weightage: 0, queue: 'idle-queue' });
    for (let id = 1; id <= 5; id++) await postBuild(broker.app, broker.sdapiToken, startMessage(id));
    const worker = workerOf(broker.app, alpha);
    const { jobs } = await worker.poll({ workerId: 'runner-1', max: 2 });
    await worker.ack([jobs[0]!.leaseId]);
    await postBuild(broker.app, broker.sdapiToken, startMessage(99, { pipeline: { name: 'a/b', scmContext: 'none:x' } }));
  });
  afterAll(async () => broker.close());

  it('GET /v4/queues lists every queue with its figures', async () => {
    const res = await broker.app.inject({ url: '/v4/queues', headers: auth });
    expect(res.statusCode).toBe(200);
    const queues = res.json<Array<Record<string, unknown>>>();
    expect(queues.map((q) => q.cluster)).toEqual(['alpha', 'idle']);
    const a = queues[0]!;
    expect(a).toMatchObject({
      cluster: 'alpha',
      queue: 'alpha',
      depth: 3,
      inFlight: 1,
      dead: 0,
      workersLastMinute: 1,
      enqueuedTotal: 5,
      ackedTotal: 1,
    });
    expect(a.oldestQueuedAgeMs).toEqual(expect.any(Number));
    expect(a.deliveredWatermark).toMatch(/^\d+-\d+$/);
    // build 1 is acked, build 2 is not: the acked watermark sits just below build 2's entry
    expect(a.ackedWatermark).not.toBe(a.deliveredWatermark);
    expect(queues[1]).toMatchObject({ queue: 'idle-queue', depth: 0, oldestQueuedAgeMs: null, deliveredWatermark: '0-0' });
  });

  it('GET /v4/queues/{cluster} shows in-flight leases and the next queued builds', async () => {
    const res = await broker.app.inject({ url: '/v4/queues/alpha', headers: auth });
    expect(res.statusCode).toBe(200);
    const detail = res.json();
    expect(detail.leases).toEqual([
      expect.objectContaining({
        buildId: 2,
        type: 'start',
        workerId: 'runner-1',
        attempt: 1,
        leaseExpiresAt: expect.any(String),
      }),
    ]);
    expect(detail.next.map((n: { buildId: number; position: number }) => [n.buildId, n.position])).toEqual([
      [3, 1],
      [4, 2],
      [5, 3],
    ]);
    expect((await broker.app.inject({ url: '/v4/queues/nowhere', headers: auth })).statusCode).toBe(404);
  });

  it('needs the admin scope', async () => {
    const res = await broker.app.inject({ url: '/v4/queues', headers: { authorization: `Bearer ${broker.sdapiToken}` } });
    expect(res.statusCode).toBe(403);
    expect((await broker.app.inject({ url: '/v4/queues' })).statusCode).toBe(401);
  });

  it('GET /v1/queue/stats answers sdapi and admin tokens', async () => {
    for (const token of [broker.sdapiToken, broker.adminToken]) {
      const res = await broker.app.inject({ url: '/v1/queue/stats', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(200);
      expect(res.json().pending).toBe(1);
      expect(res.json().queues).toHaveLength(2);
    }
    const other = mintApiToken({ scope: ['user'] });
    expect((await broker.app.inject({ url: '/v1/queue/stats', headers: { authorization: `Bearer ${other}` } })).statusCode).toBe(
      403,
    );
  });

  it('exports queue depth, in-flight, dead, pending, waiting polls and dispatch latency to Prometheus', async () => {
    const res = await broker.app.inject({ url: '/metrics' });
    expect(res.body).toContain('broker_queue_depth{cluster="alpha",queue="alpha"} 3');
    expect(res.body).toContain('broker_queue_in_flight{cluster="alpha",queue="alpha"} 1');
    expect(res.body).toContain('broker_queue_dead{cluster="alpha",queue="alpha"} 0');
    expect(res.body).toContain('broker_builds_pending 1');
    expect(res.body).toContain('broker_polls_waiting 0');
    // The linger depends on how busy this process is just now: only its presence is certain.
    expect(res.body).toMatch(/\nbroker_poll_linger_ms \d+\n/);
    expect(res.body).toContain('# TYPE broker_poll_top_ups_total counter');
    expect(res.body).toContain('# TYPE broker_poll_top_up_builds_total counter');
    expect(res.body).toMatch(/broker_dispatch_latency_seconds_count\{queue="alpha"\} 2/);
    expect(res.body).toContain('broker_leases_expired_total');
  });

  it('refuses to delete a cluster whose queue holds work, with the figures; deletes it once drained', async () => {
    const del = () => broker.app.inject({ method: 'DELETE', url: '/v4/buildClusters/alpha', headers: auth });
    const busy = await del();
    expect(busy.statusCode).toBe(409);
    expect(busy.json().message).toContain('3 queued and 1 leased');
    const worker = workerOf(broker.app, alpha);
    const { jobs } = await worker.poll({ max: 10 });
    const inFlight = (await broker.app.inject({ url: '/v4/queues/alpha', headers: auth })).json().leases;
    await worker.ack([...jobs.map((j) => j.leaseId), ...inFlight.map((l: { leaseId: string }) => l.leaseId)]);
    expect((await del()).statusCode).toBe(204);
    // the deleted cluster's queue stays readable, but leaves the list once it holds nothing
    const after = await broker.app.inject({ url: '/v4/queues/alpha', headers: auth });
    expect(after.statusCode).toBe(200);
    expect(after.json()).toMatchObject({ depth: 0, inFlight: 0, ackedTotal: 5 });
    const list = await broker.app.inject({ url: '/v4/queues', headers: auth });
    expect(list.json().map((q: { cluster: string }) => q.cluster)).toEqual(['idle']);
  });
});
