import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { SignAlgorithm, SignOption } from '@buildcluster/protocol';
import { Errors } from '../errors.js';

/** A cluster public key, checked and normalized: the same key always gets the same file name. */
export interface ParsedPublicKey {
  /** SPKI PEM, as stored in the key store. */
  pem: string;
  /** `<sha256 hex of the DER key>.pem`: the `authKeyFileName` column. */
  fileName: string;
  /** The same hash, colon-separated hex pairs, as the API shows it. */
  fingerprint: string;
}

const PEM_PUBLIC = /^-----BEGIN (RSA )?PUBLIC KEY-----\r?\n[\s\S]+\r?\n-----END (RSA )?PUBLIC KEY-----\s*$/;

function describe(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') return `an EC key on curve ${details.namedCurve ?? 'unknown'}`;
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss')
    return `a ${details.modulusLength ?? '?'}-bit RSA key`;
  return `a ${key.asymmetricKeyType ?? 'unknown'} key`;
}

/** Whether a key may verify tokens of this algorithm (the key families of README "API", Authentication). */
function fits(key: KeyObject, algorithm: SignAlgorithm): boolean {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (algorithm.startsWith('RS')) return type === 'rsa' && (details.modulusLength ?? 0) >= 2048;
  if (algorithm.startsWith('PS')) return (type === 'rsa' || type === 'rsa-pss') && (details.modulusLength ?? 0) >= 2048;
  if (algorithm === 'ES256') return type === 'ec' && details.namedCurve === 'prime256v1';
  if (algorithm === 'ES384') return type === 'ec' && details.namedCurve === 'secp384r1';
  return false;
}

function expected(algorithm: SignAlgorithm): string {
  if (algorithm === 'ES256') return 'an EC P-256 key';
  if (algorithm === 'ES384') return 'an EC P-384 key';
  return 'an RSA key of at least 2048 bits';
}

export function fingerprintOf(hexDigest: string): string {
  return hexDigest.match(/../g)?.join(':') ?? hexDigest;
}

/**
 * Checks that `pem` is a public key (never a private key or a certificate) of the family that
 * `algorithm` signs with, and returns it normalized. Throws a 400 that names `publicKey`.
 */
export function parsePublicKey(pem: string, algorithm: SignAlgorithm): ParsedPublicKey {
  const text = pem.replace(/\\n/g, '\n').trim();
  if (/PRIVATE KEY/.test(text)) {
    throw new Errors.PublicKeyIsPrivate();
  }
  if (!PEM_PUBLIC.test(text)) {
    throw new Errors.PublicKeyNotPem();
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch {
    throw new Errors.PublicKeyUnreadable();
  }
  if (!fits(key, algorithm)) {
    throw new Errors.PublicKeyWrongType({ key: describe(key), algorithm, needs: expected(algorithm) });
  }
  const der = key.export({ type: 'spki', format: 'der' });
  const digest = createHash('sha256').update(der).digest('hex');
  return {
    pem: key.export({ type: 'spki', format: 'pem' }).toString(),
    fileName: `${digest}.pem`,
    fingerprint: fingerprintOf(digest),
  };
}

/** The fingerprint of a stored key file name (`<hex>.pem`). */
export function fingerprintOfFileName(fileName: string): string {
  return fingerprintOf(fileName.replace(/\.pem$/, ''));
}

/** signOption as JSON with a fixed key order, so equal options always hash alike. */
export function canonicalSignOption(option: SignOption): string {
  const { algorithm, audience, expiresIn, issuer, subject } = option;
  return JSON.stringify({ algorithm, audience, expiresIn, issuer, subject });
}

/** `signOptionFileName`: unique per cluster, because the cluster name is part of what is hashed. */
export function signOptionFileName(clusterName: string, option: SignOption): string {
  const digest = createHash('sha256')
    .update(`${clusterName}\n${canonicalSignOption(option)}`)
    .digest('hex');
  return `${digest}.json`;
}
