import jwt from 'jsonwebtoken';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postBuild, registerCluster, startMessage, waitFor } from '@buildcluster/testkit/queue';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { QUEUE_KEYS, PIPELINE_ADMIN, startRecordingApi, type RecordedCall, type RecordingApi } from './recording-api.js';

/**
 * Freeze windows end to end on two broker replicas (one PostgreSQL, one Redis) and a loopback
 * server in the place of Screwdriver's API: FROZEN is told, and when the window ends exactly one
 * replica starts the job again as the pipeline's admin (GET .../admin, then POST /v4/events).
 */
describe('freeze windows on two replicas', () => {
  let broker: TestBroker;
  let other: FastifyInstance;
  let api: RecordingApi;
  let nextId = 80_000;
  let nextJob = 800;

  beforeAll(async () => {
    api = await startRecordingApi();
    broker = await startTestBroker({ env: { QUEUE_JWT_PRIVATE_KEY: QUEUE_KEYS.privateKey, POSITION_UPDATE_SECONDS: '3600' } });
    other = (await broker.replica()).app;
    await registerCluster(broker.app, broker.adminToken, 'fzr-1');
  });
  afterAll(async () => {
    await broker.close();
    await api.close();
  });

  const freeze = (app: FastifyInstance, buildId: number, jobId: number, window: string) =>
    postBuild(
      app,
      broker.sdapiToken,
      startMessage(buildId, { jobId, jobName: `job-${jobId}`, apiUri: api.url, freezeWindows: [window] } as never),
    );
  const events = (): RecordedCall[] => api.calls.filter((c) => c.method === 'POST' && c.path === '/v4/events');
  const eventsOf = (buildId: number) => events().filter((c) => c.body?.buildId === buildId);

  it('starts each build once when its window ends, from whichever replica claims it, as the admin', async () => {
    // The window is the current minute; its end must come after all three builds froze.
    if (new Date().getUTCSeconds() >= 50) await new Promise((r) => setTimeout(r, (61 - new Date().getUTCSeconds()) * 1000));
    const now = new Date();
    const window = `${now.getUTCMinutes()} ${now.getUTCHours()} * * ?`;
    const builds = [++nextId, ++nextId, ++nextId];
    const jobs = builds.map(() => ++nextJob);
    for (const [i, buildId] of builds.entries()) {
      const res = await freeze(i % 2 ? other : broker.app, buildId, jobs[i]!, window);
      expect(res.json()).toMatchObject({ buildId, state: 'frozen' });
    }
    const until = Date.parse(
      (
        await broker.app.inject({ url: `/v4/builds/${builds[0]}`, headers: { authorization: `Bearer ${broker.adminToken}` } })
      ).json().frozenUntil,
    );
    expect(new Date(until).getUTCMinutes()).toBe((now.getUTCMinutes() + 1) % 60);

    // Screwdriver is told FROZEN, with queueEnterTime as for any build that entered the queue.
    const frozenNote = await waitFor(
      'the FROZEN update',
      () => api.updates(builds[0]!).find((c) => c.body?.status === 'FROZEN'),
      10_000,
    );
    expect(frozenNote.body).toMatchObject({
      statusMessage: expect.stringMatching(
        /^Blocked by freeze window, re-enqueued to .+ GMT\+0000 \(Coordinated Universal Time\)$/,
      ),
      stats: { queueEnterTime: expect.any(String) },
    });

    await waitFor('every job started again', () => builds.every((b) => eventsOf(b).length > 0), 75_000);
    await new Promise((r) => setTimeout(r, 3000));
    for (const [i, buildId] of builds.entries()) {
      const [started, ...again] = eventsOf(buildId);
      expect(again, `build ${buildId} started again`).toEqual([]);
      expect(started!.at).toBeGreaterThanOrEqual(until - 100);
      expect(started!.body).toEqual({
        pipelineId: 3,
        startFrom: `job-${jobs[i]}`,
        creator: { name: 'Screwdriver scheduler', username: 'sd:scheduler' },
        causeMessage: 'Started by freeze window scheduler',
        parentEventId: 11,
        buildId,
      });
      // As the admin the API named, with a user token.
      expect(jwt.decode(started!.authorization.replace(/^Bearer /, ''))).toMatchObject({
        username: PIPELINE_ADMIN.username,
        scope: ['user'],
      });
    }
    const lookups = api.calls.filter((c) => c.method === 'GET' && c.path === '/v4/pipelines/3/admin');
    expect(lookups.length).toBe(builds.length);
    expect((await broker.app.inject({ url: '/metrics' })).body).toMatch(/^broker_builds_frozen 0$/m);
  }, 120_000);

  it('retries a start the API could not take yet (503), and starts it once it can', async () => {
    const buildId = ++nextId;
    const job = ++nextJob;
    const month = `* * * ${new Date().getUTCMonth() + 1} ?`;
    expect((await freeze(broker.app, buildId, job, month)).json().state).toBe('frozen');
    await waitFor('the FROZEN update', () => api.updates(buildId).length > 0, 10_000);
    const failedFrom = api.calls.length;
    api.failNext(1, 503);
    const now = await postBuild(
      other,
      broker.sdapiToken,
      startMessage(buildId, { jobId: job, jobName: `job-${job}`, apiUri: api.url }),
      '?type=frozen',
    );
    expect(now.json()).toEqual({ jobId: job, frozen: 'starting', buildId });
    await waitFor('the start after the retry', () => eventsOf(buildId).length > 0, 20_000);
    const tries = api.calls.slice(failedFrom).filter((c) => c.path === '/v4/pipelines/3/admin');
    expect(tries.length).toBe(2);
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(4500);
    await new Promise((r) => setTimeout(r, 1500));
    expect(eventsOf(buildId)).toHaveLength(1);
  });
});
