import { ERROR_CODES } from '@buildcluster/protocol/constants';
import { ApiError } from '../api/client';

/**
 * Maps a broker 400 to the form field it is about. Fastify's validation messages name the field
 * as a path: "body/signOption/algorithm must be equal to constant", or, for a missing one,
 * "body must have required property 'scmContext'". Domain errors (bad key, taken name) carry a code.
 */
export interface FieldError {
  /** dotted field path, e.g. "signOption.algorithm"; null when the message names no known field */
  field: string | null;
  message: string;
}

const CODE_FIELDS: Record<string, string> = {
  [ERROR_CODES.INVALID_PUBLIC_KEY]: 'publicKey',
  [ERROR_CODES.CLUSTER_EXISTS]: 'name',
};

export function fieldErrorFrom(error: unknown, knownFields: readonly string[]): FieldError {
  if (!(error instanceof ApiError)) return { field: null, message: error instanceof Error ? error.message : String(error) };
  const message = error.message;
  const located = /^body(\/[^\s]*)?\s+(.*)$/s.exec(message);
  if (located) {
    const path = (located[1] ?? '').split('/').filter(Boolean);
    let text = located[2] ?? message;
    const required = /must have required property '([^']+)'/.exec(text);
    if (required?.[1]) {
      path.push(required[1]);
      text = 'is required';
    }
    const field = closestKnown(path, knownFields);
    return { field, message: field ? text : message };
  }
  // Domain messages lead with the field they are about: "publicKey is not a readable PEM public key".
  const byLongestFirst = [...knownFields].sort((a, b) => b.length - a.length);
  const leading = byLongestFirst.find((f) => message.startsWith(`${f} `));
  if (leading) return { field: leading, message };
  const byCode = CODE_FIELDS[error.code];
  if (byCode && knownFields.includes(byCode)) return { field: byCode, message };
  const mentioned = byLongestFirst.find((f) => new RegExp(`\\b${f.replace(/\./g, '[./]')}\\b`).test(message));
  return { field: mentioned ?? null, message };
}

/** "provider/region" → "provider.region" if known, else its closest known parent ("provider"). */
function closestKnown(path: string[], knownFields: readonly string[]): string | null {
  for (let n = path.length; n > 0; n--) {
    const candidate = path.slice(0, n).join('.');
    if (knownFields.includes(candidate)) return candidate;
  }
  return null;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
