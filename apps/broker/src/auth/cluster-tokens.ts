import jwt, { type JwtPayload } from 'jsonwebtoken';
import type { SignOption } from '@buildcluster/protocol';
import { Errors } from '../errors.js';
import type { CachedCluster, ClusterKey } from '../clusters/types.js';
import type { DecodedToken } from './bearer.js';

/** How far a worker's clock may run ahead of the broker's (`iat` in the future, `exp` just past). */
export const CLOCK_TOLERANCE_SECONDS = 5;

/** What a verified cluster token was checked against; the token cache re-checks it is still current. */
export interface ClusterTokenGrant {
  cluster: string;
  fingerprint: string;
  /** The signOption used, to notice a change of options. */
  option: SignOption;
  expMs: number;
}

/** The keys a cluster accepts right now: the current one, and the previous one during a rotation's grace. */
export function usableKeys(cluster: CachedCluster, now: number): Array<{ key: ClusterKey; option: SignOption }> {
  return cluster.keys
    .filter((k) => k.validUntil === null || k.validUntil > now)
    .map((key) => ({ key, option: key.signOption ?? cluster.signOption }));
}

/** The claim checks of README "API", Authentication; returns why the payload fails, or null. */
function claimProblem(payload: JwtPayload, option: SignOption, now: number): string | null {
  if (typeof payload.exp !== 'number') return 'the token has no exp claim';
  if (typeof payload.iat !== 'number') return 'the token has no iat claim (needed to check its lifetime)';
  if (payload.iat > now / 1000 + CLOCK_TOLERANCE_SECONDS) return 'the token is issued in the future (iat)';
  if (payload.exp - payload.iat > option.expiresIn) {
    return `the token lives ${payload.exp - payload.iat} s, more than signOption.expiresIn (${option.expiresIn} s)`;
  }
  if (payload.iss !== option.issuer) return 'the token issuer (iss) does not match the cluster signOption';
  if (payload.sub !== option.subject) return 'the token subject (sub) does not match the cluster signOption';
  if (payload.aud !== option.audience) return 'the token audience (aud) does not match the cluster signOption';
  return null;
}

/**
 * Verifies a cluster token (README "API", Authentication: cluster tokens) against the cluster's usable keys: exact `alg`
 * (asymmetric only, so never `none` or HMAC), valid signature, exact iss/sub/aud, `exp` required,
 * `exp - iat <= expiresIn`. Throws 401 naming the failed check, never the token.
 */
export function verifyClusterToken(decoded: DecodedToken, cluster: CachedCluster, now = Date.now()): ClusterTokenGrant {
  const candidates = usableKeys(cluster, now);
  let problem = `the token is not signed by a key registered for cluster ${cluster.name}`;
  for (const { key, option } of candidates) {
    if (decoded.alg !== option.algorithm) {
      problem = `the token algorithm ${decoded.alg} is not the one registered for cluster ${cluster.name} (${option.algorithm})`;
      continue;
    }
    let payload: JwtPayload;
    try {
      payload = jwt.verify(decoded.token, key.pem, {
        algorithms: [option.algorithm],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        clockTimestamp: Math.floor(now / 1000),
      }) as JwtPayload;
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError) {
        problem = 'the cluster token has expired';
        // Also signed by this key: no other key will do better.
        break;
      }
      continue;
    }
    const claims = claimProblem(payload, option, now);
    if (claims) throw new Errors.ClusterTokenRefused(claims);
    return {
      cluster: cluster.name,
      fingerprint: key.fingerprint,
      option,
      expMs: (payload.exp as number) * 1000,
    };
  }
  throw new Errors.ClusterTokenRefused(problem);
}

/** Field by field: this runs on every worker request that hits the token cache, so no serializing. */
function sameOption(a: SignOption, b: SignOption): boolean {
  return (
    a.issuer === b.issuer &&
    a.subject === b.subject &&
    a.audience === b.audience &&
    a.expiresIn === b.expiresIn &&
    a.algorithm === b.algorithm
  );
}

/** Whether a cached grant still holds for this cluster (same key, still usable, same options). */
export function grantStillValid(grant: ClusterTokenGrant, cluster: CachedCluster, now = Date.now()): boolean {
  if (grant.cluster !== cluster.name) return false;
  return usableKeys(cluster, now).some(
    ({ key, option }) => key.fingerprint === grant.fingerprint && sameOption(option, grant.option),
  );
}

/**
 * The registered cluster a token really belongs to, if any, among `clusters`: used only on the
 * refusal path, to answer 403 "this is cluster A's token" rather than 401.
 */
export function owningCluster(decoded: DecodedToken, clusters: CachedCluster[], now = Date.now()): CachedCluster | null {
  const { iss, sub, aud } = decoded.payload;
  for (const cluster of clusters) {
    const plausible = usableKeys(cluster, now).some(
      ({ option }) => option.issuer === iss && option.subject === sub && option.audience === aud,
    );
    if (!plausible) continue;
    try {
      verifyClusterToken(decoded, cluster, now);
      return cluster;
    } catch {
      // not this one
    }
  }
  return null;
}
