import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { clusterKeyPair, mintClusterToken, registration } from '@buildcluster/testkit/clusters';
import {
  API_PRIVATE_KEY,
  API_PUBLIC_KEY,
  TEST_REDIS_URL,
  createTestDatabase,
  flushPrefix,
  mintApiToken,
} from '../../test/support/broker.js';

/**
 * Every refusal of README "API", Authentication, through real routes guarded by the real hooks, against clusters
 * registered through the API (so keys come from the real Redis cache).
 */
/** A broker app with stand-ins for other modules' worker and admin routes, guarded the same way. */
async function startGuardedApp(env: Record<string, string> = {}) {
  const db = await createTestDatabase();
  const prefix = `t-${randomUUID().slice(0, 8)}:`;
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    API_JWT_PUBLIC_KEY: API_PUBLIC_KEY,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const app = await buildApp(config);
  app.get('/test/worker/:cluster', { preHandler: app.authenticateCluster }, async (request) => ({
    cluster: request.buildCluster?.name,
  }));
  app.get('/test/admin', { preHandler: app.requireApiScope('admin') }, async (request) => request.apiUser);
  app.get('/test/sdapi', { preHandler: app.requireApiScope('sdapi', 'admin') }, async (request) => request.apiUser);
  await app.ready();
  return {
    app,
    close: async () => {
      await app.close();
      await db.drop();
      await flushPrefix(prefix);
    },
  };
}

