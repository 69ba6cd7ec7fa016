import { mintClusterToken as mintWith } from '@buildcluster/testkit/clusters';
import { ecPair, rsaPair, type PemPair } from '@buildcluster/testkit/keys';
import { mintApiToken as mintApiTokenWith } from '@buildcluster/testkit/tokens';

/** The key pair standing in for the Screwdriver API's: the broker trusts its public half. */
export type ApiKeys = PemPair;

export const generateApiKeys = (): ApiKeys => rsaPair();

export function mintApiToken(keys: ApiKeys, scope: string[], username = 'bench', expiresInSeconds = 6 * 3600): string {
  return mintApiTokenWith({ scope, username, privateKey: keys.privateKey, expiresIn: expiresInSeconds });
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
  const pair = ecPair();
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

/** A cluster token carrying exactly the claims of the cluster's signOption (README "API", Authentication). */
export function mintClusterToken(credentials: ClusterCredentials): string {
  return mintWith(credentials.privateKey, credentials.signOption);
}
