import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WaitingBuildList } from '@buildcluster/protocol';
import { mintApiToken, startTestBroker, type TestBroker } from '../../../test/support/broker.js';
import { postBuild, registerCluster, startMessage, stopBuild, workerOf, type TestCluster } from '@buildcluster/testkit/queue';
import { blockedSource, frozenSource, pendingSource, waitingBuilds } from './waiting-sources.js';

/** GET /v4/builds/waiting: pending and blocked builds (and frozen ones, from a source), oldest first, with why. */
describe('GET /v4/builds/waiting', () => {
  let broker: TestBroker;
  let cluster: TestCluster;
  const gitlab = 'gitlab:gitlab.com';
  const job = 9100;
  const viewer = mintApiToken({ scope: ['viewer'], username: 'maintainer' });

  const list = async (query = '', token: string | null = viewer) =>
    broker.app.inject({ url: `/v4/builds/waiting${query}`, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const metric = async (name: string) => {
    const body = (await broker.app.inject({ url: '/metrics' })).body;
    return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(body)?.[1]);
  };

  beforeAll(async () => {
    broker = await startTestBroker();
    cluster = await registerCluster(broker.app, broker.adminToken, 'waiting-gh');
  });
  afterAll(async () => broker.close());

  it('answers 401 without a token and 403 to the Screwdriver API scope', async () => {
    expect((await list('', null)).statusCode).toBe(401);
    expect((await list('', broker.sdapiToken)).statusCode).toBe(403);
  });

  it.each([
    ['?limit=0', 'limit'],
    ['?limit=501', 'limit'],
    ['?offset=-1', 'offset'],
    ['?offset=10001', 'offset'],
    ['?kind=paused', 'kind'],
    ['?limit=ten', 'limit'],
    ['?page=2', 'page'],
  ])('refuses %s with a 400 naming %s', async (query, field) => {
    const res = await list(query);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain(field);
    expect(res.body).not.toContain(' at ');
  });

  it('answers an empty list when nothing waits', async () => {
    const res = await list('', broker.adminToken);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ builds: [], total: 0, totals: { pending: 0, blocked: 0, frozen: 0 }, offset: 0, limit: 100 });
  });

  it('lists blocked builds with their blocker and pending ones with why, oldest first, paged, and counts them in /metrics', async () => {
    const { app, sdapiToken } = broker;
    const post = async (id: number, overrides: Parameters<typeof startMessage>[1]) =>
      (await postBuild(app, sdapiToken, startMessage(id, { buildClusterName: 'waiting-gh', ...overrides }))).json();
    // The blocker runs: queued, then acked by the cluster.
    expect(await post(901, { jobId: job, blockedBy: [job] })).toMatchObject({ state: 'queued' });
    const worker = workerOf(app, cluster);
    const { jobs } = await worker.poll({ max: 10 });
    await worker.ack(jobs.map((j) => j.leaseId));
    expect(await post(902, { jobId: job, blockedBy: [job] })).toMatchObject({ state: 'blocked' });
    const noCluster = { buildClusterName: undefined, pipeline: { id: 3, name: 'team/app', scmContext: gitlab } };
    expect(await post(903, { jobId: 9200, ...noCluster })).toMatchObject({ state: 'pending' });
    // Blocked by a build of another job in its blockedBy.
    expect(await post(904, { jobId: 9300, blockedBy: [9300, job] })).toMatchObject({ state: 'blocked' });

    const res = await list();
    expect(res.statusCode).toBe(200);
    const body = res.json<WaitingBuildList>();
    expect(body).toMatchObject({ total: 3, totals: { pending: 1, blocked: 2, frozen: 0 }, offset: 0, limit: 100 });
    expect(body.builds.map((b) => [b.kind, b.buildId])).toEqual([
      ['blocked', 902],
      ['pending', 903],
      ['blocked', 904],
    ]);
    expect(body.builds[0]).toEqual({
      kind: 'blocked',
      buildId: 902,
      since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
      reason: `blocked by running build 901 (job ${job})`,
      jobId: job,
      pipelineId: 3,
      blockedBy: [{ buildId: 901, jobId: job }],
    });
    expect(body.builds[1]).toMatchObject({ kind: 'pending', jobId: 9200, pipeline: 'team/app', scmContext: gitlab });
    expect(body.builds[1]!.reason).toContain(`serves scmContext "${gitlab}"`);
    expect(body.builds[2]).toMatchObject({ blockedBy: [{ buildId: 901, jobId: job }], jobId: 9300 });
    const since = body.builds.map((b) => Date.parse(b.since!));
    expect([...since].sort((a, b) => a - b)).toEqual(since);

    // The same blocker and since on the build's own page.
    const one = await app.inject({ url: '/v4/builds/902', headers: { authorization: `Bearer ${viewer}` } });
    expect(one.json()).toMatchObject({
      state: 'blocked',
      blockedBy: [{ buildId: 901, jobId: job }],
      blockedSince: body.builds[0]!.since,
    });

    // Pages and kinds.
    expect((await list('?limit=1&offset=1')).json<WaitingBuildList>().builds.map((b) => b.buildId)).toEqual([903]);
    expect((await list('?offset=3')).json<WaitingBuildList>()).toMatchObject({ builds: [], total: 3 });
    const blocked = (await list('?kind=blocked')).json<WaitingBuildList>();
    expect(blocked.builds.map((b) => b.buildId)).toEqual([902, 904]);
    expect(blocked.totals).toEqual({ pending: 0, blocked: 2, frozen: 0 });

    expect(await metric('broker_builds_blocked')).toBe(2);
    expect(await metric('broker_builds_pending')).toBe(1);

    // Screwdriver stops the blocker: 902 starts in the same step, and now holds 904 (its job is in 904's blockedBy).
    await stopBuild(app, sdapiToken, 901);
    const after = (await list()).json<WaitingBuildList>();
    expect(after.builds.map((b) => [b.kind, b.buildId])).toEqual([
      ['pending', 903],
      ['blocked', 904],
    ]);
    expect(after.builds[1]).toMatchObject({ blockedBy: [{ buildId: 902, jobId: job }] });
    expect(await metric('broker_builds_blocked')).toBe(1);
    const started = (await worker.poll({ max: 10 })).jobs.filter((j) => j.type === 'start');
    expect(started.map((j) => j.buildId)).toEqual([902]);
    await worker.ack(started.map((j) => j.leaseId));
    await stopBuild(app, sdapiToken, 902);
    expect((await list('?kind=blocked')).json<WaitingBuildList>().total).toBe(0);
    const next = (await worker.poll({ max: 10 })).jobs;
    expect(next.filter((j) => j.type === 'start').map((j) => j.buildId)).toEqual([904]);
  });

  it('merges a frozen source in time order, with frozenUntil, builds of unknown start last', async () => {
    const frozen = frozenSource({
      list: async (limit) =>
        [
          { buildId: 950, jobId: 1, pipelineId: 2, frozenUntil: Date.UTC(2030, 0, 1), reason: 'frozen until the window ends' },
          { buildId: 951, jobId: 1, pipelineId: 2, frozenUntil: '2030-01-01T00:00:00Z', reason: 'frozen', frozenSince: 0 },
        ].slice(0, limit),
    });
    const sources = [pendingSource(broker.app.queue.scheduler), blockedSource(broker.app.screwdriver.rules), frozen];
    const page = await waitingBuilds(sources, { limit: 10, offset: 0 });
    expect(page.totals).toEqual({ pending: 1, blocked: 0, frozen: 2 });
    // 904 was let go in the test before; 903 still pends.
    expect(page.builds.map((b) => b.buildId)).toEqual([951, 903, 950]);
    expect(page.builds[2]).toEqual({
      kind: 'frozen',
      buildId: 950,
      since: null,
      reason: 'frozen until the window ends',
      jobId: 1,
      pipelineId: 2,
      frozenUntil: '2030-01-01T00:00:00.000Z',
    });
    expect((await waitingBuilds(sources, { kind: 'frozen', limit: 1, offset: 1 })).builds.map((b) => b.buildId)).toEqual([950]);
  });
});
