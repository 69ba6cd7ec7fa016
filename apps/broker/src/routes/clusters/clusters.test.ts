import type { ClusterEvent } from '@buildcluster/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterKeyPair, registration, signOptionFor } from '@buildcluster/testkit/clusters';
import { rsaPair } from '@buildcluster/testkit/keys';
import { startTestBroker, type TestBroker } from '../../../test/support/broker.js';

describe('cluster registry API', () => {
  let broker: TestBroker;
  const events: ClusterEvent[] = [];
  beforeAll(async () => {
    broker = await startTestBroker();
    broker.app.bus.on('cluster', (event) => events.push(event));
  });
  afterAll(async () => {
    await broker.close();
  });

  const call = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: object, token = broker.adminToken) =>
    broker.app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}` } });

  describe('create (PUT and POST /v4/buildClusters)', () => {
    it('creates with PUT: 201, defaults filled in, the key shown only as a fingerprint', async () => {
      const { body } = registration('sd-east', { description: 'east', maintainer: 'ops@example.com' });
      const res = await call('PUT', '/v4/buildClusters', body);
      expect(res.statusCode, res.body).toBe(201);
      const cluster = res.json();
      expect(cluster).toMatchObject({
        name: 'sd-east',
        queue: 'sd-east',
        isActive: true,
        weightage: 100,
        managedBy: 'screwdriver',
        description: 'east',
        maintainer: 'ops@example.com',
        provider: null,
        signOption: body.signOption,
        previousKey: null,
      });
      expect(cluster.id).toBeGreaterThan(0);
      expect(cluster.authKeyFileName).toMatch(/^[0-9a-f]{64}\.pem$/);
      expect(cluster.signOptionFileName).toMatch(/^[0-9a-f]{64}\.json$/);
      expect(cluster.publicKeyFingerprint).toMatch(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
      expect(cluster.publicKeyFingerprint.replace(/:/g, '')).toBe(cluster.authKeyFileName.replace('.pem', ''));
      expect(res.body).not.toContain('BEGIN PUBLIC KEY');
      expect(Date.parse(cluster.createdAt)).not.toBeNaN();
    });

    it('creates with POST too, keeping the given queue, weightage and provider', async () => {
      const provider = { name: 'aws', region: 'us-west-2', accountId: '123456789012' };
      const { body } = registration('aws-west', {
        queue: 'aws-west-q',
        weightage: 0,
        provider,
        managedBy: 'external',
        isActive: false,
      });
      const res = await call('POST', '/v4/buildClusters', body);
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ queue: 'aws-west-q', weightage: 0, provider, managedBy: 'external', isActive: false });
    });

    it('answers 409 for an existing name', async () => {
      const { body } = registration('sd-east');
      const res = await call('PUT', '/v4/buildClusters', body);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'CLUSTER_EXISTS', message: 'cluster sd-east already exists' });
    });

    it('lets exactly one of two racing registrations of a name win', async () => {
      const [a, b] = await Promise.all([
        call('PUT', '/v4/buildClusters', registration('racer').body),
        call('POST', '/v4/buildClusters', registration('racer').body),
      ]);
      expect([a.statusCode, b.statusCode].sort()).toEqual([201, 409]);
    });

    it('answers 409 for a key already registered to another cluster', async () => {
      const first = registration('key-owner');
      expect((await call('PUT', '/v4/buildClusters', first.body)).statusCode).toBe(201);
      const res = await call('PUT', '/v4/buildClusters', { ...registration('key-thief').body, publicKey: first.keys.publicKey });
      expect(res.statusCode).toBe(409);
      expect(res.json().message).toMatch(/publicKey is already registered for cluster key-owner/);
    });

    it.each([
      ['an invalid name', { name: '-bad name' }, /name/],
      ['no scmOrganization', { scmOrganization: undefined }, /scmOrganization/],
      ['an unknown managedBy', { managedBy: 'nobody' }, /managedBy/],
      ['a weightage over 100', { weightage: 101 }, /weightage/],
      ['an invalid maintainer email', { maintainer: 'not-an-email' }, /maintainer/],
      ['an unknown field', { colour: 'blue' }, /colour|additional/],
      ['an HMAC algorithm', { signOption: { ...signOptionFor('x'), algorithm: 'HS256' } }, /signOption\/algorithm/],
      ['no expiresIn', { signOption: { ...signOptionFor('x'), expiresIn: undefined } }, /expiresIn/],
    ])('answers 400 for %s, naming the field', async (_label, change, message) => {
      const { body } = registration('bad-one');
      const res = await call('PUT', '/v4/buildClusters', { ...body, ...change });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(message);
    });

    it.each([
      ['garbage', () => 'hello'],
      ['a private key', () => clusterKeyPair('ES256').privateKey],
      ['an RSA key for ES256', () => clusterKeyPair('RS256').publicKey],
      ['a P-384 key for ES256', () => clusterKeyPair('ES384').publicKey],
      [
        'a truncated PEM',
        () => {
          const pem = clusterKeyPair('ES256').publicKey;
          return pem.slice(0, 40) + pem.slice(80);
        },
      ],
    ])('answers 400 naming publicKey for %s', async (_label, key) => {
      const { body } = registration('bad-key');
      const res = await call('PUT', '/v4/buildClusters', { ...body, publicKey: key() });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'INVALID_PUBLIC_KEY' });
      expect(res.json().message).toMatch(/^publicKey /);
    });

    it('accepts each algorithm family with a fitting key', async () => {
      for (const algorithm of ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384'] as const) {
        const name = `algo-${algorithm.toLowerCase()}`;
        const { body } = registration(name, { signOption: signOptionFor(name, algorithm) }, algorithm);
        const res = await call('PUT', '/v4/buildClusters', body);
        expect(res.statusCode, `${algorithm}: ${res.body}`).toBe(201);
      }
    });

    it('refuses an RSA key under 2048 bits', async () => {
      const small = rsaPair(1024);
      const { body } = registration('small-rsa', { signOption: signOptionFor('small-rsa', 'RS256') }, 'RS256');
      const res = await call('PUT', '/v4/buildClusters', { ...body, publicKey: small.publicKey });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/publicKey is a 1024-bit RSA key/);
    });
  });

  describe('auth', () => {
    it('answers 401 without a token and 403 with the sdapi scope only', async () => {
      const none = await broker.app.inject({ method: 'GET', url: '/v4/buildClusters' });
      expect(none.statusCode).toBe(401);
      const sdapi = await call('GET', '/v4/buildClusters', undefined, broker.sdapiToken);
      expect(sdapi.statusCode).toBe(403);
    });

    it('checks the token before the body (401, not 400, for an anonymous bad body)', async () => {
      const res = await broker.app.inject({ method: 'PUT', url: '/v4/buildClusters', payload: { nonsense: true } });
      expect(res.statusCode).toBe(401);
    });
  });

  describe('read', () => {
    it('lists clusters, filtered by isActive, managedBy and scmContext', async () => {
      const all = await call('GET', '/v4/buildClusters');
      expect(all.statusCode).toBe(200);
      const names = all.json().map((c: { name: string }) => c.name);
      expect(names).toContain('sd-east');
      expect(names).toContain('aws-west');
      const inactive = (await call('GET', '/v4/buildClusters?isActive=false')).json();
      expect(inactive.map((c: { name: string }) => c.name)).toEqual(['aws-west']);
      const external = (await call('GET', '/v4/buildClusters?managedBy=external')).json();
      expect(external.map((c: { name: string }) => c.name)).toEqual(['aws-west']);
      expect((await call('GET', '/v4/buildClusters?scmContext=gitlab:gitlab.com')).json()).toEqual([]);
    });

    it('answers 400 for a bad filter', async () => {
      const res = await call('GET', '/v4/buildClusters?managedBy=nobody');
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/managedBy/);
    });

    it('gets one cluster, on the lower-case path Screwdriver uses too', async () => {
      const res = await call('GET', '/v4/buildclusters/sd-east');
      expect(res.statusCode).toBe(200);
      expect(res.json().name).toBe('sd-east');
      const list = await call('GET', '/v4/BUILDCLUSTERS');
      expect(list.statusCode).toBe(200);
    });

    it('keeps the case of the cluster name in a case-insensitive path', async () => {
      expect((await call('PUT', '/v4/buildClusters', registration('Mixed-Case').body)).statusCode).toBe(201);
      const res = await call('GET', '/v4/BUILDCLUSTERS/Mixed-Case');
      expect(res.statusCode).toBe(200);
      expect(res.json().name).toBe('Mixed-Case');
      expect((await call('GET', '/v4/buildClusters/mixed-case')).statusCode).toBe(404);
    });

    it('answers 404 for an unknown cluster', async () => {
      const res = await call('GET', '/v4/buildClusters/nowhere');
      expect(res.statusCode).toBe(404);
      expect(res.json().message).toBe('cluster nowhere is not registered');
    });
  });

  describe('update (PUT /v4/buildClusters/{name})', () => {
    it('changes fields and keeps the rest', async () => {
      const res = await call('PUT', '/v4/buildClusters/sd-east', { weightage: 40, description: 'east, smaller' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({
        name: 'sd-east',
        weightage: 40,
        description: 'east, smaller',
        queue: 'sd-east',
        previousKey: null,
      });
      expect(Date.parse(res.json().updatedAt)).toBeGreaterThanOrEqual(Date.parse(res.json().createdAt));
    });

    it('rotates the key: the previous one is shown with the end of its grace period', async () => {
      const before = (await call('GET', '/v4/buildClusters/sd-east')).json();
      const next = clusterKeyPair('ES256');
      const res = await call('PUT', '/v4/buildClusters/sd-east', { publicKey: next.publicKey });
      expect(res.statusCode, res.body).toBe(200);
      const after = res.json();
      expect(after.publicKeyFingerprint).not.toBe(before.publicKeyFingerprint);
      expect(after.previousKey.fingerprint).toBe(before.publicKeyFingerprint);
      const grace = Date.parse(after.previousKey.validUntil) - Date.now();
      expect(grace).toBeGreaterThan(3500_000);
      expect(grace).toBeLessThanOrEqual(3600_000);
    });

    it('answers 400 when the new algorithm does not fit the registered key', async () => {
      const res = await call('PUT', '/v4/buildClusters/sd-east', { signOption: signOptionFor('sd-east', 'RS256') });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/signOption.algorithm RS256 does not fit the registered publicKey/);
    });

    it('changes the algorithm together with a fitting key', async () => {
      const rsa = clusterKeyPair('RS256');
      const res = await call('PUT', '/v4/buildClusters/sd-east', {
        signOption: signOptionFor('sd-east', 'RS256'),
        publicKey: rsa.publicKey,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().signOption.algorithm).toBe('RS256');
    });

    it('answers 400 for an empty body, a name in the body, or a bad field', async () => {
      expect((await call('PUT', '/v4/buildClusters/sd-east', {})).statusCode).toBe(400);
      const renamed = await call('PUT', '/v4/buildClusters/sd-east', { name: 'other' });
      expect(renamed.statusCode).toBe(400);
      const bad = await call('PUT', '/v4/buildClusters/sd-east', { isActive: 'perhaps' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toMatch(/isActive/);
    });

    it('answers 404 for an unknown cluster', async () => {
      expect((await call('PUT', '/v4/buildClusters/nowhere', { weightage: 1 })).statusCode).toBe(404);
    });
  });

  describe('delete', () => {
    it('deletes: 204, then 404', async () => {
      expect((await call('PUT', '/v4/buildClusters', registration('short-lived').body)).statusCode).toBe(201);
      const res = await call('DELETE', '/v4/buildClusters/short-lived');
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      expect((await call('GET', '/v4/buildClusters/short-lived')).statusCode).toBe(404);
      expect((await call('DELETE', '/v4/buildClusters/short-lived')).statusCode).toBe(404);
    });

    it('lets the key and the name be registered again after a delete', async () => {
      const again = registration('reborn');
      expect((await call('PUT', '/v4/buildClusters', again.body)).statusCode).toBe(201);
      expect((await call('DELETE', '/v4/buildClusters/reborn')).statusCode).toBe(204);
      expect((await call('PUT', '/v4/buildClusters', again.body)).statusCode).toBe(201);
    });

    it('runs the beforeDelete guards and keeps the cluster when one refuses', async () => {
      expect((await call('PUT', '/v4/buildClusters', registration('guarded').body)).statusCode).toBe(201);
      const { Errors } = await import('../../errors.js');
      const seen: string[] = [];
      const guard = async (name: string, queue: string) => {
        seen.push(`${name}/${queue}`);
        if (name === 'guarded') throw new Errors.ClusterBusy(`cluster ${name} still has queued builds`);
      };
      broker.app.clusterHooks.beforeDelete.push(guard);
      try {
        const res = await call('DELETE', '/v4/buildClusters/guarded');
        expect(res.statusCode).toBe(409);
        expect(res.json().code).toBe('CLUSTER_BUSY');
        expect(seen).toEqual(['guarded/guarded']);
        expect((await call('GET', '/v4/buildClusters/guarded')).statusCode).toBe(200);
      } finally {
        broker.app.clusterHooks.beforeDelete.splice(broker.app.clusterHooks.beforeDelete.indexOf(guard), 1);
      }
    });
  });

  describe('events', () => {
    it('publishes a cluster event for each write, with the cluster (null on delete)', async () => {
      events.length = 0;
      expect((await call('PUT', '/v4/buildClusters', registration('evented').body)).statusCode).toBe(201);
      expect((await call('PUT', '/v4/buildClusters/evented', { isActive: false })).statusCode).toBe(200);
      expect((await call('DELETE', '/v4/buildClusters/evented')).statusCode).toBe(204);
      await expect
        .poll(() => events.filter((e) => e.name === 'evented').map((e) => e.action), { timeout: 5000 })
        .toEqual(['created', 'updated', 'deleted']);
      const [created, updated, deleted] = events.filter((e) => e.name === 'evented');
      expect(created?.cluster?.isActive).toBe(true);
      expect(updated?.cluster?.isActive).toBe(false);
      expect(deleted?.cluster).toBeNull();
    });
  });
});
