import type { FastifyRequest } from 'fastify';

/**
 * Keeps credentials out of the request log. Fastify logs each request's URL, query string
 * included; a token sent as `?token=` (allowed on the WebSocket route, a mistake elsewhere) or
 * pasted into a path would land in every log line of that request. Header redaction in app.ts
 * covers `Authorization`; this covers the URL.
 */
const SECRET_PARAM =
  /^(?:token|access_token|id_token|refresh_token|jwt|bearer|authorization|auth|api[_-]?key|key|password|secret|signature|sig)$/i;
/** A JWT anywhere: three base64url parts, the first a JSON header ("eyJ" is `{"` encoded). */
const JWT = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g;
export const REDACTED = '[redacted]';

export function redactUrl(url: string): string {
  const withoutJwts = url.replace(JWT, REDACTED);
  const mark = withoutJwts.indexOf('?');
  if (mark === -1) return withoutJwts;
  const path = withoutJwts.slice(0, mark);
  const query = withoutJwts
    .slice(mark + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // a malformed escape: keep the raw name for the check
      }
      return eq !== -1 && SECRET_PARAM.test(decoded) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
  return `${path}?${query}`;
}

/** Fastify's request serializer (same fields as its default), with the URL redacted. */
export function requestSerializer(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrl(request.url),
    version: request.headers?.['accept-version'],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
