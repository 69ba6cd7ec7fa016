import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

/** PEM text given inline or as a path; null when the file is unreadable (a problem is noted). */
function pemText(env: string, raw: string, problems: string[]): string | null {
  let pem = raw;
  if (!raw.includes('-----BEGIN')) {
    if (!existsSync(raw)) {
      problems.push(`${env} is neither PEM text nor a readable file: ${raw}`);
      return null;
    }
    pem = readFileSync(raw, 'utf8');
  }
  // Environments often carry PEMs with literal "\n"; accept both.
  return pem.replace(/\\n/g, '\n');
}

/** A PEM public key, inline or as a path. */
export function publicKeyPem(raw: string, problems: string[], env: string): string {
  const pem = pemText(env, raw, problems);
  if (pem === null) return '';
  if (!/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem)) {
    problems.push(`${env} must be a PEM public key (-----BEGIN PUBLIC KEY-----)`);
  }
  return pem;
}

/** An RSA private key (Screwdriver verifies RS256), inline or as a path. */
export function rsaPrivateKeyPem(raw: string, problems: string[], env: string): string | null {
  const pem = pemText(env, raw, problems);
  if (pem === null) return null;
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'rsa') {
      problems.push(`${env} must be an RSA key (Screwdriver verifies RS256), got ${key.asymmetricKeyType}`);
    }
  } catch {
    problems.push(`${env} must be a PEM private key (-----BEGIN PRIVATE KEY----- or RSA PRIVATE KEY)`);
    return null;
  }
  return pem;
}
