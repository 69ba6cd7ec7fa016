import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PRIVATE_KEY, API_PUBLIC_KEY } from '../support/broker.js';
import { apiClaims, forgeJwt, nowSeconds, rsaPair } from '@buildcluster/testkit/forge';
import { bearer, expectLogged, expectRefusal, send, sendLogged, startSecurityBroker, type SecurityBroker } from './helpers.js';

/**
 * Attacks on API tokens (README "API", Authentication: API tokens) through the real routes: the admin registry and
 * Screwdriver's /v1/queue/message. Each must be refused with a 4xx that names no internals and
 * echoes no token, and the refusal must be in the log without the token.
 */
let s: SecurityBroker;
beforeAll(async () => {
  s = await startSecurityBroker();
});
afterAll(async () => {
  await s?.close();
});

const foreign = rsaPair();
const sign = (claims: Record<string, unknown>, alg: Parameters<typeof forgeJwt>[0] = 'RS256', key = API_PRIVATE_KEY) =>
  forgeJwt(alg, claims, key);

/** name → token, expected status on an admin route */
const forged: Array<[string, () => string, number]> = [
  ['alg none', () => forgeJwt('none', apiClaims()), 401],
  ['alg none with a signature part', () => `${forgeJwt('none', apiClaims())}c2ln`, 401],
  ['HS256 keyed with the API public key (PEM text)', () => forgeJwt('HS256', apiClaims(), API_PUBLIC_KEY), 401],
  [
    'HS256 keyed with the public key without line breaks',
    () => forgeJwt('HS256', apiClaims(), API_PUBLIC_KEY.replace(/\n/g, '')),
    401,
  ],
  ['RS384 with the right key (only RS256 is allowed)', () => sign(apiClaims(), 'RS384'), 401],
  ['PS256 with the right key', () => sign(apiClaims(), 'PS256'), 401],
  ['signed by a foreign key', () => sign(apiClaims(), 'RS256', foreign.privateKey), 401],
  ['no exp', () => sign(apiClaims({ exp: undefined })), 401],
  ['exp as a string', () => sign(apiClaims({ exp: String(nowSeconds() + 600) })), 401],
  ['expired an hour ago', () => sign(apiClaims({ iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 })), 401],
  ['not valid before next hour (nbf)', () => sign(apiClaims({ nbf: nowSeconds() + 3600 })), 401],
  ['no username', () => sign(apiClaims({ username: undefined })), 401],
  ['scope as a string, not an array', () => sign(apiClaims({ scope: 'admin' })), 401],
  ['no scope', () => sign(apiClaims({ scope: undefined })), 401],
  [
    'payload swapped under a valid signature',
    () => {
      const real = sign(apiClaims({ scope: ['sdapi'] }));
      const [head, , sig] = real.split('.');
      return `${head}.${Buffer.from(JSON.stringify(apiClaims())).toString('base64url')}.${sig}`;
    },
    401,
  ],
  [
    'kid/jku/x5u headers pointing elsewhere',
    () =>
      forgeJwt('RS256', apiClaims(), foreign.privateKey, {
        kid: '../../etc/passwd',
        jku: 'http://evil.example/jwks',
        x5u: 'http://evil.example/x5',
      }),
    401,
  ],
  [
    'embedded jwk header with the attacker key',
    () => forgeJwt('RS256', apiClaims(), foreign.privateKey, { jwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' } }),
    401,
  ],
  ['garbage', () => 'not.a.jwt', 401],
  ['one segment', () => 'abcdef', 401],
  ['sdapi scope on an admin route', () => sign(apiClaims({ scope: ['sdapi'] })), 403],
  ['unknown scope only', () => sign(apiClaims({ scope: ['superuser'] })), 403],
];

describe('forged and wrong API tokens on an admin route (GET /v4/buildClusters)', () => {
  it.each(forged)('%s', async (_name, make, status) => {
    const token = make();
    const answer = await send(s.broker.app, { method: 'GET', url: '/v4/buildClusters', headers: bearer(token) });
    expectRefusal(answer, { status, secrets: [token] });
  });

  it('a cluster token on an admin route is refused (403)', async () => {
    const token = s.alpha.token();
    const answer = await send(s.broker.app, { method: 'GET', url: '/v4/buildClusters', headers: bearer(token) });
    expectRefusal(answer, { status: [401, 403], secrets: [token] });
  });

  it('the honest admin token is accepted (the attacks are refused for their flaw, not for the route)', async () => {
    const answer = await send(s.broker.app, { method: 'GET', url: '/v4/buildClusters', headers: bearer(s.broker.adminToken) });
    expect(answer.statusCode).toBe(200);
  });
});

describe("forged API tokens on Screwdriver's route (POST /v1/queue/message)", () => {
  const start = {
    buildId: 424242,
    pipeline: { name: 'screwdriver-cd/x', scmContext: 'github:github.com' },
    buildClusterName: 'alpha',
  };
  it.each(forged.filter(([name]) => !name.includes('admin route')))('%s', async (_name, make, status) => {
    const token = make();
    const answer = await send(s.broker.app, { method: 'POST', url: '/v1/queue/message', headers: bearer(token), payload: start });
    expectRefusal(answer, { status: status === 403 ? [401, 403] : status, secrets: [token] });
  });

  it('an admin-only token and a cluster token cannot schedule builds (403)', async () => {
    for (const token of [s.alpha.token(), s.broker.adminToken]) {
      const answer = await send(s.broker.app, {
        method: 'POST',
        url: '/v1/queue/message',
        headers: bearer(token),
        payload: start,
      });
      expectRefusal(answer, { status: [401, 403], secrets: [token] });
    }
    const status = await send(s.broker.app, { method: 'GET', url: '/v4/builds/424242', headers: bearer(s.broker.adminToken) });
    expect(status.statusCode).toBe(404);
  });
});

describe('the Authorization header itself', () => {
  const headers: Array<[string, Record<string, string>]> = [
    ['missing', {}],
    ['empty', { authorization: '' }],
    ['Bearer without a token', { authorization: 'Bearer ' }],
    ['Basic credentials', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
    ['two bearer tokens', { authorization: `Bearer ${'x'.repeat(20)} Bearer ${'y'.repeat(20)}` }],
    ['a token with a control character', { authorization: 'Bearer abc\u0001def.ghi.jkl' }],
    ['an 8 KB token', { authorization: `Bearer ${'A'.repeat(8000)}.${'B'.repeat(100)}.${'C'.repeat(100)}` }],
  ];
  it.each(headers)('%s → 401', async (_name, h) => {
    const answer = await send(s.broker.app, { method: 'GET', url: '/v4/buildClusters', headers: h });
    expectRefusal(answer, { status: 401 });
  });
});

describe('a token in the query string, where only the header is read', () => {
  it.each(['token', 'access_token', 'authorization', 'jwt'])(
    '?%s=<admin token> → 401, and the token stays out of the log',
    async (param) => {
      const token = s.broker.adminToken;
      const answer = await sendLogged(s.logged, { method: 'GET', url: `/v4/buildClusters?${param}=${token}` });
      expectRefusal(answer, { status: 401, secrets: [token] });
      expectLogged(s.logged, 401, [token]);
    },
  );
});

describe('refusals are logged, without the token', () => {
  it.each(forged.slice(0, 8))('%s', async (_name, make, status) => {
    const token = make();
    const answer = await sendLogged(s.logged, { method: 'GET', url: '/v4/buildClusters', headers: bearer(token) });
    expectRefusal(answer, { status, secrets: [token] });
    expectLogged(s.logged, status, [token]);
  });

  it('an accepted admin token is not logged either', async () => {
    await sendLogged(s.logged, { method: 'GET', url: '/v4/buildClusters', headers: bearer(s.broker.adminToken) });
    expectLogged(s.logged, 200, [s.broker.adminToken]);
  });
});
