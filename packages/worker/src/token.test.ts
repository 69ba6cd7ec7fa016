import { rsaPair } from '@buildcluster/testkit/keys';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import type { SignOption } from '@buildcluster/protocol';
import { generateClusterKeys } from './keygen.js';
import { ClusterTokenSource } from './token.js';

const signOption: SignOption = {
  issuer: 'c1',
  subject: 'c1/worker',
  audience: 'buildcluster-broker',
  expiresIn: 100,
  algorithm: 'ES256',
};

describe('ClusterTokenSource', () => {
  it('signs exactly the signOption claims, iat and exp = iat + expiresIn, with the registered algorithm', () => {
    const keys = generateClusterKeys('c1', 'ES256');
    const now = 1_800_000_000_500;
    const source = new ClusterTokenSource({ privateKey: keys.privateKeyPem, signOption, now: () => now });
    const token = source.get();
    const decoded = jwt.verify(token, keys.publicKeyPem, {
      algorithms: ['ES256'],
      issuer: 'c1',
      subject: 'c1/worker',
      audience: 'buildcluster-broker',
      clockTimestamp: 1_800_000_001,
      complete: true,
    });
    expect(decoded.header.alg).toBe('ES256');
    expect(decoded.payload).toEqual({
      iss: 'c1',
      sub: 'c1/worker',
      aud: 'buildcluster-broker',
      iat: 1_800_000_000,
      exp: 1_800_000_100,
    });
  });

  it('keeps a token for 75 % of its life, then mints a new one', () => {
    const keys = generateClusterKeys('c1', 'ES256');
    let now = 1_800_000_000_000;
    const source = new ClusterTokenSource({ privateKey: keys.privateKeyPem, signOption, now: () => now });
    const first = source.get();
    const minted = source.mintedCount;
    now += 74_000;
    expect(source.get()).toBe(first);
    expect(source.mintedCount).toBe(minted);
    now += 1_000;
    const second = source.get();
    expect(second).not.toBe(first);
    expect(source.mintedCount).toBe(minted + 1);
    expect(jwt.decode(second)).toMatchObject({ iat: 1_800_000_075, exp: 1_800_000_175 });
  });

  it('mints a new token after invalidate (the broker answered 401)', () => {
    const keys = generateClusterKeys('c1', 'ES256');
    const source = new ClusterTokenSource({ privateKey: keys.privateKeyPem, signOption });
    source.get();
    const before = source.mintedCount;
    source.invalidate();
    source.get();
    expect(source.mintedCount).toBe(before + 1);
  });

  it('signs RS256 with an RSA key', () => {
    const keys = generateClusterKeys('r1', 'RS256');
    const source = new ClusterTokenSource({ privateKey: keys.privateKeyPem, signOption: keys.signOption });
    const decoded = jwt.verify(source.get(), keys.publicKeyPem, { algorithms: ['RS256'], complete: true });
    expect(decoded.header.alg).toBe('RS256');
    expect(decoded.payload).toMatchObject({ iss: 'r1', sub: 'r1/worker', aud: 'buildcluster-broker' });
  });

  it('refuses at construction a key that does not fit the algorithm', () => {
    const rsa = rsaPair();
    expect(() => new ClusterTokenSource({ privateKey: rsa.privateKey, signOption })).toThrow(/cannot sign a ES256 token/);
  });

  it('refuses text that is not a private key', () => {
    const keys = generateClusterKeys('c1', 'ES256');
    expect(() => new ClusterTokenSource({ privateKey: 'hello', signOption })).toThrow(/not a readable PEM private key/);
    expect(() => new ClusterTokenSource({ privateKey: keys.publicKeyPem, signOption })).toThrow(/private key/);
  });
});
