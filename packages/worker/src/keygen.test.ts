import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { generateClusterKeys, registrationBody } from './keygen.js';
import { parseSignOption } from './sign-option.js';

describe('generateClusterKeys', () => {
  it.each(['ES256', 'RS256'] as const)('makes a %s key pair whose tokens verify with the public key', (algorithm) => {
    const keys = generateClusterKeys('team-a.cluster', algorithm);
    expect(keys.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(keys.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(keys.signOption).toEqual({
      issuer: 'team-a.cluster',
      subject: 'team-a.cluster/worker',
      audience: 'buildcluster-broker',
      expiresIn: 600,
      algorithm,
    });
    const token = jwt.sign({ iss: 'x' }, keys.privateKeyPem, { algorithm });
    expect(jwt.verify(token, keys.publicKeyPem, { algorithms: [algorithm] })).toMatchObject({ iss: 'x' });
  });

  it('writes a registration body with the key, the sign option and marked placeholders', () => {
    const keys = generateClusterKeys('c9');
    const body = registrationBody('c9', keys);
    expect(body).toMatchObject({ name: 'c9', publicKey: keys.publicKeyPem, signOption: keys.signOption });
    for (const field of ['scmOrganization', 'scmContext', 'managedBy'] as const) expect(body[field]).toMatch(/^<REPLACE: /);
  });
});

describe('parseSignOption', () => {
  it('accepts what keygen writes', () => {
    const { signOption } = generateClusterKeys('c1');
    expect(parseSignOption(JSON.parse(JSON.stringify(signOption)))).toEqual(signOption);
  });

  it('names every problem', () => {
    expect(() =>
      parseSignOption({ issuer: '', subject: 's', audience: 'a', expiresIn: 0, algorithm: 'HS256', extra: 1 }, 'file x'),
    ).toThrow(
      'file x is invalid: issuer must be a string of 1 to 200 characters; expiresIn must be a whole number of seconds between 1 and 86400; algorithm must be one of RS256, RS384, RS512, ES256, ES384, PS256; unknown field extra',
    );
    expect(() => parseSignOption([])).toThrow(/must be a JSON object/);
  });
});
