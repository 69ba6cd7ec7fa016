import jwt from 'jsonwebtoken';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerClient } from './client.js';
import { AbortedError, BrokerHttpError, BrokerUnreachableError } from './errors.js';
import { generateClusterKeys } from './keygen.js';
import { json, startTinyServer } from '../test/tiny-server.js';

const keys = generateClusterKeys('c1');
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function serve(routes: Parameters<typeof startTinyServer>[0]) {
  const server = await startTinyServer(routes);
  closers.push(server.close);
  return server;
}

function client(url: string, extra: Partial<ConstructorParameters<typeof WorkerClient>[0]> = {}) {
  return new WorkerClient({
    brokerUrl: url,
    cluster: 'c1',
    privateKey: keys.privateKeyPem,
    signOption: keys.signOption,
    workerId: 'w-1',
    ...extra,
  });
}

const job = (n: number) => ({
  leaseId: `lease-${n}`,
  buildId: n,
  type: 'start',
  attempt: 1,
  enqueuedAt: new Date().toISOString(),
  leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
  message: { buildId: n },
});

describe('WorkerClient.poll', () => {
  it('posts to the cluster queue with its token and answers the jobs, or [] on 204', async () => {
    let calls = 0;
    const server = await serve({ poll: (_req, res) => (++calls === 1 ? json(res, 200, { jobs: [job(7)] }) : json(res, 204)) });
    const c = client(server.url);
    expect(await c.poll({ max: 3, waitMs: 50 })).toEqual(
      [job(7)].map((j) => ({ ...j, enqueuedAt: expect.any(String), leaseExpiresAt: expect.any(String) })),
    );
    expect(await c.poll()).toEqual([]);
    const [first] = server.requests;
    expect(first!.path).toBe('/v4/queues/c1/poll');
    expect(first!.body).toMatchObject({ workerId: 'w-1', max: 3, waitMs: 50, pollId: expect.any(String) });
    const token = first!.authorization!.replace(/^Bearer /, '');
    expect(
      jwt.verify(token, keys.publicKeyPem, { algorithms: ['ES256'], issuer: 'c1', audience: 'buildcluster-broker' }),
    ).toBeTruthy();
  });

  it('resends the same pollId when the reply was lost, and a new one after an answer', async () => {
    let calls = 0;
    const server = await serve({
      poll: (_req, res, raw) => {
        calls += 1;
        // The broker leased builds for this poll but the connection dies before the answer arrives.
        if (calls === 1) return void raw.socket.destroy();
        json(res, 200, { jobs: [job(1)] });
      },
    });
    const c = client(server.url);
    await expect(c.poll({ waitMs: 0 })).rejects.toBeInstanceOf(BrokerUnreachableError);
    expect(c.hasUnansweredPoll).toBe(true);
    await c.poll({ waitMs: 0 });
    await c.poll({ waitMs: 0 });
    const ids = server.of('poll').map((r) => r.body.pollId);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[1]);
    expect(c.hasUnansweredPoll).toBe(false);
  });

  it('resends the same pollId after a timeout and after a 5xx, not after a 4xx refusal', async () => {
    let calls = 0;
    const server = await serve({
      poll: (_req, res) => {
        calls += 1;
        if (calls === 1) return; // never answers: the client's deadline fires
        if (calls === 2)
          return json(res, 503, { statusCode: 503, code: 'UNAVAILABLE', error: 'Service Unavailable', message: 'redis down' });
        if (calls === 3)
          return json(res, 403, {
            statusCode: 403,
            code: 'FORBIDDEN',
            error: 'Forbidden',
            message: 'cluster "c1" is not registered',
          });
        json(res, 204);
      },
    });
    const c = client(server.url, { requestTimeoutMs: 300 });
    await expect(c.poll({ waitMs: 0 })).rejects.toThrow(/no answer within 0.3 s/);
    await expect(c.poll({ waitMs: 0 })).rejects.toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    const refused = await c.poll({ waitMs: 0 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BrokerHttpError);
    expect((refused as BrokerHttpError).brokerMessage).toBe('cluster "c1" is not registered');
    await c.poll({ waitMs: 0 });
    const ids = server.of('poll').map((r) => r.body.pollId);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).toBe(ids[0]);
    expect(ids[3]).not.toBe(ids[0]);
  });

  it('throws AbortedError when the caller aborts, keeping the pollId for a replay', async () => {
    const server = await serve({ poll: () => {} });
    const c = client(server.url);
    const controller = new AbortController();
    const polling = c.poll({ waitMs: 20_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(polling).rejects.toBeInstanceOf(AbortedError);
    expect(c.hasUnansweredPoll).toBe(true);
  });

  it('mints a fresh token after a 401', async () => {
    let calls = 0;
    const server = await serve({
      poll: (_req, res) =>
        ++calls === 1
          ? json(res, 401, { statusCode: 401, code: 'UNAUTHORIZED', error: 'Unauthorized', message: 'jwt expired' })
          : json(res, 204),
    });
    const c = client(server.url);
    const minted = c.tokens.mintedCount;
    await expect(c.poll({ waitMs: 0 })).rejects.toMatchObject({ status: 401, isAuthentication: true });
    await c.poll({ waitMs: 0 });
    expect(c.tokens.mintedCount).toBe(minted + 1);
  });

  it("keeps a proxy's non-JSON error page short and readable", async () => {
    const server = await serve({
      poll: (_req, res) =>
        void res.writeHead(502, { 'content-type': 'text/html' }).end(`<html><body>Bad Gateway ${'x'.repeat(1000)}</body></html>`),
    });
    const err = (await client(server.url)
      .poll({ waitMs: 0 })
      .catch((e: unknown) => e)) as BrokerHttpError;
    expect(err.code).toBe('HTTP_502');
    expect(err.isTransient).toBe(true);
    expect(err.brokerMessage.length).toBeLessThanOrEqual(300);
    expect(err.brokerMessage).toMatch(/^<html><body>Bad Gateway/);
  });

  it('reports a refused connection as unreachable with the reason', async () => {
    const server = await serve({});
    const url = server.url;
    await server.close();
    closers.pop();
    await expect(client(url).poll({ waitMs: 0 })).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('WorkerClient ack/extend/nack', () => {
  it('sends lease ids to the right routes and returns the answers', async () => {
    const server = await serve({
      ack: (req, res) => json(res, 200, { acked: req.body.leaseIds, rejected: [] }),
      extend: (req, res) =>
        json(res, 200, {
          extended: [{ leaseId: 'a', leaseExpiresAt: new Date().toISOString() }],
          rejected: [{ leaseId: 'b', reason: 'lease_lost' }],
          stop: [5],
        }),
      nack: (_req, res) => json(res, 200, {}),
    });
    const c = client(server.url);
    expect(await c.ack(['a', 'b'])).toEqual({ acked: ['a', 'b'], rejected: [] });
    expect(await c.extend(['a', 'b'])).toMatchObject({ rejected: [{ leaseId: 'b', reason: 'lease_lost' }], stop: [5] });
    expect(await c.nack(['a'], 'exit 3')).toEqual({ nacked: ['a'], rejected: [] });
    expect(server.requests.map((r) => [r.path, r.body])).toEqual([
      ['/v4/queues/c1/ack', { leaseIds: ['a', 'b'] }],
      ['/v4/queues/c1/extend', { leaseIds: ['a', 'b'] }],
      ['/v4/queues/c1/nack', { leaseIds: ['a'], reason: 'exit 3' }],
    ]);
  });

  it('keeps a path prefix of the broker URL and encodes the cluster name', async () => {
    const server = await serve({ ack: (req, res) => json(res, 200, { acked: req.body.leaseIds, rejected: [] }) });
    const c = new WorkerClient({
      brokerUrl: `${server.url}/broker/`,
      cluster: 'team.a-1',
      privateKey: keys.privateKeyPem,
      signOption: keys.signOption,
    });
    await c.ack(['x']);
    expect(server.requests[0]!.path).toBe('/broker/v4/queues/team.a-1/ack');
  });

  it('learns a skewed broker clock from the Date header', async () => {
    const server = await serve({
      ack: (_req, res) => {
        res.setHeader('date', new Date(Date.now() + 3_600_000).toUTCString());
        json(res, 200, { acked: [], rejected: [] });
      },
    });
    const c = client(server.url);
    await c.ack(['x']);
    expect(c.clock.offsetMs).toBeGreaterThan(3_590_000);
    expect(c.clock.offsetMs).toBeLessThan(3_610_000);
  });
});
