import jwt from 'jsonwebtoken';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  postBuild,
  registerCluster,
  startMessage,
  stopBuild,
  waitFor,
  workerOf,
  type TestCluster,
} from '@buildcluster/testkit/queue';
import { createTestDatabase, flushPrefix, mintApiToken, startTestBroker, type TestBroker } from '../support/broker.js';
import { QUEUE_KEYS, startRecordingApi, type RecordingApi } from './recording-api.js';

/**
 * What the broker does for Screwdriver beyond queuing, against a real broker (PostgreSQL, Redis)
 * and a loopback server in the place of Screwdriver's API that records what the broker sends.
 */
const queueKeys = QUEUE_KEYS;

interface LauncherClaims extends jwt.JwtPayload {
  username: number;
  buildId: number;
  scope: string[];
}
const verifyQueueToken = (token: string) => jwt.verify(token, queueKeys.publicKey, { algorithms: ['RS256'] }) as LauncherClaims;

let nextId = 70_000;
const id = () => ++nextId;

describe('Screwdriver tokens as API tokens', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
    await registerCluster(broker.app, broker.adminToken, 'tok-1');
  });
  afterAll(async () => broker.close());

  it("accepts a build's own token (scope sdapi, username = the build id as a number)", async () => {
    const buildId = id();
    const token = mintApiToken({ scope: ['sdapi'], claims: { username: buildId, jobId: 7, pipelineId: 3 } });
    const res = await postBuild(broker.app, token, startMessage(buildId));
    expect(res.statusCode).toBe(201);
  });

  it('accepts a job-level token without username (periodic builds) for scope sdapi', async () => {
    const token = jwt.sign(
      { scope: ['sdapi'], jobId: 7, pipelineId: 3 },
      (await import('../support/broker.js')).API_PRIVATE_KEY,
      {
        algorithm: 'RS256',
        expiresIn: 600,
      },
    );
    const res = await stopBuild(broker.app, token, id());
    expect(res.statusCode).toBe(200);
  });

  it('still refuses tokens that name nobody: admin scope without username, sdapi naming no build, job or pipeline', async () => {
    const { API_PRIVATE_KEY } = await import('../support/broker.js');
    const sign = (claims: object) => jwt.sign(claims, API_PRIVATE_KEY, { algorithm: 'RS256', expiresIn: 600 });
    const admin = await broker.app.inject({
      url: '/v4/buildClusters',
      headers: { authorization: `Bearer ${sign({ scope: ['admin'], username: 42 })}` },
    });
    expect(admin.statusCode).toBe(401);
    expect(admin.json().message).toMatch(/username/);
    const anonymous = await stopBuild(broker.app, sign({ scope: ['sdapi'] }), id());
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().message).toMatch(/names no build, job or pipeline/);
    const mixed = await stopBuild(broker.app, sign({ scope: ['sdapi', 'admin'], username: 12 }), id());
    expect(mixed.statusCode).toBe(401);
  });
});

