import type { SignOption } from '@buildcluster/protocol';
import { SIGN_ALGORITHMS, type SignAlgorithm } from '@buildcluster/protocol/constants';

/**
 * Checks a signOption read from a file or the environment and names every problem, so a typo in
 * the JSON a cluster admin edits by hand is reported at startup, not as a 401 from the broker.
 */
export function parseSignOption(value: unknown, source = 'signOption'): SignOption {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${source} must be a JSON object {issuer, subject, audience, expiresIn, algorithm}`);
  }
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const field of ['issuer', 'subject', 'audience'] as const) {
    const v = record[field];
    if (typeof v !== 'string' || v.length === 0 || v.length > 200)
      problems.push(`${field} must be a string of 1 to 200 characters`);
  }
  const expiresIn = record.expiresIn;
  if (typeof expiresIn !== 'number' || !Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 86400) {
    problems.push('expiresIn must be a whole number of seconds between 1 and 86400');
  }
  const algorithm = record.algorithm;
  if (typeof algorithm !== 'string' || !(SIGN_ALGORITHMS as readonly string[]).includes(algorithm)) {
    problems.push(`algorithm must be one of ${SIGN_ALGORITHMS.join(', ')}`);
  }
  const unknown = Object.keys(record).filter((k) => !['issuer', 'subject', 'audience', 'expiresIn', 'algorithm'].includes(k));
  if (unknown.length > 0) problems.push(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
  if (problems.length > 0) throw new TypeError(`${source} is invalid: ${problems.join('; ')}`);
  return {
    issuer: record.issuer as string,
    subject: record.subject as string,
    audience: record.audience as string,
    expiresIn: expiresIn as number,
    algorithm: algorithm as SignAlgorithm,
  };
}
