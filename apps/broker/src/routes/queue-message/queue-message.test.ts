import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerForSuite, mintApiToken, startTestBroker, type TestBroker } from '../../../test/support/broker.js';
import {
  postBuild,
  registerCluster,
  startMessage,
  stopBuild,
  updateCluster,
  waitFor,
  workerOf,
  type TestCluster,
} from '@buildcluster/testkit/queue';

/** The rules of README "API", Which cluster runs a build, through the HTTP routes, against the real registry, PostgreSQL and Redis. */
describe('POST /v1/queue/message: cluster selection', () => {
  let broker: TestBroker;
  let sd: string;
  let optin: TestCluster;
  const ctx = 'github:github.com';
  let nextId = 1000;
  const id = () => ++nextId;

  beforeAll(async () => {
    broker = await startTestBroker();
    sd = broker.sdapiToken;
    const { app, adminToken } = broker;
    await registerCluster(app, adminToken, 'sd-heavy', { weightage: 75 });
    await registerCluster(app, adminToken, 'sd-light', { weightage: 25 });
    optin = await registerCluster(app, adminToken, 'sd-optin', { weightage: 0 });
    await registerCluster(app, adminToken, 'sd-off', { isActive: false });
    await registerCluster(app, adminToken, 'ext-acme', { managedBy: 'external', scmOrganization: 'acme' });
    await registerCluster(app, adminToken, 'gitlab-one', { scmContext: 'gitlab:gitlab.com' });
    await registerCluster(app, adminToken, 'aws-west', {
      provider: { name: 'aws', region: 'us-west-2', accountId: '123456789012' },
    });
  });
  afterAll(async () => broker.close());

  it('queues a build on the requested cluster (buildClusterName) and answers 201', async () => {
    const buildId = id();
    const res = await postBuild(broker.app, sd, startMessage(buildId, { buildClusterName: 'sd-optin' }));
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ buildId, state: 'queued', cluster: 'sd-optin', queue: 'sd-optin' });
  });

  it('takes the request from the screwdriver.cd/buildCluster annotation', async () => {
    const res = await postBuild(
      broker.app,
      sd,
      startMessage(id(), { annotations: { 'screwdriver.cd/buildCluster': 'sd-optin' } }),
    );
    expect(res.json().cluster).toBe('sd-optin');
  });

  it('refuses an unknown requested cluster with 400 naming it', async () => {
    const res = await postBuild(broker.app, sd, startMessage(id(), { buildClusterName: 'nowhere' }));
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('nowhere');
  });

  it('refuses a cluster of another scmContext with 403 naming it', async () => {
    const res = await postBuild(broker.app, sd, startMessage(id(), { buildClusterName: 'gitlab-one' }));
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toContain('gitlab-one');
  });

  it('runs an external cluster only for its own organization', async () => {
    const denied = await postBuild(broker.app, sd, startMessage(id(), { buildClusterName: 'ext-acme' }));
    expect(denied.statusCode).toBe(403);
    expect(denied.json().message).toContain('ext-acme');
    const allowed = await postBuild(
      broker.app,
      sd,
      startMessage(id(), { buildClusterName: 'ext-acme', pipeline: { name: 'acme/app', scmContext: ctx } }),
    );
    expect(allowed.statusCode).toBe(201);
    expect(allowed.json().cluster).toBe('ext-acme');
  });

  it('falls through to the managed pool when the requested cluster is inactive', async () => {
    const res = await postBuild(broker.app, sd, startMessage(id(), { buildClusterName: 'sd-off' }));
    expect(res.statusCode).toBe(201);
    expect(['sd-heavy', 'sd-light']).toContain(res.json().cluster);
  });

  it('sends builds with a provider block only to clusters of that provider, region and account', async () => {
    const provider = { name: 'aws', region: 'us-west-2', accountId: '123456789012' };
    const res = await postBuild(broker.app, sd, startMessage(id(), { provider }));
    expect(res.json()).toMatchObject({ state: 'queued', cluster: 'aws-west' });
    const refused = await postBuild(broker.app, sd, startMessage(id(), { buildClusterName: 'aws-west' }));
    expect(refused.statusCode).toBe(403);
    const elsewhere = await postBuild(broker.app, sd, startMessage(id(), { provider: { ...provider, region: 'eu-west-1' } }));
    expect(elsewhere.statusCode).toBe(201);
    expect(elsewhere.json()).toEqual(expect.objectContaining({ state: 'pending', cluster: null, queue: null }));
  });

  // 5,000 builds: at ±3 points the check sits ~5 standard deviations out, so it cannot flake.
  it('picks among managed clusters at random by weightage (5,000 builds within ±3 points)', async () => {
    const counts: Record<string, number> = {};
    const total = 5000;
    for (let i = 0; i < total; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => postBuild(broker.app, sd, startMessage(id()))));
      for (const res of batch) {
        expect(res.statusCode).toBe(201);
        const cluster = res.json().cluster as string;
        counts[cluster] = (counts[cluster] ?? 0) + 1;
      }
    }
    expect(Object.keys(counts).sort()).toEqual(['sd-heavy', 'sd-light']);
    expect(Math.abs(((counts['sd-heavy'] ?? 0) / total) * 100 - 75)).toBeLessThanOrEqual(3);
    expect(Math.abs(((counts['sd-light'] ?? 0) / total) * 100 - 25)).toBeLessThanOrEqual(3);
  }, 60_000);

  it('answers the queue-service types it does not offer with 501 naming the feature and the setting', async () => {
    for (const type of ['unzip', 'webhook', 'cache']) {
      const res = await broker.app.inject({
        method: 'POST',
        url: `/v1/queue/message?type=${type}`,
        headers: { authorization: `Bearer ${sd}` },
        payload: { anything: true },
      });
      expect(res.statusCode).toBe(501);
      expect(res.json().message).toContain(`?type=${type}`);
      expect(res.json().message).toContain(`IGNORE_QUEUE_FEATURES=${type}`);
    }
    const unknown = await postBuild(broker.app, sd, startMessage(id()), '?type=bogus');
    expect(unknown.statusCode).toBe(400);
  });

  it('validates the start message and names the field', async () => {
    const res = await broker.app.inject({
      method: 'POST',
      url: '/v1/queue/message',
      headers: { authorization: `Bearer ${sd}` },
      payload: { buildId: 'x', pipeline: { name: 'a/b', scmContext: ctx } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('buildId');
  });

  it('needs the sdapi scope', async () => {
    expect((await postBuild(broker.app, 'garbage', startMessage(id()))).statusCode).toBe(401);
    const adminOnly = mintApiToken({ scope: ['admin'] });
    expect((await postBuild(broker.app, adminOnly, startMessage(id()))).statusCode).toBe(403);
  });

  it('passes unknown message fields through to the worker unchanged', async () => {
    const buildId = id();
    const message = { ...startMessage(buildId, { buildClusterName: 'sd-optin' }), extra: { nested: [1, 'two'] }, token: 'tkn' };
    expect((await postBuild(broker.app, sd, message)).statusCode).toBe(201);
    const { jobs } = await workerOf(broker.app, optin).poll({ max: 100 });
    expect(jobs.find((j) => j.buildId === buildId)?.message).toEqual(message);
  });
});

describe('never queueing a build twice', () => {
  let broker: TestBroker;
  let alpha: TestCluster;
  brokerForSuite(['alpha'], (started, [cluster]) => ([broker, alpha] = [started, cluster!]));

  it('answers a repeated buildId with 200 and the first assignment', async () => {
    const first = await postBuild(broker.app, broker.sdapiToken, startMessage(1));
    const again = await postBuild(broker.app, broker.sdapiToken, startMessage(1));
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
  });

  it('queues 50 concurrent duplicates once', async () => {
    const replica = await broker.replica();
    const sends = Array.from({ length: 50 }, (_, i) =>
      postBuild(i % 2 === 0 ? broker.app : replica.app, broker.sdapiToken, startMessage(2)),
    );
    const answers = await Promise.all(sends);
    expect(answers.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(answers.filter((r) => r.statusCode === 200)).toHaveLength(49);
    expect(new Set(answers.map((r) => r.body)).size).toBe(1);
    const worker = workerOf(broker.app, alpha);
    const { jobs } = await worker.poll({ max: 100 });
    expect(jobs.filter((j) => j.buildId === 2)).toHaveLength(1);
    expect((await worker.poll({ max: 100 })).jobs).toEqual([]);
  });

  it('answers a retry of an accepted build even when it would now be refused', async () => {
    const beta = await registerCluster(broker.app, broker.adminToken, 'beta', { weightage: 0 });
    const first = await postBuild(broker.app, broker.sdapiToken, startMessage(3, { buildClusterName: beta.name }));
    expect(first.statusCode).toBe(201);
    const del = await broker.app.inject({
      method: 'PUT',
      url: `/v4/buildClusters/${beta.name}`,
      headers: { authorization: `Bearer ${broker.adminToken}` },
      payload: { scmContext: 'gitlab:gitlab.com' },
    });
    expect(del.statusCode).toBe(200);
    const again = await postBuild(broker.app, broker.sdapiToken, startMessage(3, { buildClusterName: beta.name }));
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ buildId: 3, state: 'queued', cluster: 'beta', queue: 'beta' });
  });
});

