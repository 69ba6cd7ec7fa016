import { ERROR_CODES, type ErrorCode } from '@buildcluster/protocol';

/**
 * The one catalogue of errors the broker answers with: per entry a stable code (exported by
 * @buildcluster/protocol/constants for clients), an HTTP status and the message template, typed by
 * its parameters. Throw `new Errors.X(params)`; the error handler (plugins/app/error-handler.ts)
 * turns it into `{statusCode, code, error, message}`. A 5xx never carries its message to the client.
 */
export class BrokerError extends Error {
  /** What the client reads: the message itself below 500, else the entry's fixed sentence. */
  readonly publicMessage: string;

  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    publicMessage: string = message,
    /** The parameters of the entry's template, for the log. */
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'BrokerError';
    this.publicMessage = statusCode < 500 ? message : publicMessage;
  }
}

const INTERNAL_MESSAGE = 'internal error; see the broker log';

/**
 * One entry. A 5xx answers `publicMessage` (a fixed sentence, or `'own'` when its template holds
 * nothing internal); its own message goes to the log only.
 */
function define<P extends unknown[]>(
  statusCode: number,
  code: ErrorCode,
  template: (...params: P) => string,
  publicMessage: string = INTERNAL_MESSAGE,
) {
  return class extends BrokerError {
    static readonly code = code;
    static readonly statusCode = statusCode;
    constructor(...params: P) {
      const message = template(...params);
      super(statusCode, code, message, publicMessage === 'own' ? message : publicMessage, params[0]);
    }
  };
}

const C = ERROR_CODES;
type Cluster = { cluster: string };
type Build = { buildId: number };

/** Why a Screwdriver import could not be read; one message each. */
export type ImportProblem =
  | { kind: 'not-a-list' }
  | { kind: 'no-name'; index: number }
  | { kind: 'no-scm-context'; name: string }
  | { kind: 'unreachable'; url: string; cause: string }
  | { kind: 'refused'; url: string; status: number }
  | { kind: 'status'; url: string; status: number }
  | { kind: 'too-large'; url: string; maxBytes: number }
  | { kind: 'not-json'; url: string };

function importMessage(p: ImportProblem): string {
  switch (p.kind) {
    case 'not-a-list':
      return 'the Screwdriver API did not answer a list of build clusters';
    case 'no-name':
      return `build cluster ${p.index} of the Screwdriver API has no valid name`;
    case 'no-scm-context':
      return `build cluster ${p.name} of the Screwdriver API has no scmContext`;
    case 'unreachable':
      return `could not reach ${p.url}: ${p.cause}`;
    case 'refused':
      return `${p.url} refused the token (${p.status}); use an admin's Screwdriver API token`;
    case 'status':
      return `${p.url} answered ${p.status}`;
    case 'too-large':
      return `${p.url} answered more than ${p.maxBytes} bytes`;
    case 'not-json':
      return `${p.url} did not answer JSON`;
  }
}

