import jwt from 'jsonwebtoken';
import type { CreateClusterBody, SignAlgorithm, SignOption } from '@buildcluster/protocol';
import { keyPairFor, type PemPair } from './keys.js';

/**
 * For anything that registers clusters or authenticates as a cluster's worker (registry, auth,
 * queue, worker, dashboard and bench). Real keys, real signatures.
 */
export type ClusterKeyPair = PemPair;

export function clusterKeyPair(algorithm: SignAlgorithm = 'ES256'): ClusterKeyPair {
  return keyPairFor(algorithm);
}

export function signOptionFor(name: string, algorithm: SignAlgorithm = 'ES256', expiresIn = 3600): SignOption {
  return { issuer: `cluster-${name}`, subject: `worker-${name}`, audience: 'buildcluster-broker', expiresIn, algorithm };
}

/** A cluster registration with a fresh key pair; returns the body and the private key its workers sign with. */
export function registration(
  name: string,
  overrides: Partial<CreateClusterBody> = {},
  algorithm: SignAlgorithm = overrides.signOption?.algorithm ?? 'ES256',
): { body: CreateClusterBody; keys: ClusterKeyPair } {
  const keys = clusterKeyPair(algorithm);
  const body: CreateClusterBody = {
    name,
    scmOrganization: 'screwdriver-cd',
    scmContext: 'github:github.com',
    managedBy: 'screwdriver',
    publicKey: keys.publicKey,
    signOption: signOptionFor(name, algorithm),
    ...overrides,
  };
  return { body, keys };
}

/** A worker token as the worker SDK mints it: the signOption's claims, `iat` now, `exp` = iat + expiresIn. */
export function mintClusterToken(
  privateKey: string,
  option: SignOption,
  extra: { claims?: Record<string, unknown>; expiresIn?: number; algorithm?: string; iat?: number } = {},
): string {
  const iat = extra.iat ?? Math.floor(Date.now() / 1000);
  return jwt.sign(
    {
      iss: option.issuer,
      sub: option.subject,
      aud: option.audience,
      iat,
      exp: iat + (extra.expiresIn ?? option.expiresIn),
      ...extra.claims,
    },
    privateKey,
    { algorithm: (extra.algorithm ?? option.algorithm) as jwt.Algorithm },
  );
}
