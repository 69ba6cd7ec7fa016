import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterClaims, ecPair, forgeJwt, nowSeconds, rsaPair } from '@buildcluster/testkit/forge';
import {
  bearer,
  clusterFixture,
  expectLogged,
  expectRefusal,
  register,
  send,
  sendLogged,
  startSecurityBroker,
  type SecurityBroker,
} from './helpers.js';

/**
 * Attacks on cluster tokens (README "API", Authentication: cluster tokens) on the worker routes. alpha signs ES256, beta RS256.
 */
let s: SecurityBroker;
beforeAll(async () => {
  s = await startSecurityBroker();
});
afterAll(async () => {
  await s?.close();
});

const poll = (cluster: string, token: string, url = `/v4/queues/${cluster}/poll`) =>
  send(s.broker.app, { method: 'POST', url, headers: bearer(token), payload: { workerId: 'security-test', waitMs: 0 } });

const foreignEc = ecPair();
const foreignRsa = rsaPair();

/** name → token for alpha's poll route, expected status */
const attacks: Array<[string, () => string, number | number[]]> = [
  ['alg none', () => forgeJwt('none', clusterClaims(s.alpha.signOption)), 401],
  [
    'HS256 keyed with the cluster public key',
    () => forgeJwt('HS256', clusterClaims(s.alpha.signOption), s.alpha.keys.publicKey),
    401,
  ],
  [
    'ES384 instead of the registered ES256',
    () => forgeJwt('ES384', clusterClaims(s.alpha.signOption), ecPair('P-384').privateKey),
    401,
  ],
  [
    'RS256 instead of the registered ES256',
    () => forgeJwt('RS256', clusterClaims(s.alpha.signOption), foreignRsa.privateKey),
    401,
  ],
  ['wrong iss', () => s.alpha.token({ iss: 'someone-else' }), 401],
  ['wrong sub', () => s.alpha.token({ sub: 'someone-else' }), 401],
  ['wrong aud', () => s.alpha.token({ aud: 'another-service' }), 401],
  [
    'aud as an array holding the right audience and another',
    () => s.alpha.token({ aud: [s.alpha.signOption.audience, 'x'] }),
    [200, 204, 401],
  ],
  ['no exp', () => s.alpha.token({ exp: undefined }), 401],
  ['no iat (lifetime cannot be checked)', () => s.alpha.token({ iat: undefined }), 401],
  ['lifetime over expiresIn', () => s.alpha.token({ exp: nowSeconds() + s.alpha.signOption.expiresIn + 60 }), 401],
  ['iat back-dated to stretch the lifetime', () => s.alpha.token({ iat: nowSeconds() - 100_000, exp: nowSeconds() + 600 }), 401],
  ['issued in the future', () => s.alpha.token({ iat: nowSeconds() + 3600, exp: nowSeconds() + 3700 }), 401],
  ['expired', () => s.alpha.token({ iat: nowSeconds() - 1000, exp: nowSeconds() - 100 }), 401],
  [
    'signed by a foreign key with the right claims',
    () => forgeJwt('ES256', clusterClaims(s.alpha.signOption), foreignEc.privateKey),
    401,
  ],
  [
    'claims swapped under a valid signature',
    () => {
      const [head, , sig] = s.beta.token().split('.');
      return `${head}.${Buffer.from(JSON.stringify(clusterClaims(s.alpha.signOption))).toString('base64url')}.${sig}`;
    },
    [401, 403],
  ],
  ['garbage', () => 'a.b.c', 401],
];

