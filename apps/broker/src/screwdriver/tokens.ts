import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';

/**
 * Tokens the broker signs for Screwdriver, as its queue-service does. Screwdriver's API verifies
 * them with `auth.jwtQueueServicePublicKey`, RS256 only. The claims name the build they act for:
 * the API refuses a build or temporal token whose `username` is not that build's id (a number).
 */
export interface BuildClaims {
  username: number;
  buildId: number;
  jobId?: number;
  eventId?: number;
  isPR?: boolean;
  pipelineId?: number;
  scmContext?: string;
  configPipelineId?: number;
  prParentJobId?: number;
}

/** The launcher's token lives as long as the queue-service's: long enough for a queue wait and a start. */
const TEMPORAL_SECONDS = 12 * 3600;
/** The broker's own status updates need only a short life. */
const BUILD_SECONDS = 3600;

const integer = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined);

/** The claims of a start message (the fields Screwdriver's token schema allows, when the message has them). */
export function claimsOf(message: Record<string, unknown>): BuildClaims {
  const buildId = integer(message.buildId) ?? 0;
  const pipeline = (typeof message.pipeline === 'object' && message.pipeline !== null ? message.pipeline : {}) as Record<
    string,
    unknown
  >;
  const build = (typeof message.build === 'object' && message.build !== null ? message.build : {}) as Record<string, unknown>;
  const claims: BuildClaims = { username: buildId, buildId };
  const jobId = integer(message.jobId);
  const eventId = integer(message.eventId) ?? integer(build.eventId);
  const pipelineId = integer(pipeline.id) ?? integer(message.pipelineId);
  const configPipelineId = integer(pipeline.configPipelineId);
  const prParentJobId = integer(message.prParentJobId);
  if (jobId !== undefined) claims.jobId = jobId;
  if (eventId !== undefined) claims.eventId = eventId;
  if (typeof message.isPR === 'boolean') claims.isPR = message.isPR;
  if (pipelineId !== undefined) claims.pipelineId = pipelineId;
  if (typeof pipeline.scmContext === 'string') claims.scmContext = pipeline.scmContext;
  if (configPipelineId !== undefined) claims.configPipelineId = configPipelineId;
  if (prParentJobId !== undefined) claims.prParentJobId = prParentJobId;
  return claims;
}

export class ScrewdriverTokens {
  constructor(private readonly privateKey: string) {}

  /** What the launcher exchanges at `POST /v4/builds/{id}/token` while the build is QUEUED or BLOCKED. */
  temporal(claims: BuildClaims): string {
    return this.sign(claims, 'temporal', TEMPORAL_SECONDS);
  }

  /** What the broker's own `PUT /v4/builds/{id}` calls carry. */
  build(claims: BuildClaims): string {
    return this.sign(claims, 'build', BUILD_SECONDS);
  }

  /**
   * A start message as delivered to a worker: the stored JSON text with a fresh temporal `token`
   * as its last member, so it wins over any `token` the text already had (JSON keeps the last).
   */
  withLauncherToken(message: string): string {
    const parsed = JSON.parse(message) as Record<string, unknown>;
    const token = JSON.stringify(this.temporal(claimsOf(parsed)));
    const body = message.trimEnd();
    const empty = /^\{\s*\}$/.test(body);
    return `${body.slice(0, body.length - 1)}${empty ? '' : ','}"token":${token}}`;
  }

  private sign(claims: BuildClaims, scope: 'temporal' | 'build', seconds: number): string {
    return jwt.sign({ ...claims, scope: [scope] }, this.privateKey, {
      algorithm: 'RS256',
      expiresIn: seconds,
      jwtid: randomUUID(),
    });
  }
}