describe('pending builds', () => {
  let broker: TestBroker;
  brokerForSuite([], (started) => (broker = started));

  it('keeps builds without an eligible cluster pending and queues them in arrival order once one is active', async () => {
    const { app, adminToken, sdapiToken } = broker;
    const replica = await broker.replica();
    const ids = [501, 502, 503, 504, 505, 506];
    for (const [i, buildId] of ids.entries()) {
      const res = await postBuild(i % 2 ? replica.app : app, sdapiToken, startMessage(buildId));
      expect(res.statusCode).toBe(201);
      expect(res.json()).toEqual({ buildId, state: 'pending', cluster: null, queue: null });
    }
    // a duplicate of a pending build is still pending, and still once
    expect((await postBuild(app, sdapiToken, startMessage(501))).json().state).toBe('pending');
    const status = await app.inject({ url: '/v4/builds/503', headers: { authorization: `Bearer ${adminToken}` } });
    expect(status.json()).toMatchObject({ state: 'pending', cluster: null });
    expect(status.json().pendingReason).toContain('github:github.com');

    // registered inactive: still pending
    const gamma = await registerCluster(app, adminToken, 'gamma', { isActive: false });
    await new Promise((r) => setTimeout(r, 300));
    expect((await app.queue.snapshot()).pending).toBe(6);

    // activated: both replicas drain at once; every build is queued once, in arrival order
    await updateCluster(app, adminToken, 'gamma', { isActive: true });
    await waitFor('pending builds to be queued', async () => (await app.queue.snapshot()).pending === 0);
    const worker = workerOf(app, gamma);
    const { jobs } = await worker.poll({ max: 100 });
    expect(jobs.map((j) => j.buildId)).toEqual(ids);
    expect(jobs[0]!.message).toMatchObject({ buildId: 501, jobName: 'main' });
    const again = await postBuild(app, sdapiToken, startMessage(501));
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ buildId: 501, state: 'leased', cluster: 'gamma', queue: 'gamma' });
  });

  it('assigns a pending build to its requested cluster when that one is activated', async () => {
    const { app, adminToken, sdapiToken } = broker;
    const scm = { name: 'acme/x', scmContext: 'gitlab:gitlab.com' };
    const delta = await registerCluster(app, adminToken, 'delta', {
      isActive: false,
      managedBy: 'external',
      scmOrganization: 'acme',
      scmContext: scm.scmContext,
    });
    // inactive and no managed gitlab cluster to fall through to: pending
    const res = await postBuild(app, sdapiToken, startMessage(601, { buildClusterName: 'delta', pipeline: scm }));
    expect(res.json()).toMatchObject({ state: 'pending', cluster: null });
    await updateCluster(app, adminToken, 'delta', { isActive: true });
    await waitFor('the build to be queued on delta', async () => (await app.queue.snapshot()).pending === 0);
    const { jobs } = await workerOf(app, delta).poll();
    expect(jobs.map((j) => j.buildId)).toEqual([601]);
  });
});

