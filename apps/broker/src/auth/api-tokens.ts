import jwt from 'jsonwebtoken';
import { API_SCOPES, type ApiScope } from '@buildcluster/protocol';
import { Errors } from '../errors.js';
import type { DecodedToken } from './bearer.js';
import type { ApiUser } from './types.js';

/**
 * Verifies an API token (SPEC §3, kind 1): RS256 signed by the Screwdriver API, with `exp`,
 * `username` and a `scope` array. Throws 401 for anything else.
 */
export function verifyApiToken(decoded: DecodedToken, publicKey: string): ApiUser & { expMs: number } {
  if (decoded.alg !== 'RS256') throw new Errors.Unauthorized(`API tokens must be signed with RS256, not ${decoded.alg}`);
  let payload: jwt.JwtPayload;
  try {
    payload = jwt.verify(decoded.token, publicKey, { algorithms: ['RS256'], clockTolerance: 5 }) as jwt.JwtPayload;
  } catch (err) {
    if (err instanceof jwt.TokenExpiredError) throw new Errors.Unauthorized('the API token has expired');
    throw new Errors.Unauthorized('the API token is not signed by the Screwdriver API key');
  }
  if (typeof payload.exp !== 'number') throw new Errors.Unauthorized('the API token has no exp claim');
  if (typeof payload.username !== 'string' || payload.username === '') {
    throw new Errors.Unauthorized('the API token has no username claim');
  }
  const scope: unknown = payload.scope;
  if (!Array.isArray(scope) || !scope.every((s) => typeof s === 'string')) {
    throw new Errors.Unauthorized('the API token has no scope array');
  }
  const scopes = scope.filter((s): s is ApiScope => (API_SCOPES as readonly string[]).includes(s));
  return { username: payload.username, scopes, expMs: payload.exp * 1000 };
}
