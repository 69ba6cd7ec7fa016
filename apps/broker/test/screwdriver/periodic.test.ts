import type { FastifyInstance } from 'fastify';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PeriodicScheduleView } from '@buildcluster/protocol';
import { waitFor } from '@buildcluster/testkit/queue';
import { firstTick, transformCron } from '../../src/periodic/cron.js';
import { flushPrefix, mintApiToken, startTestBroker, type TestBroker } from '../support/broker.js';
import { PIPELINE_ADMIN, QUEUE_KEYS, startRecordingApi, type RecordingApi } from './recording-api.js';

/**
 * Periodic builds against a real broker (PostgreSQL, Redis) and a loopback server in the place of
 * Screwdriver's API. The ticker's loop is off (PERIODIC_POLL_MS=0): each test claims and sends
 * itself, at times it picks, as every replica's loop would.
 */
const HOUR = 3_600_000;
const PIPELINE = 3;
const ANNOTATION = 'screwdriver.cd/buildPeriodically';
let nextJob = 500;

let broker: TestBroker;
let api: RecordingApi;

function message(jobId: number, cron: string | null, job: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    pipeline: { id: PIPELINE, name: 'org/repo', scmContext: 'github:github.com', admins: { alice: true } },
    job: {
      id: jobId,
      name: `nightly-${jobId}`,
      pipelineId: PIPELINE,
      state: 'ENABLED',
      archived: false,
      permutations: [{ annotations: cron === null ? {} : { [ANNOTATION]: cron }, image: 'node:20' }],
      ...job,
    },
    apiUri: api.url,
    ...extra,
  };
}

const call = (app: FastifyInstance, method: 'POST' | 'DELETE', payload: object, token = broker.sdapiToken) =>
  app.inject({ method, url: '/v1/queue/message?type=periodic', headers: { authorization: `Bearer ${token}` }, payload });

async function schedule(jobId: number, app: FastifyInstance = broker.app): Promise<PeriodicScheduleView | undefined> {
  const res = await app.inject({ url: '/v4/periodic', headers: { authorization: `Bearer ${broker.adminToken}` } });
  expect(res.statusCode).toBe(200);
  return (res.json().schedules as PeriodicScheduleView[]).find((s) => s.jobId === jobId);
}

async function register(jobId: number, cron = 'H * * * *'): Promise<Date> {
  const res = await call(broker.app, 'POST', message(jobId, cron));
  expect(res.statusCode, res.body).toBe(200);
  return new Date(res.json().nextAt as string);
}

const eventsOf = (jobId: number) => api.events().filter((c) => c.body?.startFrom === `nightly-${jobId}`);

async function outbox(app: FastifyInstance, jobId: number): Promise<Array<{ dueAt: Date; attempts: number; notBefore: Date }>> {
  return app.orm.em
    .fork()
    .execute(`select "dueAt", "attempts", "notBefore" from "periodicTicks" where "jobId" = ? order by "dueAt"`, [jobId]);
}

beforeAll(async () => {
  api = await startRecordingApi();
  broker = await startTestBroker({ env: { QUEUE_JWT_PRIVATE_KEY: QUEUE_KEYS.privateKey, PERIODIC_POLL_MS: '0' } });
});
afterAll(async () => {
  await broker.close();
  await api.close();
});
beforeEach(async () => {
  api.failNext(0, 200);
  // Each test's ticks are its own: the schedules of earlier tests stop ticking.
  const em = broker.app.orm.em.fork();
  await em.execute(`delete from "periodicTicks"`);
  await em.execute(`update "periodicSchedules" set "state" = 'stopped', "nextAt" = null where "state" = 'active'`);
});

