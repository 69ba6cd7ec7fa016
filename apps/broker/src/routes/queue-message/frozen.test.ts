import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../../test/support/broker.js';
import { postBuild, registerCluster, startMessage } from '@buildcluster/testkit/queue';

/**
 * Freeze windows on POST/DELETE /v1/queue/message through the HTTP routes, on the real PostgreSQL
 * and Redis. The window is this UTC month (`* * * <month> ?`): it covers the whole test and ends
 * at the start of next month, so nothing fires here (window ends are tested in
 * screwdriver/frozen.test.ts and, through the real Screwdriver API, in packages/screwdriver-compat).
 */
const queueKey = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
}).privateKey;
// Nothing listens there: the FROZEN updates the broker sends are refused at once and retried later.
const API = 'http://127.0.0.1:9';

function thisMonth(): { window: string; ends: string } {
  const now = new Date();
  const ends = new Date(
    Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1, 0, 0, now.getUTCSeconds(), now.getUTCMilliseconds()),
  );
  return { window: `* * * ${now.getUTCMonth() + 1} ?`, ends: ends.toISOString().slice(0, 16) };
}

describe('freeze windows on /v1/queue/message', () => {
  let broker: TestBroker;
  let sd: string;
  let nextId = 70_000;
  let nextJob = 700;
  const id = () => ++nextId;
  const { window, ends } = thisMonth();

  const frozenStart = (buildId: number, jobId: number, extra: Record<string, unknown> = {}) =>
    startMessage(buildId, { jobId, apiUri: API, freezeWindows: ['0 12 29 2 ?', window], ...extra } as never);
  const get = (buildId: number) =>
    broker.app.inject({ url: `/v4/builds/${buildId}`, headers: { authorization: `Bearer ${broker.adminToken}` } });
  const del = (payload: Record<string, unknown>, query = '') =>
    broker.app.inject({
      method: 'DELETE',
      url: `/v1/queue/message${query}`,
      headers: { authorization: `Bearer ${sd}` },
      payload,
    });
  const frozenGauge = async () => {
    const text = (await broker.app.inject({ url: '/metrics' })).body;
    return Number(/^broker_builds_frozen (\d+)/m.exec(text)?.[1]);
  };

  beforeAll(async () => {
    broker = await startTestBroker({ env: { QUEUE_JWT_PRIVATE_KEY: queueKey } });
    sd = broker.sdapiToken;
    await registerCluster(broker.app, broker.adminToken, 'fz-1');
  });
  afterAll(async () => broker.close());

  it('holds a start inside a window as frozen (FROZEN in the wording of the queue-service), before the rules see it', async () => {
    const buildId = id();
    const job = ++nextJob;
    const res = await postBuild(broker.app, sd, frozenStart(buildId, job, { blockedBy: [job, 9999] }));
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ buildId, state: 'frozen', cluster: null, queue: null });
    expect(body.statusMessage).toMatch(
      /^Blocked by freeze window, re-enqueued to \w{3} \w{3} \d\d \d{4} 00:00:\d\d GMT\+0000 \(Coordinated Universal Time\)$/,
    );
    const status = await get(buildId);
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({ buildId, state: 'frozen', cluster: null, attempts: 0 });
    expect(status.json().frozenUntil.slice(0, 16)).toBe(ends);
    expect(status.json().pendingReason).toContain(`inside freeze window ${window}`);
    // Not admitted by the blockedBy rule: no waiting or running build of the job is left behind.
    expect(await broker.app.screwdriver.rules.waiting(buildId)).toBeNull();
    expect(await broker.app.screwdriver.rules.waitingCount()).toBe(0);
    const later = await postBuild(broker.app, sd, startMessage(id(), { jobId: 9999, blockedBy: [job] }));
    expect(later.json().state).toBe('queued');
    expect(await frozenGauge()).toBeGreaterThanOrEqual(1);
    expect(await broker.app.screwdriver.frozen.list(100)).toContainEqual({
      buildId,
      jobId: job,
      pipelineId: 3,
      frozenUntil: status.json().frozenUntil,
      reason: status.json().pendingReason,
      frozenSince: expect.any(String),
    });
  });

  it('keeps one frozen build per job: a newer one replaces the older, which the broker forgets', async () => {
    const job = ++nextJob;
    const older = id();
    const newer = id();
    await postBuild(broker.app, sd, frozenStart(older, job));
    const before = await frozenGauge();
    expect((await postBuild(broker.app, sd, frozenStart(newer, job))).json().state).toBe('frozen');
    expect(await frozenGauge()).toBe(before);
    expect((await get(older)).statusCode).toBe(404);
    expect((await get(newer)).json().state).toBe('frozen');
    // The API's stopFrozen for the older build (a user aborts it) leaves the newer one frozen.
    expect((await del({ buildId: older, jobId: job }, '?type=frozen')).json()).toEqual({ jobId: job, frozen: 'none' });
    expect((await get(newer)).json().state).toBe('frozen');
  });

  it('lets a start with [force start] in its causeMessage run at once, and any start of the job forgets its frozen build', async () => {
    const job = ++nextJob;
    const held = id();
    await postBuild(broker.app, sd, frozenStart(held, job));
    const forced = id();
    const res = await postBuild(broker.app, sd, frozenStart(forced, job, { causeMessage: '[force start] hotfix' }));
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ buildId: forced, state: 'queued', cluster: 'fz-1' });
    expect((await get(held)).statusCode).toBe(404);
    // A job outside its windows (none here) is queued as usual.
    const plain = await postBuild(
      broker.app,
      sd,
      startMessage(id(), { jobId: ++nextJob, freezeWindows: ['0 12 29 2 ?'] } as never),
    );
    expect(plain.json().state).toBe('queued');
  });

  it('DELETE ?type=frozen forgets the job’s frozen build (the API’s stopFrozen), and a stop of a frozen build cancels it', async () => {
    const job = ++nextJob;
    const buildId = id();
    await postBuild(broker.app, sd, frozenStart(buildId, job));
    const stopped = await del({ buildId, jobId: job, pipelineId: 3, status: 'FROZEN' }, '?type=frozen');
    expect(stopped.statusCode).toBe(200);
    expect(stopped.json()).toEqual({ jobId: job, frozen: 'stopped', buildId });
    expect((await get(buildId)).statusCode).toBe(404);
    expect((await del({ buildId, jobId: job }, '?type=frozen')).json()).toEqual({ jobId: job, frozen: 'none' });
    const missing = await del({ buildId }, '?type=frozen');
    expect(missing.statusCode).toBe(400);
    expect(missing.json().message).toContain('jobId');

    const other = id();
    await postBuild(broker.app, sd, frozenStart(other, job));
    const stop = await del({ buildId: other, jobId: job });
    expect(stop.json()).toEqual({ buildId: other, state: 'cancelled' });
    expect((await get(other)).statusCode).toBe(404);
  });

  it('POST ?type=frozen starts the job’s build again now; its body is validated', async () => {
    const job = ++nextJob;
    const buildId = id();
    await postBuild(broker.app, sd, frozenStart(buildId, job));
    const res = await postBuild(broker.app, sd, frozenStart(buildId, job), '?type=frozen');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ jobId: job, frozen: 'starting', buildId });
    const due = await broker.app.redis.zscore('sd:{sd}:fz', String(job));
    expect(Number(due)).toBeLessThanOrEqual(Date.now() + 60_000);
    const bad = await postBuild(broker.app, sd, { buildId } as never, '?type=frozen');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain('jobId');
    const nameless = await postBuild(broker.app, sd, { buildId, jobId: job } as never, '?type=frozen');
    expect(nameless.statusCode).toBe(400);
    expect(nameless.json().message).toContain('jobName');
  });

  it('refuses freeze windows that are not cron expressions with 400 naming the window', async () => {
    for (const freezeWindows of [['* * * * * *'], ['* * 1 * 1'], ['61 * * * ?'], 'nightly', [5]]) {
      const res = await postBuild(broker.app, sd, startMessage(id(), { jobId: ++nextJob, freezeWindows } as never));
      expect(res.statusCode, JSON.stringify(freezeWindows)).toBe(400);
      expect(res.json().message).toContain('freezeWindows');
    }
  });

  it('answers a forget of the frozen build that failed instead of the start, but a 400 as itself', async () => {
    const job = ++nextJob;
    // The job's frozen hash is a string: the forget fails (WRONGTYPE), the route's other writes do not.
    await broker.app.redis.set(`sd:{sd}:fz:${job}`, 'not a hash');
    try {
      const skipped = await postBuild(broker.app, sd, startMessage(id(), { jobId: job, jobState: 'DISABLED' } as never));
      expect(skipped.statusCode).toBe(500);
      const queued = await postBuild(broker.app, sd, startMessage(id(), { jobId: job }));
      expect(queued.statusCode).toBe(500);
      const bad = await postBuild(broker.app, sd, startMessage(id(), { jobId: job, freezeWindows: 'nightly' } as never));
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toContain('freezeWindows');
    } finally {
      await broker.app.redis.del(`sd:{sd}:fz:${job}`);
    }
  });
});

describe('freeze windows without QUEUE_JWT_PRIVATE_KEY', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
    await registerCluster(broker.app, broker.adminToken, 'fz-2');
  });
  afterAll(async () => broker.close());

  it('queues a build inside a window at once (the broker could not start it again), and ?type=frozen answers 501 naming the variable', async () => {
    const { window } = thisMonth();
    const res = await postBuild(broker.app, broker.sdapiToken, startMessage(71_000, { freezeWindows: [window] } as never));
    expect(res.json()).toMatchObject({ state: 'queued', cluster: 'fz-2' });
    const start = await postBuild(broker.app, broker.sdapiToken, startMessage(71_000), '?type=frozen');
    expect(start.statusCode).toBe(501);
    expect(start.json().message).toContain('QUEUE_JWT_PRIVATE_KEY');
  });
});