describe('with QUEUE_JWT_PRIVATE_KEY: launcher tokens and status updates', () => {
  let broker: TestBroker;
  let api: RecordingApi;
  let cluster: TestCluster;
  let dead: TestCluster;

  beforeAll(async () => {
    api = await startRecordingApi();
    broker = await startTestBroker({
      env: { QUEUE_JWT_PRIVATE_KEY: queueKeys.privateKey, POSITION_UPDATE_SECONDS: '1', MAX_ATTEMPTS: '2' },
    });
    cluster = await registerCluster(broker.app, broker.adminToken, 'sd-east');
    await registerCluster(broker.app, broker.adminToken, 'sd-other', { weightage: 0 });
    dead = await registerCluster(broker.app, broker.adminToken, 'sd-dead', { weightage: 0 });
  });
  afterAll(async () => {
    await broker.close();
    await api.close();
  });
  const start = (buildId: number, extra: Record<string, unknown> = {}) =>
    startMessage(buildId, { apiUri: api.url, buildClusterName: 'sd-east', ...extra });

  it('puts a fresh temporal token with the build claims in each delivered start, and maxAttempts in each job', async () => {
    const buildId = id();
    const message = {
      ...start(buildId),
      token: 'stale-token-from-the-caller',
      prParentJobId: 5,
      pipeline: { id: 3, name: 'acme/app', scmContext: 'github:github.com', configPipelineId: 2 },
      build: { id: buildId, eventId: 11, meta: { big: 'x'.repeat(1000) } },
    };
    expect((await postBuild(broker.app, broker.sdapiToken, message as never)).statusCode).toBe(201);
    const worker = workerOf(broker.app, cluster);
    const first = (await worker.poll()).jobs[0]!;
    expect((first as unknown as { maxAttempts: number }).maxAttempts).toBe(2);
    expect(first.message.build).toBeUndefined();
    const claims = verifyQueueToken(first.message.token as string);
    expect(claims).toMatchObject({
      username: buildId,
      buildId,
      jobId: 7,
      eventId: 11,
      pipelineId: 3,
      scmContext: 'github:github.com',
      configPipelineId: 2,
      prParentJobId: 5,
      isPR: false,
      scope: ['temporal'],
    });
    expect(claims.exp! - claims.iat!).toBe(12 * 3600);
    await worker.nack([first.leaseId], 'try again');
    const second = (await worker.poll()).jobs[0]!;
    expect(second.attempt).toBe(2);
    expect(verifyQueueToken(second.message.token as string).jti).not.toBe(claims.jti);
    await worker.ack([second.leaseId]);
  });

  it('tells Screwdriver QUEUED with queueEnterTime and where the build waits, signed as the build', async () => {
    const buildId = id();
    await postBuild(broker.app, broker.sdapiToken, start(buildId));
    const [update] = await waitFor(
      'the expected call',
      () => (api.updates(buildId).length > 0 ? api.updates(buildId) : null),
      5000,
    );
    expect(update!.body).toMatchObject({ status: 'QUEUED', statusMessage: expect.stringContaining('queued on cluster sd-east') });
    expect(Date.parse((update!.body!.stats as { queueEnterTime: string }).queueEnterTime)).toBeGreaterThan(Date.now() - 10_000);
    const claims = verifyQueueToken(update!.authorization.replace(/^Bearer /, ''));
    expect(claims).toMatchObject({ username: buildId, buildId, scope: ['build'] });
    const worker = workerOf(broker.app, cluster);
    const { jobs } = await worker.poll({ max: 100 });
    await worker.ack(jobs.map((j) => j.leaseId));
  });

  it('keeps positions current while builds wait, and tells the ones behind when the front one leaves', async () => {
    const ids = [id(), id(), id()];
    for (const buildId of ids) await postBuild(broker.app, broker.sdapiToken, start(buildId));
    const said = (buildId: number) => api.updates(buildId).map((c) => c.body?.statusMessage);
    await waitFor(
      'the expected call',
      () => (said(ids[2]!).includes('queued on cluster sd-east, position 3') ? true : null),
      8000,
    );
    const worker = workerOf(broker.app, cluster);
    const { jobs } = await worker.poll();
    expect(jobs[0]!.buildId).toBe(ids[0]);
    await waitFor(
      'the expected call',
      () => (said(ids[2]!).includes('queued on cluster sd-east, position 2') ? true : null),
      8000,
    );
    expect(said(ids[1]!)).toContain('queued on cluster sd-east, position 1');
    const rest = await worker.poll({ max: 10 });
    await worker.ack([jobs[0]!.leaseId, ...rest.jobs.map((j) => j.leaseId)]);
  });

  it('tells a pending build why it waits', async () => {
    const buildId = id();
    const res = await postBuild(
      broker.app,
      broker.sdapiToken,
      start(buildId, { buildClusterName: undefined, pipeline: { id: 3, name: 'a/b', scmContext: 'gitlab:nowhere' } }),
    );
    expect(res.json().state).toBe('pending');
    const [update] = await waitFor(
      'the expected call',
      () => (api.updates(buildId).length > 0 ? api.updates(buildId) : null),
      5000,
    );
    expect(update!.body!.statusMessage).toMatch(/^waiting for a cluster: .*gitlab:nowhere/);
    await stopBuild(broker.app, broker.sdapiToken, buildId);
  });

  it('tells FAILURE with the reason when a build goes to the dead letters', async () => {
    const buildId = id();
    await postBuild(broker.app, broker.sdapiToken, start(buildId, { buildClusterName: 'sd-dead' }));
    const worker = workerOf(broker.app, dead);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const { jobs } = await worker.poll();
      expect(jobs[0]).toMatchObject({ buildId, attempt });
      await worker.nack([jobs[0]!.leaseId], 'image pull failed');
    }
    const failure = await waitFor(
      'the expected call',
      () => api.updates(buildId).find((c) => c.body?.status === 'FAILURE') ?? null,
      5000,
    );
    expect(failure.body!.statusMessage).toMatch(/could not be started on cluster sd-dead: .*image pull failed/);
  });

  it('completes a stop from the start message, so an executor gets what its stop() needs', async () => {
    const buildId = id();
    await postBuild(
      broker.app,
      broker.sdapiToken,
      start(buildId, { jobName: 'deploy', annotations: { 'screwdriver.cd/timeout': 5 }, blockedBy: [7, 8] }),
    );
    const worker = workerOf(broker.app, cluster);
    const { jobs } = await worker.poll();
    await worker.ack([jobs[0]!.leaseId]);
    expect((await stopBuild(broker.app, broker.sdapiToken, buildId)).json()).toEqual({ buildId, state: 'acked' });
    const stop = (await worker.poll()).jobs[0]!;
    expect(stop.type).toBe('stop');
    expect(stop.message).toMatchObject({
      buildId,
      jobId: 7,
      jobName: 'deploy',
      pipelineId: 3,
      apiUri: api.url,
      annotations: { 'screwdriver.cd/timeout': 5 },
      blockedBy: [7, 8],
    });
    expect(stop.message.token).toBeUndefined();
    await worker.ack([stop.leaseId]);
  });

  it('answers 200 to a stop of a build it does not know, or one already stopped', async () => {
    const unknown = id();
    expect((await stopBuild(broker.app, broker.sdapiToken, unknown)).json()).toEqual({ buildId: unknown, state: 'unknown' });
    const buildId = id();
    await postBuild(broker.app, broker.sdapiToken, start(buildId, { buildClusterName: 'sd-other' }));
    expect((await stopBuild(broker.app, broker.sdapiToken, buildId)).json().state).toBe('cancelled');
    const again = await stopBuild(broker.app, broker.sdapiToken, buildId);
    expect(again.statusCode).toBe(200);
    expect(again.json().state).toBe('cancelled');
  });

  it('does not queue a build of a disabled or archived job (200, skipped, with why)', async () => {
    const disabled = id();
    const res = await postBuild(broker.app, broker.sdapiToken, { ...start(disabled), jobState: 'DISABLED' } as never);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ buildId: disabled, state: 'skipped', statusMessage: 'not started: job main is disabled' });
    const archived = id();
    expect(
      (await postBuild(broker.app, broker.sdapiToken, { ...start(archived), jobArchived: true } as never)).json().state,
    ).toBe('skipped');
    const lookup = await broker.app.inject({
      url: `/v4/builds/${disabled}`,
      headers: { authorization: `Bearer ${broker.adminToken}` },
    });
    expect(lookup.statusCode).toBe(404);
  });

  it('/v4/status has no warning when it can sign for Screwdriver; /v1/status answers OK', async () => {
    expect((await broker.app.inject({ url: '/v4/status' })).json()).toEqual({ status: 'ok' });
    const v1 = await broker.app.inject({ url: '/v1/status' });
    expect(v1.statusCode).toBe(200);
    expect(v1.body).toBe('OK');
  });
});

