import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../../test/support/broker.js';
import {
  postBuild,
  registerCluster,
  startMessage,
  stopBuild,
  updateCluster,
  waitFor,
  workerOf,
} from '@buildcluster/testkit/queue';

/**
 * A queue belongs to one cluster for its whole life: renaming `queue` moves nothing, no two
 * clusters share one, a name registered again starts empty, and a delete never strands a build.
 */
describe('queue identity', () => {
  let broker: TestBroker;
  let nextId = 90_000;
  const id = () => ++nextId;

  beforeAll(async () => {
    broker = await startTestBroker({ env: { CLUSTER_RECONCILE_SECONDS: '1', MAX_ATTEMPTS: '1' } });
  });
  afterAll(async () => broker.close());

  const admin = (method: 'GET' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    broker.app.inject({ method, url, payload, headers: { authorization: `Bearer ${broker.adminToken}` } });
  const post = (buildId: number, overrides: Parameters<typeof startMessage>[1] = {}) =>
    postBuild(broker.app, broker.sdapiToken, startMessage(buildId, overrides));
  const status = async (buildId: number) =>
    (
      await broker.app.inject({
        method: 'GET',
        url: `/v4/builds/${buildId}`,
        headers: { authorization: `Bearer ${broker.sdapiToken}` },
      })
    ).json<{ state: string; cluster: string | null }>();

  it('renaming the queue of a cluster holding builds strands nothing', async () => {
    const c = await registerCluster(broker.app, broker.adminToken, 'renamed', { weightage: 0 });
    const a = id();
    const b = id();
    expect((await post(a, { buildClusterName: 'renamed' })).statusCode).toBe(201);
    expect((await post(b, { buildClusterName: 'renamed' })).statusCode).toBe(201);
    const worker = workerOf(broker.app, c);
    const [leased] = (await worker.poll()).jobs;
    await updateCluster(broker.app, broker.adminToken, 'renamed', { queue: 'renamed-elsewhere' });
    expect((await worker.ack([leased!.leaseId])).acked).toEqual([leased!.leaseId]);
    const [next] = (await worker.poll()).jobs;
    expect(next?.buildId).toBe(b);
    await worker.ack([next!.leaseId]);
    expect((await admin('DELETE', '/v4/buildClusters/renamed')).statusCode).toBe(204);
    expect((await status(a)).state).toBe('acked');
    expect((await status(b)).state).toBe('acked');
  });

  it("another organization's external cluster set to org-a's queue never gets org-a's builds", async () => {
    await registerCluster(broker.app, broker.adminToken, 'org-a-ext', {
      managedBy: 'external',
      scmOrganization: 'org-a',
      queue: 'org-a-queue',
    });
    const intruder = await registerCluster(broker.app, broker.adminToken, 'org-b-ext', {
      managedBy: 'external',
      scmOrganization: 'org-b',
    });
    await updateCluster(broker.app, broker.adminToken, 'org-b-ext', { queue: 'org-a-queue' });
    // Without intent: a cluster whose name is another cluster's custom queue.
    const namesake = await registerCluster(broker.app, broker.adminToken, 'org-a-queue', {
      managedBy: 'external',
      scmOrganization: 'org-b',
    });
    const buildId = id();
    const res = await post(buildId, {
      buildClusterName: 'org-a-ext',
      pipeline: { id: 5, name: 'org-a/private', scmContext: 'github:github.com' },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect((await workerOf(broker.app, intruder).poll()).status).toBe(204);
    expect((await workerOf(broker.app, namesake).poll()).status).toBe(204);
    expect((await status(buildId)).state).toBe('queued');
  });

  it('a name registered again starts empty: no dead letters, no stop of an old build', async () => {
    const old = await registerCluster(broker.app, broker.adminToken, 'reused', { weightage: 0 });
    const acked = id();
    expect((await post(acked, { buildClusterName: 'reused' })).statusCode).toBe(201);
    const worker = workerOf(broker.app, old);
    const [job] = (await worker.poll()).jobs;
    await worker.ack([job!.leaseId]);
    expect((await admin('DELETE', '/v4/buildClusters/reused')).statusCode).toBe(204);
    const reborn = await registerCluster(broker.app, broker.adminToken, 'reused', {
      weightage: 0,
      managedBy: 'external',
      scmOrganization: 'org-b',
    });
    // Screwdriver stops the old build: nothing reaches the new cluster of the same name.
    expect((await stopBuild(broker.app, broker.sdapiToken, acked)).statusCode).toBe(200);
    expect((await workerOf(broker.app, reborn).poll()).status).toBe(204);
    const figures = (await admin('GET', '/v4/queues/reused')).json<{ depth: number; dead: number; enqueuedTotal: number }>();
    expect(figures).toMatchObject({ depth: 0, dead: 0, enqueuedTotal: 0 });
  });

  it('refuses to delete a cluster while its queue holds dead letters', async () => {
    const c = await registerCluster(broker.app, broker.adminToken, 'has-dead', { weightage: 0 });
    const buildId = id();
    expect((await post(buildId, { buildClusterName: 'has-dead' })).statusCode).toBe(201);
    const worker = workerOf(broker.app, c);
    const [job] = (await worker.poll()).jobs;
    await worker.nack([job!.leaseId]);
    expect((await status(buildId)).state).toBe('dead');
    const res = await admin('DELETE', '/v4/buildClusters/has-dead');
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().message).toContain('1 dead');
  });

  it('a delete racing with posts strands no build: each is queued on a live cluster or pending', async () => {
    const doomed = await registerCluster(broker.app, broker.adminToken, 'doomed', {
      scmContext: 'gitlab:race.example',
    });
    const ctx = { pipeline: { id: 9, name: 'race/repo', scmContext: 'gitlab:race.example' } };
    const posted: number[] = [];
    let deleting = true;
    const worker = workerOf(broker.app, doomed);
    const drain = (async () => {
      while (deleting) {
        const { jobs } = await worker.poll({ max: 20 }).catch(() => ({ jobs: [] }));
        if (jobs.length > 0) await worker.ack(jobs.map((j) => j.leaseId)).catch(() => {});
        else await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const producer = (async () => {
      while (deleting) {
        const batch = Array.from({ length: 10 }, () => id());
        posted.push(...batch);
        await Promise.all(batch.map((b) => post(b, ctx)));
        // Moments with an empty queue, when a delete gets past the idle check.
        await new Promise((r) => setTimeout(r, 3));
      }
    })();
    let deleted = false;
    for (let attempt = 0; attempt < 400 && !deleted; attempt++) {
      deleted = (await admin('DELETE', '/v4/buildClusters/doomed')).statusCode === 204;
      if (!deleted) await new Promise((r) => setTimeout(r, 1));
    }
    deleting = false;
    await Promise.all([drain, producer]);
    expect(deleted).toBe(true);
    await registerCluster(broker.app, broker.adminToken, 'rescuer', { scmContext: 'gitlab:race.example' });
    for (const buildId of posted) {
      const s = await waitFor(`build ${buildId} acked or queued on a live cluster`, async () => {
        const now = await status(buildId);
        return now.state === 'acked' || (now.state === 'queued' && now.cluster === 'rescuer') ? now : null;
      });
      expect(s.cluster === 'doomed' ? s.state : 'ok').not.toBe('queued');
    }
  }, 60_000);

  it('a pending build that named a cluster which is then deleted is queued as unnamed', async () => {
    await registerCluster(broker.app, broker.adminToken, 'sleepy', { isActive: false, scmContext: 'gitlab:pending.example' });
    const buildId = id();
    const res = await post(buildId, {
      buildClusterName: 'sleepy',
      pipeline: { id: 8, name: 'p/q', scmContext: 'gitlab:pending.example' },
    });
    expect(res.json().state).toBe('pending');
    expect((await admin('DELETE', '/v4/buildClusters/sleepy')).statusCode).toBe(204);
    await registerCluster(broker.app, broker.adminToken, 'awake', { scmContext: 'gitlab:pending.example' });
    const s = await waitFor('the pending build to be queued', async () => {
      const now = await status(buildId);
      return now.state === 'queued' ? now : null;
    });
    expect(s.cluster).toBe('awake');
  });

  it('a cache that outlived a crash between the PostgreSQL commit and its removal is repaired', async () => {
    await registerCluster(broker.app, broker.adminToken, 'ghost-1', { weightage: 0 });
    await registerCluster(broker.app, broker.adminToken, 'ghost-2', { weightage: 0 });
    // The broker died right after the commit: the rows are gone, the cache still has them.
    const client = new pg.Client({ connectionString: broker.databaseUrl });
    await client.connect();
    try {
      await client.query(`delete from "buildClusters" where name in ('ghost-1', 'ghost-2')`);
    } finally {
      await client.end();
    }
    // A retried DELETE completes the delete.
    expect((await admin('DELETE', '/v4/buildClusters/ghost-1')).statusCode).toBe(204);
    expect((await post(id(), { buildClusterName: 'ghost-1' })).statusCode).toBe(400);
    // The periodic check against PostgreSQL repairs the other one.
    await waitFor('ghost-2 to leave the cache', async () => (await broker.app.clusters.get('ghost-2')) === null);
    expect((await post(id(), { buildClusterName: 'ghost-2' })).statusCode).toBe(400);
    const last = await admin('DELETE', '/v4/buildClusters/ghost-2');
    expect(last.statusCode, last.body).toBe(404);
  });
});