describe('DELETE /v1/queue/message: stop in every state', () => {
  let broker: TestBroker;
  let alpha: TestCluster;
  brokerForSuite(['alpha'], (started, [cluster]) => ([broker, alpha] = [started, cluster!]));

  const state = async (buildId: number) =>
    (await broker.app.inject({ url: `/v4/builds/${buildId}`, headers: { authorization: `Bearer ${broker.sdapiToken}` } })).json();

  it('200 "unknown" for a build the broker never saw: Screwdriver stops every build it ends', async () => {
    const res = await stopBuild(broker.app, broker.sdapiToken, 424242);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ buildId: 424242, state: 'unknown' });
  });

  it('cancels a pending build; it is never queued', async () => {
    const res = await postBuild(
      broker.app,
      broker.sdapiToken,
      startMessage(10, { pipeline: { name: 'a/b', scmContext: 'other:ctx' } }),
    );
    expect(res.json().state).toBe('pending');
    const stop = await stopBuild(broker.app, broker.sdapiToken, 10);
    expect(stop.statusCode).toBe(200);
    expect(stop.json()).toEqual({ buildId: 10, state: 'cancelled' });
    expect((await stopBuild(broker.app, broker.sdapiToken, 10)).json().state).toBe('cancelled');
    expect((await state(10)).state).toBe('cancelled');
    expect((await postBuild(broker.app, broker.sdapiToken, startMessage(10))).json().state).toBe('cancelled');
    expect((await broker.app.queue.snapshot()).pending).toBe(0);
  });

  it('cancels a queued build; it is never delivered', async () => {
    await postBuild(broker.app, broker.sdapiToken, startMessage(11));
    await postBuild(broker.app, broker.sdapiToken, startMessage(12));
    expect((await stopBuild(broker.app, broker.sdapiToken, 11)).json()).toEqual({ buildId: 11, state: 'cancelled' });
    const worker = workerOf(broker.app, alpha);
    const { jobs } = await worker.poll({ max: 10 });
    expect(jobs.map((j) => j.buildId)).toEqual([12]);
    await worker.ack(jobs.map((j) => j.leaseId));
    expect((await state(11)).state).toBe('cancelled');
  });

  it('sends a stop message for a leased build, and extend answers name it', async () => {
    await postBuild(broker.app, broker.sdapiToken, startMessage(13));
    const worker = workerOf(broker.app, alpha);
    const [job] = (await worker.poll()).jobs;
    expect(job!.buildId).toBe(13);
    expect((await stopBuild(broker.app, broker.sdapiToken, 13)).json()).toEqual({ buildId: 13, state: 'leased' });
    const ext = await worker.extend([job!.leaseId]);
    expect(ext.stop).toEqual([13]);
    const [stop] = (await worker.poll({ workerId: 'w2' })).jobs;
    expect(stop).toMatchObject({ buildId: 13, type: 'stop', attempt: 1, message: { buildId: 13, jobId: 7 } });
    expect((await worker.ack([stop!.leaseId])).acked).toEqual([stop!.leaseId]);
  });

  it('sends a stop message for an acked (running) build', async () => {
    await postBuild(broker.app, broker.sdapiToken, startMessage(14));
    const worker = workerOf(broker.app, alpha);
    const [job] = (await worker.poll()).jobs;
    await worker.ack([job!.leaseId]);
    expect((await stopBuild(broker.app, broker.sdapiToken, 14)).json()).toEqual({ buildId: 14, state: 'acked' });
    const [stop] = (await worker.poll()).jobs;
    expect(stop).toMatchObject({ buildId: 14, type: 'stop' });
    // a repeated stop does not queue a second stop message
    expect((await stopBuild(broker.app, broker.sdapiToken, 14)).statusCode).toBe(200);
    expect((await worker.poll()).jobs).toEqual([]);
  });

  it('cancels a dead build (it leaves the dead letters)', async () => {
    const replica = await broker.replica({ MAX_ATTEMPTS: '1' });
    await postBuild(replica.app, broker.sdapiToken, startMessage(15));
    const worker = workerOf(replica.app, alpha);
    const [job] = (await worker.poll()).jobs;
    await worker.nack([job!.leaseId], 'broken image');
    expect((await state(15)).state).toBe('dead');
    expect((await stopBuild(broker.app, broker.sdapiToken, 15)).json()).toEqual({ buildId: 15, state: 'cancelled' });
    const dead = await broker.app.inject({
      url: '/v4/queues/alpha/dead',
      headers: { authorization: `Bearer ${broker.adminToken}` },
    });
    expect(dead.json()).toEqual([]);
  });
});

