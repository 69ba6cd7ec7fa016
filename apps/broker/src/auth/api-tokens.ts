import jwt from 'jsonwebtoken';
import { API_SCOPES, type ApiScope } from '@buildcluster/protocol';
import { Errors } from '../errors.js';
import type { DecodedToken } from './bearer.js';
import type { ApiUser } from './types.js';

/**
 * Verifies an API token: RS256 signed by the Screwdriver API, with `exp`, a `scope` array and a
 * caller (see callerName). Throws 401 for anything else.
 */
export function verifyApiToken(decoded: DecodedToken, publicKey: string): ApiUser & { expMs: number } {
  if (decoded.alg !== 'RS256') throw new Errors.ApiTokenAlgorithm({ alg: decoded.alg });
  let payload: jwt.JwtPayload;
  try {
    payload = jwt.verify(decoded.token, publicKey, { algorithms: ['RS256'], clockTolerance: 5 }) as jwt.JwtPayload;
  } catch (err) {
    if (err instanceof jwt.TokenExpiredError) throw new Errors.ApiTokenExpired();
    throw new Errors.ApiTokenSignature();
  }
  if (typeof payload.exp !== 'number') throw new Errors.ApiTokenClaimMissing({ missing: 'exp claim' });
  const scope: unknown = payload.scope;
  if (!Array.isArray(scope) || !scope.every((s) => typeof s === 'string')) {
    throw new Errors.ApiTokenClaimMissing({ missing: 'scope array' });
  }
  const scopes = scope.filter((s): s is ApiScope => (API_SCOPES as readonly string[]).includes(s));
  return { username: callerName(payload, scopes), scopes, expMs: payload.exp * 1000 };
}

const positiveId = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value > 0;

/**
 * Who the audit lines name. People carry a string `username`. Screwdriver's own tokens do not:
 * a build's token has the build id as a number, and the job-level tokens of periodic builds carry
 * no username at all, only the job or pipeline they act for. Those are accepted for scope sdapi
 * alone; anything that can reach admin routes must name a person.
 */
function callerName(payload: jwt.JwtPayload, scopes: ApiScope[]): string {
  const username: unknown = payload.username;
  if (typeof username === 'string' && username !== '') return username;
  const screwdriverOnly = scopes.length > 0 && scopes.every((s) => s === 'sdapi');
  if (screwdriverOnly) {
    if (positiveId(username)) return `build:${username}`;
    if (username === undefined || username === null) {
      if (positiveId(payload.jobId)) return `job:${payload.jobId}`;
      if (positiveId(payload.pipelineId)) return `pipeline:${payload.pipelineId}`;
    }
  }
  throw screwdriverOnly ? new Errors.ApiTokenNoCaller() : new Errors.ApiTokenClaimMissing({ missing: 'username claim' });
}
