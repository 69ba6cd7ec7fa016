import { generateKeyPairSync } from 'node:crypto';

/** Real key pairs in PEM, for every test that signs or verifies a token. */
export interface PemPair {
  publicKey: string;
  privateKey: string;
}

const publicKeyEncoding = { type: 'spki', format: 'pem' } as const;
const privateKeyEncoding = { type: 'pkcs8', format: 'pem' } as const;

export function rsaPair(modulusLength = 2048): PemPair {
  return generateKeyPairSync('rsa', { modulusLength, publicKeyEncoding, privateKeyEncoding });
}

export function ecPair(curve: 'P-256' | 'P-384' = 'P-256'): PemPair {
  return generateKeyPairSync('ec', { namedCurve: curve, publicKeyEncoding, privateKeyEncoding });
}

/** A pair for a cluster's signOption algorithm: EC for ES256/ES384, RSA otherwise. */
export function keyPairFor(algorithm: string): PemPair {
  if (algorithm === 'ES256') return ecPair('P-256');
  if (algorithm === 'ES384') return ecPair('P-384');
  return rsaPair();
}
