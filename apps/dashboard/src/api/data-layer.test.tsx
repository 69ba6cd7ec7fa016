import { ecPair } from '@buildcluster/testkit/keys';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/react';
import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import type { BuildCluster, CreateClusterBody, QueueStats } from '@buildcluster/protocol';
import { ApiError, SESSION_EXPIRED } from './client';
import { clusterKeys, clusterQuery, clustersQuery, createCluster, updateCluster } from './clusters';
import { LiveConnection, type LiveStatus } from './events';
import { session, sessionStore } from './session';
import { queueKeys } from './queues';
import { statsHistory } from './stats-history';
import { pendingCount } from './build-events';
import { pendingBuildsQuery } from './builds';
import { createStore } from '../lib/store';
import { mintApiToken } from '../../test/tokens';

function body(name: string): CreateClusterBody {
  const { publicKey } = ecPair();
  return {
    name,
    scmOrganization: 'acme',
    scmContext: 'github:github.com',
    managedBy: 'screwdriver',
    publicKey,
    signOption: { issuer: name, subject: name, audience: 'broker', expiresIn: 3600, algorithm: 'ES256' },
  };
}

const unique = (prefix: string) => `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

function waitForStatus(status: ReturnType<typeof createStore<LiveStatus>>, wanted: LiveStatus) {
  return waitFor(() => expect(status.get()).toBe(wanted), { timeout: 10_000 });
}

let live: LiveConnection | null = null;
afterEach(() => {
  live?.stop();
  live = null;
});

/** Starts the live connection (`live`, stopped after each test) for `client` and waits until it is live. */
async function goLive(client: QueryClient, token: string = inject('adminToken')) {
  const status = createStore<LiveStatus>('connecting');
  live = new LiveConnection({ client, token, status });
  live.start();
  await waitForStatus(status, 'live');
  return status;
}

/** Sends a start message to the broker as Screwdriver would. */
function postStart(message: object) {
  return fetch(`${inject('brokerUrl')}/v1/queue/message`, {
    method: 'POST',
    headers: { authorization: `Bearer ${inject('sdapiToken')}`, 'content-type': 'application/json' },
    body: JSON.stringify(message),
  });
}

describe('the data layer against a real broker', () => {
  it('lists and reads clusters through the queryOptions factories', async () => {
    session.signIn(inject('adminToken'));
    const name = unique('dl');
    await createCluster(body(name));
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    function Probe() {
      const list = useQuery(clustersQuery());
      const one = useQuery(clusterQuery(name));
      return (
        <p>
          {list.data?.some((c) => c.name === name) ? 'listed' : 'not listed'} / {one.data?.signOption.algorithm ?? '…'}
        </p>
      );
    }
    render(
      <QueryClientProvider client={client}>
        <Probe />
      </QueryClientProvider>,
    );
    await screen.findByText('listed / ES256');
  });

  it('ends the session on a 401 with a message for the sign-in page', async () => {
    session.signIn(mintApiToken({ expiresIn: -60 }));
    await expect(createCluster(body(unique('x')))).rejects.toBeInstanceOf(ApiError);
    expect(sessionStore.get()).toMatchObject({ token: null, signedOutReason: SESSION_EXPIRED });
  });

  it('goes live on the socket and puts cluster changes into the cache without a refetch', async () => {
    session.signIn(inject('adminToken'));
    const name = unique('live');
    await createCluster(body(name));
    const client = new QueryClient();
    client.setQueryData(clusterKeys.list(), [] as BuildCluster[]);
    await goLive(client);

    await updateCluster(name, { weightage: 7 });
    await waitFor(() => expect(client.getQueryData<BuildCluster>(clusterKeys.detail(name))?.weightage).toBe(7), {
      timeout: 10_000,
    });
    expect(client.getQueryData<BuildCluster[]>(clusterKeys.list())?.map((c) => c.name)).toContain(name);
  });

  it('fills the queue figures from the stats events, live', async () => {
    session.signIn(inject('adminToken'));
    const name = unique('stats');
    await createCluster(body(name));
    const client = new QueryClient();
    await goLive(client);
    const res = await postStart({
      buildId: 900_000 + Math.floor(Math.random() * 99_999),
      buildClusterName: name,
      pipeline: { name: 'acme/app', scmContext: 'github:github.com' },
    });
    expect(res.status).toBe(201);
    await waitFor(
      () => expect(client.getQueryData<QueueStats[]>(queueKeys.list())?.find((q) => q.cluster === name)?.depth).toBe(1),
      { timeout: 10_000 },
    );
    await waitFor(() => expect(statsHistory.get()[name]?.length).toBeGreaterThan(1), { timeout: 10_000 });
    expect(pendingCount.get()).toEqual(expect.any(Number));
  });

  it('lists pending builds with why, and the live socket drops one once a cluster can take it', async () => {
    session.signIn(inject('adminToken'));
    // An SCM context no cluster serves: the build waits as pending.
    const scmContext = unique('pending:ctx');
    const buildId = 900_000 + Math.floor(Math.random() * 99_999);
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    await goLive(client);
    const res = await postStart({ buildId, pipeline: { name: 'acme/waiting', scmContext } });
    expect(res.status).toBe(201);
    function Probe() {
      const pending = useQuery(pendingBuildsQuery());
      const build = pending.data?.builds.find((b) => b.buildId === buildId);
      if (!pending.data) return <p>…</p>;
      return <p>{build ? `pending: ${build.pipeline} · ${build.reason}` : 'not pending'}</p>;
    }
    render(
      <QueryClientProvider client={client}>
        <Probe />
      </QueryClientProvider>,
    );
    await screen.findByText(new RegExp(`pending: acme/waiting · .*serves scmContext "${scmContext}"`));
    // No polling here: only the socket's invalidation can refresh the list.
    await createCluster({ ...body(unique('takes')), scmContext });
    await screen.findByText('not pending', undefined, { timeout: 10_000 });
  });

  it('signs out when the broker closes the socket because the token expired', async () => {
    const token = mintApiToken({ expiresIn: 3 });
    session.signIn(token);
    const status = await goLive(new QueryClient(), token);
    await waitFor(() => expect(sessionStore.get().signedOutReason).toBe(SESSION_EXPIRED), { timeout: 15_000 });
    expect(status.get()).toBe('stopped');
  });

  it('keeps retrying with backoff while the broker cannot be reached', async () => {
    session.signIn(inject('adminToken'));
    const status = createStore<LiveStatus>('connecting');
    const seen: LiveStatus[] = [];
    status.subscribe(() => seen.push(status.get()));
    live = new LiveConnection({
      client: new QueryClient(),
      token: inject('adminToken'),
      status,
      url: 'ws://127.0.0.1:9/v4/events',
    });
    live.start();
    await waitForStatus(status, 'reconnecting');
    expect(seen).not.toContain('live');
  });
});
