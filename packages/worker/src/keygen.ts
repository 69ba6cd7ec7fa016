import { generateKeyPairSync } from 'node:crypto';
import {
  conventionalSignOption,
  DEFAULT_TOKEN_SECONDS as CONVENTION_SECONDS,
  PLACEHOLDER_PREFIX as CONVENTION_PLACEHOLDER,
  type CreateClusterBody,
  type SignOption,
} from '@buildcluster/protocol';

export const KEYGEN_ALGORITHMS = ['ES256', 'RS256'] as const;
export type KeygenAlgorithm = (typeof KEYGEN_ALGORITHMS)[number];

/** Default lifetime of a worker token, in seconds: short enough to limit a leaked token, long enough to sign rarely. */
export const DEFAULT_TOKEN_SECONDS = CONVENTION_SECONDS;

export interface ClusterKeys {
  privateKeyPem: string;
  publicKeyPem: string;
  signOption: SignOption;
}

/**
 * A fresh key pair and the signOption its tokens will carry. ES256 (P-256) keys are small and
 * fast to sign with; RS256 (RSA 3072) is there for sites that only accept RSA.
 */
export function generateClusterKeys(cluster: string, algorithm: KeygenAlgorithm = 'ES256'): ClusterKeys {
  const publicKeyEncoding = { type: 'spki', format: 'pem' } as const;
  const privateKeyEncoding = { type: 'pkcs8', format: 'pem' } as const;
  const pair =
    algorithm === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1', publicKeyEncoding, privateKeyEncoding })
      : generateKeyPairSync('rsa', { modulusLength: 3072, publicKeyEncoding, privateKeyEncoding });
  return {
    privateKeyPem: pair.privateKey,
    publicKeyPem: pair.publicKey,
    // The convention the dashboard's Register form fills in too, so both agree on every claim.
    signOption: conventionalSignOption(cluster, algorithm),
  };
}

/** Marks every value the cluster admin must fill in before registering. */
export const PLACEHOLDER_PREFIX = CONVENTION_PLACEHOLDER;

/**
 * The body for `PUT /v4/buildClusters`, with placeholders for what only the admin knows. Left
 * unfilled, `managedBy` fails validation at the broker, so a forgotten edit cannot register silently.
 */
export function registrationBody(cluster: string, keys: Pick<ClusterKeys, 'publicKeyPem' | 'signOption'>): CreateClusterBody {
  return {
    name: cluster,
    scmOrganization: `${PLACEHOLDER_PREFIX}: the SCM organization whose builds may run here, e.g. my-org>`,
    scmContext: `${PLACEHOLDER_PREFIX}: the SCM context, e.g. github:github.com>`,
    managedBy: `${PLACEHOLDER_PREFIX}: external or screwdriver>` as CreateClusterBody['managedBy'],
    publicKey: keys.publicKeyPem,
    signOption: keys.signOption,
  };
}
