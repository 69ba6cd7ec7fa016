import { generateKeyPairSync } from 'node:crypto';

export interface RsaPair {
  publicKey: string;
  privateKey: string;
}

/** An RSA key pair in PEM (Screwdriver signs and verifies RS256 only). */
export function rsaPair(): RsaPair {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}