describe('POST and DELETE /v1/queue/message?type=periodic', () => {
  it('registers a job at the first tick of its hashed cron more than five minutes away, as Screwdriver would', async () => {
    const jobId = ++nextJob;
    const before = broker.app.periodic.now();
    const res = await call(broker.app, 'POST', message(jobId, 'H 4 * * *'));
    expect(res.statusCode, res.body).toBe(200);
    const expression = transformCron('H 4 * * *', jobId);
    expect(res.json()).toMatchObject({ jobId, schedule: 'scheduled', cron: 'H 4 * * *', expression });
    expect(res.json().nextAt).toBe(firstTick(expression, before).toISOString());
    expect(await schedule(jobId)).toMatchObject({
      jobId,
      pipelineId: PIPELINE,
      jobName: `nightly-${jobId}`,
      scmContext: 'github:github.com',
      apiUri: api.url,
      cron: 'H 4 * * *',
      state: 'active',
      nextAt: res.json().nextAt,
      pendingTicks: 0,
    });
  });

  it('refuses a body that is not a periodic message, naming the field', async () => {
    const jobId = ++nextJob;
    const cases: Array<[unknown, RegExp]> = [
      [{ ...message(jobId, 'H * * * *'), job: { id: jobId, name: 'x' } }, /body\/job.*state/],
      [message(jobId, 'H * * * *', { id: 'seven' }), /body\/job\/id/],
      [{ ...message(jobId, 'H * * * *'), apiUri: 'ftp://x' }, /body\/apiUri/],
      [message(jobId, 'H H(30-40) * * *'), /buildPeriodically: H\(30-40\) is not a valid hour range/],
      [message(jobId, '* * * *'), /buildPeriodically: "\* \* \* \*" does not have exactly 5 fields/],
      [message(jobId, null, { permutations: [{ annotations: { [ANNOTATION]: 5 } }] }), /must be a cron string/],
    ];
    for (const [body, why] of cases) {
      const res = await call(broker.app, 'POST', body as object);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().message).toMatch(why);
    }
    const stop = await call(broker.app, 'DELETE', { pipelineId: PIPELINE });
    expect(stop.statusCode).toBe(400);
    expect(stop.json().message).toMatch(/jobId/);
    expect(await schedule(jobId)).toBeUndefined();
    // Only Screwdriver's token registers schedules; an admin's reads them.
    expect((await call(broker.app, 'POST', message(jobId, 'H * * * *'), broker.adminToken)).statusCode).toBe(403);
    const viewer = mintApiToken({ scope: ['viewer'], username: 'v' });
    expect((await broker.app.inject({ url: '/v4/periodic', headers: { authorization: `Bearer ${viewer}` } })).statusCode).toBe(
      200,
    );
    expect(
      (await broker.app.inject({ url: '/v4/periodic', headers: { authorization: `Bearer ${broker.sdapiToken}` } })).statusCode,
    ).toBe(403);
  });

  it('updates a schedule: isUpdate or a new cron moves the next tick, the same cron again keeps it', async () => {
    const jobId = ++nextJob;
    const first = await register(jobId, 'H 4 * * *');
    expect(await register(jobId, 'H 4 * * *')).toEqual(first);
    const moved = await call(broker.app, 'POST', message(jobId, 'H 5 * * *', {}, { isUpdate: true }));
    expect(moved.json()).toMatchObject({ schedule: 'scheduled', expression: transformCron('H 5 * * *', jobId) });
    expect(new Date(moved.json().nextAt as string).getUTCHours()).toBe(5);
    expect((await schedule(jobId))?.cron).toBe('H 5 * * *');
  });

  it('stops the schedule of a job that is disabled, archived, loses its cron, or is deleted', async () => {
    const variants: Array<[Record<string, unknown>, string | null, RegExp]> = [
      [{ state: 'DISABLED' }, 'H * * * *', /DISABLED/],
      [{ archived: true }, 'H * * * *', /archived/],
      [{}, null, /no screwdriver.cd\/buildPeriodically/],
    ];
    for (const [job, cron, why] of variants) {
      const jobId = ++nextJob;
      const due = await register(jobId);
      const res = await call(broker.app, 'POST', message(jobId, cron, job, { isUpdate: true }));
      expect(res.json()).toMatchObject({ jobId, schedule: 'stopped', reason: expect.stringMatching(why) });
      expect(await schedule(jobId)).toMatchObject({ state: 'stopped', nextAt: null, stoppedReason: expect.stringMatching(why) });
      expect(await broker.app.periodic.ticker.claimDue(new Date(due.getTime() + 10 * HOUR))).not.toContain(jobId);
    }
    const jobId = ++nextJob;
    await register(jobId);
    const stopped = await call(broker.app, 'DELETE', { jobId, pipelineId: PIPELINE });
    expect(stopped.json()).toMatchObject({ jobId, schedule: 'stopped' });
    expect((await call(broker.app, 'DELETE', { jobId: ++nextJob })).json()).toMatchObject({ schedule: 'none' });
    // A stopped job that Screwdriver enables again ticks again.
    expect((await call(broker.app, 'POST', message(jobId, 'H * * * *'))).json()).toMatchObject({ schedule: 'scheduled' });
  });

  it('starts the job at once with triggerBuild, through the outbox', async () => {
    const jobId = ++nextJob;
    const res = await call(broker.app, 'POST', message(jobId, 'H * * * *', {}, { triggerBuild: true }));
    expect(res.json()).toMatchObject({ schedule: 'scheduled', triggered: true });
    await broker.app.periodic.ticker.sendDue();
    expect(eventsOf(jobId)).toHaveLength(1);
  });
});