describe('authentication', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  const alpha = registration('alpha');
  const beta = registration('beta', {}, 'RS256');
  const admin = mintApiToken({ scope: ['admin'] });

  beforeAll(async () => {
    ({ app, close } = await startGuardedApp());
    for (const { body } of [alpha, beta]) {
      const res = await app.inject({
        method: 'PUT',
        url: '/v4/buildClusters',
        headers: { authorization: `Bearer ${admin}` },
        payload: body,
      });
      expect(res.statusCode, res.body).toBe(201);
    }
  });
  afterAll(async () => {
    await close?.();
  });

  const worker = (cluster: string, token?: string) =>
    app.inject({ method: 'GET', url: `/test/worker/${cluster}`, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const adminRoute = (token?: string, url = '/test/admin') =>
    app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const alphaToken = (extra: Parameters<typeof mintClusterToken>[2] = {}) =>
    mintClusterToken(alpha.keys.privateKey, alpha.body.signOption, extra);

  describe('API tokens', () => {
    it('accepts a valid token with the scope and names its user', async () => {
      const res = await adminRoute(mintApiToken({ scope: ['admin'], username: 'jane' }));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ username: 'jane', scopes: ['admin'] });
    });

    it('accepts any one of the scopes a route allows', async () => {
      expect((await adminRoute(mintApiToken({ scope: ['sdapi'] }), '/test/sdapi')).statusCode).toBe(200);
    });

    it('answers 401 without a token, with a garbled one, or with a non-bearer header', async () => {
      expect((await adminRoute()).statusCode).toBe(401);
      const garbled = await adminRoute('not.a.jwt');
      expect(garbled.statusCode).toBe(401);
      expect(garbled.body).not.toContain('not.a.jwt');
      const basic = await app.inject({ method: 'GET', url: '/test/admin', headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
      expect(basic.statusCode).toBe(401);
    });

    it('answers 401 for an expired token', async () => {
      const res = await adminRoute(mintApiToken({ expiresIn: -60 }));
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toMatch(/expired/);
    });

    it('answers 401 for a token signed by another key', async () => {
      const other = clusterKeyPair('RS256');
      const token = mintApiToken({ privateKey: other.privateKey });
      const res = await adminRoute(token);
      expect(res.statusCode).toBe(401);
      expect(res.body).not.toContain(token);
    });

    it('answers 401 for a token without exp, username or scope', async () => {
      const privateKey = API_PRIVATE_KEY;
      const noExp = jwt.sign({ scope: ['admin'], username: 'x' }, privateKey, { algorithm: 'RS256' });
      expect((await adminRoute(noExp)).json().message).toMatch(/exp/);
      const noUser = jwt.sign({ scope: ['admin'] }, privateKey, { algorithm: 'RS256', expiresIn: 60 });
      expect((await adminRoute(noUser)).statusCode).toBe(401);
      const noScope = jwt.sign({ username: 'x', scope: 'admin' }, privateKey, { algorithm: 'RS256', expiresIn: 60 });
      expect((await adminRoute(noScope)).statusCode).toBe(401);
    });

    it('answers 401 for alg none and for HS256 keyed with the public key', async () => {
      const none = jwt.sign({ scope: ['admin'], username: 'x' }, null, { algorithm: 'none', expiresIn: 60 });
      expect((await adminRoute(none)).statusCode).toBe(401);
      const hmac = jwt.sign({ scope: ['admin'], username: 'x' }, API_PUBLIC_KEY, { algorithm: 'HS256', expiresIn: 60 });
      expect((await adminRoute(hmac)).statusCode).toBe(401);
    });

    it('answers 403 for a valid token lacking the scope', async () => {
      const res = await adminRoute(mintApiToken({ scope: ['sdapi'] }));
      expect(res.statusCode).toBe(403);
      expect(res.json().message).toMatch(/scope admin/);
    });

    it('refuses a cluster token on an admin route', async () => {
      const res = await adminRoute(alphaToken());
      expect(res.statusCode).toBe(403);
      expect(res.json().message).toMatch(/cluster tokens are not accepted/);
    });
  });

  describe('cluster tokens', () => {
    it('accepts a token signed with the registered key and options', async () => {
      const res = await worker('alpha', alphaToken());
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ cluster: 'alpha' });
      const rsa = await worker('beta', mintClusterToken(beta.keys.privateKey, beta.body.signOption));
      expect(rsa.statusCode).toBe(200);
    });

    it('answers 401 without a token', async () => {
      expect((await worker('alpha')).statusCode).toBe(401);
    });

    it('answers 403 naming an unregistered cluster', async () => {
      const res = await worker('nowhere', alphaToken());
      expect(res.statusCode).toBe(403);
      expect(res.json().message).toBe('cluster nowhere is not registered');
    });

    it('refuses alg none', async () => {
      const token = jwt.sign(
        { iss: 'cluster-alpha', sub: 'worker-alpha', aud: 'buildcluster-broker', exp: Math.floor(Date.now() / 1000) + 60 },
        null,
        { algorithm: 'none' },
      );
      const res = await worker('alpha', token);
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toMatch(/algorithm none/);
    });

    it('refuses HS256 keyed with the public key', async () => {
      const opt = alpha.body.signOption;
      const now = Math.floor(Date.now() / 1000);
      const token = jwt.sign(
        { iss: opt.issuer, sub: opt.subject, aud: opt.audience, iat: now, exp: now + 60 },
        alpha.keys.publicKey,
        {
          algorithm: 'HS256',
        },
      );
      expect((await worker('alpha', token)).statusCode).toBe(401);
    });

    it('refuses another asymmetric algorithm than the registered one', async () => {
      const rsa = clusterKeyPair('RS256');
      const token = mintClusterToken(rsa.privateKey, alpha.body.signOption, { algorithm: 'RS256' });
      expect((await worker('alpha', token)).statusCode).toBe(401);
    });

    it.each([
      ['iss', { iss: 'someone-else' }, /issuer/],
      ['sub', { sub: 'someone-else' }, /subject/],
      ['aud', { aud: 'someone-else' }, /audience/],
      ['aud as an array', { aud: ['buildcluster-broker', 'x'] }, /audience/],
    ])('refuses a wrong %s', async (_label, claims, message) => {
      const res = await worker('alpha', alphaToken({ claims }));
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toMatch(message);
    });

    it('refuses a token without exp', async () => {
      const opt = alpha.body.signOption;
      const token = jwt.sign({ iss: opt.issuer, sub: opt.subject, aud: opt.audience }, alpha.keys.privateKey, {
        algorithm: 'ES256',
      });
      const res = await worker('alpha', token);
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toMatch(/no exp/);
    });

    it('refuses a token without iat', async () => {
      const opt = alpha.body.signOption;
      const token = jwt.sign(
        { iss: opt.issuer, sub: opt.subject, aud: opt.audience, exp: Math.floor(Date.now() / 1000) + 60 },
        alpha.keys.privateKey,
        { algorithm: 'ES256', noTimestamp: true },
      );
      const res = await worker('alpha', token);
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toMatch(/no iat/);
    });

    it('refuses a lifetime over expiresIn', async () => {
      const res = await worker('alpha', alphaToken({ expiresIn: alpha.body.signOption.expiresIn + 1 }));
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toMatch(/expiresIn/);
    });

    it('refuses a token issued in the future (which would stretch its lifetime)', async () => {
      const res = await worker('alpha', alphaToken({ iat: Math.floor(Date.now() / 1000) + 3600 }));
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toMatch(/future/);
    });

    it('refuses an expired token', async () => {
      const res = await worker('alpha', alphaToken({ iat: Math.floor(Date.now() / 1000) - 120, expiresIn: 60 }));
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toMatch(/expired/);
    });

    it('refuses a token signed by a foreign key', async () => {
      const foreign = clusterKeyPair('ES256');
      const token = mintClusterToken(foreign.privateKey, alpha.body.signOption);
      const res = await worker('alpha', token);
      expect(res.statusCode).toBe(401);
      expect(res.body).not.toContain(token);
    });

    it("answers 403 for another cluster's token", async () => {
      const res = await worker('alpha', mintClusterToken(beta.keys.privateKey, beta.body.signOption));
      expect(res.statusCode).toBe(403);
      expect(res.json().message).toBe('this token belongs to cluster beta, not to cluster alpha');
    });

    it('answers 403 for an API token', async () => {
      const res = await worker('alpha', admin);
      expect(res.statusCode).toBe(403);
      expect(res.json().message).toMatch(/API tokens are not accepted/);
    });

    it('still authenticates the workers of an inactive cluster (they drain)', async () => {
      const off = await app.inject({
        method: 'PUT',
        url: '/v4/buildClusters/beta',
        headers: { authorization: `Bearer ${admin}` },
        payload: { isActive: false },
      });
      expect(off.statusCode).toBe(200);
      const res = await worker('beta', mintClusterToken(beta.keys.privateKey, beta.body.signOption));
      expect(res.statusCode).toBe(200);
    });

    it('stops accepting a cached token once the key it was verified with is replaced (no grace)', async () => {
      const token = alphaToken();
      expect((await worker('alpha', token)).statusCode).toBe(200);
      const replacement = clusterKeyPair('ES256');
      // KEY_ROTATION_GRACE_SECONDS defaults to an hour: the old key stays valid for now.
      const rotate = await app.inject({
        method: 'PUT',
        url: '/v4/buildClusters/alpha',
        headers: { authorization: `Bearer ${admin}` },
        payload: { publicKey: replacement.publicKey },
      });
      expect(rotate.statusCode).toBe(200);
      expect((await worker('alpha', token)).statusCode).toBe(200);
      expect((await worker('alpha', mintClusterToken(replacement.privateKey, alpha.body.signOption))).statusCode).toBe(200);
      // A change of options invalidates what was verified under the old ones.
      const stricter = { ...alpha.body.signOption, audience: 'another-audience' };
      const change = await app.inject({
        method: 'PUT',
        url: '/v4/buildClusters/alpha',
        headers: { authorization: `Bearer ${admin}` },
        payload: { signOption: stricter },
      });
      expect(change.statusCode).toBe(200);
      const fresh = mintClusterToken(replacement.privateKey, alpha.body.signOption);
      expect((await worker('alpha', fresh)).statusCode).toBe(401);
      expect((await worker('alpha', mintClusterToken(replacement.privateKey, stricter))).statusCode).toBe(200);
    });
  });
});

