import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ecPair } from '@buildcluster/testkit/keys';
import type { BrokerEvent, BuildEvent, ClusterEvent, StatsEvent } from '@buildcluster/protocol';
import { mintApiToken, startTestBroker, type TestBroker } from '../../test/support/broker.js';
import { CLOSE_TOKEN_EXPIRED } from './events.js';

/** A connected client that records every frame, with a way to wait for one that matches. */
interface Client {
  socket: WebSocket;
  frames: BrokerEvent[];
  next<T extends BrokerEvent>(match: (e: BrokerEvent) => e is T, timeoutMs?: number): Promise<T>;
  closed: Promise<{ code: number; reason: string }>;
}

function connect(
  url: string,
  options: { token?: string; protocols?: string[]; headers?: Record<string, string> },
): Promise<Client> {
  const target = new URL('/v4/events', url.replace(/^http/, 'ws'));
  if (options.token) target.searchParams.set('token', options.token);
  const socket = new WebSocket(target, options.protocols ?? [], { headers: options.headers });
  const frames: BrokerEvent[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data) => {
    frames.push(JSON.parse((data as Buffer).toString('utf8')) as BrokerEvent);
    for (const wake of waiters) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  const next = <T extends BrokerEvent>(match: (e: BrokerEvent) => e is T, timeoutMs = 10_000) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = frames.find(match);
        if (!found) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames.map((f) => f.type))}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, frames, next, closed }));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

const isCluster = (e: BrokerEvent): e is ClusterEvent => e.type === 'cluster';
const isStats = (e: BrokerEvent): e is StatsEvent => e.type === 'stats';

describe('GET /v4/events', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({ listen: true });
  });
  afterAll(async () => {
    await broker.close();
  });

  it('refuses the handshake without a token (401) and with a token lacking the admin scope (403)', async () => {
    await expect(connect(broker.url, {})).rejects.toThrow('HTTP 401');
    await expect(connect(broker.url, { token: 'not-a-jwt' })).rejects.toThrow('HTTP 401');
    await expect(connect(broker.url, { token: broker.sdapiToken })).rejects.toThrow('HTTP 403');
    await expect(connect(broker.url, { token: mintApiToken({ expiresIn: -60 }) })).rejects.toThrow('HTTP 401');
  });

  it('accepts the token as the "bearer, <jwt>" subprotocol and answers with the "bearer" protocol', async () => {
    const client = await connect(broker.url, { protocols: ['bearer', broker.adminToken] });
    expect(client.socket.protocol).toBe('bearer');
    client.socket.close();
    await client.closed;
  });

  it('accepts the token as ?token= and as an Authorization header', async () => {
    const byQuery = await connect(broker.url, { token: broker.adminToken });
    const byHeader = await connect(broker.url, { headers: { authorization: `Bearer ${broker.adminToken}` } });
    byQuery.socket.close();
    byHeader.socket.close();
    await Promise.all([byQuery.closed, byHeader.closed]);
  });

  it('forwards cluster and build events published on the bus, from any replica', async () => {
    const client = await connect(broker.url, { protocols: ['bearer', broker.adminToken] });
    const replica = await broker.replica();
    const event: ClusterEvent = {
      type: 'cluster',
      action: 'deleted',
      name: 'ws-test',
      cluster: null,
      at: new Date().toISOString(),
    };
    replica.app.bus.publish(event);
    replica.app.bus.publish({ type: 'build', buildId: 77, state: 'queued', cluster: 'ws-test', at: new Date().toISOString() });
    await expect(client.next(isCluster)).resolves.toEqual(event);
    await expect(client.next((e): e is BrokerEvent => e.type === 'build')).resolves.toMatchObject({
      buildId: 77,
      state: 'queued',
    });
    client.socket.close();
    await client.closed;
  });

  it("carries a new build's state change and the queue figures that follow from it", async () => {
    const client = await connect(broker.url, { protocols: ['bearer', broker.adminToken] });
    const { publicKey } = ecPair();
    const registered = await broker.app.inject({
      method: 'PUT',
      url: '/v4/buildClusters',
      headers: { authorization: `Bearer ${broker.adminToken}` },
      payload: {
        name: 'ws-stats',
        scmOrganization: 'acme',
        scmContext: 'github:github.com',
        managedBy: 'screwdriver',
        publicKey,
        signOption: { issuer: 'ws-stats', subject: 'ws-stats', audience: 'broker', expiresIn: 3600, algorithm: 'ES256' },
      },
    });
    expect(registered.statusCode).toBe(201);
    await expect(client.next((e): e is ClusterEvent => isCluster(e) && e.name === 'ws-stats')).resolves.toMatchObject({
      action: 'created',
    });
    const scheduled = await broker.app.inject({
      method: 'POST',
      url: '/v1/queue/message',
      headers: { authorization: `Bearer ${broker.sdapiToken}` },
      payload: { buildId: 4242, jobId: 1, pipeline: { id: 1, name: 'acme/app', scmContext: 'github:github.com' } },
    });
    expect(scheduled.statusCode).toBe(201);
    await expect(client.next((e): e is BuildEvent => e.type === 'build' && e.buildId === 4242)).resolves.toMatchObject({
      state: 'queued',
      cluster: 'ws-stats',
    });
    const stats = await client.next(
      (e): e is StatsEvent => isStats(e) && e.queues.some((q) => q.cluster === 'ws-stats' && q.depth === 1),
    );
    expect(stats.queues.find((q) => q.cluster === 'ws-stats')).toMatchObject({ depth: 1, inFlight: 0, enqueuedTotal: 1 });
    client.socket.close();
    await client.closed;
  });

  it('sends a stats snapshot at once and then about every second', async () => {
    const client = await connect(broker.url, { protocols: ['bearer', broker.adminToken] });
    const first = await client.next(isStats);
    expect(Array.isArray(first.queues)).toBe(true);
    expect(typeof first.pending).toBe('number');
    const started = Date.now();
    await client.next((e): e is StatsEvent => isStats(e) && e.at !== first.at);
    // "At least every second": allow for a busy machine, but a feed that stopped would never get here.
    expect(Date.now() - started).toBeLessThan(4000);
    client.socket.close();
    await client.closed;
  });

  it('closes the socket with 4401 when the token behind it expires', async () => {
    const client = await connect(broker.url, { protocols: ['bearer', mintApiToken({ expiresIn: 2 })] });
    const { code } = await client.closed;
    expect(code).toBe(CLOSE_TOKEN_EXPIRED);
  });

  it('closes every socket with 1001 when the broker shuts down', async () => {
    const other = await startTestBroker({ listen: true });
    const client = await connect(other.url, { protocols: ['bearer', other.adminToken] });
    await other.close();
    await expect(client.closed).resolves.toMatchObject({ code: 1001 });
  });
});
