import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';

/** The key pair standing in for the Screwdriver API's: the broker trusts its public half. */
export interface ApiKeys {
  publicKey: string;
  privateKey: string;
}

export function generateApiKeys(): ApiKeys {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

export function mintApiToken(keys: ApiKeys, scope: string[], username = 'bench', expiresInSeconds = 6 * 3600): string {
  return jwt.sign({ scope, username }, keys.privateKey, { algorithm: 'RS256', expiresIn: expiresInSeconds });
}

export interface SignOption {
  issuer: string;
  subject: string;
  audience: string;
  expiresIn: number;
  algorithm: 'ES256';
}

/** What a worker of one cluster needs: its cluster's name, private key and signOption. */
export interface ClusterCredentials {
  name: string;
  publicKey: string;
  privateKey: string;
  signOption: SignOption;
}

export function generateClusterCredentials(name: string, expiresIn = 3600): ClusterCredentials {
  // ES256: verification is cheap, which keeps the broker's token cache cold-start honest.
  const pair = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    name,
    publicKey: pair.publicKey,
    privateKey: pair.privateKey,
    signOption: {
      issuer: `bench-${name}`,
      subject: `worker-${name}`,
      audience: 'buildcluster-broker',
      expiresIn,
      algorithm: 'ES256',
    },
  };
}

/** A cluster token carrying exactly the claims of the cluster's signOption (SPEC §3). */
export function mintClusterToken(credentials: ClusterCredentials): string {
  const { signOption } = credentials;
  return jwt.sign({}, credentials.privateKey, {
    algorithm: signOption.algorithm,
    issuer: signOption.issuer,
    subject: signOption.subject,
    audience: signOption.audience,
    expiresIn: signOption.expiresIn,
  });
}