describe('the ticker', () => {
  it('starts an event as the pipeline admin at each tick, then waits for the next tick', async () => {
    const jobId = ++nextJob;
    const due = await register(jobId);
    const { ticker } = broker.app.periodic;
    expect(await ticker.claimDue(new Date(due.getTime() - 1))).not.toContain(jobId);
    expect(await ticker.claimDue(due)).toContain(jobId);
    await ticker.sendDue();
    const [lookup] = api.calls.filter((c) => c.path === `/v4/pipelines/${PIPELINE}/admin`).slice(-1);
    expect(lookup?.method).toBe('GET');
    const [event] = eventsOf(jobId);
    expect(event?.body).toEqual({
      pipelineId: PIPELINE,
      startFrom: `nightly-${jobId}`,
      creator: { name: 'Screwdriver scheduler', username: 'sd:scheduler' },
      causeMessage: 'Started by periodic build scheduler',
    });
    // As the pipeline's admin, in a user token the broker signs (the API trusts its key as the queue service's).
    const claims = jwt.verify(event!.authorization.replace(/^Bearer /, ''), QUEUE_KEYS.publicKey, { algorithms: ['RS256'] });
    expect(claims).toMatchObject({ username: PIPELINE_ADMIN.username, scmContext: PIPELINE_ADMIN.scmContext, scope: ['user'] });
    const after = await schedule(jobId);
    expect(after).toMatchObject({ lastTickAt: due.toISOString(), nextAt: new Date(due.getTime() + HOUR).toISOString() });
    expect(after?.lastOutcome).toMatch(/^started event \d+/);
    expect(await ticker.claimDue(new Date(due.getTime() + HOUR - 1))).not.toContain(jobId);
  });

  it('fires once on catch-up for ticks missed while no broker ran, not once per missed tick', async () => {
    const jobId = ++nextJob;
    const due = await register(jobId);
    const late = new Date(due.getTime() + 5 * HOUR + 60_000);
    expect(await broker.app.periodic.ticker.claimDue(late)).toContain(jobId);
    expect(await outbox(broker.app, jobId)).toHaveLength(1);
    expect(await broker.app.periodic.ticker.claimDue(late)).not.toContain(jobId);
    // The next tick is the first after the catch-up, on the job's own minute.
    expect((await schedule(jobId))?.nextAt).toBe(new Date(due.getTime() + 6 * HOUR).toISOString());
    await broker.app.periodic.ticker.sendDue();
    expect(eventsOf(jobId)).toHaveLength(1);
  });

  it('retries a tick the API cannot take yet, with backoff; drops one it refuses', async () => {
    const jobId = ++nextJob;
    const due = await register(jobId);
    const { ticker } = broker.app.periodic;
    await ticker.claimDue(due);
    api.failNext(1, 503);
    await ticker.sendDue();
    const [waiting] = await outbox(broker.app, jobId);
    expect(waiting?.attempts).toBe(1);
    expect(eventsOf(jobId)).toHaveLength(0);
    // Not before its backoff (1 s) is over.
    await ticker.sendDue();
    expect(eventsOf(jobId)).toHaveLength(0);
    await waitFor('the retried tick to be sent', async () => (await ticker.sendDue()) > 0, 5000);
    expect(eventsOf(jobId)).toHaveLength(1);
    expect(await outbox(broker.app, jobId)).toEqual([]);

    const refused = ++nextJob;
    const refusedDue = await register(refused);
    await ticker.claimDue(refusedDue);
    api.failNext(1, 403);
    await ticker.sendDue();
    expect(eventsOf(refused)).toHaveLength(0);
    expect(await outbox(broker.app, refused)).toEqual([]);
    expect((await schedule(refused))?.lastOutcome).toMatch(/^given up/);
    const metrics = (await broker.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/broker_periodic_ticks_total\{outcome="retry"\} [1-9]/);
    expect(metrics).toMatch(/broker_periodic_ticks_total\{outcome="given_up"\} [1-9]/);
    expect(metrics).toMatch(/broker_periodic_ticks_total\{outcome="started"\} [1-9]/);
    expect(metrics).toMatch(/broker_periodic_schedules [1-9]/);
  });
});

