/**
 * The one catalogue of errors the broker answers with. Throw `new Errors.X(...)`; the error
 * handler in app.ts turns it into `{statusCode, code, error, message}`. A 5xx never carries the
 * internal message to the client.
 */
export class BrokerError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BrokerError';
  }
}

function define(statusCode: number, code: string) {
  return class extends BrokerError {
    static readonly code = code;
    static readonly statusCode = statusCode;
    constructor(message: string) {
      super(statusCode, code, message);
    }
  };
}

export const Errors = {
  BadRequest: define(400, 'BAD_REQUEST'),
  InvalidPublicKey: define(400, 'INVALID_PUBLIC_KEY'),
  Unauthorized: define(401, 'UNAUTHORIZED'),
  Forbidden: define(403, 'FORBIDDEN'),
  NotFound: define(404, 'NOT_FOUND'),
  ClusterNotFound: define(404, 'CLUSTER_NOT_FOUND'),
  BuildNotFound: define(404, 'BUILD_NOT_FOUND'),
  ClusterExists: define(409, 'CLUSTER_EXISTS'),
  ClusterBusy: define(409, 'CLUSTER_BUSY'),
  PayloadTooLarge: define(413, 'PAYLOAD_TOO_LARGE'),
  NotImplemented: define(501, 'NOT_IMPLEMENTED'),
  Unavailable: define(503, 'UNAVAILABLE'),
} as const;
