import jwt from 'jsonwebtoken';
import { rsaPair } from './keys.js';

/**
 * The Screwdriver API's signing key for tests (a fresh RSA pair per process) and the tokens it
 * signs: API tokens for the broker (scope admin, sdapi, viewer ...) and user tokens the way the
 * real screwdriver-api's login signs them.
 */
const apiKeys = rsaPair();
export const API_PUBLIC_KEY = apiKeys.publicKey;
export const API_PRIVATE_KEY = apiKeys.privateKey;

export interface ApiTokenOptions {
  scope?: string[];
  username?: string;
  /** seconds; negative for a token that has already expired */
  expiresIn?: number;
  privateKey?: string;
  claims?: Record<string, unknown>;
}

/** An RS256 API token (scope admin, user test-admin, one hour unless told otherwise). */
export function mintApiToken(options: ApiTokenOptions = {}): string {
  return jwt.sign(
    { scope: options.scope ?? ['admin'], username: options.username ?? 'test-admin', ...options.claims },
    options.privateKey ?? API_PRIVATE_KEY,
    { algorithm: 'RS256', expiresIn: options.expiresIn ?? 3600 },
  );
}

/**
 * A Screwdriver user token as the API's auth plugin signs it: username, scmContext, scmUserId,
 * scope (['user'], plus 'admin' for an admin), a token id, one hour.
 */
export function mintScrewdriverToken(
  privateKey: string,
  user: { username: string; scmContext: string; scope?: string[]; jwtid?: string },
): string {
  return jwt.sign(
    { username: user.username, scmContext: user.scmContext, scmUserId: user.username, scope: user.scope ?? ['user'] },
    privateKey,
    { algorithm: 'RS256', expiresIn: 3600, ...(user.jwtid ? { jwtid: user.jwtid } : {}) },
  );
}
