import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintApiToken, startTestBroker, type TestBroker } from '../../test/support/broker.js';
import { postBuild, registerCluster, startMessage, waitFor, workerOf, type TestCluster } from '@buildcluster/testkit/queue';
import { registration } from '@buildcluster/testkit/clusters';

// JSON answers are read loosely: each assertion states the shape it expects.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type J = any;

/** The operators' console through the API: figures, workers, pause, roles, bulk actions, search, import. */
describe('operators console', () => {
  let broker: TestBroker;
  let alpha: TestCluster;
  let beta: TestCluster;
  let auth: { authorization: string };
  const viewer = { authorization: `Bearer ${mintApiToken({ scope: ['viewer'], username: 'maintainer' })}` };

  beforeAll(async () => {
    broker = await startTestBroker({ env: { SCREWDRIVER_UI_URL: 'https://cd.example.com/', MAX_ATTEMPTS: '2' } });
    auth = { authorization: `Bearer ${broker.adminToken}` };
    alpha = await registerCluster(broker.app, broker.adminToken, 'alpha');
    beta = await registerCluster(broker.app, broker.adminToken, 'beta');
  });
  afterAll(async () => broker.close());

  const get = (url: string, headers = auth) => broker.app.inject({ url, headers });
  const post = (url: string, payload: Record<string, unknown> = {}, headers = auth) =>
    broker.app.inject({ method: 'POST', url, headers, payload });
  const named = (id: number, cluster: string, extra = {}) => startMessage(id, { buildClusterName: cluster, ...extra });

  it('measures the queue wait and the run time from real timings, in /v4/queues, /v4/waittimes and /metrics', async () => {
    await postBuild(broker.app, broker.sdapiToken, named(1, 'alpha'));
    await new Promise((r) => setTimeout(r, 300));
    const worker = workerOf(broker.app, alpha);
    const { jobs } = await worker.poll({ workerId: 'timer' });
    expect(jobs.map((j) => j.buildId)).toEqual([1]);
    await new Promise((r) => setTimeout(r, 200));
    await worker.ack([jobs[0]!.leaseId]);
    const report = await waitFor('both figures', async () => {
      const r = (await get('/v4/waittimes?cluster=alpha')).json();
      return r.clusters.alpha.run['5m'].count === 1 ? r : null;
    });
    const wait = report.clusters.alpha.wait['5m'];
    expect(wait.count).toBe(1);
    expect(wait.p50Ms).toBeGreaterThanOrEqual(290);
    expect(wait.p50Ms).toBeLessThan(600);
    expect(report.clusters.alpha.run['5m'].p50Ms).toBeGreaterThanOrEqual(190);
    expect(report.overall.wait['24h'].count).toBe(1);
    expect(report.history).toHaveLength(144);
    expect(report.history.at(-1).wait.count).toBe(1);
    const queues = (await get('/v4/queues')).json<J[]>();
    expect(queues.find((q) => q.cluster === 'alpha')!.waitTimes.wait['1h'].count).toBe(1);
    const metrics = (await broker.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/broker_build_run_seconds_count\{queue="alpha"\} 1/);
    expect(metrics).toMatch(/broker_dispatch_latency_seconds_count\{queue="alpha"\} 1/);
  });

  it('counts a build acked through another replica than the one that handed it out, from its record', async () => {
    const runs = async () => (await get('/v4/waittimes?cluster=alpha')).json().clusters.alpha.run['5m'].count as number;
    const before = await runs();
    await postBuild(broker.app, broker.sdapiToken, named(7, 'alpha'));
    await postBuild(broker.app, broker.sdapiToken, named(8, 'alpha'));
    const { jobs } = await workerOf(broker.app, alpha).poll({ workerId: 'far', max: 2 });
    expect(jobs.map((j) => j.buildId).sort()).toEqual([7, 8]);
    await new Promise((r) => setTimeout(r, 150));
    const other = await broker.replica();
    try {
      // One lease settled on each replica: the other replica reads the record, this one knows the lease.
      await workerOf(other.app, alpha).ack([jobs[0]!.leaseId]);
      await workerOf(broker.app, alpha).ack([jobs[1]!.leaseId]);
      await waitFor('both run times', async () => ((await runs()) === before + 2 ? true : null));
      const list = await waitFor('both acks counted', async () => {
        const r = (await get('/v4/queues/alpha/workers', viewer)).json();
        return r.workers.find((w: J) => w.workerId === 'far')?.done === 2 ? r : null;
      });
      expect(list.workers.find((w: J) => w.workerId === 'far')).toMatchObject({ done: 2, failed: 0, running: [] });
      // Every run of alpha so far lasted at least 150 ms.
      expect((await get('/v4/waittimes?cluster=alpha')).json().clusters.alpha.run['5m'].p50Ms).toBeGreaterThanOrEqual(140);
    } finally {
      await other.close();
    }
  });

  it('counts builds acked by the next poll like builds acked on their own', async () => {
    const rho = await registerCluster(broker.app, broker.adminToken, 'rho', { weightage: 0 });
    const runs = async () => (await get('/v4/waittimes?cluster=rho')).json().clusters.rho?.run['5m'].count ?? 0;
    await postBuild(broker.app, broker.sdapiToken, named(81, 'rho'));
    await postBuild(broker.app, broker.sdapiToken, named(82, 'rho'));
    const worker = workerOf(broker.app, rho);
    const { jobs } = await worker.poll({ workerId: 'rider', max: 2 });
    expect(jobs.map((j) => j.buildId).sort((a, b) => a - b)).toEqual([81, 82]);
    await new Promise((r) => setTimeout(r, 150));
    const next = await worker.poll({ workerId: 'rider', ack: jobs.map((j) => j.leaseId) });
    expect(next.acked).toHaveLength(2);
    await waitFor('both run times', async () => ((await runs()) === 2 ? true : null));
    const list = await waitFor('both acks counted', async () => {
      const r = (await get('/v4/queues/rho/workers', viewer)).json();
      return r.workers.find((w: J) => w.workerId === 'rider')?.done === 2 ? r : null;
    });
    expect(list.workers.find((w: J) => w.workerId === 'rider')).toMatchObject({ done: 2, failed: 0, running: [] });
    expect((await get('/v4/waittimes?cluster=rho')).json().clusters.rho.run['5m'].p50Ms).toBeGreaterThanOrEqual(140);
  });

  it('lists the workers of the last hour with address, version, what they run, done and failed', async () => {
    await postBuild(broker.app, broker.sdapiToken, named(2, 'alpha'));
    await postBuild(broker.app, broker.sdapiToken, named(3, 'alpha'));
    const res = await broker.app.inject({
      method: 'POST',
      url: '/v4/queues/alpha/poll',
      headers: { authorization: `Bearer ${alpha.token}`, 'user-agent': 'buildcluster-worker/9.9.9 node/20' },
      payload: { workerId: 'runner-a', waitMs: 0, max: 2 },
    });
    const jobs = res.json().jobs as Array<{ leaseId: string; buildId: number }>;
    expect(jobs).toHaveLength(2);
    await workerOf(broker.app, alpha).nack([jobs[1]!.leaseId], 'disk full');
    const list = await waitFor('the nack counted', async () => {
      const r = (await get('/v4/queues/alpha/workers', viewer)).json();
      return r.workers.find((w: J) => w.workerId === 'runner-a')?.failed === 1 ? r : null;
    });
    const runner = list.workers.find((w: J) => w.workerId === 'runner-a');
    expect(runner).toMatchObject({ address: '127.0.0.1', version: 'buildcluster-worker/9.9.9 node/20', stale: false, done: 0 });
    expect(runner.running).toEqual([expect.objectContaining({ buildId: 2, attempt: 1, since: expect.any(String) })]);
    const timer = list.workers.find((w: J) => w.workerId === 'timer');
    expect(timer).toMatchObject({ done: 1, running: [] });
    expect(list.staleAfterMs).toBe(60_000);
    await workerOf(broker.app, alpha).ack([jobs[0]!.leaseId]);
  });

  it('pauses dispatch with a note and an audit line: builds queue, workers get nothing, until resumed', async () => {
    const paused = await post('/v4/queues/beta/pause', { note: 'node pool upgrade' });
    expect(paused.statusCode).toBe(200);
    expect(paused.json().paused).toMatchObject({ mode: 'hold', note: 'node pool upgrade', by: 'test-admin' });
    expect((await post('/v4/queues/beta/pause', { note: 'again' })).statusCode).toBe(409);
    const queued = await postBuild(broker.app, broker.sdapiToken, named(10, 'beta'));
    expect(queued.json()).toMatchObject({ state: 'queued', cluster: 'beta' });
    const worker = workerOf(broker.app, beta);
    const started = Date.now();
    expect((await worker.poll({ waitMs: 300 })).status).toBe(204);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    const stats = (await get('/v4/queues')).json<J[]>().find((q) => q.cluster === 'beta')!;
    expect(stats).toMatchObject({ depth: 1, paused: { mode: 'hold', note: 'node pool upgrade' } });
    // the registry is untouched: pausing is not deactivating
    expect((await get('/v4/buildClusters/beta')).json().isActive).toBe(true);
    // a poll waiting when dispatch resumes gets the build at once
    const waiting = worker.poll({ waitMs: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    expect((await post('/v4/queues/beta/resume', { note: 'done' })).json().paused).toBeNull();
    const got = await waiting;
    expect(got.jobs.map((j) => j.buildId)).toEqual([10]);
    await worker.ack([got.jobs[0]!.leaseId]);
    const audit = (await get('/v4/queues/beta/pause', viewer)).json().audit;
    expect(audit.slice(0, 2)).toEqual([
      expect.objectContaining({ action: 'resumed', note: 'done', by: 'test-admin' }),
      expect.objectContaining({ action: 'paused (hold)', note: 'node pool upgrade' }),
    ]);
    expect((await post('/v4/queues/beta/resume')).statusCode).toBe(409);
  });

  it('divert mode takes the cluster out of the weighted pick; a build that names it still queues there', async () => {
    await post('/v4/queues/alpha/pause', { note: 'drain', mode: 'divert' });
    for (let id = 20; id < 26; id++) {
      expect((await postBuild(broker.app, broker.sdapiToken, startMessage(id))).json().cluster).toBe('beta');
    }
    expect((await postBuild(broker.app, broker.sdapiToken, named(26, 'alpha'))).json().cluster).toBe('alpha');
    await post('/v4/queues/alpha/resume');
  });

  it('a viewer sees everything and changes nothing', async () => {
    expect((await get('/v4/queues', viewer)).statusCode).toBe(200);
    expect((await get('/v4/buildClusters', viewer)).statusCode).toBe(200);
    expect((await get('/v4/buildClusters/alpha', viewer)).statusCode).toBe(200);
    expect((await get('/v4/builds/1', viewer)).statusCode).toBe(200);
    expect((await get('/v4/me', viewer)).json()).toMatchObject({
      username: 'maintainer',
      canWrite: false,
      screwdriverUiUrl: 'https://cd.example.com',
    });
    for (const [method, url, payload] of [
      ['POST', '/v4/queues/beta/pause', { note: 'x' }],
      ['POST', '/v4/queues/beta/dead/requeue', {}],
      ['POST', '/v4/builds/cancel', { pipelineId: 3, dryRun: true }],
      ['PUT', '/v4/buildClusters/alpha', { weightage: 1 }],
      ['DELETE', '/v4/buildClusters/alpha', undefined],
      ['POST', '/v4/buildClusters/import/preview', { apiUrl: 'http://127.0.0.1:1', token: 't' }],
    ] as const) {
      const res = await broker.app.inject({ method, url, headers: viewer, ...(payload ? { payload } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json().message).toMatch(/scope admin/);
    }
  });

  it('requeues and purges dead letters in bulk, each with a dry run first', async () => {
    const gamma = await registerCluster(broker.app, broker.adminToken, 'gamma', { weightage: 0 });
    const worker = workerOf(broker.app, gamma);
    for (const id of [30, 31, 32]) await postBuild(broker.app, broker.sdapiToken, named(id, 'gamma'));
    // MAX_ATTEMPTS is 2: two nacks each send them to the dead letters
    for (let round = 0; round < 2; round++) {
      const { jobs } = await worker.poll({ max: 10 });
      await worker.nack(
        jobs.map((j) => j.leaseId),
        'exit 1',
      );
    }
    expect((await get('/v4/queues/gamma/dead')).json<unknown[]>().length).toBe(3);
    const dry = (await post('/v4/queues/gamma/dead/requeue', { buildIds: [30, 31, 99], dryRun: true })).json();
    expect(dry).toMatchObject({
      dryRun: true,
      matched: 2,
      buildIds: [30, 31],
      done: 0,
      skipped: [{ buildId: 99, reason: 'not in the dead letters' }],
    });
    expect((await get('/v4/queues/gamma/dead')).json<unknown[]>().length).toBe(3);
    const done = (await post('/v4/queues/gamma/dead/requeue', { buildIds: [30, 31] })).json();
    expect(done).toMatchObject({ dryRun: false, matched: 2, done: 2 });
    expect((await get('/v4/builds/30')).json().state).toBe('queued');
    const purgeDry = (
      await post('/v4/queues/gamma/dead/purge', { before: new Date(Date.now() + 1000).toISOString(), dryRun: true })
    ).json();
    expect(purgeDry).toMatchObject({ matched: 1, buildIds: [32], done: 0 });
    expect((await post('/v4/queues/gamma/dead/purge', { before: '2020-01-01T00:00:00Z' })).json()).toMatchObject({
      matched: 0,
      done: 0,
    });
    expect(
      (await post('/v4/queues/gamma/dead/purge', { before: new Date(Date.now() + 1000).toISOString() })).json(),
    ).toMatchObject({ done: 1 });
    expect((await get('/v4/queues/gamma/dead')).json()).toEqual([]);
    expect((await post('/v4/queues/gamma/dead/purge', { before: 'yesterday' })).statusCode).toBe(400);
    const audit = (await get('/v4/queues/gamma/pause')).json().audit.map((a: J) => a.action);
    expect(audit).toEqual(
      expect.arrayContaining(['requeued dead letters', expect.stringMatching(/^purged dead letters older than/)]),
    );
    // drain what was requeued
    const { jobs } = await worker.poll({ max: 10 });
    await worker.ack(jobs.map((j) => j.leaseId));
  });

  it('cancels every queued build of a pipeline or a job after showing how many', async () => {
    const other = { id: 44, name: 'org/other', scmContext: 'github:github.com' };
    for (const id of [40, 41])
      await postBuild(
        broker.app,
        broker.sdapiToken,
        named(id, 'alpha', { pipeline: other, pipelineId: 44, jobId: 70, jobName: 'test' }),
      );
    await postBuild(
      broker.app,
      broker.sdapiToken,
      named(42, 'alpha', { pipeline: other, pipelineId: 44, jobId: 71, jobName: 'deploy' }),
    );
    await postBuild(broker.app, broker.sdapiToken, named(43, 'alpha'));
    await waitFor('indexed', async () => (await get('/v4/builds?pipeline=44')).json().builds.length === 3);
    expect((await post('/v4/builds/cancel', {})).statusCode).toBe(400);
    expect((await post('/v4/builds/cancel', { jobName: 'test' })).json().message).toMatch(/pipelineId or pipelineName/);
    const dry = (await post('/v4/builds/cancel', { pipelineName: 'org/other', jobName: 'test', dryRun: true })).json();
    expect(dry).toMatchObject({ dryRun: true, matched: 2, done: 0 });
    expect([...dry.buildIds].sort()).toEqual([40, 41]);
    const done = (await post('/v4/builds/cancel', { pipelineId: 44 })).json();
    expect(done).toMatchObject({ matched: 3, done: 3, skipped: [] });
    for (const id of [40, 41, 42]) expect((await get(`/v4/builds/${id}`)).json().state).toBe('cancelled');
    expect((await get('/v4/builds/43')).json().state).toBe('queued');
    const { jobs } = await workerOf(broker.app, alpha).poll({ max: 10 });
    await workerOf(broker.app, alpha).ack(jobs.map((j) => j.leaseId));
  });

  it('finds builds by pipeline, job, event, cluster and state, with their timeline and Screwdriver link', async () => {
    const pipe = { id: 55, name: 'org/search', scmContext: 'github:github.com' };
    await postBuild(
      broker.app,
      broker.sdapiToken,
      named(50, 'alpha', { pipeline: pipe, pipelineId: 55, jobId: 80, jobName: 'build', eventId: 900 }),
    );
    await postBuild(
      broker.app,
      broker.sdapiToken,
      named(51, 'beta', { pipeline: pipe, pipelineId: 55, jobId: 81, jobName: 'publish', eventId: 900 }),
    );
    const worker = workerOf(broker.app, alpha);
    const first = await worker.poll({ workerId: 'searcher' });
    await worker.nack([first.jobs[0]!.leaseId], 'no space left');
    const second = await worker.poll({ workerId: 'searcher' });
    await worker.ack([second.jobs[0]!.leaseId]);
    await waitFor('indexed', async () => (await get('/v4/builds?eventId=900')).json().builds.length === 2);
    // The second delivery may go out in a later send of the bookkeeping than the index entries.
    await waitFor('the second delivery', async () => (await get('/v4/builds?buildId=50')).json().builds[0]?.timeline[3]?.leaseId);
    const byName = (await get('/v4/builds?pipeline=org/search', viewer)).json().builds;
    expect(byName.map((b: J) => b.buildId).sort()).toEqual([50, 51]);
    expect((await get('/v4/builds?pipeline=55&job=publish')).json().builds.map((b: J) => b.buildId)).toEqual([51]);
    expect((await get('/v4/builds?pipeline=55&cluster=beta')).json().builds.map((b: J) => b.buildId)).toEqual([51]);
    expect((await get('/v4/builds?eventId=900&state=acked')).json().builds.map((b: J) => b.buildId)).toEqual([50]);
    const [b50] = (await get('/v4/builds?buildId=50')).json().builds;
    expect(b50).toMatchObject({
      buildId: 50,
      state: 'acked',
      cluster: 'alpha',
      pipelineId: 55,
      pipelineName: 'org/search',
      jobName: 'build',
      eventId: 900,
      attempts: 2,
      uiUrl: 'https://cd.example.com/pipelines/55/builds/50',
    });
    expect(b50.timeline.map((t: J) => t.kind)).toEqual(['queued', 'delivered', 'nacked', 'delivered', 'acked']);
    expect(b50.timeline[1]).toMatchObject({
      workerId: 'searcher',
      attempt: 1,
      leaseId: first.jobs[0]!.leaseId,
      leaseExpiresAt: expect.any(String),
    });
    expect(b50.timeline[2].detail).toBe('nacked: no space left');
    expect(b50.timeline[3]).toMatchObject({ attempt: 2, leaseId: second.jobs[0]!.leaseId });
    expect((await get('/v4/builds?state=nope')).statusCode).toBe(400);
    const { jobs } = await workerOf(broker.app, beta).poll({ max: 10 });
    await workerOf(broker.app, beta).ack(jobs.map((j) => j.leaseId));
  });

  describe('import from Screwdriver', () => {
    let server: Server;
    let apiUrl: string;
    let seenAuth = '';
    const clusters = [
      {
        name: 'alpha',
        scmContext: 'github:github.com',
        scmOrganizations: [],
        managedByScrewdriver: true,
        isActive: true,
        weightage: 100,
        group: 'default',
        maintainer: 'ops@example.com',
      },
      {
        name: 'beta',
        scmContext: 'github:github.com',
        scmOrganizations: [],
        managedByScrewdriver: true,
        isActive: true,
        weightage: 12.5,
        group: 'default',
        maintainer: null,
      },
      {
        name: 'onprem-1',
        scmContext: 'github:github.com',
        scmOrganizations: ['acme', 'acme-labs'],
        managedByScrewdriver: false,
        isActive: true,
        weightage: 0,
        group: 'onprem',
        maintainer: 'team@acme.example',
      },
      {
        name: 'aws-2',
        scmContext: 'gitlab:gitlab.com',
        scmOrganizations: [],
        managedByScrewdriver: true,
        isActive: false,
        weightage: 50.5,
        group: null,
        maintainer: null,
      },
    ];
    beforeAll(async () => {
      server = createServer((req, res) => {
        seenAuth = req.headers.authorization ?? '';
        if (req.url !== '/v4/buildclusters') return res.writeHead(404).end('{}');
        if (req.headers.authorization !== 'Bearer sd-admin-token') return res.writeHead(401).end('{"message":"nope"}');
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(clusters));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('previews which clusters exist, differ or are missing, and imports the missing ones awaiting a key', async () => {
      const preview = await post('/v4/buildClusters/import/preview', { apiUrl, token: 'sd-admin-token' });
      expect(preview.statusCode).toBe(200);
      expect(seenAuth).toBe('Bearer sd-admin-token');
      const by = Object.fromEntries(preview.json().clusters.map((c: J) => [c.source.name, c]));
      expect(by.alpha.status).toBe('differs');
      expect(by.alpha.differences).toEqual(['maintainer: "ops@example.com" in Screwdriver, null here']);
      expect(by.beta.status).toBe('differs');
      expect(by.beta.differences).toEqual(['weightage: 12.5 in Screwdriver, 100 here']);
      expect(by['onprem-1'].status).toBe('missing');
      expect(by['aws-2'].status).toBe('missing');
      const refused = await post('/v4/buildClusters/import/preview', { apiUrl, token: 'wrong' });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().message).toMatch(/refused the token \(401\)/);

      const imported = (
        await post('/v4/buildClusters/import', { apiUrl, token: 'sd-admin-token', names: ['onprem-1', 'aws-2', 'alpha'] })
      ).json();
      expect(imported.imported.map((c: J) => c.name)).toEqual(['onprem-1', 'aws-2']);
      expect(imported.skipped).toEqual([{ name: 'alpha', reason: 'already registered' }]);
      const awaiting = (await get('/v4/buildClusters/awaiting', viewer)).json();
      expect(awaiting).toEqual([
        expect.objectContaining({
          name: 'aws-2',
          scmContext: 'gitlab:gitlab.com',
          scmOrganization: '*',
          managedBy: 'screwdriver',
          isActive: false,
          weightage: 51,
          source: apiUrl,
        }),
        expect.objectContaining({
          name: 'onprem-1',
          scmOrganization: 'acme,acme-labs',
          managedBy: 'external',
          weightage: 0,
          maintainer: 'team@acme.example',
        }),
      ]);
      // a cluster awaiting its key is never selected: a build naming it is refused as unknown
      const named26 = await postBuild(broker.app, broker.sdapiToken, startMessage(60, { buildClusterName: 'onprem-1' }));
      expect(named26.statusCode).toBe(400);
      expect(
        (await post('/v4/buildClusters/import/preview', { apiUrl, token: 'sd-admin-token' }))
          .json()
          .clusters.find((c: J) => c.source.name === 'onprem-1').status,
      ).toBe('awaiting-key');
    });

    it("accepts Screwdriver's shape on the registry API, and registering ends the wait for the key", async () => {
      const { body } = registration('onprem-1');
      const { scmOrganization: _org, managedBy: _managed, ...rest } = body;
      const res = await broker.app.inject({
        method: 'PUT',
        url: '/v4/buildClusters',
        headers: auth,
        payload: {
          ...rest,
          scmOrganizations: ['acme', 'acme-labs'],
          managedByScrewdriver: false,
          weightage: 10.4,
          group: 'onprem',
        },
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ scmOrganization: 'acme,acme-labs', managedBy: 'external', weightage: 10 });
      await waitFor(
        'the wait ended',
        async () => !(await get('/v4/buildClusters/awaiting')).json().some((a: J) => a.name === 'onprem-1'),
      );
      // an external cluster of two organizations takes builds of either, and no other
      const ok = await postBuild(
        broker.app,
        broker.sdapiToken,
        startMessage(61, {
          buildClusterName: 'onprem-1',
          pipeline: { id: 9, name: 'acme-labs/x', scmContext: 'github:github.com' },
        }),
      );
      expect(ok.json()).toMatchObject({ cluster: 'onprem-1' });
      const no = await postBuild(
        broker.app,
        broker.sdapiToken,
        startMessage(62, { buildClusterName: 'onprem-1', pipeline: { id: 9, name: 'other/x', scmContext: 'github:github.com' } }),
      );
      expect(no.statusCode).toBe(403);
      const both = await broker.app.inject({
        method: 'PUT',
        url: '/v4/buildClusters/onprem-1',
        headers: auth,
        payload: { scmOrganizations: [], scmOrganization: 'x' },
      });
      expect(both.statusCode).toBe(400);
      const empty = await broker.app.inject({
        method: 'PUT',
        url: '/v4/buildClusters/onprem-1',
        headers: auth,
        payload: { scmOrganizations: [] },
      });
      expect(empty.json().scmOrganization).toBe('*');
      const forget = await broker.app.inject({ method: 'DELETE', url: '/v4/buildClusters/awaiting/aws-2', headers: auth });
      expect(forget.statusCode, forget.body).toBe(204);
      expect(
        (await broker.app.inject({ method: 'DELETE', url: '/v4/buildClusters/awaiting/aws-2', headers: auth })).statusCode,
      ).toBe(404);
    });
  });
});
