import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { dataDir } from './data-dir.js';

/**
 * A local stand-in for the Screwdriver API's signing key, so the quick start works with no
 * configuration: tokens for the dashboard and for curl are minted with it.
 */
export function localApiKeys(): LocalKeyPair {
  return localKeyPair('api');
}

/**
 * The key the broker signs Screwdriver tokens with (QUEUE_JWT_PRIVATE_KEY); a Screwdriver API
 * pointed at this broker needs its public half as `auth.jwtQueueServicePublicKey`.
 */
export function localQueueKeys(): LocalKeyPair {
  return localKeyPair('queue');
}

export interface LocalKeyPair {
  publicKey: string;
  privateKey: string;
  dir: string;
  publicPath: string;
}

function localKeyPair(name: string): LocalKeyPair {
  const dir = dataDir('keys');
  const privatePath = join(dir, `${name}.key.pem`);
  const publicPath = join(dir, `${name}.pub.pem`);
  if (!existsSync(privatePath) || !existsSync(publicPath)) {
    const pair = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    writeFileSync(privatePath, pair.privateKey, { mode: 0o600 });
    writeFileSync(publicPath, pair.publicKey);
  }
  return { publicKey: readFileSync(publicPath, 'utf8'), privateKey: readFileSync(privatePath, 'utf8'), dir, publicPath };
}

export function mintLocalToken(
  scope: 'admin' | 'sdapi' | 'viewer',
  expiresInSeconds: number,
  username = `local-${scope}`,
): string {
  const { privateKey } = localApiKeys();
  return jwt.sign({ scope: [scope], username }, privateKey, { algorithm: 'RS256', expiresIn: expiresInSeconds });
}
