import type { FastifyRequest } from 'fastify';
import jwt, { type Jwt, type JwtPayload } from 'jsonwebtoken';
import { Errors } from '../errors.js';

/** A token's parts, read without verifying anything yet. */
export interface DecodedToken {
  token: string;
  alg: string;
  payload: JwtPayload;
}

/** The raw bearer token of a request; 401 when there is none. Cheap: the token caches are keyed by it. */
export function bearerString(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header) throw new Errors.BearerMissing();
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new Errors.BearerMalformed();
  return match[1]!;
}

/** The bearer token of a request, decoded; 401 when there is none or it is not a JWT. Never echoes the token. */
export function bearerToken(request: FastifyRequest): DecodedToken {
  return decodeToken(bearerString(request));
}

/** A token's header and payload, read without verifying; 401 when it is not a JWT. */
export function decodeToken(token: string): DecodedToken {
  let decoded: Jwt | null = null;
  try {
    decoded = jwt.decode(token, { complete: true });
  } catch {
    decoded = null;
  }
  if (!decoded || typeof decoded.payload !== 'object' || decoded.payload === null) {
    throw new Errors.TokenNotJwt();
  }
  return { token, alg: String(decoded.header.alg), payload: decoded.payload };
}
