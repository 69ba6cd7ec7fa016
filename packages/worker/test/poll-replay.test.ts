import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from './broker.js';
import { WorkerClient } from '../src/client.js';
import { BrokerUnreachableError } from '../src/errors.js';
import { generateClusterKeys, registrationBody } from '../src/keygen.js';
import { api, buildState, enqueue, ORG, SCM_CONTEXT } from './cli-harness.js';

/*
 * A reply lost on the wire, against the real broker: a small HTTP relay in front of it passes
 * every request through but throws away the answer of the first poll that leased a build. The
 * client's retry carries the same pollId and must get that same lease back, not a second one.
 */

let broker: TestBroker;
let relay: Server;
let relayUrl = '';
const dropped: Array<{ jobs: Array<{ leaseId: string; buildId: number }> }> = [];

beforeAll(async () => {
  broker = await startTestBroker({ listen: true });
  relay = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    const relayOnce = async () => {
      const upstream = await fetch(`${broker.url}${req.url}`, {
        method: req.method,
        headers: { authorization: req.headers.authorization ?? '', 'content-type': 'application/json' },
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      });
      const text = await upstream.text();
      if (req.url?.endsWith('/poll') && upstream.status === 200 && dropped.length === 0) {
        dropped.push(JSON.parse(text) as (typeof dropped)[number]);
        req.socket.destroy();
        return;
      }
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text);
    };
    req.on('end', () => {
      relayOnce().catch((err: unknown) => res.destroy(err instanceof Error ? err : new Error(String(err))));
    });
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
});

afterAll(async () => {
  relay?.closeAllConnections();
  await new Promise((resolve) => relay?.close(resolve));
  await broker?.close();
});

describe('a poll whose answer was lost', () => {
  it('is replayed with the same pollId and gets back the same lease', async () => {
    const keys = generateClusterKeys('replay');
    const body = { ...registrationBody('replay', keys), scmOrganization: ORG, scmContext: SCM_CONTEXT, managedBy: 'external' };
    expect((await api(broker, 'PUT', '/v4/buildClusters', broker.adminToken, body)).status).toBe(201);
    await enqueue(broker, 80_001, 'replay');
    await enqueue(broker, 80_002, 'replay');

    const client = new WorkerClient({
      brokerUrl: relayUrl,
      cluster: 'replay',
      privateKey: keys.privateKeyPem,
      signOption: keys.signOption,
      workerId: 'w-replay',
    });
    await expect(client.poll({ waitMs: 1000 })).rejects.toBeInstanceOf(BrokerUnreachableError);
    expect(dropped[0]!.jobs.map((j) => j.buildId)).toEqual([80_001]);

    const replayed = await client.poll({ waitMs: 1000 });
    expect(replayed.map((j) => [j.leaseId, j.buildId, j.attempt])).toEqual([[dropped[0]!.jobs[0]!.leaseId, 80_001, 1]]);
    expect(await client.ack([replayed[0]!.leaseId])).toEqual({ acked: [replayed[0]!.leaseId], rejected: [] });

    // A new poll (new pollId) gets the next build; nothing was leased twice.
    const next = await client.poll({ waitMs: 1000 });
    expect(next.map((j) => [j.buildId, j.attempt])).toEqual([[80_002, 1]]);
    await client.ack([next[0]!.leaseId]);
    expect(await buildState(broker, 80_001)).toBe('acked');
    expect(await buildState(broker, 80_002)).toBe('acked');
  });
});
