import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PendingBuildList } from '@buildcluster/protocol';
import { startTestBroker, type TestBroker } from '../../../test/support/broker.js';
import { postBuild, registerCluster, startMessage, stopBuild, updateCluster, waitFor } from '@buildcluster/testkit/queue';

/** GET /v4/builds/pending: builds no eligible cluster could take yet (README "API", Which cluster runs a build: pending), with why. */
describe('GET /v4/builds/pending', () => {
  let broker: TestBroker;
  const gitlab = 'gitlab:gitlab.com';

  const list = async (query = '', token: string | null = broker.sdapiToken) =>
    broker.app.inject({ url: `/v4/builds/pending${query}`, headers: token ? { authorization: `Bearer ${token}` } : {} });

  beforeAll(async () => {
    broker = await startTestBroker();
    // Serves github only, so gitlab builds have no eligible cluster.
    await registerCluster(broker.app, broker.adminToken, 'sd-github');
    // Inactive and external: a build asking for it waits for it.
    await registerCluster(broker.app, broker.adminToken, 'ext-acme', {
      isActive: false,
      managedBy: 'external',
      scmOrganization: 'acme',
      scmContext: gitlab,
    });
  });
  afterAll(async () => broker.close());

  it('answers 401 without a token', async () => {
    const res = await list('', null);
    expect(res.statusCode).toBe(401);
  });

  it('answers an empty list when nothing is pending', async () => {
    const res = await list('', broker.adminToken);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ builds: [], total: 0 });
  });

  it('lists pending builds oldest first with why, honours limit, and empties once a cluster is eligible', async () => {
    const { app, adminToken, sdapiToken } = broker;
    // Posted out of id order: the list follows arrival, not ids.
    for (const buildId of [303, 301, 302]) {
      const res = await postBuild(app, sdapiToken, startMessage(buildId, { pipeline: { name: 'team/app', scmContext: gitlab } }));
      expect(res.json()).toMatchObject({ buildId, state: 'pending' });
    }
    const requested = await postBuild(
      app,
      sdapiToken,
      startMessage(304, { buildClusterName: 'ext-acme', pipeline: { name: 'acme/web', scmContext: gitlab } }),
    );
    expect(requested.json()).toMatchObject({ state: 'pending' });
    // Queued at once: never listed.
    expect((await postBuild(app, sdapiToken, startMessage(305))).json().state).toBe('queued');
    // Cancelled while pending: no longer listed.
    await postBuild(app, sdapiToken, startMessage(306, { pipeline: { name: 'team/app', scmContext: gitlab } }));
    expect((await stopBuild(app, sdapiToken, 306)).json().state).toBe('cancelled');

    const res = await list();
    expect(res.statusCode).toBe(200);
    const body = res.json<PendingBuildList>();
    expect(body.total).toBe(4);
    expect(body.builds.map((b) => b.buildId)).toEqual([303, 301, 302, 304]);
    expect(body.builds[0]).toEqual({
      buildId: 303,
      pendingSince: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
      reason: expect.stringContaining(`serves scmContext "${gitlab}"`) as unknown,
      requestedCluster: null,
      scmContext: gitlab,
      pipeline: 'team/app',
      jobId: expect.any(Number) as unknown,
      pipelineId: expect.any(Number) as unknown,
    });
    expect(body.builds[3]).toMatchObject({ buildId: 304, requestedCluster: 'ext-acme', pipeline: 'acme/web' });
    expect(body.builds[3]!.reason).toContain('requested cluster "ext-acme" is inactive');
    const since = body.builds.map((b) => Date.parse(b.pendingSince));
    expect([...since].sort((a, b) => a - b)).toEqual(since);

    // The same reason GET /v4/builds/{id} gives.
    const one = await app.inject({ url: '/v4/builds/301', headers: { authorization: `Bearer ${adminToken}` } });
    expect(one.json().pendingReason).toBe(body.builds[1]!.reason);

    const limited = (await list('?limit=2')).json<PendingBuildList>();
    expect(limited).toMatchObject({ total: 4 });
    expect(limited.builds.map((b) => b.buildId)).toEqual([303, 301]);
    expect((await list('?limit=0')).statusCode).toBe(400);
    expect((await list('?limit=501')).statusCode).toBe(400);

    // The requested cluster activated: its build leaves the list, the others stay in order.
    await updateCluster(app, adminToken, 'ext-acme', { isActive: true });
    await waitFor('build 304 to be assigned', async () => (await list()).json<PendingBuildList>().total === 3);
    expect((await list()).json<PendingBuildList>().builds.map((b) => b.buildId)).toEqual([303, 301, 302]);

    // A managed gitlab cluster registered: all of them are assigned.
    await registerCluster(app, adminToken, 'sd-gitlab', { scmContext: gitlab });
    await waitFor('the pending list to empty', async () => (await list()).json<PendingBuildList>().total === 0);
    expect((await list()).json()).toEqual({ builds: [], total: 0 });
  });

  it('is not taken for a build id by GET /v4/builds/{buildId}', async () => {
    const res = await broker.app.inject({ url: '/v4/builds/pending', headers: { authorization: `Bearer ${broker.sdapiToken}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toHaveProperty('builds');
    const bad = await broker.app.inject({
      url: '/v4/builds/pendingx',
      headers: { authorization: `Bearer ${broker.sdapiToken}` },
    });
    expect(bad.statusCode).toBe(400);
  });
});