describe("attacks on cluster alpha's poll route", () => {
  it('the honest token works (the attacks are refused for their flaw)', async () => {
    const answer = await poll('alpha', s.alpha.token());
    expect(answer.statusCode, answer.body).toBe(204);
  });

  it.each(attacks)('%s', async (_name, make, status) => {
    const token = make();
    const answer = await poll('alpha', token);
    const allowed = Array.isArray(status) ? status : [status];
    if (allowed.includes(answer.statusCode) && answer.statusCode < 400) return;
    expectRefusal(answer, { status: allowed.filter((c) => c >= 400), secrets: [token] });
  });

  it("another cluster's token is refused (403), on every worker route", async () => {
    const token = s.beta.token();
    for (const verb of ['poll', 'ack', 'extend', 'nack']) {
      const payload = verb === 'poll' ? { workerId: 'w', waitMs: 0 } : { leaseIds: ['1:s:1'] };
      const answer = await send(s.broker.app, {
        method: 'POST',
        url: `/v4/queues/alpha/${verb}`,
        headers: bearer(token),
        payload,
      });
      expectRefusal(answer, { status: 403, secrets: [token] });
    }
  });

  it('API tokens are refused on worker routes (403)', async () => {
    for (const token of [s.broker.adminToken, s.broker.sdapiToken]) {
      const answer = await poll('alpha', token);
      expectRefusal(answer, { status: [401, 403], secrets: [token] });
    }
  });

  it('a token in the query string is not read (401) and stays out of the log', async () => {
    const token = s.alpha.token();
    const answer = await sendLogged(s.logged, {
      method: 'POST',
      url: `/v4/queues/alpha/poll?token=${token}`,
      payload: { workerId: 'w', waitMs: 0 },
    });
    expectRefusal(answer, { status: 401, secrets: [token] });
    expectLogged(s.logged, 401, [token]);
  });

  it('unknown clusters and case variants of a name are refused', async () => {
    for (const name of ['ghost', 'ALPHA', 'alpha%20', 'alpha.', '..%2falpha']) {
      const token = s.alpha.token();
      const answer = await poll(name, token, `/v4/queues/${name}/poll`);
      expectRefusal(answer, { secrets: [token] });
    }
  });

  it('refusals are logged without the token', async () => {
    for (const [, make, status] of attacks.slice(0, 6)) {
      const token = make();
      const answer = await sendLogged(s.logged, {
        method: 'POST',
        url: '/v4/queues/alpha/poll',
        headers: bearer(token),
        payload: { workerId: 'w', waitMs: 0 },
      });
      const code = Array.isArray(status) ? status[0]! : status;
      expectRefusal(answer, { status: code, secrets: [token] });
      expectLogged(s.logged, code, [token]);
    }
  });
});

describe('a cluster cannot touch another cluster’s builds', () => {
  it("alpha's token cannot ack, extend or nack beta's lease; beta's build stays leased", async () => {
    const queued = await send(s.broker.app, {
      method: 'POST',
      url: '/v1/queue/message',
      headers: bearer(s.broker.sdapiToken),
      payload: {
        buildId: 777001,
        pipeline: { name: 'screwdriver-cd/x', scmContext: 'github:github.com' },
        buildClusterName: 'beta',
      },
    });
    expect(queued.statusCode, queued.body).toBe(201);
    const leased = await send(s.broker.app, {
      method: 'POST',
      url: '/v4/queues/beta/poll',
      headers: bearer(s.beta.token()),
      payload: { workerId: 'beta-worker', waitMs: 0 },
    });
    expect(leased.statusCode, leased.body).toBe(200);
    const leaseId = (JSON.parse(leased.body) as { jobs: Array<{ leaseId: string }> }).jobs[0]!.leaseId;
    for (const verb of ['ack', 'extend', 'nack']) {
      const answer = await send(s.broker.app, {
        method: 'POST',
        url: `/v4/queues/alpha/${verb}`,
        headers: bearer(s.alpha.token()),
        payload: { leaseIds: [leaseId] },
      });
      expect(answer.statusCode, answer.body).toBe(200);
      const body = JSON.parse(answer.body) as { acked?: string[]; extended?: unknown[]; nacked?: string[]; rejected: unknown[] };
      expect(body.acked ?? body.extended ?? body.nacked).toEqual([]);
      expect(body.rejected).toHaveLength(1);
    }
    const status = await send(s.broker.app, { method: 'GET', url: '/v4/builds/777001', headers: bearer(s.broker.adminToken) });
    expect(JSON.parse(status.body)).toMatchObject({ state: 'leased', leasedBy: 'beta-worker' });
  });

  it("a deleted cluster's token stops working", async () => {
    const gamma = clusterFixture('gamma');
    await register(s.broker.app, s.broker.adminToken, gamma);
    const token = gamma.token();
    expect((await poll('gamma', token)).statusCode).toBe(204);
    const deleted = await send(s.broker.app, {
      method: 'DELETE',
      url: '/v4/buildClusters/gamma',
      headers: bearer(s.broker.adminToken),
    });
    expect(deleted.statusCode, deleted.body).toBe(204);
    expectRefusal(await poll('gamma', token), { status: [401, 403], secrets: [token] });
  });
});