describe('updates that fail, and build timeouts (?type=timer), with position updates off', () => {
  let broker: TestBroker;
  let api: RecordingApi;
  let cluster: TestCluster;
  const env = { QUEUE_JWT_PRIVATE_KEY: queueKeys.privateKey, BUILD_TIMEOUT_BUFFER_SECONDS: '0', POSITION_UPDATE_SECONDS: '0' };

  beforeAll(async () => {
    api = await startRecordingApi('build-step');
    broker = await startTestBroker({ env });
    cluster = await registerCluster(broker.app, broker.adminToken, 'timed');
  });
  afterAll(async () => {
    await broker.close();
    await api.close();
  });
  const timer = (method: 'POST' | 'DELETE', body: Record<string, unknown>, app = broker.app) =>
    app.inject({
      method,
      url: '/v1/queue/message?type=timer',
      headers: { authorization: `Bearer ${broker.sdapiToken}` },
      payload: body,
    });
  /** A start time that puts a 1-minute timeout `msLeft` from now. */
  const startedAgo = (msLeft: number) => new Date(Date.now() - 60_000 + msLeft).toISOString();
  const message = (buildId: number) => startMessage(buildId, { apiUri: api.url, buildClusterName: 'timed' });
  const running = async (buildId: number, app = broker.app) => {
    await postBuild(app, broker.sdapiToken, message(buildId));
    const worker = workerOf(app, cluster);
    const { jobs } = await worker.poll();
    await worker.ack([jobs[0]!.leaseId]);
    return worker;
  };

  it('retries a failed update with backoff, and sends it once the API answers', async () => {
    const buildId = id();
    api.failNext(2, 503);
    await postBuild(broker.app, broker.sdapiToken, message(buildId));
    const sent = await waitFor('three tries', () => (api.updates(buildId).length >= 3 ? api.updates(buildId) : null), 15_000);
    expect(new Set(sent.map((c) => c.body?.statusMessage))).toEqual(new Set(['queued on cluster timed']));
    expect(sent[2]!.body).toMatchObject({ status: 'QUEUED' });
    // 1 s then 2 s of backoff (±25 %) between the three tries.
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(700);
    expect(sent[2]!.at - sent[1]!.at).toBeGreaterThanOrEqual(1400);
    await new Promise((r) => setTimeout(r, 1500));
    expect(api.updates(buildId).length).toBe(3);
    const worker = workerOf(broker.app, cluster);
    const { jobs } = await worker.poll();
    await worker.ack(jobs.map((j) => j.leaseId));
  });

  it('does not retry an update the API refuses (4xx: the build moved on)', async () => {
    const buildId = id();
    api.failNext(1, 403);
    await postBuild(broker.app, broker.sdapiToken, message(buildId));
    await waitFor('the expected call', () => (api.updates(buildId).length > 0 ? true : null), 5000);
    await new Promise((r) => setTimeout(r, 2500));
    expect(api.updates(buildId)).toHaveLength(1);
    const metrics = await broker.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/broker_screwdriver_updates_total\{outcome="refused"\} [1-9]/);
    const worker = workerOf(broker.app, cluster);
    const { jobs } = await worker.poll();
    await worker.ack(jobs.map((j) => j.leaseId));
  });

  it('arms once, answers a second start unchanged, disarms on DELETE; ignores a build not RUNNING', async () => {
    const buildId = id();
    const body = { buildId, jobId: 7, buildStatus: 'RUNNING', startTime: new Date().toISOString(), annotations: {} };
    const armed = await timer('POST', body);
    expect(armed.statusCode).toBe(200);
    expect(armed.json()).toMatchObject({ buildId, timer: 'armed' });
    // Default 90 minutes (buffer 0 here).
    expect(Date.parse(armed.json().firesAt) - Date.parse(body.startTime)).toBe(90 * 60_000);
    expect((await timer('POST', { ...body, annotations: { 'screwdriver.cd/timeout': 5 } })).json().timer).toBe('unchanged');
    expect((await timer('DELETE', { buildId })).json()).toEqual({ buildId, timer: 'stopped' });
    expect((await timer('DELETE', { buildId })).json()).toEqual({ buildId, timer: 'none' });
    expect((await timer('POST', { ...body, buildStatus: 'QUEUED' })).json().timer).toBe('none');
    const bad = await timer('POST', { buildId: 'x' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/buildId/);
  });

  it('fails a build that runs past its timeout: step code 3, FAILURE "Build failed due to timeout", stop to its cluster', async () => {
    const buildId = id();
    const worker = await running(buildId);
    await timer('POST', {
      buildId,
      jobId: 7,
      buildStatus: 'RUNNING',
      startTime: startedAgo(500),
      annotations: { 'screwdriver.cd/timeout': '1' },
    });
    const failure = await waitFor(
      'the expected call',
      () => api.updates(buildId).find((c) => c.body?.status === 'FAILURE') ?? null,
      6000,
    );
    expect(failure.body).toEqual({ status: 'FAILURE', statusMessage: 'Build failed due to timeout' });
    const step = api.calls.find((c) => c.method === 'PUT' && c.path === `/v4/builds/${buildId}/steps/build-step`);
    expect(step?.body).toMatchObject({ code: 3 });
    const stop = await waitFor('the expected job', async () => (await worker.poll()).jobs[0] ?? null, 3000);
    expect(stop).toMatchObject({ buildId, type: 'stop' });
    expect(stop.message).toMatchObject({ jobName: 'main', apiUri: api.url });
    await worker.ack([stop.leaseId]);
    expect((await timer('DELETE', { buildId })).json().timer).toBe('none');
  });

  it('keeps timers across a broker restart, and fires each once across replicas', async () => {
    // A broker of its own, so that stopping it keeps its database and Redis keys.
    const db = await createTestDatabase();
    const sharing = { databaseUrl: db.url, redisKeyPrefix: `t-restart-${process.pid}-${Date.now()}:`, env };
    let first: TestBroker | null = await startTestBroker(sharing);
    const restarted: TestBroker[] = [];
    try {
      const own = await registerCluster(first.app, first.adminToken, 'timed');
      const buildId = id();
      await postBuild(first.app, first.sdapiToken, message(buildId));
      const worker = workerOf(first.app, own);
      await worker.ack([(await worker.poll()).jobs[0]!.leaseId]);
      await timer(
        'POST',
        { buildId, buildStatus: 'RUNNING', startTime: startedAgo(2500), annotations: { 'screwdriver.cd/timeout': 1 } },
        first.app,
      );
      // The broker stops before the deadline; two fresh replicas on the same PostgreSQL and Redis take over.
      await first.close();
      first = null;
      restarted.push(await startTestBroker(sharing));
      await restarted[0]!.replica();
      await waitFor('the timeout', () => api.updates(buildId).find((c) => c.body?.status === 'FAILURE') ?? null, 8000);
      await new Promise((r) => setTimeout(r, 2500));
      expect(api.updates(buildId).filter((c) => c.body?.status === 'FAILURE')).toHaveLength(1);
    } finally {
      await first?.close();
      for (const b of restarted) await b.close();
      await db.drop();
      await flushPrefix(sharing.redisKeyPrefix);
    }
  });
});