export const Errors = {
  /** A request failed its schema; Fastify's or TypeBox's wording names the part and field. */
  ValidationFailed: define(400, C.VALIDATION_FAILED, (p: { problem: string; allowed?: readonly unknown[] }) =>
    p.allowed ? `${p.problem}: ${p.allowed.map((v) => JSON.stringify(v)).join(', ')}` : p.problem,
  ),
  // 400: the request is wrong in a way its schema cannot say.
  /** A problem found by a validator that words it (input guard, JSON depth, timer message). */
  BadRequest: define(400, C.BAD_REQUEST, (problem: string) => problem),
  ConflictingFields: define(
    400,
    C.BAD_REQUEST,
    (p: { given: string; alternative: string }) => `give ${p.given} or ${p.alternative}, not both`,
  ),
  InvalidField: define(400, C.BAD_REQUEST, (p: { field: string; expected: string }) => `${p.field} must be ${p.expected}`),
  PlaceholderLeft: define(
    400,
    C.BAD_REQUEST,
    (p: { field: string; value: string }) =>
      `${p.field} still holds keygen's placeholder "${p.value}"; replace it with the real value`,
  ),
  CancelCriteriaMissing: define(
    400,
    C.BAD_REQUEST,
    () => 'name a pipeline (pipelineId or pipelineName) or a job (jobId or jobName) to cancel its queued builds',
  ),
  JobNameAmbiguous: define(
    400,
    C.BAD_REQUEST,
    () => 'jobName is the same in many pipelines: give pipelineId or pipelineName with it',
  ),
  ImportFailed: define(400, C.IMPORT_FAILED, importMessage),

  PublicKeyIsPrivate: define(
    400,
    C.INVALID_PUBLIC_KEY,
    () => 'publicKey must be a public key; a private key was given (keep it on the cluster)',
  ),
  PublicKeyNotPem: define(400, C.INVALID_PUBLIC_KEY, () => 'publicKey must be a PEM public key (-----BEGIN PUBLIC KEY-----)'),
  PublicKeyUnreadable: define(400, C.INVALID_PUBLIC_KEY, () => 'publicKey is not a readable PEM public key'),
  PublicKeyWrongType: define(
    400,
    C.INVALID_PUBLIC_KEY,
    (p: { key: string; algorithm: string; needs: string }) =>
      `publicKey is ${p.key}, but signOption.algorithm ${p.algorithm} needs ${p.needs}`,
  ),
  AlgorithmDoesNotFitKey: define(
    400,
    C.INVALID_PUBLIC_KEY,
    (p: { algorithm: string; problem: string }) =>
      `signOption.algorithm ${p.algorithm} does not fit the registered publicKey; send a new publicKey with it (${p.problem})`,
  ),

  // The refusals of cluster selection (a start message naming its cluster).
  RequestedClusterUnknown: define(
    400,
    C.REQUESTED_CLUSTER_UNKNOWN,
    (p: Cluster) => `build cluster "${p.cluster}" does not exist`,
  ),
  RequestedClusterScmContext: define(
    403,
    C.REQUESTED_CLUSTER_SCM_CONTEXT,
    (p: Cluster & { serves: string; build: string }) =>
      `build cluster "${p.cluster}" serves scmContext "${p.serves}", not "${p.build}"`,
  ),
  RequestedClusterOrganization: define(
    403,
    C.REQUESTED_CLUSTER_ORGANIZATION,
    (p: Cluster & { serves: string; build: string }) =>
      `build cluster "${p.cluster}" runs builds of organization "${p.serves}" only, not "${p.build}"`,
  ),
  RequestedClusterProvider: define(
    403,
    C.REQUESTED_CLUSTER_PROVIDER,
    (p: Cluster & { has: string; needs: string }) =>
      `build cluster "${p.cluster}" has provider ${p.has}, the build needs ${p.needs}`,
  ),

  // 401: who is calling is not proven.
  BearerMissing: define(401, C.UNAUTHORIZED, () => 'missing bearer token (Authorization: Bearer <JWT>)'),
  BearerMalformed: define(401, C.UNAUTHORIZED, () => 'the Authorization header must be "Bearer <JWT>"'),
  TokenNotJwt: define(401, C.UNAUTHORIZED, () => 'the bearer token is not a well-formed JWT'),
  ApiTokenAlgorithm: define(401, C.UNAUTHORIZED, (p: { alg: string }) => `API tokens must be signed with RS256, not ${p.alg}`),
  ApiTokenExpired: define(401, C.UNAUTHORIZED, () => 'the API token has expired'),
  ApiTokenSignature: define(401, C.UNAUTHORIZED, () => 'the API token is not signed by the Screwdriver API key'),
  ApiTokenClaimMissing: define(
    401,
    C.UNAUTHORIZED,
    (p: { missing: 'exp claim' | 'scope array' | 'username claim' }) => `the API token has no ${p.missing}`,
  ),
  ApiTokenNoCaller: define(
    401,
    C.UNAUTHORIZED,
    () => 'the API token has no username and names no build, job or pipeline (numeric username, jobId or pipelineId)',
  ),
  /** A cluster token failed a check; auth/cluster-tokens.ts and its claim checks word which. */
  ClusterTokenRefused: define(401, C.UNAUTHORIZED, (problem: string) => problem),

  // 403: the caller is known and may not do this.
  ScopeRequired: define(403, C.FORBIDDEN, (p: { needed: string }) => `this route needs an API token with scope ${p.needed}`),
  ClusterTokenOnApiRoute: define(
    403,
    C.FORBIDDEN,
    (p: { needed: string }) => `cluster tokens are not accepted here; this route needs an API token with scope ${p.needed}`,
  ),
  ApiTokenOnWorkerRoute: define(
    403,
    C.FORBIDDEN,
    () => "API tokens are not accepted on worker routes; use the cluster's own token",
  ),
  RouteNamesNoCluster: define(403, C.FORBIDDEN, () => 'this route names no cluster'),
  ClusterNotRegistered: define(403, C.CLUSTER_NOT_REGISTERED, (p: Cluster) => `cluster ${p.cluster} is not registered`),
  WrongClusterToken: define(
    403,
    C.WRONG_CLUSTER_TOKEN,
    (p: Cluster & { owner: string }) => `this token belongs to cluster ${p.owner}, not to cluster ${p.cluster}`,
  ),

  // 404
  RouteNotFound: define(404, C.NOT_FOUND, (p: { method: string; path: string }) => `no route ${p.method} ${p.path}`),
  ClusterNotFound: define(404, C.CLUSTER_NOT_FOUND, (p: Cluster) => `cluster ${p.cluster} is not registered`),
  AwaitingClusterNotFound: define(404, C.CLUSTER_NOT_FOUND, (p: Cluster) => `no imported cluster ${p.cluster} awaits a key`),
  BuildNotFound: define(404, C.BUILD_NOT_FOUND, (p: Build) => `build ${p.buildId} is not known to the broker`),
  DeadLetterNotFound: define(
    404,
    C.BUILD_NOT_FOUND,
    (p: Build & Cluster) => `build ${p.buildId} is not in the dead letters of cluster ${p.cluster}`,
  ),

  // 409
  ClusterExists: define(409, C.CLUSTER_EXISTS, (p: Cluster) => `cluster ${p.cluster} already exists`),
  /** The database's unique constraint caught a race the checks above it missed. */
  ClusterExistsRace: define(409, C.CLUSTER_EXISTS, () => 'the cluster already exists'),
  PublicKeyTaken: define(409, C.CLUSTER_EXISTS, (p: { owner: string | null }) =>
    p.owner === null
      ? 'publicKey is already registered for another cluster'
      : `publicKey is already registered for cluster ${p.owner}; each cluster needs its own key`,
  ),
  /** A cluster that cannot be changed now; the reason is worded by whoever refuses (a delete guard). */
  ClusterBusy: define(409, C.CLUSTER_BUSY, (reason: string) => reason),
  ClusterBeingDeleted: define(409, C.CLUSTER_BUSY, (p: Cluster) => `cluster ${p.cluster} is being deleted by another request`),
  ClusterNotDrained: define(
    409,
    C.CLUSTER_BUSY,
    (p: Cluster & { queued: number; leased: number; dead: number }) =>
      `cluster ${p.cluster} still has ${p.queued} queued and ${p.leased} leased builds and ${p.dead} dead letters; ` +
      'deactivate it, let its workers drain the queue, and requeue or stop its dead letters first',
  ),
  DispatchPaused: define(
    409,
    C.DISPATCH_PAUSED,
    (p: Cluster) => `dispatch of cluster ${p.cluster} is already paused; resume it first`,
  ),
  DispatchNotPaused: define(409, C.DISPATCH_NOT_PAUSED, (p: Cluster) => `dispatch of cluster ${p.cluster} is not paused`),

  PayloadTooLarge: define(413, C.PAYLOAD_TOO_LARGE, (p: { limit: number }) => `request body is larger than ${p.limit} bytes`),

  // 5xx: the message is for the log; the client gets the code and a fixed sentence.
  Internal: define(500, C.INTERNAL, (p: { cause: string }) => p.cause),
  FeatureNotOffered: define(
    501,
    C.NOT_IMPLEMENTED,
    (p: { type: string; setting: string }) =>
      `?type=${p.type} is a Screwdriver queue-service feature this broker does not offer; turn off ${p.setting} ` +
      `in the Screwdriver API, or set IGNORE_QUEUE_FEATURES=${p.type} on the broker to accept and ignore these calls`,
    'own',
  ),
  QueueKeyRequired: define(
    501,
    C.QUEUE_KEY_REQUIRED,
    (p: { feature: string; why: string }) => `?type=${p.feature} needs QUEUE_JWT_PRIVATE_KEY: ${p.why}`,
    'own',
  ),
  Unavailable: define(
    503,
    C.UNAVAILABLE,
    (p: { service: 'Redis' | 'PostgreSQL'; cause: string }) => `${p.service} is unavailable: ${p.cause}`,
    'a backing service (Redis or PostgreSQL) is unavailable; retry shortly',
  ),
} as const;
