import type { SignOption } from './clusters.js';

/**
 * The one signOption convention for a new cluster, shared by `buildcluster-worker keygen`, the
 * dashboard's Register form and the README: issuer the cluster's name, subject `<name>/worker`,
 * audience `buildcluster-broker`, tokens of at most 600 s.
 */
export const DEFAULT_TOKEN_SECONDS = 600;
export const DEFAULT_AUDIENCE = 'buildcluster-broker';

export function conventionalSignOption(cluster: string, algorithm: SignOption['algorithm'] = 'ES256'): SignOption {
  return {
    issuer: cluster,
    subject: `${cluster}/worker`,
    audience: DEFAULT_AUDIENCE,
    expiresIn: DEFAULT_TOKEN_SECONDS,
    algorithm,
  };
}

/** What `keygen` writes where only the cluster's admin knows the value; never a valid registration. */
export const PLACEHOLDER_PREFIX = '<REPLACE';
