import { sign } from 'node:crypto';
import { inject } from 'vitest';

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** An RS256 API token signed with the test broker's Screwdriver API key. */
export function mintApiToken(options: { scope?: string[]; username?: string; expiresIn?: number } = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const payload = b64url(
    JSON.stringify({
      scope: options.scope ?? ['admin'],
      username: options.username ?? 'test-admin',
      iat: now,
      exp: now + (options.expiresIn ?? 3600),
    }),
  );
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), inject('apiPrivateKey'));
  return `${header}.${payload}.${b64url(signature)}`;
}
