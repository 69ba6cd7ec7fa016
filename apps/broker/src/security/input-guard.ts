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

export function inputProblem(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${path} must be a finite number`;
  if (typeof value === 'string') return value.includes('\u0000') ? `${path} must not contain NUL characters` : null;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = inputProblem(value[i], `${path}/${i}`, depth + 1);
      if (problem) return problem;
    }
    return null;
  }
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes('\u0000')) return `${path} must not have a key with NUL characters`;
    const problem = inputProblem(inner, `${path}/${key}`, depth + 1);
    if (problem) return problem;
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
