import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';

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

/** What a token the broker signs as the queue service, for no particular build, names. */
export interface ServiceClaims {
  pipelineId: number;
  jobId?: number;
  scmContext?: string;
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

const HEADER = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');

/**
 * Signs RS256 JWTs. An RSA signature costs most of a millisecond of CPU, and every delivered start
 * needs one, so the key is parsed once and the signature is computed on libuv's thread pool
 * (crypto.sign with a callback), off the event loop that serves polls.
 */
export class ScrewdriverTokens {
  private readonly key: KeyObject;

  constructor(privateKeyPem: string) {
    this.key = createPrivateKey(privateKeyPem);
  }

  /** What the launcher exchanges at `POST /v4/builds/{id}/token` while the build is QUEUED or BLOCKED. */
  temporal(claims: BuildClaims): Promise<string> {
    return this.sign(claims, 'temporal', TEMPORAL_SECONDS);
  }

  /** What the broker's own `PUT /v4/builds/{id}` calls carry. */
  build(claims: BuildClaims): Promise<string> {
    return this.sign(claims, 'build', BUILD_SECONDS);
  }

  /**
   * A start message as delivered to a worker: the stored JSON text with a fresh temporal `token`
   * as its last member, so it wins over any `token` the text already had (JSON keeps the last).
   */
  async withLauncherToken(message: string): Promise<string> {
    const parsed = JSON.parse(message) as Record<string, unknown>;
    const token = JSON.stringify(await this.temporal(claimsOf(parsed)));
    const body = message.trimEnd();
    const empty = /^\{\s*\}$/.test(body);
    return `${body.slice(0, body.length - 1)}${empty ? '' : ','}"token":${token}}`;
  }

  /**
   * The queue service acting on a pipeline, not for a build: scope `user` reads the pipeline's admin
   * (`GET /v4/pipelines/{id}/admin`), scope `pipeline` reports on a job (`POST /v4/jobs/{id}/notify`).
   */
  service(claims: ServiceClaims, scope: 'user' | 'pipeline'): Promise<string> {
    return this.sign({ ...claims, service: 'queue' }, scope, BUILD_SECONDS);
  }

  /** A user token for a pipeline's admin: the broker starts events (freeze window ends, periodic ticks) as them. */
  user(username: string, scmContext: string): Promise<string> {
    return this.sign({ username, scmContext }, 'user', BUILD_SECONDS);
  }

  private sign(claims: object, scope: 'temporal' | 'build' | 'user' | 'pipeline', seconds: number): Promise<string> {
    const iat = Math.floor(Date.now() / 1000);
    const payload = { ...claims, scope: [scope], iat, exp: iat + seconds, jti: randomUUID() };
    const input = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return new Promise((resolve, reject) => {
      sign('sha256', Buffer.from(input), this.key, (err, signature) => {
        if (err) reject(err);
        else resolve(`${input}.${signature.toString('base64url')}`);
      });
    });
  }
}
