/**
 * The protocol's plain values, without the schema library: the dashboard and the worker import
 * `@buildcluster/protocol/constants` and bundle nothing else. The schemas in this package are
 * built from these same values, so a client and the broker cannot disagree.
 */

export const SIGN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256'] as const;
export type SignAlgorithm = (typeof SIGN_ALGORITHMS)[number];

export const MANAGED_BY = ['screwdriver', 'external'] as const;
export type ManagedBy = (typeof MANAGED_BY)[number];

/** `viewer`: a cluster maintainer who sees everything the admin sees and changes nothing. */
export const API_SCOPES = ['admin', 'sdapi', 'viewer'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export const CLUSTER_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$';
export const QUEUE_NAME_PATTERN = '^[A-Za-z0-9._:-]+$';
/** A worker names itself with 1 to 200 printable ASCII characters, no spaces. */
export const WORKER_ID_PATTERN = '^[\\x21-\\x7E]{1,200}$';

/** WebSocket close code of /v4/events when the token behind the socket expires. */
export const CLOSE_TOKEN_EXPIRED = 4401;

/**
 * The stable `code` of every error answer (`{statusCode, code, error, message}`). Clients decide
 * on these, never on the wording of `message`. The broker's catalogue (apps/broker/src/errors.ts)
 * gives each its status and message.
 */
export const ERROR_CODES = {
  /** A request failed its schema: the message names the part and field. */
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  /** A request the schema cannot describe is wrong (too deep, conflicting fields, a placeholder left in). */
  BAD_REQUEST: 'BAD_REQUEST',
  INVALID_PUBLIC_KEY: 'INVALID_PUBLIC_KEY',
  /** Reaching or reading the Screwdriver API for an import failed. */
  IMPORT_FAILED: 'IMPORT_FAILED',
  /** A start message names a build cluster that does not exist. */
  REQUESTED_CLUSTER_UNKNOWN: 'REQUESTED_CLUSTER_UNKNOWN',
  /** The requested cluster serves another scmContext. */
  REQUESTED_CLUSTER_SCM_CONTEXT: 'REQUESTED_CLUSTER_SCM_CONTEXT',
  /** The requested external cluster runs builds of other SCM organizations only. */
  REQUESTED_CLUSTER_ORGANIZATION: 'REQUESTED_CLUSTER_ORGANIZATION',
  /** The requested cluster has another provider (name, region, account) than the build. */
  REQUESTED_CLUSTER_PROVIDER: 'REQUESTED_CLUSTER_PROVIDER',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  /** A worker route names a cluster that is not registered. */
  CLUSTER_NOT_REGISTERED: 'CLUSTER_NOT_REGISTERED',
  /** A cluster token sent on another cluster's worker route. */
  WRONG_CLUSTER_TOKEN: 'WRONG_CLUSTER_TOKEN',
  NOT_FOUND: 'NOT_FOUND',
  CLUSTER_NOT_FOUND: 'CLUSTER_NOT_FOUND',
  BUILD_NOT_FOUND: 'BUILD_NOT_FOUND',
  CLUSTER_EXISTS: 'CLUSTER_EXISTS',
  /** The cluster cannot do that now: it still holds builds, is being deleted, or a guard refused. */
  CLUSTER_BUSY: 'CLUSTER_BUSY',
  DISPATCH_PAUSED: 'DISPATCH_PAUSED',
  DISPATCH_NOT_PAUSED: 'DISPATCH_NOT_PAUSED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  INTERNAL: 'INTERNAL',
  NOT_IMPLEMENTED: 'NOT_IMPLEMENTED',
  /** A Screwdriver feature that needs the broker's queue key (QUEUE_JWT_PRIVATE_KEY), which is not set. */
  QUEUE_KEY_REQUIRED: 'QUEUE_KEY_REQUIRED',
  /** Redis or PostgreSQL is unreachable; retry. */
  UNAVAILABLE: 'UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];