describe('GET /v4/builds/{id}', () => {
  let broker: TestBroker;
  let alpha: TestCluster;
  brokerForSuite(['alpha'], (started, [cluster]) => ([broker, alpha] = [started, cluster!]));

  const status = async (buildId: number, token = broker.adminToken) =>
    broker.app.inject({ url: `/v4/builds/${buildId}`, headers: { authorization: `Bearer ${token}` } });
  const status31 = () => status(31);

  it('counts the position of a queued build while the builds ahead are delivered', async () => {
    for (const buildId of [21, 22, 23, 24]) await postBuild(broker.app, broker.sdapiToken, startMessage(buildId));
    expect((await status(24)).json()).toMatchObject({
      state: 'queued',
      position: 4,
      cluster: 'alpha',
      queue: 'alpha',
      attempts: 0,
    });
    const worker = workerOf(broker.app, alpha);
    const [first] = (await worker.poll()).jobs;
    expect((await status(24, broker.sdapiToken)).json().position).toBe(3);
    await worker.poll({ max: 2 });
    expect((await status(24)).json().position).toBe(1);
    await worker.nack([first!.leaseId]);
    expect((await status(21)).json()).toMatchObject({ state: 'queued', position: 1, attempts: 1 });
    expect((await status(24)).json().position).toBe(2);
    const leased = (await status(22)).json();
    expect(leased).toMatchObject({ state: 'leased', leasedBy: 'w1', attempts: 1 });
    expect(leased.position).toBeUndefined();
    expect(Date.parse(leased.leaseExpiresAt)).toBeGreaterThan(Date.now());
    const [again] = (await worker.poll()).jobs;
    await worker.ack([again!.leaseId]);
    const done = (await status(21)).json();
    expect(done).toMatchObject({ state: 'acked', attempts: 2 });
    expect(done.history.map((h: { state: string }) => h.state)).toEqual(['queued', 'leased', 'queued', 'leased', 'acked']);
    expect(Date.parse(done.ackedAt)).toBeGreaterThan(0);
  });

  it('tells the whole history of a plain acked build', async () => {
    await postBuild(broker.app, broker.sdapiToken, startMessage(31));
    const worker = workerOf(broker.app, alpha);
    // builds left by the test above go first
    const { jobs } = await worker.poll({ workerId: 'plain-worker', max: 10 });
    expect(jobs.map((j) => j.buildId)).toContain(31);
    await worker.ack(jobs.map((j) => j.leaseId));
    const status = (await status31()).json();
    expect(status).toMatchObject({ state: 'acked', attempts: 1 });
    expect(status.history).toEqual([
      { at: status.enqueuedAt, state: 'queued', detail: 'alpha' },
      { at: expect.any(String), state: 'leased', detail: 'plain-worker attempt 1' },
      { at: status.ackedAt, state: 'acked' },
    ]);
  });

  it('404 for an unknown build, 400 for a bad id', async () => {
    expect((await status(999_999)).statusCode).toBe(404);
    expect((await status('x' as unknown as number)).statusCode).toBe(400);
  });
});
