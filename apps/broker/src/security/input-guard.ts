import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { Errors } from '../errors.js';

/**
 * Two holes the route schemas cannot close, checked after validation (preHandler) on every route:
 *
 * - Non-finite numbers. With type coercion on (app.ts), Ajv turns the strings "1e400" and
 *   "Infinity" into Infinity and lets them pass `type: integer` and `maximum`; they then reach
 *   Redis scripts and key names ("build Infinity") and fail there with a 500.
 * - NUL characters. PostgreSQL text cannot hold U+0000, so a NUL in a name, description or
 *   query filter fails in the driver with a 500; nothing in this API needs one.
 *
 * Both answer 400 naming the field, like a schema error.
 */
const MAX_DEPTH = 64;

/**
 * The first problem in `value`, named by its path (e.g. `body/pipeline/name`), or null. The path
 * is built only on the way back from a problem: on the hot path (every post, poll and ack) the
 * walk allocates nothing.
 */
export function inputProblem(value: unknown, path: string): string | null {
  const found = walk(value, 0);
  if (found === null) return null;
  const [kind, ...keys] = found;
  const where = [path, ...keys.reverse()].join('/');
  if (kind === 'key') return `${where} must not have a key with NUL characters`;
  return kind === 'number' ? `${where} must be a finite number` : `${where} must not contain NUL characters`;
}

type Found = [kind: 'number' | 'string' | 'key', ...keys: string[]];

function walk(value: unknown, depth: number): Found | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : ['number'];
  if (typeof value === 'string') return value.indexOf('\u0000') === -1 ? null : ['string'];
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = walk(value[i], depth + 1);
      if (found) return [...found, String(i)] as Found;
    }
    return null;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (key.indexOf('\u0000') !== -1) return ['key'];
    const found = walk((value as Record<string, unknown>)[key], depth + 1);
    if (found) return [...found, key] as Found;
  }
  return null;
}

export function checkRequest(request: Pick<FastifyRequest, 'body' | 'query' | 'params'>): void {
  const problem =
    inputProblem(request.params, 'params') ?? inputProblem(request.query, 'querystring') ?? inputProblem(request.body, 'body');
  if (problem) throw new Errors.BadRequest(problem);
}

export default fp(
  async (app) => {
    app.addHook('preHandler', async (request) => checkRequest(request));
  },
  { name: 'input-guard' },
);