describe('periodic builds across replicas and restarts', () => {
  it('claims and sends each due tick exactly once when two brokers race on it', async () => {
    const other = await broker.replica({ PERIODIC_POLL_MS: '0' });
    const jobs = Array.from({ length: 20 }, () => ++nextJob);
    const dues = await Promise.all(jobs.map((j) => register(j)));
    const latest = new Date(Math.max(...dues.map((d) => d.getTime())));
    const claims = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? broker.app : other.app).periodic.ticker.claimDue(latest)),
    );
    const claimed = claims.flat().filter((j) => jobs.includes(j));
    expect(claimed.sort()).toEqual([...jobs].sort());
    await Promise.all([
      broker.app.periodic.ticker.sendDue(),
      other.app.periodic.ticker.sendDue(),
      broker.app.periodic.ticker.sendDue(),
    ]);
    for (const jobId of jobs) expect(eventsOf(jobId), `job ${jobId}`).toHaveLength(1);
    await other.close();
  });

  it('completes a tick claimed by a broker that died before sending it, or while sending it', async () => {
    const doomed = await broker.replica({ PERIODIC_POLL_MS: '0' });
    const jobId = ++nextJob;
    const due = await register(jobId);
    expect(await doomed.app.periodic.ticker.claimDue(due)).toEqual([jobId]);
    await doomed.close();
    await broker.app.periodic.ticker.sendDue();
    expect(eventsOf(jobId)).toHaveLength(1);

    // A broker that leased the tick and died: its lease runs out, and another sends the tick.
    const leased = ++nextJob;
    const leasedDue = await register(leased);
    await broker.app.periodic.ticker.claimDue(leasedDue);
    await broker.app.orm.em
      .fork()
      .execute(`update "periodicTicks" set "attempts" = 1, "leaseUntil" = now() + interval '1 second' where "jobId" = ?`, [
        leased,
      ]);
    expect(await broker.app.periodic.ticker.sendDue()).toBe(0);
    await waitFor('the lapsed lease to be taken over', async () => (await broker.app.periodic.ticker.sendDue()) > 0, 5000);
    expect(eventsOf(leased)).toHaveLength(1);
  });

  it('keeps every schedule across a restart and a loss of Redis (PostgreSQL is the only copy)', async () => {
    const jobId = ++nextJob;
    const due = await register(jobId);
    await flushPrefix(broker.redisKeyPrefix);
    const restarted = await startTestBroker({
      databaseUrl: broker.databaseUrl,
      env: { QUEUE_JWT_PRIVATE_KEY: QUEUE_KEYS.privateKey, PERIODIC_POLL_MS: '0' },
    });
    try {
      expect(await schedule(jobId, restarted.app)).toMatchObject({ state: 'active', nextAt: due.toISOString() });
      expect(await restarted.app.periodic.ticker.claimDue(due)).toEqual([jobId]);
      await restarted.app.periodic.ticker.sendDue();
      expect(eventsOf(jobId)).toHaveLength(1);
    } finally {
      await restarted.close();
    }
  });
});

describe('without QUEUE_JWT_PRIVATE_KEY', () => {
  it('refuses to register schedules it could never start (501 naming the variable)', async () => {
    const plain = await startTestBroker({ env: { PERIODIC_POLL_MS: '0' } });
    try {
      const res = await call(plain.app, 'POST', message(++nextJob, 'H * * * *'), plain.sdapiToken);
      expect(res.statusCode).toBe(501);
      expect(res.json().message).toMatch(/QUEUE_JWT_PRIVATE_KEY/);
    } finally {
      await plain.close();
    }
  });
});