describe('queue-service features the broker does not offer', () => {
  let broker: TestBroker;
  afterEach(async () => broker.close());

  it('answers 200 without effect to the ones IGNORE_QUEUE_FEATURES lists, 501 to the others', async () => {
    broker = await startTestBroker({ env: { IGNORE_QUEUE_FEATURES: 'unzip,periodic' } });
    const call = (method: 'POST' | 'DELETE', type: string) =>
      broker.app.inject({
        method,
        url: `/v1/queue/message?type=${type}`,
        headers: { authorization: `Bearer ${broker.sdapiToken}` },
        payload: { buildId: 1, job: { id: 3 } },
      });
    expect((await call('POST', 'unzip')).json()).toMatchObject({ ignored: 'unzip' });
    expect((await call('DELETE', 'periodic')).statusCode).toBe(200);
    const webhook = await call('POST', 'webhook');
    expect(webhook.statusCode).toBe(501);
    expect(webhook.json().message).toContain('QUEUE_WEBHOOK_ENABLED=false');
  });

  it('says at /v4/status that launchers get no token without QUEUE_JWT_PRIVATE_KEY', async () => {
    broker = await startTestBroker();
    const status = (await broker.app.inject({ url: '/v4/status' })).json();
    expect(status.warnings).toEqual([expect.stringContaining('QUEUE_JWT_PRIVATE_KEY is not set: launchers get no token')]);
  });
});
