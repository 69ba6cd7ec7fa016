import { createHmac, createPrivateKey, createSign, constants, type KeyObject } from 'node:crypto';

export { ecPair, rsaPair, type PemPair } from './keys.js';

/**
 * Builds JWTs by hand, including the ones no honest library signs (alg "none", HMAC keyed with a
 * public key, claims that break the rules), for the security tests.
 */
export type JwtAlgorithm = 'none' | 'HS256' | 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'ES384' | 'PS256';

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

const HASH: Record<string, string> = {
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
  PS256: 'sha256',
};

/** Signs `payload` with `alg`. `key` is a PEM private key, or for HS256 any secret (a public key's PEM text, say). */
export function forgeJwt(
  alg: JwtAlgorithm,
  payload: Record<string, unknown>,
  key: string | KeyObject = '',
  header: Record<string, unknown> = {},
): string {
  const head = b64url(JSON.stringify({ alg, typ: 'JWT', ...header }));
  const body = b64url(JSON.stringify(payload));
  const input = `${head}.${body}`;
  if (alg === 'none') return `${input}.`;
  if (alg === 'HS256') return `${input}.${b64url(createHmac('sha256', key).update(input).digest())}`;
  const signer = createSign(HASH[alg]!);
  signer.update(input);
  signer.end();
  const privateKey = typeof key === 'string' ? createPrivateKey(key) : key;
  const signature = alg.startsWith('ES')
    ? signer.sign({ key: privateKey, dsaEncoding: 'ieee-p1363' })
    : alg === 'PS256'
      ? signer.sign({ key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
      : signer.sign(privateKey);
  return `${input}.${b64url(signature)}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** API token claims (README "API", Authentication: API tokens) with overrides; `undefined` in `over` removes a claim. */
export function apiClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = nowSeconds();
  return strip({ scope: ['admin'], username: 'mallory', iat, exp: iat + 600, ...over });
}

/** Cluster token claims for a signOption, with overrides; `undefined` in `over` removes a claim. */
export function clusterClaims(
  option: { issuer: string; subject: string; audience: string; expiresIn: number },
  over: Record<string, unknown> = {},
): Record<string, unknown> {
  const iat = nowSeconds();
  return strip({
    iss: option.issuer,
    sub: option.subject,
    aud: option.audience,
    iat,
    exp: iat + Math.min(option.expiresIn, 600),
    ...over,
  });
}

function strip(claims: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
}