describe('key rotation grace', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ app, close } = await startGuardedApp({ KEY_ROTATION_GRACE_SECONDS: '1' }));
  });
  afterAll(async () => {
    await close?.();
  });

  it('accepts the previous key until the grace ends, then refuses it; the new key works throughout', async () => {
    const admin = { authorization: `Bearer ${mintApiToken({ scope: ['admin'] })}` };
    const gamma = registration('gamma');
    expect((await app.inject({ method: 'PUT', url: '/v4/buildClusters', headers: admin, payload: gamma.body })).statusCode).toBe(
      201,
    );
    const oldToken = mintClusterToken(gamma.keys.privateKey, gamma.body.signOption);
    const worker = (token: string) =>
      app.inject({ method: 'GET', url: '/test/worker/gamma', headers: { authorization: `Bearer ${token}` } });
    expect((await worker(oldToken)).statusCode).toBe(200);

    const next = clusterKeyPair('ES256');
    const rotated = await app.inject({
      method: 'PUT',
      url: '/v4/buildClusters/gamma',
      headers: admin,
      payload: { publicKey: next.publicKey },
    });
    expect(rotated.statusCode).toBe(200);
    const validUntil = Date.parse(rotated.json().previousKey.validUntil);
    const newToken = mintClusterToken(next.privateKey, gamma.body.signOption);
    expect((await worker(oldToken)).statusCode).toBe(200);
    expect((await worker(newToken)).statusCode).toBe(200);

    await expect.poll(async () => (await worker(oldToken)).statusCode, { timeout: 5000, interval: 100 }).toBe(401);
    expect(Date.now()).toBeGreaterThanOrEqual(validUntil);
    expect((await worker(newToken)).statusCode).toBe(200);
    // A fresh token signed with the old key is refused too, not only the cached one.
    expect((await worker(mintClusterToken(gamma.keys.privateKey, gamma.body.signOption))).statusCode).toBe(401);
  });
});
