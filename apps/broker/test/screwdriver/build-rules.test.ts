import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartMessage } from '@buildcluster/protocol';
import {
  postBuild,
  registerCluster,
  startMessage,
  stopBuild,
  waitFor,
  workerOf,
  type TestCluster,
} from '@buildcluster/testkit/queue';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { QUEUE_KEYS, startRecordingApi, type RecordingApi } from './recording-api.js';

/**
 * Screwdriver's blockedBy and collapse rules through the broker's routes, with two replicas on one
 * PostgreSQL and Redis, and a loopback server in the place of Screwdriver's API.
 */
const queueKey = QUEUE_KEYS.privateKey;

let nextId = 80_000;
let nextJob = 500;

describe('blockedBy and collapsed builds', () => {
  let broker: TestBroker;
  let replica: Awaited<ReturnType<TestBroker['replica']>>;
  let api: RecordingApi;
  let cluster: TestCluster;

  beforeAll(async () => {
    api = await startRecordingApi();
    broker = await startTestBroker({ env: { QUEUE_JWT_PRIVATE_KEY: queueKey, POSITION_UPDATE_SECONDS: '0' } });
    replica = await broker.replica();
    cluster = await registerCluster(broker.app, broker.adminToken, 'rules-1');
  });
  afterAll(async () => {
    await broker.close();
    await api.close();
  });

  const build = (
    jobId: number,
    blockedBy: number[],
    annotations: Record<string, unknown> = {},
    buildId = ++nextId,
  ): StartMessage => startMessage(buildId, { jobId, blockedBy, annotations, apiUri: api.url, buildClusterName: 'rules-1' });
  const post = async (message: StartMessage, app = broker.app) => (await postBuild(app, broker.sdapiToken, message)).json();
  const lookup = async (buildId: number) =>
    (await broker.app.inject({ url: `/v4/builds/${buildId}`, headers: { authorization: `Bearer ${broker.adminToken}` } })).json();
  const statuses = (buildId: number) =>
    api.updates(buildId).map((c) => `${String(c.body?.status)} ${String(c.body?.statusMessage)}`);
  /** Takes every job the cluster has now, acks them, and returns their build ids. */
  const drain = async () => {
    const worker = workerOf(broker.app, cluster);
    const { jobs } = await worker.poll({ max: 100 });
    if (jobs.length > 0) await worker.ack(jobs.map((j) => j.leaseId));
    return jobs.filter((j) => j.type === 'start').map((j) => j.buildId);
  };

  it('holds the second build of a job until Screwdriver stops the first, and tells it BLOCKED with the blocker', async () => {
    const job = ++nextJob;
    const first = build(job, [job]);
    const second = build(job, [job]);
    expect(await post(first)).toMatchObject({ state: 'queued' });
    const blocked = await post(second);
    expect(blocked).toMatchObject({
      state: 'blocked',
      statusMessage: `Blocked by these running build(s): <a href="/builds/${first.buildId}">${first.buildId}</a>`,
    });
    expect(await post(second)).toMatchObject({ state: 'blocked' });
    const shown = await lookup(second.buildId);
    expect(shown).toMatchObject({
      state: 'blocked',
      pendingReason: `blocked by running build ${first.buildId} (job ${job})`,
      blockedBy: [{ buildId: first.buildId, jobId: job }],
      blockedSince: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
    });
    expect(shown.enqueuedAt).toBe(shown.blockedSince);
    await waitFor('BLOCKED', () => statuses(second.buildId).some((s) => s.startsWith('BLOCKED Blocked by')), 5000);
    // It entered Screwdriver's queue all the same: the BLOCKED update carries queueEnterTime.
    const blockedUpdate = api.updates(second.buildId).find((c) => c.body?.status === 'BLOCKED');
    expect(blockedUpdate?.body?.stats).toMatchObject({ queueEnterTime: expect.any(String) });
    expect(await drain()).toEqual([first.buildId]);
    // The first build ends in Screwdriver: the API stops it, and the second starts in the same step.
    await stopBuild(broker.app, broker.sdapiToken, first.buildId);
    expect((await lookup(second.buildId)).state).toBe('queued');
    expect(await drain()).toContain(second.buildId);
    await stopBuild(broker.app, broker.sdapiToken, second.buildId);
  });

  it('holds a build while a build of a job in its blockedBy runs, on any replica', async () => {
    const deploy = ++nextJob;
    const migrate = ++nextJob;
    const a = build(deploy, [deploy, migrate]);
    const b = build(migrate, [migrate, deploy]);
    expect(await post(a)).toMatchObject({ state: 'queued' });
    expect(await post(b, replica.app)).toMatchObject({ state: 'blocked' });
    await drain();
    await stopBuild(replica.app, broker.sdapiToken, a.buildId);
    expect(await drain()).toEqual([b.buildId]);
    await stopBuild(broker.app, broker.sdapiToken, b.buildId);
  });

  it('collapses waiting builds of a job into the newest; an older build arriving after a newer one ran collapses too', async () => {
    const job = ++nextJob;
    const [one, two, three] = [build(job, [job]), build(job, [job]), build(job, [job])];
    await post(one);
    expect(await post(two)).toMatchObject({ state: 'blocked' });
    expect(await post(three)).toMatchObject({ state: 'blocked' });
    await waitFor('COLLAPSED', () => statuses(two.buildId).includes(`COLLAPSED Collapsed to build: ${three.buildId}`), 5000);
    await drain();
    await stopBuild(broker.app, broker.sdapiToken, one.buildId);
    expect(await drain()).toEqual([three.buildId]);
    const late = await post(build(job, [job], {}, one.buildId - 1000));
    expect(late).toMatchObject({ state: 'collapsed', statusMessage: `Collapsed to build: ${three.buildId}` });
    await stopBuild(broker.app, broker.sdapiToken, three.buildId);
  });

  it('without collapse, starts waiting builds of a job one at a time in arrival order', async () => {
    const job = ++nextJob;
    const off = { 'screwdriver.cd/collapseBuilds': false };
    const builds = [build(job, [job], off), build(job, [job], off), build(job, [job], off)];
    for (const b of builds) await post(b);
    const order: number[] = [];
    for (let i = 0; i < builds.length; i++) {
      const started = await drain();
      expect(started).toHaveLength(1);
      order.push(started[0]!);
      await stopBuild(i % 2 === 0 ? broker.app : replica.app, broker.sdapiToken, started[0]!);
    }
    expect(order).toEqual(builds.map((b) => b.buildId));
  });

  it('lets a build of the same job run alongside once the running one ran for blockedBySameJobWaitTime (blockedBySameJob: false)', async () => {
    const job = ++nextJob;
    const loose = { 'screwdriver.cd/blockedBySameJob': 'false', 'screwdriver.cd/blockedBySameJobWaitTime': 0 };
    await post(build(job, [job], loose));
    expect(await post(build(job, [job], loose))).toMatchObject({ state: 'queued' });
    const strict = { 'screwdriver.cd/blockedBySameJob': false, 'screwdriver.cd/blockedBySameJobWaitTime': 60 };
    const other = ++nextJob;
    await post(build(other, [other], strict));
    expect(await post(build(other, [other], strict))).toMatchObject({ state: 'blocked' });
    await drain();
  });

  it('cancels a blocked build that Screwdriver stops; it is never delivered and those behind it go on', async () => {
    const job = ++nextJob;
    const off = { 'screwdriver.cd/collapseBuilds': 'false' };
    const [first, aborted, last] = [build(job, [job], off), build(job, [job], off), build(job, [job], off)];
    for (const b of [first, aborted, last]) await post(b);
    expect((await stopBuild(broker.app, broker.sdapiToken, aborted.buildId)).json()).toEqual({
      buildId: aborted.buildId,
      state: 'cancelled',
    });
    await drain();
    await stopBuild(broker.app, broker.sdapiToken, first.buildId);
    expect(await drain()).toEqual([last.buildId]);
    await stopBuild(broker.app, broker.sdapiToken, last.buildId);
  });

  it('a refused build does not hold its job', async () => {
    const job = ++nextJob;
    const refused = await postBuild(broker.app, broker.sdapiToken, { ...build(job, [job]), buildClusterName: 'no-such-cluster' });
    expect(refused.statusCode).toBe(400);
    expect(await post(build(job, [job]))).toMatchObject({ state: 'queued' });
    await drain();
  });

  it('never has two mutually blocking builds running, with posts and stops spread over two replicas', async () => {
    const jobs = [++nextJob, ++nextJob, ++nextJob];
    const off = { 'screwdriver.cd/collapseBuilds': false };
    const builds = Array.from({ length: 18 }, (_, i) => build(jobs[i % 3]!, jobs, off));
    const answers = await Promise.all(builds.map((b, i) => post(b, i % 2 === 0 ? broker.app : replica.app)));
    expect(answers.filter((a) => a.state === 'queued')).toHaveLength(1);
    const started: number[] = [];
    while (started.length < builds.length) {
      const now = await drain();
      expect(now).toHaveLength(1);
      started.push(now[0]!);
      await stopBuild(started.length % 2 === 0 ? broker.app : replica.app, broker.sdapiToken, now[0]!);
    }
    expect(new Set(started).size).toBe(builds.length);
  });

  it("releases a job whose running build outlived its hold time (Screwdriver's stop for it was lost)", async () => {
    const job = ++nextJob;
    const lost = build(job, [job], { 'screwdriver.cd/timeout': 10 });
    const next = build(job, [job]);
    await post(lost);
    expect(await post(next)).toMatchObject({ state: 'blocked' });
    await drain();
    // Held for timeout + 30 min = 40 min from now: move that deadline into the past, as time would.
    const until = Number(await broker.app.redis.hget('rules:{rules}:until', String(job)));
    expect(until - Date.now()).toBeGreaterThan(39 * 60_000);
    await broker.app.redis.hset('rules:{rules}:until', String(job), String(Date.now() - 1));
    await waitFor('the release', async () => ((await lookup(next.buildId)).state === 'queued' ? true : null), 15_000);
    expect(await drain()).toEqual([next.buildId]);
    await stopBuild(broker.app, broker.sdapiToken, next.buildId);
  }, 30_000);

  it('queues a build that a broker let go but died before queuing (the journal)', async () => {
    const job = ++nextJob;
    const orphan = build(job, [job]);
    // What a broker does first on a post; it "dies" before scheduling the build.
    expect(await broker.app.screwdriver.rules.admit(orphan as unknown as Record<string, unknown>)).toMatchObject({
      verdict: 'go',
    });
    const queued = await waitFor(
      'the journal',
      async () => ((await lookup(orphan.buildId)).state === 'queued' ? true : null),
      25_000,
    );
    expect(queued).toBe(true);
    expect(await drain()).toEqual([orphan.buildId]);
    await stopBuild(broker.app, broker.sdapiToken, orphan.buildId);
  }, 40_000);
});
